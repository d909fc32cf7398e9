//! `guanxi analyze`: the whole decision-support pipeline from the command line — read the
//! organisation's purchases, fit the models, score every customer, write the scores back —
//! with a progress bar and a summary.

use anyhow::Context;
use guanxi_api::analysis::{self, Phase, Settings};
use guanxi_core::{Lang, OrgId};
use guanxi_store::{Ctx, ScoreDim, ScoreFilter, Store};
use serde_json::Value;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// The organisation's id (`guanxi admin list-orgs`).
    #[arg(long)]
    pub org: i64,
    /// Score as of this day (YYYY-MM-DD) instead of today in the organisation's time zone.
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(long, default_value = "zh-CN")]
    pub lang: String,
    /// No progress bar (for logs and scripts).
    #[arg(long)]
    pub quiet: bool,
}

pub fn settings_of(s: &guanxi_config::Settings) -> Settings {
    Settings {
        margin: s.analysis_margin,
        clv_months: s.analysis_clv_months,
        monthly_discount: s.analysis_monthly_discount,
    }
}

fn yuan(fen: i64) -> String {
    format!("{:.2}", fen as f64 / 100.0)
}

pub async fn run(settings: &guanxi_config::Settings, args: AnalyzeArgs) -> anyhow::Result<()> {
    let lang = if args.lang.eq_ignore_ascii_case("en") {
        Lang::En
    } else {
        Lang::ZhCn
    };
    let store: Arc<dyn Store> = Arc::new(crate::server::open_store(settings).await?);
    let org = store
        .get_org(OrgId(args.org))
        .await
        .with_context(|| format!("organisation {}", args.org))?;
    let ctx = Ctx::new(org.id);
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(6)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})")
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let b = bar.clone();
    let progress = Arc::new(move |p: Phase| {
        b.inc(1);
        b.set_message(p.name());
    });
    let started = std::time::Instant::now();
    let outcome = analysis::run(
        store.clone(),
        &Arc::new(analysis::Runs::default()),
        ctx,
        &settings_of(settings),
        args.as_of,
        progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let r = &outcome.run.report;
    let w = outcome.write;
    match lang {
        Lang::ZhCn => println!(
            "第 {} 次评分（截至 {}）：{} 位客户、{} 笔购买，用时 {secs:.1} 秒；{} 位客户的分群、价值层级、生命周期或流失风险有变化，{} 位不再评分",
            outcome.run.id.get(), outcome.run.as_of, w.scored, outcome.run.purchases, w.changed, w.removed
        ),
        Lang::En => println!(
            "Run {} (as of {}): {} customers, {} purchases in {secs:.1} s; {} moved segment, tier, stage or risk, {} no longer scored",
            outcome.run.id.get(), outcome.run.as_of, w.scored, outcome.run.purchases, w.changed, w.removed
        ),
    }
    print_fit(lang, "BG/NBD", &r["bgnbd"], &["r", "alpha", "a", "b"]);
    print_fit(lang, "Gamma-Gamma", &r["gamma_gamma"], &["p", "q", "gamma"]);
    let pareto = &r["pareto_nbd"];
    if pareto["ok"].as_bool() == Some(true) {
        let f = |k: &str| pareto[k].as_f64().unwrap_or(f64::NAN);
        match lang {
            Lang::ZhCn => println!(
                "  Pareto/NBD（对照，{} 位客户的样本）：r = {:.4}, alpha = {:.4}, s = {:.4}, beta = {:.4}，对数似然 {:.1}，同一样本上 BG/NBD 为 {:.1}",
                pareto["sample"], f("r"), f("alpha"), f("s"), f("beta"), f("log_likelihood"), f("bgnbd_log_likelihood")
            ),
            Lang::En => println!(
                "  Pareto/NBD (for comparison, on a sample of {}): r = {:.4}, alpha = {:.4}, s = {:.4}, beta = {:.4} (log-likelihood {:.1}; BG/NBD on the same sample {:.1})",
                pareto["sample"], f("r"), f("alpha"), f("s"), f("beta"), f("log_likelihood"), f("bgnbd_log_likelihood")
            ),
        }
    }
    if let Some(tiers) = r["tiers"].as_array() {
        let total: i64 = tiers.iter().filter_map(|t| t["revenue"].as_i64()).sum();
        for t in tiers {
            let rev = t["revenue"].as_i64().unwrap_or(0);
            let share = if total > 0 {
                100.0 * rev as f64 / total as f64
            } else {
                0.0
            };
            println!(
                "  {} {}: {} {}, {} ¥{} ({share:.1}%)",
                lang.pick("价值层级", "tier"),
                t["tier"].as_str().unwrap_or("?"),
                t["customers"],
                lang.pick("位客户", "customers"),
                lang.pick("收入", "revenue"),
                yuan(rev)
            );
        }
    }
    for (dim, label) in [
        (ScoreDim::Stage, lang.pick("生命周期", "lifecycle")),
        (ScoreDim::Risk, lang.pick("流失风险", "churn risk")),
        (ScoreDim::Segment, lang.pick("RFM 分群", "RFM segments")),
    ] {
        let counts = store.score_counts(ctx, dim, ScoreFilter::default()).await?;
        let line: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {}", c.key, c.customers))
            .collect();
        println!("  {label}: {}", line.join(", "));
    }
    Ok(())
}

fn print_fit(lang: Lang, name: &str, fit: &Value, params: &[&str]) {
    if fit["ok"].as_bool() == Some(true) {
        let values: Vec<String> = params
            .iter()
            .map(|p| format!("{p} = {:.4}", fit[*p].as_f64().unwrap_or(f64::NAN)))
            .collect();
        println!(
            "  {name}: {} (log-likelihood {:.1})",
            values.join(", "),
            fit["log_likelihood"].as_f64().unwrap_or(f64::NAN)
        );
    } else {
        let code = fit["error"].as_str().unwrap_or("");
        println!("  {name}: {}", analysis::fit_error_message(code, lang));
    }
}
