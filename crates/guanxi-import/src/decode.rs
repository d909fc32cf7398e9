//! Bytes to text: the byte order mark when there is one, UTF-8 when the bytes are valid UTF-8,
//! else the guess of Firefox's detector (GBK is read as GB18030, its superset).

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};

/// A decoded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding's WHATWG name (`UTF-8`, `UTF-16LE`, `gb18030`, `Big5`, …).
    pub encoding: &'static str,
    pub had_bom: bool,
    /// Some bytes were not valid in that encoding and became U+FFFD.
    pub malformed: bool,
}

/// Decode a whole file.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, malformed) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: enc.name(),
            had_bom: true,
            malformed,
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_owned(),
            encoding: UTF_8.name(),
            had_bom: false,
            malformed: false,
        };
    }
    let mut detector = chardetng::EncodingDetector::new();
    // A prefix is enough to tell, and bounds the work on a large file.
    let sample = &bytes[..bytes.len().min(1 << 20)];
    detector.feed(sample, sample.len() == bytes.len());
    let mut enc = detector.guess(None, false);
    if enc == GBK {
        enc = GB18030;
    }
    let (text, malformed) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: enc.name(),
        had_bom: false,
        malformed,
    }
}

/// The delimiter of a CSV text: of comma, tab, semicolon and vertical bar, the one that splits
/// the first lines into the same number of fields (more than one), most fields winning ties.
/// Comma when nothing fits.
pub fn sniff_delimiter(text: &str) -> u8 {
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let mut best = (b',', 0usize, 0usize); // delimiter, rows agreeing, fields
    for d in [b',', b'\t', b';', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let counts: Vec<usize> = reader
            .records()
            .filter_map(Result::ok)
            .map(|r| r.len())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let agreeing = counts.iter().filter(|c| **c == first).count();
        if (agreeing, first) > (best.1, best.2) {
            best = (d, agreeing, first);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV_ZH: &str =
        "姓名,手机,邮箱,公司\n张伟,13800138000,zhang.wei@example.cn,杭州华信科技有限公司\n";

    #[test]
    fn utf8_with_and_without_bom() {
        let plain = decode(CSV_ZH.as_bytes());
        assert_eq!(
            (plain.encoding, plain.had_bom, plain.text.as_str()),
            ("UTF-8", false, CSV_ZH)
        );
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(CSV_ZH.as_bytes());
        let d = decode(&bom);
        assert_eq!(
            (d.encoding, d.had_bom, d.text.as_str()),
            ("UTF-8", true, CSV_ZH)
        );
    }

    #[test]
    fn gbk_big5_and_utf16() {
        let (gbk, _, _) = GBK.encode(CSV_ZH);
        let d = decode(&gbk);
        assert_eq!(d.encoding, "gb18030");
        assert_eq!(d.text, CSV_ZH);
        assert!(!d.malformed);
        let trad = "姓名,電話,電子郵件\n陳大文,0912345678,chan@example.tw\n林小美,0922333444,lin@example.tw\n";
        let (big5, _, _) = encoding_rs::BIG5.encode(trad);
        let d = decode(&big5);
        assert_eq!((d.encoding, d.text.as_str()), ("Big5", trad));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in CSV_ZH.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&utf16);
        assert_eq!((d.encoding, d.text.as_str()), ("UTF-16LE", CSV_ZH));
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(CSV_ZH), b',');
        assert_eq!(sniff_delimiter("姓名\t手机\n张伟\t13800138000\n"), b'\t');
        assert_eq!(sniff_delimiter("name;phone;city\na;1;x\nb;2;y\n"), b';');
        assert_eq!(sniff_delimiter("name|phone\na|1\n"), b'|');
        // Commas inside quotes do not fool it.
        assert_eq!(
            sniff_delimiter("name;note\n\"Wang, Fang\";\"a, b, c\"\n"),
            b';'
        );
        assert_eq!(sniff_delimiter("one column only\n"), b',');
    }
}
