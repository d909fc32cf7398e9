//! The pages. Each handler takes a [`Viewer`] (who is looking, in which language), makes its
//! store calls with the viewer's `Ctx` (so the permission table's reach applies exactly as in
//! the API) and renders with the shell in `layout`.

pub mod admin;
pub mod analysis;
pub mod customers;
pub mod day;
pub mod imports;
pub mod leads;
pub mod login;
pub mod sales;
pub mod segments;
pub mod warehouse;

use crate::layout::Shell;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_api::auth::Caller;
use guanxi_api::ApiState;
use guanxi_core::Lang;
use guanxi_store::{Ctx, Organisation, User, Via};

/// The signed-in user looking at a page.
pub struct Viewer {
    pub ctx: Ctx,
    pub user: User,
    pub org: Organisation,
    pub lang: Lang,
    pub csrf: Option<String>,
    /// The browser session, when the page was asked for with the cookie.
    pub session: Option<i64>,
    /// The viewer's activities whose reminder time has come (shown on every page).
    pub reminders: Vec<guanxi_store::Activity>,
}

impl Viewer {
    /// Does the viewer's role allow `action` (at any scope)?
    pub fn may(&self, action: guanxi_core::Action) -> bool {
        guanxi_core::access::grant(self.user.role, action).is_some()
    }

    pub fn shell(&self) -> Shell<'_> {
        Shell {
            lang: self.lang,
            user_name: &self.user.name,
            org_name: &self.org.name,
            csrf: self.csrf.as_deref(),
            is_admin: self.user.role == guanxi_core::Role::Admin,
            can_see_leads: guanxi_core::access::grant(
                self.user.role,
                guanxi_core::Action::ReadLeads,
            )
            .is_some(),
            can_plan: guanxi_core::access::grant(
                self.user.role,
                guanxi_core::Action::WriteActivities,
            )
            .is_some(),
            can_import: self.may(guanxi_core::Action::ImportCustomers),
            can_review_duplicates: self.may(guanxi_core::Action::ReviewDuplicates),
            can_analyse: self.may(guanxi_core::Action::ViewAnalytics),
            reminders: self
                .reminders
                .iter()
                .map(|a| (self.when(a.due_at), a.subject.clone()))
                .collect(),
        }
    }
}

/// The UI's language: the user's choice, else the browser's, else the organisation's.
pub fn ui_lang(user: &User, headers: &axum::http::HeaderMap, org: &Organisation) -> Lang {
    user.locale
        .or_else(|| {
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(org.locale)
}

impl FromRequestParts<ApiState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &ApiState) -> Result<Self, Response> {
        let lang = guanxi_api::error::request_lang(&parts.headers);
        let (Some(ctx), Some(caller)) = (
            parts.extensions.get::<Ctx>().copied(),
            parts.extensions.get::<Caller>().cloned(),
        ) else {
            return Err(crate::page_error(lang, guanxi_api::ApiError::Internal));
        };
        let org = s
            .store
            .get_org(ctx.org)
            .await
            .map_err(|e| crate::page_error(lang, e.into()))?;
        let (csrf, session) = match &caller.via {
            Via::Session { csrf_token, id, .. } => (Some(csrf_token.clone()), Some(*id)),
            Via::Token { .. } => (None, None),
        };
        let reminders = due_reminders(s, ctx, &caller.user).await;
        Ok(Viewer {
            lang: ui_lang(&caller.user, &parts.headers, &org),
            ctx,
            user: caller.user,
            org,
            csrf,
            session,
            reminders,
        })
    }
}

/// Open activities of `user` whose reminder time has passed and that are due from twelve hours
/// ago on (older ones are simply overdue, shown on "my day"). Best effort: a failure shows none.
async fn due_reminders(s: &ApiState, ctx: Ctx, user: &User) -> Vec<guanxi_store::Activity> {
    if guanxi_core::access::grant(user.role, guanxi_core::Action::WriteActivities).is_none() {
        return Vec::new();
    }
    let now = chrono::Utc::now();
    let q = guanxi_store::ActivityQuery {
        assignee: user.id,
        due_before: Some(now + chrono::Duration::days(2)),
        include_done: false,
        limit: 200,
    };
    s.store
        .list_activities(ctx, q)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| {
            a.remind_at.is_some_and(|r| r <= now) && a.due_at > now - chrono::Duration::hours(12)
        })
        .take(5)
        .collect()
}

impl Viewer {
    /// A time as people write it, in the organisation's time zone.
    pub fn when(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        let tz: chrono_tz::Tz = self
            .org
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let local = t.with_timezone(&tz);
        match self.lang {
            Lang::ZhCn => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
            Lang::En => local.format("%-d %b %Y, %H:%M").to_string(),
        }
    }

    /// An amount of money: `¥1,234.50` for yuan, `USD 12.00` for others.
    pub fn money(&self, minor: i64, currency: guanxi_core::Currency) -> String {
        money_text(minor, currency)
    }

    /// A whole number with the grouping people expect.
    pub fn number(&self, n: i64) -> String {
        group_digits(n)
    }
}

/// An amount as people read it: the currency's sign or code, grouped digits, its decimals.
pub fn money_text(minor: i64, currency: guanxi_core::Currency) -> String {
    let decimal = guanxi_core::Money::new(minor, currency).decimal();
    let (sign, digits) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest.to_owned()),
        None => ("", decimal),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w.to_owned(), Some(f.to_owned())),
        None => (digits, None),
    };
    let grouped = group_digits(whole.parse::<i64>().unwrap_or(0));
    let number = match frac {
        Some(f) => format!("{grouped}.{f}"),
        None => grouped,
    };
    match currency.as_str() {
        "CNY" => format!("{sign}¥{number}"),
        code => format!("{sign}{code} {number}"),
    }
}

/// A whole number grouped by thousands, as both zh-CN and English write it: 12,345.
pub fn group_digits(n: i64) -> String {
    {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// `/`: the customer list.
pub async fn home() -> Response {
    Redirect::to("/customers").into_response()
}
