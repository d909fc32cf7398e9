//! Write simulated repeat-buying orders as CSV for the Python references of the benchmark
//! (`bench/analyze/`), before the `guanxi` command line has its own generator:
//!
//! ```text
//! cargo run --release -p guanxi-analytics --example generate -- \
//!     --customers 100000 --out /tmp/tx.csv [--seed 7] [--days 1096] [--start 2022-01-01]
//! ```
//!
//! Prints the plan (true parameters, period end, orders written) as one JSON object.

use guanxi_analytics::simulate::{self, Plan};
use std::error::Error;
use std::fs::File;
use std::time::Instant;

fn main() -> Result<(), Box<dyn Error>> {
    let mut plan = Plan::default();
    let mut out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => plan.customers = value()?.parse()?,
            "--seed" => plan.seed = value()?.parse()?,
            "--days" => plan.days = value()?.parse()?,
            "--start" => {
                let s = value()?;
                plan.start_day =
                    simulate::parse_date(&s).ok_or_else(|| format!("not a date: {s}"))?;
            }
            "--out" => out = Some(value()?),
            "-h" | "--help" => {
                eprintln!(
                    "usage: generate --customers N --out FILE.csv [--seed S] [--days D] \
                     [--start YYYY-MM-DD]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let out = out.ok_or("--out FILE.csv is required")?;
    plan.check()?;
    let started = Instant::now();
    let rows = simulate::write_csv(&plan, File::create(&out)?)?;
    let seconds = started.elapsed().as_secs_f64();
    let (bg, gg) = (plan.bgnbd, plan.spend);
    println!(
        "{{\"out\":\"{out}\",\"customers\":{},\"orders\":{rows},\"orders_per_customer\":{:.4},\
         \"expected_orders_per_customer\":{:.4},\"start\":\"{}\",\"end\":\"{}\",\"seed\":{},\
         \"r\":{},\"alpha\":{},\"a\":{},\"b\":{},\"p\":{},\"q\":{},\"gamma\":{},\
         \"seconds\":{seconds:.3}}}",
        plan.customers,
        rows as f64 / (plan.customers.max(1) as f64),
        plan.expected_orders(),
        simulate::date_string(plan.start_day),
        simulate::date_string(plan.end_day()),
        plan.seed,
        bg.r,
        bg.alpha,
        bg.a,
        bg.b,
        gg.p,
        gg.q,
        gg.gamma,
    );
    Ok(())
}
