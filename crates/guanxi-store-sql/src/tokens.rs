//! Search tokens for names, and the ranges that turn a prefix or suffix search into an index
//! range scan.
//!
//! Chinese text has no spaces and people search by one character (a surname) or two, which
//! trigram indexes cannot answer (see FINDINGS: SQLite FTS5 trigram and pg_trgm need three).
//! So a name is indexed as every CJK character, every pair of adjacent CJK characters, and
//! every lower-cased run of letters or digits. A query of one CJK character looks up its
//! unigram; two or more look up their bigrams (all must match) and are then checked against
//! the name; a Latin word is a prefix range over the word tokens.

use std::collections::BTreeSet;

/// Is this a CJK ideograph (or kana/hangul), i.e. text written without spaces?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified
        | 0xAC00..=0xD7AF    // hangul
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x2FA1F) // extensions B–F and supplement
}

/// Longest name we index tokens for; beyond it, the rest of the name is not searchable.
const MAX_CHARS: usize = 120;

/// The tokens of a name.
pub fn name_tokens(name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut word = String::new();
    let mut prev_cjk: Option<char> = None;
    for c in name.chars().take(MAX_CHARS).flat_map(char::to_lowercase) {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            out.insert(c.to_string());
            if let Some(p) = prev_cjk {
                out.insert([p, c].iter().collect());
            }
            prev_cjk = Some(c);
        } else if c.is_alphanumeric() {
            prev_cjk = None;
            word.push(c);
        } else {
            prev_cjk = None;
            flush_word(&mut word, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    out
}

fn flush_word(word: &mut String, out: &mut BTreeSet<String>) {
    if !word.is_empty() {
        out.insert(std::mem::take(word));
    }
}

/// One search term, compiled to what the index can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// Every one of these tokens must be present (CJK unigram or bigrams); `verify` is the
    /// CJK run that must appear in the name when more than two characters were typed.
    Tokens {
        tokens: Vec<String>,
        verify: Option<String>,
    },
    /// A word token starting with this (lower-cased) prefix.
    WordPrefix(String),
    /// Digits of a phone number: matched as a prefix or a suffix of the national number.
    Digits(String),
    /// Part of an e-mail address: matched as a prefix or suffix of the address.
    EmailPart(String),
}

/// Most terms one query may have.
pub const MAX_TERMS: usize = 4;

/// Split a free-text query into index-answerable terms. Terms that can match nothing useful
/// (punctuation only, a single Latin letter) are dropped.
pub fn parse_query(q: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for raw in q.split_whitespace() {
        if terms.len() >= MAX_TERMS {
            break;
        }
        let lower = raw.to_lowercase();
        if lower.contains('@') {
            terms.push(Term::EmailPart(lower));
            continue;
        }
        let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
        let is_numberish = !digits.is_empty()
            && lower
                .chars()
                .all(|c| c.is_ascii_digit() || "+-().".contains(c));
        if is_numberish {
            if digits.len() >= 3 {
                // "+86 138…" and "0086…" typed with the country code search the national part.
                let national = digits
                    .strip_prefix("0086")
                    .or_else(|| {
                        lower
                            .starts_with('+')
                            .then(|| digits.strip_prefix("86"))
                            .flatten()
                    })
                    .unwrap_or(&digits);
                terms.push(Term::Digits(national.to_owned()));
            }
            continue;
        }
        // Split mixed text into CJK runs and words.
        let mut run = String::new();
        let mut word = String::new();
        for c in lower.chars() {
            if is_cjk(c) {
                push_word(&mut word, &mut terms);
                run.push(c);
            } else if c.is_alphanumeric() {
                push_run(&mut run, &mut terms);
                word.push(c);
            } else if c == '.' && !word.is_empty() {
                // "example.com": an e-mail part rather than two words.
                word.push(c);
            } else {
                push_run(&mut run, &mut terms);
                push_word(&mut word, &mut terms);
            }
        }
        push_run(&mut run, &mut terms);
        push_word(&mut word, &mut terms);
    }
    terms.truncate(MAX_TERMS);
    terms
}

fn push_run(run: &mut String, terms: &mut Vec<Term>) {
    if run.is_empty() {
        return;
    }
    let chars: Vec<char> = std::mem::take(run).chars().take(MAX_CHARS).collect();
    let term = if chars.len() == 1 {
        Term::Tokens {
            tokens: vec![chars[0].to_string()],
            verify: None,
        }
    } else {
        let mut tokens: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
        tokens.sort();
        tokens.dedup();
        Term::Tokens {
            tokens,
            verify: (chars.len() > 2).then(|| chars.iter().collect()),
        }
    };
    terms.push(term);
}

fn push_word(word: &mut String, terms: &mut Vec<Term>) {
    if word.is_empty() {
        return;
    }
    let w = std::mem::take(word);
    if w.contains('.') {
        terms.push(Term::EmailPart(w));
    } else if w.chars().count() >= 2 {
        terms.push(Term::WordPrefix(w));
    }
}

/// The half-open range `[prefix, end)` holding every string that starts with `prefix`, in
/// binary (code point) order.
pub fn prefix_range(prefix: &str) -> (String, String) {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    (prefix.to_owned(), end)
}

/// A string reversed by characters, for suffix searches.
pub fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        name_tokens(s).into_iter().collect()
    }

    #[test]
    fn chinese_names_get_unigrams_and_bigrams() {
        assert_eq!(toks("张伟"), ["伟", "张", "张伟"]);
        let t = toks("欧阳娜娜");
        for expected in ["欧", "阳", "娜", "欧阳", "阳娜", "娜娜"] {
            assert!(t.contains(&expected.to_owned()), "{expected} missing");
        }
    }

    #[test]
    fn latin_words_are_lowercased_and_mixed_text_split() {
        assert_eq!(toks("Emily Chen"), ["chen", "emily"]);
        assert_eq!(toks("3M中国"), ["3m", "中", "中国", "国"]);
    }

    #[test]
    fn queries_compile_to_terms() {
        assert_eq!(
            parse_query("张"),
            [Term::Tokens {
                tokens: vec!["张".into()],
                verify: None
            }]
        );
        assert_eq!(
            parse_query("张伟明"),
            [Term::Tokens {
                tokens: vec!["伟明".into(), "张伟".into()],
                verify: Some("张伟明".into())
            }]
        );
        assert_eq!(parse_query("13800"), [Term::Digits("13800".into())]);
        assert_eq!(
            parse_query("+86 138-0013"),
            [Term::Digits("1380013".into())]
        );
        assert_eq!(parse_query("+86138"), [Term::Digits("138".into())]);
        assert_eq!(parse_query("12"), []);
        assert_eq!(
            parse_query("Zhang.Wei@"),
            [Term::EmailPart("zhang.wei@".into())]
        );
        assert_eq!(
            parse_query("example.com"),
            [Term::EmailPart("example.com".into())]
        );
        assert_eq!(parse_query("Emily"), [Term::WordPrefix("emily".into())]);
        assert_eq!(parse_query("a , ."), []);
        assert_eq!(parse_query("a b c d e f g h i j").len(), 0);
        assert!(parse_query("张 李 王 赵 钱 孙").len() <= MAX_TERMS);
    }

    #[test]
    fn ranges_cover_exactly_the_prefix() {
        let (lo, hi) = prefix_range("张");
        assert!("张伟" >= lo.as_str() && "张伟" < hi.as_str());
        assert!("章" >= hi.as_str() || "章" < lo.as_str());
        assert_eq!(reversed("abc"), "cba");
    }
}
