//! vCards (RFC 6350 and its elders): writing 4.0 for phones and mail clients (text values
//! escaped, lines folded at 75 octets without splitting a character, CRLF line ends), and
//! reading 2.1, 3.0 and 4.0 as phones, Outlook and old Nokia and Android exports write them
//! (folded lines, 2.1 quoted-printable values with soft line breaks in UTF-8 or GBK, escaped
//! text, `TYPE=CELL`, `TYPE=cell,voice` and bare `TEL;CELL` parameters).
//!
//! Read: the name from FN, else from N (family name first and no space for Chinese, Japanese
//! and Korean names, `given middle family` otherwise), else the ORG of a company card; ORG's
//! first component; TITLE; every TEL and EMAIL (`tel:` and `mailto:` removed); ADR from its
//! components; BDAY (`19850312`, `1985-03-12`, with or without a time; `--0312` has no year
//! and is left out with a note); NOTE; CATEGORIES as tags. Photos and other binary values
//! are skipped, however long. Quoted-printable values without a CHARSET are UTF-8 when they
//! are valid UTF-8, else GBK.
//!
//! To be checked like any other file, cards are read as a table with fixed columns
//! ([`HEADERS`], which [`crate::Mapping::suggest`] maps to their fields): several numbers or
//! e-mail addresses of a card go one per line into one cell (the row check takes each
//! line as a value), the first address is imported and the others named in a note.

use crate::mapping::Field;
use crate::row::{Problem, ProblemKind};
use crate::source::FileError;
use std::io::{self, BufRead};

/// What a card says about a person or company.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Card {
    /// A stable id (`urn:…`).
    pub uid: String,
    pub name: String,
    pub is_company: bool,
    pub org: Option<String>,
    pub title: Option<String>,
    /// Numbers (E.164 when Guanxi writes them; as the card has them when read), with
    /// whether each is a mobile (`TYPE=cell`).
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

/// The columns a file of vCards is read as.
pub const HEADERS: [&str; 10] = [
    "姓名", "公司", "职务", "手机", "电话", "邮箱", "地址", "生日", "标签", "备注",
];

/// A card as read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadCard {
    /// The line of its `BEGIN:VCARD`.
    pub line: u64,
    pub card: Result<Card, Problem>,
    /// What was left out of it, and why.
    pub notes: Vec<Problem>,
}

/// A physical line.
struct Physical {
    line: u64,
    text: String,
    too_long: bool,
}

/// The cards of a text, one at a time, reading at most a line at a time (bounded by
/// `max_line` bytes: a longer line, such as an inline photo, is skipped).
pub struct Cards<R> {
    reader: R,
    max_line: usize,
    lines: u64,
    pending: Option<Physical>,
    /// A `BEGIN:VCARD` met inside a card (whose `END` is missing): where the next starts.
    next_begin: Option<u64>,
    failed: bool,
}

/// Parse a whole text of cards.
pub fn parse(text: &str) -> Vec<ReadCard> {
    Cards::new(text.as_bytes(), 1 << 20).collect()
}

impl<R: BufRead> Cards<R> {
    pub fn new(reader: R, max_line: usize) -> Self {
        Self {
            reader,
            max_line,
            lines: 0,
            pending: None,
            next_begin: None,
            failed: false,
        }
    }

    fn physical(&mut self) -> io::Result<Option<Physical>> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        let mut out = Vec::new();
        let (mut any, mut too_long) = (false, false);
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (piece, used, end) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            if out.len() + piece.len() > self.max_line {
                // Keep the start (it tells a folded line and the property), drop the rest.
                let room = self.max_line.saturating_sub(out.len());
                out.extend_from_slice(&piece[..room.min(piece.len())]);
                too_long = true;
            } else if !too_long {
                out.extend_from_slice(piece);
            }
            self.reader.consume(used);
            if end {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.lines += 1;
        if out.last() == Some(&b'\r') {
            out.pop();
        }
        Ok(Some(Physical {
            line: self.lines,
            text: String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            too_long,
        }))
    }

    /// A content line: folded lines unfolded, and quoted-printable soft line breaks joined.
    fn logical(&mut self) -> io::Result<Option<Physical>> {
        let Some(mut first) = self.physical()? else {
            return Ok(None);
        };
        let qp = {
            let name = first.text.split(':').next().unwrap_or("").as_bytes();
            name.windows(16)
                .any(|w| w.eq_ignore_ascii_case(b"QUOTED-PRINTABLE"))
        };
        while let Some(next) = self.physical()? {
            let soft_break = qp && first.text.ends_with('=');
            let folded = next.text.starts_with([' ', '\t']);
            if !(folded || soft_break) {
                self.pending = Some(next);
                break;
            }
            if soft_break && !first.too_long {
                first.text.pop();
            }
            let more = if folded {
                &next.text[1..]
            } else {
                &next.text[..]
            };
            if next.too_long || first.text.len() + more.len() > self.max_line {
                first.too_long = true;
            }
            if !first.too_long {
                first.text.push_str(more);
            }
        }
        Ok(Some(first))
    }

    fn read_card(&mut self) -> io::Result<Option<ReadCard>> {
        let line = match self.next_begin.take() {
            Some(l) => l,
            None => loop {
                let Some(l) = self.logical()? else {
                    return Ok(None);
                };
                if l.text.trim().eq_ignore_ascii_case("BEGIN:VCARD") {
                    break l.line;
                }
            },
        };
        let mut b = Builder::default();
        while let Some(l) = self.logical()? {
            if l.too_long {
                // Binary values (a photo, a logo) are not read anyway; anything else that
                // long is damage.
                let name = l.text.split([';', ':']).next().unwrap_or("");
                let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
                if !matches!(name.as_str(), "PHOTO" | "LOGO" | "SOUND" | "KEY") {
                    b.too_long = true;
                }
                continue;
            }
            let t = l.text.trim();
            if t.eq_ignore_ascii_case("END:VCARD") {
                break;
            }
            if t.eq_ignore_ascii_case("BEGIN:VCARD") {
                self.next_begin = Some(l.line);
                break;
            }
            if let Some(p) = Property::parse(&l.text) {
                b.add(p);
            }
        }
        let max = self.max_line;
        Ok(Some(b.finish(line, max)))
    }
}

impl<R: BufRead> Iterator for Cards<R> {
    type Item = ReadCard;

    fn next(&mut self) -> Option<ReadCard> {
        if self.failed {
            return None;
        }
        match self.read_card() {
            Ok(c) => c,
            Err(e) => {
                self.failed = true;
                Some(ReadCard {
                    line: self.lines + 1,
                    card: Err(Problem::row(ProblemKind::Stopped(FileError::io(e)))),
                    notes: Vec::new(),
                })
            }
        }
    }
}

/// One content line: `[group.]NAME;PARAM=VALUE;…:value`.
struct Property {
    name: String,
    /// (upper-case name, value); 2.1's bare parameters (`TEL;CELL`) as `TYPE`, bare
    /// encodings (`;QUOTED-PRINTABLE`) as `ENCODING`.
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    fn parse(line: &str) -> Option<Property> {
        let mut quoted = false;
        let colon = line.char_indices().find_map(|(i, c)| match c {
            '"' => {
                quoted = !quoted;
                None
            }
            ':' if !quoted => Some(i),
            _ => None,
        })?;
        let (head, value) = (&line[..colon], &line[colon + 1..]);
        let mut parts = split_outside_quotes(head, ';').into_iter();
        let name = parts.next()?;
        let name = name
            .rsplit('.')
            .next()
            .unwrap_or(name)
            .trim()
            .to_ascii_uppercase();
        let params = parts
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (
                    k.trim().to_ascii_uppercase(),
                    v.trim().trim_matches('"').to_owned(),
                ),
                None => {
                    let v = p.trim().to_owned();
                    let key = if ["QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"]
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(&v))
                    {
                        "ENCODING"
                    } else {
                        "TYPE"
                    };
                    (key.to_owned(), v)
                }
            })
            .collect();
        Some(Property {
            name,
            params,
            value: value.to_owned(),
        })
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `TYPE`s, lower-cased (`TYPE=cell,voice` and `TYPE=CELL;TYPE=VOICE` alike).
    fn types(&self) -> impl Iterator<Item = String> + '_ {
        self.params
            .iter()
            .filter(|(k, _)| k == "TYPE")
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
    }

    /// The value as text: quoted-printable decoded in its character set. `None` for binary
    /// values (photos, sounds), which are not read.
    fn text(&mut self, notes: &mut Vec<Problem>) -> Option<String> {
        let encoding = self.param("ENCODING").unwrap_or("");
        if encoding.eq_ignore_ascii_case("B") || encoding.eq_ignore_ascii_case("BASE64") {
            return None;
        }
        if !encoding.eq_ignore_ascii_case("QUOTED-PRINTABLE") {
            return Some(std::mem::take(&mut self.value));
        }
        let bytes = quoted_printable::decode(&self.value, quoted_printable::ParseMode::Robust)
            .unwrap_or_else(|_| self.value.clone().into_bytes());
        let gb18030 = |enc| {
            if enc == encoding_rs::GBK {
                encoding_rs::GB18030
            } else {
                enc
            }
        };
        Some(match self.param("CHARSET") {
            Some(label) => match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(enc) => gb18030(enc)
                    .decode_without_bom_handling(&bytes)
                    .0
                    .into_owned(),
                None => {
                    notes.push(Problem::row(ProblemKind::UnknownCharset(label.to_owned())));
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            },
            // No charset: UTF-8 when it is, else GBK, what Chinese phones and Outlook wrote
            // (values are too short for a detector to tell).
            None => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => encoding_rs::GB18030
                    .decode_without_bom_handling(e.as_bytes())
                    .0
                    .into_owned(),
            },
        })
    }
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// A text value split at unescaped `sep` (`;` in structured values, `,` in lists), each
/// part unescaped (`\\`, `\,`, `\;`, `\n`). `None` splits nothing.
fn unescape_split(v: &str, sep: Option<char>) -> Vec<String> {
    if !v.contains('\\') && !sep.is_some_and(|s| v.contains(s)) {
        return vec![v.to_owned()];
    }
    let mut out = vec![String::new()];
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        let cur = out.last_mut();
        let Some(cur) = cur else { break };
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => cur.push('\n'),
                Some(e @ (',' | ';' | '\\' | ':')) => cur.push(e),
                Some(other) => {
                    cur.push('\\');
                    cur.push(other);
                }
                None => cur.push('\\'),
            },
            c if Some(c) == sep => out.push(String::new()),
            c => cur.push(c),
        }
    }
    out
}

fn unescape(v: &str) -> String {
    if v.contains('\\') {
        unescape_split(v, None).concat()
    } else {
        v.to_owned()
    }
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Han, kana and hangul: names written family name first, without a space.
fn is_cjk(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF | 0x20000..=0x3134F)
    })
}

#[derive(Default)]
struct Builder {
    card: Card,
    /// N's components, for a card without FN.
    n: Option<Vec<String>>,
    notes: Vec<Problem>,
    too_long: bool,
}

impl Builder {
    fn add(&mut self, mut p: Property) {
        let Some(v) = p.text(&mut self.notes) else {
            return;
        };
        let c = &mut self.card;
        match p.name.as_str() {
            "FN" if c.name.is_empty() => c.name = unescape(&v).trim().to_owned(),
            "N" => self.n = Some(unescape_split(&v, Some(';'))),
            "ORG" if c.org.is_none() => {
                c.org = unescape_split(&v, Some(';'))
                    .into_iter()
                    .find_map(non_empty);
            }
            "TITLE" if c.title.is_none() => c.title = non_empty(unescape(&v)),
            "TEL" => {
                let number = unescape(&v);
                let number = number.trim();
                let number = match number.get(..4) {
                    Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &number[4..],
                    _ => number,
                };
                // `tel:` URIs may carry parameters (`;ext=12`): the number is before them.
                let number = number.split(';').next().unwrap_or("").trim();
                let mobile = p
                    .types()
                    .any(|t| matches!(t.as_str(), "cell" | "mobile" | "iphone"));
                if !number.is_empty() {
                    c.phones.push((number.to_owned(), mobile));
                }
            }
            "EMAIL" => {
                let mail = unescape(&v);
                let mail = mail.trim();
                let mail = match mail.get(..7) {
                    Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &mail[7..],
                    _ => mail,
                };
                if !mail.is_empty() {
                    c.emails.push(mail.to_owned());
                }
            }
            "ADR" => {
                if let Some(a) = address(&unescape_split(&v, Some(';'))) {
                    c.addresses.push(a);
                }
            }
            "BDAY" => match birthday(v.trim()) {
                Ok(d) => c.birthday = Some(d),
                Err(kind) => self.notes.push(Problem::at(Field::Birthday, kind)),
            },
            "NOTE" => {
                let n = unescape(&v);
                if !n.trim().is_empty() {
                    c.note = Some(match c.note.take() {
                        Some(before) => format!("{before}\n{n}"),
                        None => n,
                    });
                }
            }
            "CATEGORIES" => c.categories.extend(
                unescape_split(&v, Some(','))
                    .into_iter()
                    .filter_map(non_empty),
            ),
            "KIND" => c.is_company |= v.trim().eq_ignore_ascii_case("org"),
            "X-ABSHOWAS" => c.is_company |= v.trim().eq_ignore_ascii_case("company"),
            "UID" => c.uid = v.trim().to_owned(),
            _ => {}
        }
    }

    fn finish(mut self, line: u64, max_line: usize) -> ReadCard {
        if self.too_long {
            return ReadCard {
                line,
                card: Err(Problem::row(ProblemKind::LineTooLong { max: max_line })),
                notes: self.notes,
            };
        }
        if self.card.name.is_empty() {
            if let Some(n) = &self.n {
                let part = |i: usize| n.get(i).map(|s| s.trim()).unwrap_or("");
                let (family, given, middle) = (part(0), part(1), part(2));
                self.card.name = if is_cjk(family) || is_cjk(given) {
                    format!("{family}{given}")
                } else {
                    [given, middle, family]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                };
            }
        }
        ReadCard {
            line,
            card: Ok(self.card),
            notes: self.notes,
        }
    }
}

/// An address from ADR's components (post office box, extended, street, locality, region,
/// postal code, country): Chinese addresses from the country down, written without spaces
/// (`中国广东省深圳市科技园南路 88 号`), others from the street up, separated by commas.
fn address(parts: &[String]) -> Option<String> {
    // A street over several lines becomes one line.
    let part = |i: usize| {
        parts
            .get(i)
            .map(|s| s.trim().replace(['\r', '\n'], " "))
            .unwrap_or_default()
    };
    let (pobox, ext, street, city, region, code, country) = (
        part(0),
        part(1),
        part(2),
        part(3),
        part(4),
        part(5),
        part(6),
    );
    let text = if parts.iter().any(|p| is_cjk(p)) {
        let mut a: String = [country, region, city, street, ext, pobox].concat();
        if !code.is_empty() {
            a = format!("{a} {code}");
        }
        a
    } else {
        [pobox, ext, street, city, region, code, country]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    };
    non_empty(text)
}

/// BDAY as vCards write it: `19850312`, `1985-03-12`, either with a time after `T`;
/// `--0312` / `--03-12` have no year.
fn birthday(v: &str) -> Result<chrono::NaiveDate, ProblemKind> {
    let date = v.split('T').next().unwrap_or("");
    if date.starts_with("--") {
        return Err(ProblemKind::BirthdayWithoutYear(v.to_owned()));
    }
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    if digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()) {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&digits, "%Y%m%d") {
            return Ok(d);
        }
    }
    Err(ProblemKind::NotUnderstood(v.to_owned()))
}

/// A card as a row of the table of [`HEADERS`], with notes about what it leaves out.
pub fn table_row(c: &Card) -> (Vec<String>, Vec<Problem>) {
    let mut notes = Vec::new();
    let name = if c.name.is_empty() {
        c.org.clone().unwrap_or_default()
    } else {
        c.name.clone()
    };
    let phones = |mobile: bool| {
        c.phones
            .iter()
            .filter(|(_, m)| *m == mobile)
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if c.addresses.len() > 1 {
        notes.push(Problem::at(
            Field::Address,
            ProblemKind::AddressesLeftOut(c.addresses[1..].to_vec()),
        ));
    }
    let cells = vec![
        name,
        c.org.clone().unwrap_or_default(),
        c.title.clone().unwrap_or_default(),
        phones(true),
        phones(false),
        c.emails.join("\n"),
        c.addresses.first().cloned().unwrap_or_default(),
        c.birthday
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        c.categories.join(","),
        c.note.clone().unwrap_or_default(),
    ];
    (cells, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_core::Lang;
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

    fn one(text: &str) -> (Card, Vec<Problem>) {
        let mut cards = parse(text);
        assert_eq!(cards.len(), 1, "{cards:?}");
        let c = cards.remove(0);
        (c.card.expect("card"), c.notes)
    }

    #[test]
    fn android_21_quoted_printable_utf8_with_soft_breaks() {
        let text = "BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=BC=9F;;;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=BC=9F\r\n\
TEL;CELL:138 0013 8000\r\n\
TEL;HOME;VOICE:010-8888 6666\r\n\
EMAIL;HOME:zhang.wei@example.cn\r\n\
NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E8=80=81=E5=AE=A2=E6=88=B7=EF=BC=8C=E6=AF=8F=E5=B9=B4=\r\n\
=E7=BB=AD=E7=BA=A6=0D=0A=E5=96=9C=E6=AC=A2=E7=94=B5=E8=AF=9D\r\n\
END:VCARD\r\n";
        let (c, notes) = one(text);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(c.name, "张伟");
        assert_eq!(
            c.phones,
            [
                ("138 0013 8000".to_owned(), true),
                ("010-8888 6666".to_owned(), false)
            ]
        );
        assert_eq!(c.emails, ["zhang.wei@example.cn"]);
        assert_eq!(c.note.as_deref(), Some("老客户，每年续约\r\n喜欢电话"));
    }

    #[test]
    fn nokia_and_outlook_gbk_quoted_printable() {
        let qp = |s: &str| -> String {
            encoding_rs::GBK
                .encode(s)
                .0
                .iter()
                .map(|b| format!("={b:02X}"))
                .collect()
        };
        let text = format!(
            "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=GB2312;ENCODING=QUOTED-PRINTABLE:{};{}\n\
             ORG;CHARSET=GBK;QUOTED-PRINTABLE:{}\nTEL;CELL;VOICE:+86 139 1234 5678\n\
             ADR;HOME;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:;;{};{};{};;{}\nEND:VCARD\n",
            qp("王"),
            qp("芳"),
            qp("深圳宏达贸易有限公司"),
            qp("科技园南路88号"),
            qp("深圳"),
            qp("广东"),
            qp("中国")
        );
        let (c, _) = one(&text);
        assert_eq!(c.name, "王芳", "N in Chinese order, without a space");
        assert_eq!(c.org.as_deref(), Some("深圳宏达贸易有限公司"));
        assert_eq!(c.phones, [("+86 139 1234 5678".to_owned(), true)]);
        assert_eq!(c.addresses, ["中国广东深圳科技园南路88号"]);
    }

    #[test]
    fn quoted_printable_without_or_with_an_unknown_charset() {
        let gbk: String = encoding_rs::GBK
            .encode("李娜")
            .0
            .iter()
            .map(|b| format!("={b:02X}"))
            .collect();
        let text = format!(
            "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE:{gbk}\n\
             NOTE;CHARSET=x-klingon;ENCODING=QUOTED-PRINTABLE:ok=20then\nEND:VCARD\n"
        );
        let (c, notes) = one(&text);
        assert_eq!(c.name, "李娜", "not UTF-8: GBK");
        assert_eq!(c.note.as_deref(), Some("ok then"));
        assert_eq!(
            notes,
            [Problem::row(ProblemKind::UnknownCharset(
                "x-klingon".into()
            ))]
        );
    }

    #[test]
    fn versions_3_and_4_parameters_folding_and_escapes() {
        let text = "BEGIN:VCARD\nVERSION:3.0\n\
FN:Wang\\, Fang\n\
N:Wang;Fang;;;\n\
ORG:华信科技;销售部\n\
TITLE:销售\\n经理\n\
TEL;TYPE=CELL:13800138000\n\
TEL;TYPE=cell,voice:13900139000\n\
TEL;TYPE=\"voice,cell\":+86 137 0013 7000\n\
item1.TEL;type=WORK:0755-8888 6666\n\
TEL;VALUE=uri;TYPE=home:tel:+44-20-7946-0958;ext=12\n\
EMAIL;TYPE=INTERNET:fang@example.com\n\
EMAIL:mailto:fang.wang@example.org\n\
NOTE:第一行\\n第二行\\; 还有逗号\\, 和反斜杠 \\\\ 完\n 接着折行\n\t的部分\n\
CATEGORIES:老客户,VIP\\,金牌,  华东 \n\
BDAY:1985-03-12\n\
END:VCARD\n";
        let (c, notes) = one(text);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(c.name, "Wang, Fang");
        assert_eq!(c.org.as_deref(), Some("华信科技"));
        assert_eq!(c.title.as_deref(), Some("销售\n经理"));
        let mobiles: Vec<&str> = c
            .phones
            .iter()
            .filter(|p| p.1)
            .map(|p| p.0.as_str())
            .collect();
        assert_eq!(mobiles, ["13800138000", "13900139000", "+86 137 0013 7000"]);
        let others: Vec<&str> = c
            .phones
            .iter()
            .filter(|p| !p.1)
            .map(|p| p.0.as_str())
            .collect();
        assert_eq!(others, ["0755-8888 6666", "+44-20-7946-0958"]);
        assert_eq!(c.emails, ["fang@example.com", "fang.wang@example.org"]);
        assert_eq!(
            c.note.as_deref(),
            Some("第一行\n第二行; 还有逗号, 和反斜杠 \\ 完接着折行的部分")
        );
        assert_eq!(c.categories, ["老客户", "VIP,金牌", "华东"]);
        assert_eq!(c.birthday, chrono::NaiveDate::from_ymd_opt(1985, 3, 12));
    }

    #[test]
    fn names_from_n_birthdays_and_what_is_left_out() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nN:Smith;John;Q.;Dr.;\nBDAY:--0312\n\
ADR;TYPE=home:;;1 Main St;Springfield;IL;62701;USA\nADR;TYPE=work:;;2 Side St;Shelbyville;;;\n\
END:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nKIND:org\nORG:深圳宏达贸易有限公司\nBDAY:19991231T000000Z\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nN:欧阳;娜娜;;;\nBDAY:around 1980\nEND:VCARD\n";
        let cards = parse(text);
        assert_eq!(cards.iter().map(|c| c.line).collect::<Vec<_>>(), [1, 8, 14]);
        let smith = cards[0].card.as_ref().expect("card");
        assert_eq!(smith.name, "John Q. Smith");
        assert_eq!(smith.birthday, None);
        assert_eq!(
            cards[0].notes[0].kind,
            ProblemKind::BirthdayWithoutYear("--0312".into())
        );
        assert_eq!(smith.addresses[0], "1 Main St, Springfield, IL, 62701, USA");
        let (row, notes) = table_row(smith);
        assert_eq!(row[6], "1 Main St, Springfield, IL, 62701, USA");
        assert_eq!(
            notes[0].kind,
            ProblemKind::AddressesLeftOut(vec!["2 Side St, Shelbyville".into()])
        );
        assert!(notes[0].message(Lang::ZhCn).contains("2 Side St"));
        let company = cards[1].card.as_ref().expect("card");
        assert!(company.is_company);
        assert_eq!(
            company.birthday,
            chrono::NaiveDate::from_ymd_opt(1999, 12, 31)
        );
        let (row, _) = table_row(company);
        assert_eq!(
            row[0], "深圳宏达贸易有限公司",
            "a company card is named by its ORG"
        );
        let ouyang = cards[2].card.as_ref().expect("card");
        assert_eq!(ouyang.name, "欧阳娜娜");
        assert_eq!(
            cards[2].notes[0].kind,
            ProblemKind::NotUnderstood("around 1980".into())
        );
        for n in cards.iter().flat_map(|c| &c.notes) {
            assert!(!n.message(Lang::ZhCn).is_empty() && !n.message(Lang::En).is_empty());
        }
    }

    #[test]
    fn damaged_files() {
        // No END; a BEGIN inside a card; text between cards; a photo longer than a line may
        // be (left out); another over-long line (the card refused).
        let photo = format!("PHOTO;ENCODING=b;TYPE=JPEG:{}", "A".repeat(5000));
        let note = format!("NOTE:{}", "很长".repeat(2000));
        let text = format!(
            "garbage before\nBEGIN:VCARD\nFN:甲\nTEL;CELL:13800138000\n\
             BEGIN:VCARD\nFN:乙\n{photo}\nEND:VCARD\nnoise\n\
             BEGIN:VCARD\nFN:丙\n{note}\nEND:VCARD\nBEGIN:VCARD\nFN:丁"
        );
        let cards: Vec<ReadCard> = Cards::new(text.as_bytes(), 1000).collect();
        assert_eq!(cards.len(), 4);
        assert_eq!(
            cards.iter().map(|c| c.line).collect::<Vec<_>>(),
            [2, 5, 10, 14]
        );
        assert_eq!(cards[0].card.as_ref().map(|c| c.name.as_str()), Ok("甲"));
        assert_eq!(cards[1].card.as_ref().map(|c| c.name.as_str()), Ok("乙"));
        assert_eq!(
            cards[2].card.as_ref().map_err(|p| &p.kind),
            Err(&ProblemKind::LineTooLong { max: 1000 })
        );
        assert_eq!(cards[3].card.as_ref().map(|c| c.name.as_str()), Ok("丁"));
    }

    #[test]
    fn vcards_through_the_source_and_the_checker() {
        let text = "\u{feff}\r\nbegin:vcard\r\nVERSION:3.0\r\nFN:张伟\r\nTEL;TYPE=CELL:13800138000\r\n\
TEL;TYPE=CELL:13900139000\r\nTEL;TYPE=WORK:010-8888 6666\r\nEMAIL:a@example.cn\r\nEMAIL:b@example.cn\r\n\
BDAY:--0312\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张伟（新手机）\r\nTEL;TYPE=CELL:13700137000\r\nTEL;TYPE=CELL:139 0013 9000\r\nEND:VCARD\r\n";
        for bytes in [text.as_bytes().to_vec(), {
            let mut b = vec![0xFF, 0xFE];
            text.trim_start_matches('\u{feff}')
                .encode_utf16()
                .for_each(|u| b.extend_from_slice(&u.to_le_bytes()));
            b
        }] {
            let r = crate::dry_run(&bytes, None);
            assert_eq!(r.format, crate::Format::Vcard);
            assert_eq!(r.headers, HEADERS);
            assert_eq!(
                r.mapping.columns[..7],
                [
                    Some(Field::Name),
                    Some(Field::Company),
                    Some(Field::Title),
                    Some(Field::Mobile),
                    Some(Field::Phone),
                    Some(Field::Email),
                    Some(Field::Address)
                ]
            );
            assert_eq!(r.rows.len(), 2);
            assert_eq!(
                r.rows[0].line, 2,
                "the line of BEGIN, after the BOM and a blank line"
            );
            let crate::Outcome::Create(row) = &r.rows[0].outcome else {
                panic!("{:?}", r.rows[0])
            };
            let keys: Vec<&str> = row.contacts.iter().map(|c| c.key.as_str()).collect();
            assert_eq!(
                keys,
                [
                    "+8613800138000",
                    "+8613900139000",
                    "+861088886666",
                    "a@example.cn",
                    "b@example.cn"
                ]
            );
            assert_eq!(row.birthday, None);
            assert_eq!(
                r.rows[0].notes[0].kind,
                ProblemKind::BirthdayWithoutYear("--0312".into())
            );
            assert!(matches!(
                &r.rows[1].outcome,
                crate::Outcome::SameAs { line: 2, key, .. } if key == "+8613900139000"
            ));
        }
    }

    fn text_value() -> impl Strategy<Value = String> {
        // Chinese and English words with the characters vCards escape, and long runs that
        // fold; no leading or trailing blanks (values are trimmed).
        let piece = prop_oneof![
            "[\u{4e00}-\u{9fa5}]{1,6}",
            "[A-Za-z]{1,8}",
            Just(",".to_owned()),
            Just(";".to_owned()),
            Just("\\".to_owned()),
            Just(" ".to_owned()),
            Just(":".to_owned()),
            Just("\"".to_owned()),
            "[\u{4e00}-\u{9fa5}]{40,80}",
        ];
        proptest::collection::vec(piece, 1..8)
            .prop_map(|v| v.concat().trim().to_owned())
            .prop_filter("not blank", |s| !s.is_empty())
    }

    fn any_card() -> impl Strategy<Value = Card> {
        (
            text_value(),
            proptest::option::of(text_value()),
            proptest::option::of(text_value()),
            proptest::collection::vec((0u32..100_000_000, any::<bool>()), 0..3),
            proptest::collection::vec("[a-z]{1,10}@[a-z]{1,10}\\.(cn|com)", 0..3),
            proptest::collection::vec(text_value(), 0..3),
            proptest::option::of(0i64..40_000),
            proptest::collection::vec(text_value(), 0..4),
            proptest::option::of(
                proptest::collection::vec(text_value(), 1..4).prop_map(|l| l.join("\n")),
            ),
            any::<bool>(),
        )
            .prop_map(
                |(name, org, title, phones, emails, addresses, bday, categories, note, company)| {
                    Card {
                        uid: "urn:uuid:1".into(),
                        name,
                        is_company: company,
                        org,
                        title,
                        phones: phones
                            .into_iter()
                            .map(|(n, m)| (format!("+86138{n:08}"), m))
                            .collect(),
                        emails,
                        addresses,
                        birthday: bday.map(|d| {
                            chrono::NaiveDate::from_ymd_opt(1920, 1, 1).expect("date")
                                + chrono::Duration::days(d)
                        }),
                        categories,
                        note,
                    }
                },
            )
    }

    proptest! {
        /// What is written reads back the same, whatever the names and notes hold.
        #[test]
        fn cards_round_trip(c in any_card()) {
            let text = card(&c);
            let cards = parse(&text);
            prop_assert_eq!(cards.len(), 1);
            prop_assert!(cards[0].notes.is_empty(), "{:?}", cards[0].notes);
            prop_assert_eq!(cards[0].card.as_ref(), Ok(&c), "{}", text);
        }

        /// Nothing makes the reader panic, and it reads what it is given line by line.
        #[test]
        fn any_text_reads_without_panic(lines in proptest::collection::vec("\\PC{0,40}", 0..20)) {
            let mut text = String::from("BEGIN:VCARD\n");
            text.push_str(&lines.join("\n"));
            let _ = parse(&text);
        }

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
