//! Writing vCard 4.0 (RFC 6350) for phones and mail clients: text values escaped, lines folded
//! at 75 octets without splitting a character, CRLF line ends.

/// What a card says about a person or company.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Card {
    /// A stable id (`urn:…`).
    pub uid: String,
    pub name: String,
    pub is_company: bool,
    pub org: Option<String>,
    pub title: Option<String>,
    /// E.164 numbers, with whether each is a mobile.
    pub phones: Vec<(String, bool)>,
    pub emails: Vec<String>,
    pub addresses: Vec<String>,
    pub birthday: Option<chrono::NaiveDate>,
    pub categories: Vec<String>,
    pub note: Option<String>,
}

/// Escape a text value (RFC 6350 §3.4).
fn text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Fold a content line: at most 75 octets per physical line, continuation lines starting with
/// a space, never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// One card.
pub fn card(c: &Card) -> String {
    let mut lines = vec![
        "BEGIN:VCARD".to_owned(),
        "VERSION:4.0".to_owned(),
        format!("UID:{}", c.uid),
        format!("FN:{}", text(&c.name)),
    ];
    if c.is_company {
        lines.push("KIND:org".into());
    }
    if let Some(o) = &c.org {
        lines.push(format!("ORG:{}", text(o)));
    }
    if let Some(t) = &c.title {
        lines.push(format!("TITLE:{}", text(t)));
    }
    for (p, mobile) in &c.phones {
        let kind = if *mobile { "cell" } else { "voice" };
        lines.push(format!("TEL;VALUE=uri;TYPE={kind}:tel:{p}"));
    }
    for e in &c.emails {
        lines.push(format!("EMAIL:{}", text(e)));
    }
    for a in &c.addresses {
        lines.push(format!("ADR:;;{};;;;", text(a)));
    }
    if let Some(b) = c.birthday {
        lines.push(format!("BDAY:{}", b.format("%Y%m%d")));
    }
    if !c.categories.is_empty() {
        let cats: Vec<String> = c.categories.iter().map(|t| text(t)).collect();
        lines.push(format!("CATEGORIES:{}", cats.join(",")));
    }
    if let Some(n) = &c.note {
        lines.push(format!("NOTE:{}", text(n)));
    }
    lines.push("END:VCARD".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unfold(s: &str) -> Vec<String> {
        s.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_card() {
        let c = Card {
            uid: "urn:guanxi:customer:7".into(),
            name: "张伟".into(),
            org: Some("杭州华信科技有限公司".into()),
            phones: vec![("+8613800138000".into(), true)],
            emails: vec!["zhang.wei@example.cn".into()],
            categories: vec!["老客户".into(), "VIP".into()],
            note: Some("每年续约; 价格敏感,\n喜欢电话联系".into()),
            birthday: chrono::NaiveDate::from_ymd_opt(1985, 3, 12),
            ..Default::default()
        };
        let v = card(&c);
        let lines = unfold(&v);
        assert_eq!(lines[0], "BEGIN:VCARD");
        assert!(lines.contains(&"FN:张伟".to_owned()));
        assert!(lines.contains(&"TEL;VALUE=uri;TYPE=cell:tel:+8613800138000".to_owned()));
        assert!(lines.contains(&"NOTE:每年续约\\; 价格敏感\\,\\n喜欢电话联系".to_owned()));
        assert!(lines.contains(&"BDAY:19850312".to_owned()));
        assert!(v.ends_with("END:VCARD\r\n"));
    }

    proptest! {
        /// Folded lines stay within 75 octets, split no character, and unfold to the line.
        #[test]
        fn folding(note in "\\PC{0,200}") {
            let c = Card { uid: "urn:x".into(), name: "x".into(), note: Some(note.clone()), ..Default::default() };
            let v = card(&c);
            for physical in v.split("\r\n") {
                prop_assert!(physical.len() <= 75, "{} octets", physical.len());
            }
            let note_line = unfold(&v).into_iter().find(|l| l.starts_with("NOTE:")).expect("note");
            prop_assert_eq!(note_line, format!("NOTE:{}", text(&note)));
        }
    }
}
