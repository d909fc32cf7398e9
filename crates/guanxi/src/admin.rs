//! `guanxi admin …`: what a deployment's operator does before anyone can sign in: create an
//! organisation and its first administrator, reset a password, list organisations.

use anyhow::{bail, Context};
use guanxi_config::Settings;
use guanxi_core::password::Password;
use guanxi_core::{secret, OrgId, Role, TeamId};
use guanxi_store::{Ctx, NewUser, Store};

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an organisation (tenant) and print its id.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        locale: String,
        #[arg(long, default_value = "CNY")]
        currency: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
    },
    /// Create a user of an organisation. Without --password (or GUANXI_PASSWORD) a strong one
    /// is generated and printed once.
    CreateUser {
        /// The organisation's id (see list-orgs).
        #[arg(long)]
        org: i64,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, manager, sales_rep, agent, marketer or analyst.
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        team: Option<i64>,
        #[arg(long, env = "GUANXI_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password for a user (found by e-mail); their sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, env = "GUANXI_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create a personal API token for a user (found by e-mail) and print it once: for
    /// scripts, integrations and `guanxi bench http`.
    CreateToken {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        name: String,
        /// 1 to 365.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// List the organisations of this deployment.
    ListOrgs,
}

/// A password that meets the policy, for printing once.
pub fn generated_password() -> String {
    // 43 base64url characters cut to 16: about 96 bits.
    secret::new_secret("").chars().take(16).collect()
}

fn password_for(raw: Option<String>, email: &str) -> anyhow::Result<(Password, bool)> {
    let generated = raw.is_none();
    let raw = raw.unwrap_or_else(generated_password);
    match Password::parse(&raw, email) {
        Ok(p) => Ok((p, generated)),
        Err(reason) => bail!("password {}", reason.message(guanxi_core::Lang::En)),
    }
}

pub async fn run(settings: &Settings, cmd: AdminCommand) -> anyhow::Result<()> {
    let store = crate::server::open_store(settings).await?;
    match cmd {
        AdminCommand::CreateOrg {
            name,
            locale,
            currency,
            time_zone,
        } => {
            let new = guanxi_api::CreateOrg {
                name: Some(name),
                locale: Some(locale),
                currency: Some(currency),
                time_zone: Some(time_zone),
            }
            .parse()
            .map_err(|e| anyhow::anyhow!(describe(&e)))?;
            let org = store.create_org(new).await?;
            println!("organisation {} created: {}", org.id, org.name);
        }
        AdminCommand::CreateUser {
            org,
            email,
            name,
            role,
            team,
            password,
        } => {
            let org = store.get_org(OrgId(org)).await.context("organisation")?;
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!(describe(&e)))?;
            let email = guanxi_core::Email::parse(&email)
                .map_err(|e| anyhow::anyhow!(describe(&e)))?
                .as_str()
                .to_owned();
            let (pw, generated) = password_for(password, &email)?;
            let hash = pw.hash().map_err(|e| anyhow::anyhow!(e))?;
            let user = store
                .create_user(
                    Ctx::new(org.id),
                    NewUser {
                        name,
                        email: email.clone(),
                        role,
                        team_id: team.map(TeamId),
                        password_hash: Some(hash),
                        locale: None,
                    },
                )
                .await?;
            println!(
                "user {} created in {}: {} ({})",
                user.id, org.name, email, role
            );
            if generated {
                println!("password (shown once): {}", pw.expose());
            }
        }
        AdminCommand::ResetPassword { email, password } => {
            let email = email.trim().to_lowercase();
            let Some(login) = store.find_login(&email).await? else {
                bail!("no user signs in as {email}");
            };
            let (pw, generated) = password_for(password, &email)?;
            let hash = pw.hash().map_err(|e| anyhow::anyhow!(e))?;
            store
                .set_password(Ctx::new(login.org), login.user.id, hash, None)
                .await?;
            println!("password of {email} set; their sessions have ended");
            if generated {
                println!("password (shown once): {}", pw.expose());
            }
        }
        AdminCommand::CreateToken { email, name, days } => {
            if !(1..=365).contains(&days) {
                bail!("--days must be between 1 and 365");
            }
            let email = email.trim().to_lowercase();
            let Some(login) = store.find_login(&email).await? else {
                bail!("no user signs in as {email}");
            };
            let ctx = Ctx {
                actor: Some(login.user.id),
                ..Ctx::new(login.org)
            };
            let (token, new) = guanxi_api::auth::new_api_token(name, days);
            let made = store.create_token(ctx, new).await?;
            eprintln!(
                "token {} of {email}, expires {}; shown once:",
                made.id, made.expires_at
            );
            println!("{token}");
        }
        AdminCommand::ListOrgs => {
            for o in store.list_orgs().await? {
                println!("{}\t{}\t{}", o.id, o.locale.tag(), o.name);
            }
        }
    }
    Ok(())
}

fn describe(e: &guanxi_core::DomainError) -> String {
    e.fields()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.reason.message(guanxi_core::Lang::En)))
        .collect::<Vec<_>>()
        .join("; ")
}
