//! Standard input to messages: lines (`\n` or `\r\n`, not sent), NUL-separated
//! records, or everything as one message; text or binary.
//!
//! Runs on its own thread, reading large chunks and slicing messages out of
//! them without copying (`Bytes::slice`); separators are found with
//! `memchr` and text is validated once per chunk, not once per line. Each
//! chunk's messages go to the session as one batch over a bounded channel;
//! after each send the thread wakes the event loop. `--whole` reads all of
//! stdin into one buffer sized from the file when stdin is a file. It never
//! touches the socket or stdout.

use super::Input;
use crate::config::Framing;
use crate::error::Error;
use std::io::{self, Read};
use std::sync::mpsc::SyncSender;
use tungstenite::{Bytes, Message, Utf8Bytes};

/// How much is read from stdin at a time: a pipe's whole buffer, and with
/// the session's bounded queue of batches, the bound on input memory.
pub const CHUNK: usize = 64 * 1024;

/// Cuts a byte stream into messages.
pub struct Splitter {
    framing: Framing,
    binary: bool,
    /// Bytes read and not yet part of a complete record.
    buf: Vec<u8>,
    /// Where the search for the next separator resumes in `buf`.
    scanned: usize,
    /// Records produced so far (for error messages).
    records: u64,
}

impl Splitter {
    /// A splitter for this framing and message type.
    pub fn new(framing: Framing, binary: bool) -> Splitter {
        Splitter {
            framing,
            binary,
            buf: Vec::new(),
            scanned: 0,
            records: 0,
        }
    }

    /// Read once from `r` into the buffer. Returns the bytes read (0 at EOF).
    pub fn fill(&mut self, r: &mut dyn Read) -> io::Result<usize> {
        let len = self.buf.len();
        self.buf.resize(len + CHUNK, 0);
        let n = loop {
            match r.read(&mut self.buf[len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.buf.truncate(len + *n.as_ref().unwrap_or(&0));
        n
    }

    /// Take the complete records now in the buffer. A record that cannot be
    /// a message ends the list: the records before it and the error are
    /// returned, and nothing after it.
    pub fn records(&mut self) -> (Vec<Message>, Option<Error>) {
        let sep = match self.framing {
            Framing::Lines => b'\n',
            Framing::Null => 0,
            Framing::Whole => return (Vec::new(), None),
        };
        let last = match memchr::memrchr(sep, &self.buf[self.scanned..]) {
            Some(i) => self.scanned + i,
            None => {
                self.scanned = self.buf.len();
                return (Vec::new(), None);
            }
        };
        let rest = self.buf[last + 1..].to_vec();
        self.buf.truncate(last + 1);
        let whole = Bytes::from(std::mem::replace(&mut self.buf, rest));
        self.scanned = 0;
        // One validation for the whole chunk: separators are ASCII, so every
        // record of valid UTF-8 is valid UTF-8. Only a chunk that fails is
        // checked record by record, to name the bad one.
        let text_ok = !self.binary && std::str::from_utf8(&whole).is_ok();
        let mut out = Vec::with_capacity(memchr::memchr_iter(sep, &whole).count());
        let mut start = 0;
        for end in memchr::memchr_iter(sep, &whole) {
            let mut stop = end;
            if sep == b'\n' && stop > start && whole[stop - 1] == b'\r' {
                stop -= 1;
            }
            let data = whole.slice(start..stop);
            start = end + 1;
            if text_ok {
                self.records += 1;
                // SAFETY: `whole` is valid UTF-8 (checked above) and `data`
                // is cut from it at ASCII bytes (`\n`, `\r`, NUL), which
                // are never inside a multi-byte sequence.
                out.push(Message::Text(unsafe {
                    Utf8Bytes::from_bytes_unchecked(data)
                }));
                continue;
            }
            match self.message(data) {
                Ok(m) => out.push(m),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// At end of input: the final record, if any (a last line without a
    /// newline, or all of the input for --whole, even when empty).
    pub fn finish(&mut self) -> Result<Option<Message>, Error> {
        let rest = Bytes::from(std::mem::take(&mut self.buf));
        match self.framing {
            Framing::Whole => self.message(rest).map(Some),
            _ if rest.is_empty() => Ok(None),
            Framing::Lines if rest.ends_with(b"\r") => {
                let n = rest.len() - 1;
                self.message(rest.slice(..n)).map(Some)
            }
            _ => self.message(rest).map(Some),
        }
    }

    fn message(&mut self, data: Bytes) -> Result<Message, Error> {
        self.records += 1;
        if self.binary {
            return Ok(Message::Binary(data));
        }
        Utf8Bytes::try_from(data).map(Message::Text).map_err(|_| {
            let what = match self.framing {
                Framing::Lines => "line",
                Framing::Null => "record",
                Framing::Whole => "input",
            };
            Error::Input(format!(
                "{what} {} of standard input is not valid UTF-8, so it cannot be sent as text",
                self.records
            ))
        })
    }
}

/// Read `r` to its end on the current thread, sending batches to `tx` and
/// calling `wake` after each. Stops early if the session has gone away.
/// `size_hint` is how many bytes `r` holds, when known (see [`stdin_size`]).
pub fn pump(
    mut r: impl Read,
    size_hint: Option<usize>,
    framing: Framing,
    binary: bool,
    tx: SyncSender<Input>,
    wake: impl Fn(),
) {
    let mut split = Splitter::new(framing, binary);
    let send = |item: Input| {
        let ok = tx.send(item).is_ok();
        wake();
        ok
    };
    if framing == Framing::Whole {
        split
            .buf
            .reserve(size_hint.map_or(CHUNK, |n| n.saturating_add(1)));
    }
    loop {
        let read = if framing == Framing::Whole {
            // All of it is one message: read it in as few calls as the OS
            // allows (into memory sized once when stdin is a file); then EOF.
            r.read_to_end(&mut split.buf).map(|_| 0)
        } else {
            split.fill(&mut r)
        };
        match read {
            Ok(0) => {
                let last = match split.finish() {
                    Ok(m) => m,
                    Err(e) => {
                        send(Input::Failed(e));
                        return;
                    }
                };
                if let Some(m) = last
                    && !send(Input::Batch(vec![m]))
                {
                    return;
                }
                send(Input::End);
                return;
            }
            Ok(_) => {
                let (batch, failed) = split.records();
                if !batch.is_empty() && !send(Input::Batch(batch)) {
                    return;
                }
                if let Some(e) = failed {
                    send(Input::Failed(e));
                    return;
                }
            }
            Err(source) => {
                send(Input::Failed(Error::Io {
                    context: "cannot read standard input".into(),
                    source,
                }));
                return;
            }
        }
    }
}

/// The size of standard input when it is a regular file (`< file`), so
/// that `--whole` can allocate once. None for pipes, terminals, errors.
pub fn stdin_size() -> Option<usize> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    meta.is_file().then(|| usize::try_from(meta.len()).ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn split(input: &[u8], framing: Framing, binary: bool, step: usize) -> Vec<Vec<u8>> {
        let mut s = Splitter::new(framing, binary);
        let mut r = Trickle { data: input, step };
        let mut out = Vec::new();
        while s.fill(&mut r).expect("read") > 0 {
            let (msgs, failed) = s.records();
            assert!(failed.is_none(), "{failed:?}");
            for m in msgs {
                out.push(m.into_data().to_vec());
            }
        }
        if let Some(m) = s.finish().expect("finish") {
            out.push(m.into_data().to_vec());
        }
        out
    }

    #[test]
    fn lines_strip_lf_and_crlf_at_any_chunking() {
        let input = b"a\r\nbb\n\nlast";
        for step in 1..=input.len() {
            assert_eq!(
                split(input, Framing::Lines, false, step),
                [&b"a"[..], b"bb", b"", b"last"],
                "step {step}"
            );
        }
    }

    #[test]
    fn trailing_newline_adds_no_empty_message() {
        assert_eq!(split(b"x\ny\n", Framing::Lines, false, 3), [b"x", b"y"]);
        assert!(split(b"", Framing::Lines, false, 1).is_empty());
    }

    #[test]
    fn nul_records_keep_newlines() {
        assert_eq!(
            split(b"a\nb\0c\0", Framing::Null, false, 2),
            [&b"a\nb"[..], b"c"]
        );
    }

    #[test]
    fn whole_is_one_message_even_when_empty() {
        assert_eq!(split(b"a\nb\0", Framing::Whole, true, 1), [b"a\nb\0"]);
        assert_eq!(split(b"", Framing::Whole, false, 1), [b""]);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let mut s = Splitter::new(Framing::Lines, false);
        let mut r = Trickle {
            data: b"ok\n\xff\xfe\n",
            step: 100,
        };
        s.fill(&mut r).expect("read");
        let (good, e) = s.records();
        assert_eq!(good.len(), 1, "the line before the bad one is kept");
        let e = e.expect("invalid");
        assert!(e.to_string().contains("line 2"), "{e}");
        // The same bytes are fine as binary.
        assert_eq!(split(b"ok\n\xff\xfe\n", Framing::Lines, true, 4).len(), 2);
    }

    #[test]
    fn long_lines_span_many_reads() {
        let long = vec![b'x'; CHUNK * 3 + 7];
        let mut input = long.clone();
        input.extend_from_slice(b"\nshort\n");
        let out = split(&input, Framing::Lines, false, CHUNK);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], long);
    }
}
