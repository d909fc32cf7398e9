//! Typed settings for Guanxi: defaults < `guanxi.toml` (or the file given with `--config`) <
//! `GUANXI_*` environment variables. The database URL may hold a password, so it is kept in a
//! [`Secret`] whose `Debug` and `Display` never show it.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// A value that must never be printed.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// A database URL with any password replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{path}")
            } else {
                format!("{scheme}://{user}@{host}{path}")
            }
        }
        None => url.to_owned(),
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://guanxi.db` (embedded, the default) or `postgres://user:pass@host/db`.
    pub database_url: Secret,
    /// Address the server listens on.
    pub listen: String,
    /// Most database connections in the pool.
    pub max_connections: u32,
    /// SQLite only: make every commit durable with fsync (`true`) or faster (`false`).
    pub sqlite_durable: bool,
    /// Rows per transaction of a customer import (1,000 to 200,000); 0 takes the store's own
    /// (25,000). Larger chunks import faster on SQLite but hold its one write lock longer.
    pub import_chunk_rows: u32,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Log filter (`info`, `guanxi=debug`, …) and format (`text` or `json`).
    pub log: String,
    pub log_format: String,
    /// Mark the session cookie `Secure` on every response (behind a TLS proxy that does not
    /// send `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// How long a browser session lasts, in hours (1 to 720).
    pub session_hours: u32,
    /// Where uploaded import files are kept until their import is done (so that an import
    /// resumes after a restart).
    pub upload_dir: String,
    /// Largest uploaded import file in bytes (the command line reads files of any size).
    pub max_upload_bytes: u64,
    /// Days an uploaded file is kept for a job that may still need it (a check not yet
    /// imported, an interrupted import not yet resumed), counted from the job's last step; then
    /// the server deletes it (1 to 365). Files of finished imports go at once.
    pub upload_keep_days: u32,
    /// Customer value: gross margin as a share of revenue (0 < margin ≤ 1).
    pub analysis_margin: f64,
    /// Lifetime value horizon in months (1 to 120).
    pub analysis_clv_months: u32,
    /// Lifetime value discount rate per month (0 to 0.5).
    pub analysis_monthly_discount: f64,
    /// The server scores every organisation's customers this often, in hours (0: never; runs
    /// can still be started from the API, the web UI or `guanxi analyze`).
    pub analysis_every_hours: u32,
    /// The data warehouse's directory (Parquet files and their manifest).
    pub warehouse_dir: String,
    /// The server loads what changed into the warehouse this often, in minutes (0: never;
    /// `guanxi warehouse load` still does).
    pub warehouse_every_minutes: u32,
    /// Analysts' warehouse SQL: most rows returned (1 to 1,000,000) and seconds a query may
    /// run (1 to 3,600).
    pub warehouse_max_rows: u32,
    pub warehouse_timeout_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: Secret::new("sqlite://guanxi.db"),
            listen: "127.0.0.1:8080".into(),
            max_connections: 8,
            sqlite_durable: true,
            import_chunk_rows: 0,
            max_body_bytes: 1024 * 1024,
            log: "info".into(),
            log_format: "text".into(),
            secure_cookies: false,
            session_hours: 12,
            upload_dir: "guanxi-uploads".into(),
            max_upload_bytes: 1 << 30,
            upload_keep_days: 7,
            analysis_margin: 0.3,
            analysis_clv_months: 12,
            analysis_monthly_discount: 0.01,
            analysis_every_hours: 24,
            warehouse_dir: "guanxi-warehouse".into(),
            warehouse_every_minutes: 60,
            warehouse_max_rows: 10_000,
            warehouse_timeout_seconds: 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Load settings. `file` is read when given (it must then exist) or, without it,
    /// `guanxi.toml` in the working directory when present.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(p) if !p.exists() => {
                return Err(ConfigError(format!("file {} not found", p.display())))
            }
            Some(p) => fig = fig.merge(Toml::file(p)),
            None => fig = fig.merge(Toml::file("guanxi.toml")),
        }
        // Only the settings' own names: other GUANXI_ variables (GUANXI_TOKEN, GUANXI_PASSWORD,
        // GUANXI_DEMO_PASSWORD, the test switches) belong to commands and must not be read,
        // let alone refused, here.
        fig = fig.merge(Env::prefixed("GUANXI_").only(&[
            "database_url",
            "listen",
            "max_connections",
            "sqlite_durable",
            "import_chunk_rows",
            "max_body_bytes",
            "log",
            "log_format",
            "secure_cookies",
            "session_hours",
            "upload_dir",
            "max_upload_bytes",
            "upload_keep_days",
            "analysis_margin",
            "analysis_clv_months",
            "analysis_monthly_discount",
            "analysis_every_hours",
            "warehouse_dir",
            "warehouse_every_minutes",
            "warehouse_max_rows",
            "warehouse_timeout_seconds",
        ]));
        let s: Settings = fig.extract().map_err(|e| ConfigError(e.to_string()))?;
        if s.max_body_bytes == 0 || s.max_connections == 0 || s.max_upload_bytes == 0 {
            return Err(ConfigError(
                "max_body_bytes, max_upload_bytes and max_connections must be above zero".into(),
            ));
        }
        let analysis_ok = s.analysis_margin > 0.0
            && s.analysis_margin <= 1.0
            && (1..=120).contains(&s.analysis_clv_months)
            && (0.0..=0.5).contains(&s.analysis_monthly_discount);
        if !analysis_ok {
            return Err(ConfigError(
                "analysis_margin must be above 0 and at most 1, analysis_clv_months between 1 and 120, analysis_monthly_discount between 0 and 0.5".into(),
            ));
        }
        if !(1..=1_000_000).contains(&s.warehouse_max_rows)
            || !(1..=3_600).contains(&s.warehouse_timeout_seconds)
        {
            return Err(ConfigError(
                "warehouse_max_rows must be between 1 and 1000000, warehouse_timeout_seconds between 1 and 3600".into(),
            ));
        }
        if s.import_chunk_rows != 0 && !(1_000..=200_000).contains(&s.import_chunk_rows) {
            return Err(ConfigError(
                "import_chunk_rows must be 0 (the default) or between 1000 and 200000".into(),
            ));
        }
        if !(1..=365).contains(&s.upload_keep_days) {
            return Err(ConfigError(
                "upload_keep_days must be between 1 and 365".into(),
            ));
        }
        if !(1..=720).contains(&s.session_hours) {
            return Err(ConfigError(
                "session_hours must be between 1 and 720".into(),
            ));
        }
        Ok(s)
    }

    /// The settings as TOML, with the database URL's password redacted.
    pub fn to_redacted_toml(&self) -> String {
        format!(
            "database_url = {:?}\nlisten = {:?}\nmax_connections = {}\nsqlite_durable = {}\nimport_chunk_rows = {}\nmax_body_bytes = {}\nlog = {:?}\nlog_format = {:?}\nsecure_cookies = {}\nsession_hours = {}\nupload_dir = {:?}\nmax_upload_bytes = {}\nupload_keep_days = {}\nanalysis_margin = {}\nanalysis_clv_months = {}\nanalysis_monthly_discount = {}\nanalysis_every_hours = {}\nwarehouse_dir = {:?}\nwarehouse_every_minutes = {}\nwarehouse_max_rows = {}\nwarehouse_timeout_seconds = {}\n",
            redact_url(self.database_url.expose()),
            self.listen,
            self.max_connections,
            self.sqlite_durable,
            self.import_chunk_rows,
            self.max_body_bytes,
            self.log,
            self.log_format,
            self.secure_cookies,
            self.session_hours,
            self.upload_dir,
            self.max_upload_bytes,
            self.upload_keep_days,
            self.analysis_margin,
            self.analysis_clv_months,
            self.analysis_monthly_discount,
            self.analysis_every_hours,
            self.warehouse_dir,
            self.warehouse_every_minutes,
            self.warehouse_max_rows,
            self.warehouse_timeout_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_urls_are_redacted() {
        let s = Secret::new("postgres://app:hunter2@db/crm");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/crm"),
            "postgres://app:***@db:5432/crm"
        );
        assert_eq!(redact_url("sqlite://guanxi.db"), "sqlite://guanxi.db");
        let settings = Settings {
            database_url: s,
            ..Settings::default()
        };
        assert!(!settings.to_redacted_toml().contains("hunter2"));
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn layers_defaults_file_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "guanxi.toml",
                "listen = \"0.0.0.0:9000\"\nmax_connections = 4\n",
            )?;
            jail.set_env("GUANXI_MAX_CONNECTIONS", "16");
            jail.set_env("GUANXI_TOKEN", "gxp_not_a_setting");
            jail.set_env("GUANXI_SESSION_HOURS", "8");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.listen, "0.0.0.0:9000");
            assert_eq!(s.max_connections, 16);
            assert_eq!(s.session_hours, 8);
            assert_eq!(s.database_url.expose(), "sqlite://guanxi.db");
            jail.create_file("bad.toml", "lisen = 1\n")?;
            assert!(Settings::load(Some(Path::new("bad.toml"))).is_err());
            assert!(Settings::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn import_chunk_rows_is_zero_or_in_range() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                Settings::load(None)
                    .map_err(|e| e.to_string())?
                    .import_chunk_rows,
                0
            );
            jail.set_env("GUANXI_IMPORT_CHUNK_ROWS", "25000");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.import_chunk_rows, 25_000);
            assert!(s.to_redacted_toml().contains("import_chunk_rows = 25000"));
            for bad in ["999", "200001"] {
                jail.set_env("GUANXI_IMPORT_CHUNK_ROWS", bad);
                let e = Settings::load(None).err().map(|e| e.to_string());
                assert!(e.is_some_and(|e| e.contains("import_chunk_rows")), "{bad}");
            }
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn upload_keep_days_defaults_to_a_week_and_is_bounded() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.upload_keep_days, 7);
            jail.set_env("GUANXI_UPLOAD_KEEP_DAYS", "30");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(s.to_redacted_toml().contains("upload_keep_days = 30"));
            for bad in ["0", "366"] {
                jail.set_env("GUANXI_UPLOAD_KEEP_DAYS", bad);
                let e = Settings::load(None).err().map(|e| e.to_string());
                assert!(e.is_some_and(|e| e.contains("upload_keep_days")), "{bad}");
            }
            Ok(())
        });
    }
}
