//! `guanxi bench analyze`: the customer-value pipeline against the Python stack analysts use,
//! side by side on one file of transactions (`customer_id,date,amount`, amounts in yuan).
//!
//! Guanxi's run reads the file, summarises every customer, fits BG/NBD and Gamma-Gamma and
//! scores every customer (RFM, tiers, probability alive, expected purchases, expected spend,
//! CLV over 12 months at 1 % a month with a margin of 1, as `lifetimes` computes it). With
//! `--python`, `bench/analyze/reference.py` then runs `lifetimes`, RFM in pandas and RFM in
//! DuckDB SQL on the same file, one process each, and the figures are printed together.
//! Without `--csv`, a file is generated first (`guanxi_analytics::simulate`).

use anyhow::{bail, Context};
use guanxi_analytics::pipeline::{self, Options, Purchase};
use guanxi_analytics::simulate;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct AnalyzeBench {
    /// Transactions to read; generated when absent (see --customers).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Customers to generate when no --csv is given (about ten orders each).
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: u64,
    /// Where to write the generated file.
    #[arg(long, default_value = "guanxi-bench-transactions.csv")]
    pub out: PathBuf,
    /// The end of observation (YYYY-MM-DD); default the generator's last day.
    #[arg(long)]
    pub end: Option<String>,
    /// A Python with the references' packages (bench/analyze/README.md); without it only
    /// Guanxi runs.
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Which references to run with --python.
    #[arg(long, default_value = "lifetimes,pandas,duckdb")]
    pub only: String,
}

/// Read `customer_id,date,amount` (yuan with up to two decimals) into purchases in fen.
pub fn read_transactions(path: &Path) -> anyhow::Result<Vec<Purchase>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut out = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        number += 1;
        let l = line.trim_end();
        if number == 1 && l.starts_with("customer_id") || l.is_empty() {
            continue;
        }
        let mut f = l.split(',');
        let (Some(c), Some(d), Some(a)) = (f.next(), f.next(), f.next()) else {
            bail!("line {number}: expected customer_id,date,amount");
        };
        let customer: i64 = c
            .parse()
            .with_context(|| format!("line {number}: customer_id {c:?}"))?;
        let Some(day) = simulate::parse_date(d) else {
            bail!("line {number}: date {d:?} is not YYYY-MM-DD");
        };
        let Some(amount) = fen(a) else {
            bail!("line {number}: amount {a:?} is not a number of yuan");
        };
        out.push(Purchase {
            customer,
            day,
            amount,
        });
    }
    Ok(out)
}

/// Yuan with up to two decimals to fen, exactly.
fn fen(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    let v = w.checked_mul(100)?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

fn peak_rss_mb() -> f64 {
    // VmHWM of this process, in kB.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn run(args: AnalyzeBench) -> anyhow::Result<()> {
    let (csv, end) = match &args.csv {
        Some(p) => (p.clone(), args.end.clone()),
        None => {
            let plan = simulate::Plan {
                customers: args.customers,
                ..simulate::Plan::default()
            };
            let started = Instant::now();
            let file = std::fs::File::create(&args.out)
                .with_context(|| format!("{}", args.out.display()))?;
            let rows = simulate::write_csv(&plan, std::io::BufWriter::new(file))?;
            eprintln!(
                "generated {rows} transactions of {} customers into {} in {:.1} s",
                args.customers,
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            (
                args.out.clone(),
                Some(simulate::date_string(plan.end_day())),
            )
        }
    };
    let end = match end {
        Some(e) => e,
        None => bail!("--end YYYY-MM-DD is needed with --csv"),
    };
    let Some(today) = simulate::parse_date(&end) else {
        bail!("--end {end:?} is not YYYY-MM-DD");
    };

    let started = Instant::now();
    let purchases = read_transactions(&csv)?;
    let read_s = started.elapsed().as_secs_f64();
    let n = purchases.len();
    // RFM alone, as the scoring run computes it (summary, then quintiles), for the pandas and
    // DuckDB references (which count orders rather than purchase days: the same work).
    let copy = purchases.clone();
    let started = Instant::now();
    let rfm = pipeline::rfm_only(copy, today).len();
    let rfm_s = started.elapsed().as_secs_f64();
    // The pipeline lifetimes is compared with: summary, BG/NBD, Gamma-Gamma, scores (not
    // the Pareto/NBD comparison fit).
    let options = Options {
        margin: 1.0,
        pareto: false,
        ..Options::new(today)
    };
    let started = Instant::now();
    let (report, scores) = pipeline::run(purchases, &options, |_| {});
    let pipeline_s = started.elapsed().as_secs_f64();
    let clv_sum: f64 = scores
        .iter()
        .filter_map(|s| s.clv)
        .map(|v| v as f64 / 100.0)
        .sum();
    let steps: serde_json::Map<String, Value> = report
        .timings
        .iter()
        .map(|(s, d)| (s.name().to_owned(), json!(d.as_secs_f64())))
        .collect();
    let guanxi = json!({
        "stack": "guanxi",
        "transactions": n,
        "customers": report.customers,
        "read_s": read_s,
        "pipeline_s": pipeline_s,
        "rfm_s": rfm_s,
        "rfm_customers": rfm,
        "steps_s": steps,
        "bgnbd": report.bgnbd.as_ref().map(|f| json!({"r": f.params.r, "alpha": f.params.alpha, "a": f.params.a, "b": f.params.b, "ll": f.log_likelihood, "iterations": f.iterations})).unwrap_or_else(|e| json!({"error": e.to_string()})),
        "gamma_gamma": report.spend.as_ref().map(|f| json!({"p": f.params.p, "q": f.params.q, "gamma": f.params.gamma, "ll": f.log_likelihood, "iterations": f.iterations})).unwrap_or_else(|e| json!({"error": e.to_string()})),
        "clv_sum": clv_sum,
        "peak_rss_mb": peak_rss_mb(),
    });
    drop(scores);
    println!("{}", serde_json::to_string_pretty(&guanxi)?);

    let Some(python) = &args.python else {
        return Ok(());
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/analyze/reference.py");
    let mut results = vec![guanxi];
    for only in args
        .only
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        eprintln!("running the {only} reference…");
        let out = std::process::Command::new(python)
            .arg(&script)
            .args(["--csv"])
            .arg(&csv)
            .args(["--end", &end, "--only", only])
            .output()
            .with_context(|| format!("running {}", python.display()))?;
        if !out.status.success() {
            bail!(
                "{only} reference failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: Value = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("{only} reference output"))?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        results.push(v);
    }
    summary(&results);
    Ok(())
}

/// The side-by-side lines: whole pipelines, RFM, parameters.
fn summary(results: &[Value]) {
    let of = |stack: &str| results.iter().find(|r| r["stack"] == stack);
    let g = &results[0];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    eprintln!("\n== side by side");
    if let Some(l) = of("lifetimes") {
        let lt = f(&l["seconds"]["pipeline"]);
        let gt = f(&g["pipeline_s"]);
        eprintln!(
            "pipeline (summary, BG/NBD, Gamma-Gamma, every customer's scores and CLV): guanxi {gt:.2} s, lifetimes {lt:.2} s: {:.1}x",
            lt / gt
        );
        eprintln!(
            "peak memory: guanxi {:.0} MB, lifetimes {:.0} MB",
            f(&g["peak_rss_mb"]),
            f(&l["peak_rss_mb"])
        );
        for (name, ours, theirs) in [
            ("r", &g["bgnbd"]["r"], &l["bgnbd"]["r"]),
            ("alpha", &g["bgnbd"]["alpha"], &l["bgnbd"]["alpha"]),
            ("a", &g["bgnbd"]["a"], &l["bgnbd"]["a"]),
            ("b", &g["bgnbd"]["b"], &l["bgnbd"]["b"]),
            ("p", &g["gamma_gamma"]["p"], &l["gamma_gamma"]["p"]),
            ("q", &g["gamma_gamma"]["q"], &l["gamma_gamma"]["q"]),
            ("gamma", &g["gamma_gamma"]["gamma"], &l["gamma_gamma"]["v"]),
        ] {
            let (o, t) = (f(ours), f(theirs));
            eprintln!(
                "  {name:>5}: guanxi {o:.6}  lifetimes {t:.6}  relative difference {:.1e}",
                ((o - t) / t).abs()
            );
        }
    }
    for stack in ["pandas", "duckdb"] {
        if let Some(r) = of(stack) {
            eprintln!(
                "RFM: guanxi {:.2} s, {stack} {:.2} s (+ {:.2} s reading the file)",
                f(&g["rfm_s"]),
                f(&r["seconds"]["rfm"]),
                f(&r["seconds"]["read_csv"]).max(f(&r["seconds"]["load"])),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_become_exact_fen() {
        assert_eq!(fen("177.49"), Some(17_749));
        assert_eq!(fen("3"), Some(300));
        assert_eq!(fen("3.5"), Some(350));
        assert_eq!(fen("-0.01"), Some(-1));
        for bad in ["", ".5", "1.234", "1e3", "abc", "1,5"] {
            assert_eq!(fen(bad), None, "{bad}");
        }
    }
}
