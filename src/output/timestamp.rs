//! `--timestamps`: the time of day at the start of lines.
//!
//! Times are UTC (`HH:MM:SS.mmm`): wsprobe reads no time zone database.
//! [`Timestamped`] stamps every line written through it, for the trace on
//! stderr; the REPL printer stamps its own lines with [`stamp_lines`].

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// `HH:MM:SS.mmm` (UTC) for `t`; `00:00:00.000` when `fixed` (the hidden
/// --deterministic switch), so output can be compared byte for byte.
pub fn clock(t: SystemTime, fixed: bool) -> String {
    if fixed {
        return "00:00:00.000".into();
    }
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let day = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        since.subsec_millis()
    )
}

/// `text` with `stamp` and a space before each of its lines.
pub fn stamp_lines(text: &str, stamp: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        out.push_str(stamp);
        out.push(' ');
        out.push_str(line);
    }
    out
}

/// A writer that starts every line with the time it began (when on).
pub struct Timestamped<W: Write> {
    inner: W,
    on: bool,
    fixed: bool,
    line_start: bool,
}

impl<W: Write> Timestamped<W> {
    /// Stamp lines written to `inner` when `on`; `fixed` uses a constant time.
    pub fn new(inner: W, on: bool, fixed: bool) -> Self {
        Timestamped {
            inner,
            on,
            fixed,
            line_start: true,
        }
    }
}

impl<W: Write> Write for Timestamped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on {
            return self.inner.write(buf);
        }
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            if self.line_start {
                let stamp = clock(SystemTime::now(), self.fixed);
                self.inner.write_all(stamp.as_bytes())?;
                self.inner.write_all(b" ")?;
            }
            self.inner.write_all(piece)?;
            self.line_start = piece.ends_with(b"\n");
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn clock_is_utc_time_of_day() {
        let t = UNIX_EPOCH + Duration::from_millis(((5 * 24 + 13) * 3600 + 7 * 60 + 9) * 1000 + 42);
        assert_eq!(clock(t, false), "13:07:09.042");
        assert_eq!(clock(t, true), "00:00:00.000");
    }

    #[test]
    fn every_line_is_stamped_once_across_writes() {
        let mut w = Timestamped::new(Vec::new(), true, true);
        w.write_all(b"a\nb").expect("write");
        w.write_all(b"c\n\nd\n").expect("write");
        assert_eq!(
            String::from_utf8(w.inner).expect("utf8"),
            "00:00:00.000 a\n00:00:00.000 bc\n00:00:00.000 \n00:00:00.000 d\n"
        );
        let mut off = Timestamped::new(Vec::new(), false, true);
        off.write_all(b"x\n").expect("write");
        assert_eq!(off.inner, b"x\n");
        assert_eq!(stamp_lines("a\nb\n", "T"), "T a\nT b\n");
    }
}
