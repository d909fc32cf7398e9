//! `guanxi bench import`: a generated customer file imported by `guanxi import customers`,
//! side by side with the databases' own bulk loaders reading the same file into a bare table
//! (`sqlite3 .import`, PostgreSQL `COPY`). Each import runs as a child process, so that its
//! time and peak memory are what a user's run would show.

use anyhow::Context;
use guanxi_core::{ContactKind, UserId};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct ImportBench {
    /// Rows of the generated file.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Working folder (the file and the SQLite databases go here; it is emptied first).
    #[arg(long, default_value = "/tmp/guanxi-bench-import")]
    dir: PathBuf,
    /// Also run on PostgreSQL (a database of this name is created on the server of
    /// `--pg-url`, dropped first if it exists).
    #[arg(long)]
    postgres: bool,
    /// Leave out the SQLite runs (with `--postgres`: to compare server settings).
    #[arg(long, requires = "postgres")]
    no_sqlite: bool,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Write the file in GBK (as exports of older Chinese systems are) instead of UTF-8.
    #[arg(long)]
    gbk: bool,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// One measured run.
struct Run {
    what: String,
    secs: f64,
    peak_mb: Option<u64>,
}

/// Generate the file: 姓名, 手机, 邮箱, 公司, 城市, with one row in a hundred repeating an
/// earlier row's phone (merged, not duplicated) and one in two hundred with a broken number.
fn generate(path: &Path, rows: usize, seed: u64, gbk: bool) -> anyhow::Result<u64> {
    // Companies are left out of the file (a person names theirs), so ask for more customers.
    let mut gen = guanxi_demo::DemoGenerator::new(guanxi_demo::DemoConfig {
        customers: rows + rows / 4 + 1000,
        seed,
        staff: Vec::<UserId>::new(),
        now: chrono::Utc::now(),
        years: 3,
        interactions_per_customer: 0.0,
        products: Vec::new(),
        order_rate: 0.0,
    });
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut text = String::with_capacity(1 << 20);
    text.push_str("姓名,手机,邮箱,公司,城市\r\n");
    let mut written = 0usize;
    let mut earlier: Vec<String> = Vec::new();
    let flush =
        |text: &mut String, out: &mut std::io::BufWriter<std::fs::File>| -> anyhow::Result<()> {
            if gbk {
                let (bytes, _, _) = encoding_rs::GBK.encode(text);
                out.write_all(&bytes)?;
            } else {
                out.write_all(text.as_bytes())?;
            }
            text.clear();
            Ok(())
        };
    while written < rows {
        let Some(batch) = gen.next_batch(5000) else {
            break;
        };
        for c in &batch.customers {
            if written >= rows {
                break;
            }
            if c.kind == guanxi_core::customer::CustomerKind::Company {
                continue;
            }
            let phone = c
                .contact_points
                .iter()
                .find(|p| p.value.kind == ContactKind::Mobile)
                .map(|p| {
                    p.value
                        .display
                        .replace(['+', ' '], "")
                        .trim_start_matches("86")
                        .to_owned()
                })
                .unwrap_or_default();
            let phone = if written % 100 == 99 && !earlier.is_empty() {
                earlier[written % earlier.len()].clone()
            } else if written % 200 == 7 {
                format!("{}x", &phone[..phone.len().min(6)])
            } else {
                phone
            };
            if earlier.len() < 10_000 {
                earlier.push(phone.clone());
            }
            let email = c
                .contact_points
                .iter()
                .find(|p| p.value.kind == ContactKind::Email)
                .map(|p| p.value.display.clone())
                .unwrap_or_default();
            let company = c
                .company_index
                .and_then(|i| batch.customers.get(i))
                .map(|co| co.name.clone())
                .unwrap_or_default();
            let city = c.city.clone().unwrap_or_default();
            let quote = |s: &str| {
                if s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.to_owned()
                }
            };
            text.push_str(&format!(
                "{},{},{},{},{}\r\n",
                quote(&c.name),
                phone,
                quote(&email),
                quote(&company),
                quote(&city)
            ));
            written += 1;
            if text.len() > 1 << 20 {
                flush(&mut text, &mut out)?;
            }
        }
    }
    flush(&mut text, &mut out)?;
    out.flush()?;
    Ok(written as u64)
}

/// Run a command, polling its peak resident memory until it exits.
fn timed(what: &str, cmd: &mut Command) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = None;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file) {
            for l in s.lines().filter(|l| l.starts_with("VmHWM")) {
                let kb: u64 = l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                peak = Some(kb / 1024);
            }
        }
        if let Some(status) = child.try_wait()? {
            let secs = started.elapsed().as_secs_f64();
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                anyhow::bail!("{what} failed: {err}");
            }
            return Ok(Run {
                what: what.to_owned(),
                secs,
                peak_mb: peak,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub async fn run(b: ImportBench) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(&b.dir);
    std::fs::create_dir_all(&b.dir)?;
    let file = b.dir.join(if b.gbk {
        "customers-gbk.csv"
    } else {
        "customers.csv"
    });
    let t = Instant::now();
    let rows = generate(&file, b.rows, b.seed, b.gbk)?;
    let size = std::fs::metadata(&file)?.len();
    eprintln!(
        "generated {rows} rows ({} MB) in {:.1} s",
        size >> 20,
        t.elapsed().as_secs_f64()
    );
    let me = std::env::current_exe()?;
    let mut runs = Vec::new();
    // The databases' own loaders read UTF-8 only; a GBK file goes to them converted.
    let utf8 = if b.gbk {
        let p = b.dir.join("customers-utf8.csv");
        let bytes = std::fs::read(&file)?;
        let (text, _, _) = encoding_rs::GBK.decode(&bytes);
        std::fs::write(&p, text.as_bytes())?;
        p
    } else {
        file.clone()
    };
    runs.push(timed(
        "guanxi import check (no database)",
        Command::new(&me)
            .args(["import", "check", "--show", "0"])
            .arg(&file),
    )?);
    if !b.no_sqlite {
        let raw_db = b.dir.join("raw.db");
        runs.push(timed(
            "sqlite3 .import into a bare table",
            Command::new("sqlite3")
                .arg(&raw_db)
                .arg(
                    "CREATE TABLE t (name TEXT, mobile TEXT, email TEXT, company TEXT, city TEXT);",
                )
                .arg(format!(".import --csv --skip 1 {} t", utf8.display())),
        )?);
        let db = b.dir.join("guanxi.db");
        let url = format!("sqlite://{}", db.display());
        let org = make_org(&me, &url)?;
        runs.push(timed(
            "guanxi import customers (SQLite)",
            Command::new(&me)
                .env("GUANXI_DATABASE_URL", &url)
                .args([
                    "import",
                    "customers",
                    "--quiet",
                    "--policy",
                    "skip",
                    "--org",
                    &org,
                ])
                .arg(&file),
        )?);
        runs.push(timed(
            "the same file again, every row matching (SQLite, policy skip)",
            Command::new(&me)
                .env("GUANXI_DATABASE_URL", &url)
                .args([
                    "import",
                    "customers",
                    "--quiet",
                    "--policy",
                    "skip",
                    "--org",
                    &org,
                ])
                .arg(&file),
        )?);
    }
    if b.postgres {
        let base = b.pg_url.trim_end_matches('/');
        let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
        for db in ["guanxi_bench_raw", "guanxi_bench_import"] {
            let status = Command::new("psql")
                .arg(&b.pg_url)
                .args(["-qc", &format!("DROP DATABASE IF EXISTS {db}")])
                .args(["-qc", &format!("CREATE DATABASE {db}")])
                .status()
                .context("psql")?;
            anyhow::ensure!(status.success(), "psql could not create {db}");
        }
        let raw = format!("{server}/guanxi_bench_raw");
        let status = Command::new("psql")
            .arg(&raw)
            .args([
                "-qc",
                "CREATE TABLE t (name TEXT, mobile TEXT, email TEXT, company TEXT, city TEXT)",
            ])
            .status()?;
        anyhow::ensure!(status.success(), "psql could not create the table");
        runs.push(timed(
            "PostgreSQL COPY into a bare table",
            Command::new("psql").arg(&raw).args([
                "-qc",
                &format!(
                    "\\copy t FROM '{}' WITH (FORMAT csv, HEADER true)",
                    utf8.display()
                ),
            ]),
        )?);
        // The server's memory and checkpoint settings decide much of an import's time; the
        // figures mean little without them.
        let settings = Command::new("psql")
            .arg(&raw)
            .args([
                "-Atc",
                "SELECT string_agg(name || ' = ' || current_setting(name), ', ' ORDER BY name) \
                 FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', \
                 'checkpoint_timeout', 'synchronous_commit', 'wal_compression')",
            ])
            .output()
            .context("psql")?;
        anyhow::ensure!(
            settings.status.success(),
            "psql could not read the server's settings"
        );
        println!(
            "PostgreSQL settings: {}",
            String::from_utf8_lossy(&settings.stdout).trim()
        );
        let url = format!("{server}/guanxi_bench_import");
        let org = make_org(&me, &url)?;
        runs.push(timed(
            "guanxi import customers (PostgreSQL)",
            Command::new(&me)
                .env("GUANXI_DATABASE_URL", &url)
                .args([
                    "import",
                    "customers",
                    "--quiet",
                    "--policy",
                    "skip",
                    "--org",
                    &org,
                ])
                .arg(&file),
        )?);
    }
    println!(
        "\n{rows} rows, {} MB, {}\n",
        size >> 20,
        if b.gbk { "GBK" } else { "UTF-8" }
    );
    println!("| run | seconds | rows/s | peak memory |");
    println!("|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {:.1} | {:.0} | {} |",
            r.what,
            r.secs,
            rows as f64 / r.secs,
            r.peak_mb.map_or("—".to_owned(), |m| format!("{m} MB"))
        );
    }
    let find = |p: &str| runs.iter().find(|r| r.what.starts_with(p)).map(|r| r.secs);
    if let (Some(g), Some(raw)) = (find("guanxi import customers (SQLite)"), find("sqlite3")) {
        println!(
            "\nSQLite: guanxi import / sqlite3 .import = {:.1}×",
            g / raw
        );
    }
    if let (Some(g), Some(raw)) = (
        find("guanxi import customers (PostgreSQL)"),
        find("PostgreSQL COPY"),
    ) {
        println!("PostgreSQL: guanxi import / COPY = {:.1}×", g / raw);
    }
    Ok(())
}

/// Migrate a fresh database and make an organisation for the import; its id.
fn make_org(me: &Path, url: &str) -> anyhow::Result<String> {
    let out = Command::new(me)
        .env("GUANXI_DATABASE_URL", url)
        .args(["admin", "create-org", "--name", "导入测试"])
        .output()
        .context("creating the organisation")?;
    anyhow::ensure!(
        out.status.success(),
        "create-org failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .context("the organisation's id")
}
