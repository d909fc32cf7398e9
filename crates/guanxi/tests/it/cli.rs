//! The binary itself: help texts, migrate, config redaction.

use std::process::Command;

fn guanxi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guanxi"));
    c.env_remove("GUANXI_DATABASE_URL")
        .env_remove("GUANXI_LISTEN");
    c
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["bench", "--help"],
        vec!["config", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
    ] {
        let out = guanxi().args(&args).output().expect("run");
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let demo = guanxi().args(["demo", "--help"]).output().expect("run");
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(
        text.contains("--customers") && text.contains("--seed"),
        "{text}"
    );
}

#[test]
fn migrate_creates_the_database_and_config_hides_passwords() {
    let dir = std::env::temp_dir().join(format!("guanxi_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = guanxi()
        .current_dir(&dir)
        .arg("migrate")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("guanxi.db").exists(), "default database file");
    let out = guanxi()
        .current_dir(&dir)
        .env(
            "GUANXI_DATABASE_URL",
            "postgres://app:s3cret-pw@db.example:5432/crm",
        )
        .arg("config")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("db.example") && !text.contains("s3cret-pw"),
        "{text}"
    );
    let bad = guanxi()
        .current_dir(&dir)
        .env("GUANXI_DATABASE_URL", "mysql://x/y")
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
