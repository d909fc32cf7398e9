//! The page table and the pieces of the shell; whole pages are tested in a real browser
//! (`crates/guanxi/tests/it/browser.rs`) and over HTTP against both databases.

use super::*;

#[test]
fn only_the_sign_in_form_is_public() {
    let routes = [
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/lang"),
        ("GET", "/customers"),
        ("GET", "/customers/new"),
        ("POST", "/customers/new"),
        ("GET", "/customers/{id}"),
        ("POST", "/customers/views"),
        ("POST", "/customers/views/{id}/delete"),
        ("GET", "/customers/{id}/edit"),
        ("POST", "/customers/{id}/edit"),
        ("POST", "/customers/{id}/interactions"),
        ("GET", "/lookup"),
        ("GET", "/pipelines"),
        ("GET", "/my-day"),
        ("POST", "/my-day"),
        ("POST", "/my-day/feed"),
        ("POST", "/activities/{id}/done"),
        ("GET", "/pipelines/{id}"),
        ("POST", "/opportunities/{id}/move"),
        ("POST", "/customers/{id}/opportunities"),
        ("GET", "/customers/{id}/duplicates"),
        ("POST", "/customers/{id}/merge"),
        ("GET", "/admin/users"),
        ("GET", "/admin/roles"),
        ("POST", "/admin/users"),
        ("POST", "/admin/users/{id}"),
        ("POST", "/admin/users/{id}/password"),
        ("GET", "/admin/teams"),
        ("POST", "/admin/teams"),
        ("GET", "/admin/fields"),
        ("POST", "/admin/fields"),
        ("POST", "/admin/fields/{id}/delete"),
        ("GET", "/account/tokens"),
        ("POST", "/account/tokens"),
        ("POST", "/account/tokens/{id}/revoke"),
    ];
    for (m, r) in routes {
        let m = Method::from_bytes(m.as_bytes()).expect("method");
        let a = action_of(&m, r).unwrap_or_else(|| panic!("{m} {r} has no action"));
        assert_eq!(a == Action::Public, r == "/login", "{m} {r}");
    }
    assert_eq!(action_of(&Method::DELETE, "/customers/{id}"), None);
}

#[test]
fn the_sign_in_redirect_stays_on_this_site() {
    let h = HeaderMap::new();
    let loc = |p: &str| {
        to_login(p, &h)
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert_eq!(loc("/customers/7"), "/login?next=%2Fcustomers%2F7");
    assert_eq!(loc("//evil.example/x"), "/login?next=%2Fcustomers");
    let mut hx = HeaderMap::new();
    hx.insert("hx-request", HeaderValue::from_static("true"));
    let r = to_login("/customers", &hx);
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers().contains_key("hx-redirect"));
}

#[test]
fn numbers_are_grouped_by_thousands() {
    use crate::pages::group_digits;
    assert_eq!(group_digits(0), "0");
    assert_eq!(group_digits(999), "999");
    assert_eq!(group_digits(1000), "1,000");
    assert_eq!(group_digits(1234567), "1,234,567");
    assert_eq!(group_digits(-12345), "-12,345");
    assert_eq!(group_digits(i64::MIN), "-9,223,372,036,854,775,808");
}

#[test]
fn every_action_has_a_name_in_both_languages() {
    for a in Action::ALL {
        if *a == Action::Public {
            continue;
        }
        for l in [Lang::ZhCn, Lang::En] {
            assert_ne!(crate::i18n::value(l, a.as_str()), "—", "{a} in {l:?}");
        }
    }
}

#[test]
fn lists_split_on_any_comma() {
    assert_eq!(
        split_list("重要, 回头客，VIP、 ,线上"),
        ["重要", "回头客", "VIP", "线上"]
    );
    assert!(split_list(" , ").is_empty());
}

#[test]
fn money_reads_as_people_write_it() {
    use crate::pages::money_text;
    let cny = guanxi_core::Currency::CNY;
    assert_eq!(money_text(25_100, cny), "¥251.00");
    assert_eq!(money_text(123_456_789, cny), "¥1,234,567.89");
    assert_eq!(money_text(-5, cny), "-¥0.05");
    let usd = guanxi_core::Currency::parse("USD").expect("usd");
    assert_eq!(money_text(1_200, usd), "USD 12.00");
}
