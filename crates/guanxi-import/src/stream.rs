//! The byte plumbing under [`crate::Source`]: counting what was read (for a progress bar),
//! decoding any encoding to UTF-8 as a stream, and keeping track of line breaks so that a
//! record's line is known and an endless line or row is refused before it fills memory.

use encoding_rs::{CoderResult, Decoder, Encoding};
use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Counts the bytes read through it into a shared counter.
pub(crate) struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Self { inner, read }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

const CHUNK: usize = 64 * 1024;

/// Any encoding in, UTF-8 out, as a stream, through encoding_rs's streaming decoder (which,
/// unlike a wrapper around it, says when bytes did not decode: `malformed`). The byte order
/// mark of the encoding is removed.
pub(crate) struct Decode<R> {
    inner: R,
    decoder: Decoder,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    finished: bool,
    output: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    malformed: Arc<AtomicBool>,
}

impl<R: Read> Decode<R> {
    pub(crate) fn new(inner: R, encoding: &'static Encoding, malformed: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; CHUNK].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            eof: false,
            finished: false,
            output: vec![0; CHUNK].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            malformed,
        }
    }
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                self.in_start = 0;
                self.in_end = n;
                self.eof = n == 0;
            }
            let last = self.eof;
            let (result, read, written, replaced) = self.decoder.decode_to_utf8(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                last,
            );
            if replaced {
                self.malformed.store(true, Ordering::Relaxed);
            }
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            if last && result == CoderResult::InputEmpty {
                self.finished = true;
            }
        }
    }
}

/// Why [`Lines`] refused to go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overrun {
    /// No line break for longer than the limit.
    Line,
    /// One record (row) longer than the limit: a quote that is never closed.
    Row,
}

/// The decoded text on its way to the CSV reader: remembers where line breaks are (so that
/// the line where a record starts is known, quoted newlines and blank lines included), and
/// fails the read when a line or a record grows past its limit.
pub(crate) struct Lines<R> {
    inner: R,
    /// Bytes passed on so far.
    passed: u64,
    /// Bytes since the last line break.
    since_break: u64,
    max_line: u64,
    max_row: u64,
    /// Where the current record started (set by the reader before each record).
    pub(crate) mark: u64,
    /// Offsets of the line breaks not yet accounted for, with whether each is a `\n`.
    breaks: VecDeque<(u64, bool)>,
    /// The `\n`s before the first offset in `breaks`.
    newlines: u64,
    pub(crate) overrun: Option<Overrun>,
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(inner: R, max_line: usize, max_row: usize) -> Self {
        Self {
            inner,
            passed: 0,
            since_break: 0,
            max_line: max_line as u64,
            max_row: max_row as u64,
            mark: 0,
            breaks: VecDeque::new(),
            newlines: 0,
            overrun: None,
        }
    }

    /// The line (from 1) of the first character at or after byte `offset` that is not a line
    /// break: where a record whose reading began at `offset` starts. Offsets must not go
    /// backwards between calls.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        let mut at = offset;
        while let Some(&(o, lf)) = self.breaks.front() {
            if o < at {
                self.newlines += u64::from(lf);
                self.breaks.pop_front();
            } else if o == at {
                // A line break right where the record would start: the end of the previous
                // record, or a blank line.
                self.newlines += u64::from(lf);
                self.breaks.pop_front();
                at += 1;
            } else {
                break;
            }
        }
        self.newlines + 1
    }
}

impl<R: Read> Read for Lines<R> {
    /// Passes text on, but never past the point where a line or the current record goes
    /// over its limit: the text before that point comes first (its records are whole), the
    /// next read fails.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let fail = || Err(io::Error::other("over-long line or row"));
        if self.overrun.is_some() {
            return fail();
        }
        let room = (self.mark + self.max_row).saturating_sub(self.passed);
        if room == 0 {
            // A record without a single line break is one long line.
            let unbroken = self.since_break >= self.passed - self.mark;
            self.overrun = Some(if unbroken {
                Overrun::Line
            } else {
                Overrun::Row
            });
            return fail();
        }
        let cap = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        let chunk = &buf[..n];
        // Where the text must be cut: one byte past the longest line allowed.
        let cut_at =
            |run: u64, from: usize| from + (self.max_line + 1).saturating_sub(run) as usize;
        let mut from = 0; // start of the current run in the chunk
        let mut run = self.since_break; // its length before the chunk
        let mut cut = None;
        for i in memchr::memchr2_iter(b'\n', b'\r', chunk) {
            if run + (i - from) as u64 > self.max_line {
                cut = Some(cut_at(run, from));
                break;
            }
            self.breaks
                .push_back((self.passed + i as u64, chunk[i] == b'\n'));
            from = i + 1;
            run = 0;
        }
        if cut.is_none() && run + (n - from) as u64 > self.max_line {
            cut = Some(cut_at(run, from));
        }
        let n = match cut {
            Some(c) => {
                self.overrun = Some(Overrun::Line);
                c.min(n)
            }
            None => {
                self.since_break = run + (n - from) as u64;
                n
            }
        };
        self.passed += n as u64;
        if n == 0 && self.overrun.is_some() {
            return fail();
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], enc: &'static Encoding, chunk: usize) -> (String, bool) {
        let flag = Arc::new(AtomicBool::new(false));
        let mut d = Decode::new(bytes, enc, flag.clone());
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            let n = d.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        (
            String::from_utf8(out).expect("utf-8"),
            flag.load(Ordering::Relaxed),
        )
    }

    #[test]
    fn decodes_in_small_pieces_and_says_when_bytes_did_not_fit() {
        let text = "姓名,手机\n张伟,13800138000\n".repeat(5000);
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        for chunk in [1, 3, 7, 4096] {
            assert_eq!(
                decode_all(&gbk, encoding_rs::GB18030, chunk),
                (text.clone(), false)
            );
        }
        let mut bad = b"\xEF\xBB\xBFok,".to_vec();
        bad.extend_from_slice(b"\xFF\xFE!\n");
        let (t, malformed) = decode_all(&bad, encoding_rs::UTF_8, 2);
        assert_eq!(
            t, "ok,\u{FFFD}\u{FFFD}!\n",
            "the BOM goes, the bad bytes show"
        );
        assert!(malformed);
    }

    #[test]
    fn line_of_records() {
        let mut l = Lines::new(&b"a\r\n\r\nb\n\"c\nd\"\ne"[..], 100, 100);
        let mut sink = Vec::new();
        l.read_to_end(&mut sink).expect("read");
        assert_eq!(l.line_at(0), 1);
        assert_eq!(
            l.line_at(2),
            3,
            "CR of line 1 consumed, LF and blank line skipped"
        );
        assert_eq!(l.line_at(7), 4);
        assert_eq!(l.line_at(13), 6, "the quoted newline counts");
    }

    #[test]
    fn endless_lines_and_rows_fail() {
        let mut long = b"ok\n".to_vec();
        long.extend(vec![b'x'; 5000]);
        let mut l = Lines::new(&long[..], 1000, 1_000_000);
        let mut sink = Vec::new();
        assert!(l.read_to_end(&mut sink).is_err());
        assert_eq!(l.overrun, Some(Overrun::Line));
        assert_eq!(
            sink.len(),
            3 + 1001,
            "the text up to the overrun comes first"
        );
        let lines = "x\n".repeat(5000);
        let mut l = Lines::new(lines.as_bytes(), 1000, 1000);
        sink.clear();
        assert!(l.read_to_end(&mut sink).is_err());
        assert_eq!(l.overrun, Some(Overrun::Row));
        assert_eq!(sink.len(), 1000);
    }
}
