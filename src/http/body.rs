//! Response bodies: read by Content-Length, chunked (RFC 9112 section 7.1),
//! or up to EOF, never more than [`MAX_BODY`] kept, never past the
//! caller's deadline. wsprobe reads a body only to show it (a refused
//! upgrade or CONNECT), so a body that does not end in time is shown as far
//! as it came, marked truncated, rather than an error. The head is read
//! before (`head.rs`); what the body says is the caller's to show.

use super::{MAX_BODY, ReadTimeout, ResponseHead, remaining};
use std::io;
use std::time::{Duration, Instant};

/// Read the body of the response `head` from `s`, starting with `raw`, the
/// bytes of it already read with the head. At most [`MAX_BODY`] bytes are
/// kept and reading stops at `deadline` (and two seconds after the head
/// when the end is not marked). Returns the body and whether it is
/// truncated (cut at the cap, or its end never came).
pub fn read_body<S: ReadTimeout + ?Sized>(
    s: &mut S,
    head: &ResponseHead,
    mut raw: Vec<u8>,
    deadline: Instant,
) -> (Vec<u8>, bool) {
    let chunked = head.has_token("Transfer-Encoding", "chunked");
    let length = head
        .header("Content-Length")
        .and_then(|v| v.trim().parse::<usize>().ok());
    let no_body = matches!(head.status, 100..=199 | 204 | 304) || length == Some(0);
    let deadline = deadline.min(Instant::now() + Duration::from_secs(2));
    let mut chunk = [0u8; 8192];
    let raw_cap = MAX_BODY * 2;
    let mut eof = false;
    loop {
        if no_body {
            break;
        }
        let done = if chunked {
            decode_chunked(&raw).1
        } else if let Some(len) = length {
            raw.len() >= len
        } else {
            false
        };
        if done || raw.len() >= raw_cap {
            break;
        }
        let Some(left) = remaining(deadline) else {
            break;
        };
        s.set_read_timeout(Some(left)).ok();
        match s.read(&mut chunk) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let (mut body, complete) = if no_body {
        (Vec::new(), true)
    } else if chunked {
        decode_chunked(&raw)
    } else if let Some(len) = length {
        raw.truncate(len);
        let complete = raw.len() == len;
        (raw, complete)
    } else {
        (raw, eof)
    };
    let mut truncated = !complete;
    if body.len() > MAX_BODY {
        body.truncate(MAX_BODY);
        truncated = true;
    }
    (body, truncated)
}

/// Decode a chunked body (RFC 9112 section 7.1) as far as it goes. Returns
/// the data and whether the last chunk was seen.
pub fn decode_chunked(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let Some(eol) = find(&raw[pos..], b"\r\n") else {
            return (out, false);
        };
        let line = &raw[pos..pos + eol];
        let size_part = line.split(|&c| c == b';').next().unwrap_or(b"");
        let size = std::str::from_utf8(size_part)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size else {
            return (out, false);
        };
        pos += eol + 2;
        if size == 0 {
            return (out, true);
        }
        let end = pos.saturating_add(size);
        if end > raw.len() {
            out.extend_from_slice(&raw[pos..]);
            return (out, false);
        }
        out.extend_from_slice(&raw[pos..end]);
        pos = end;
        if raw.len() < pos + 2 {
            return (out, false);
        }
        pos += 2;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_response;
    use crate::http::script::Script;

    fn head(raw: &str) -> ResponseHead {
        parse_response(raw.as_bytes())
            .expect("parses")
            .expect("complete")
            .1
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn chunked_bodies_decode() {
        assert_eq!(
            decode_chunked(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"),
            (b"hello world".to_vec(), true)
        );
        assert_eq!(decode_chunked(b"5\r\nhel"), (b"hel".to_vec(), false));
        assert_eq!(decode_chunked(b"zz\r\n"), (Vec::new(), false));
        assert_eq!(
            decode_chunked(b"ffffffffffffffff\r\nab"),
            (b"ab".to_vec(), false)
        );
    }

    #[test]
    fn bodies_end_by_length_by_last_chunk_or_by_eof() {
        let h = head("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n");
        let mut s = Script::new(&[b"lo, and more"]);
        assert_eq!(
            read_body(&mut s, &h, b"hel".to_vec(), soon()),
            (b"hello".to_vec(), false)
        );

        let h = head("HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
        let mut s = Script::new(&[b"2\r\nok\r\n", b"0\r\n\r\n"]);
        assert_eq!(
            read_body(&mut s, &h, Vec::new(), soon()),
            (b"ok".to_vec(), false)
        );

        let h = head("HTTP/1.1 400 Bad\r\n\r\n");
        let mut s = Script::new(&[b"to the end"]);
        assert_eq!(
            read_body(&mut s, &h, Vec::new(), soon()),
            (b"to the end".to_vec(), false)
        );
    }

    #[test]
    fn short_bodies_are_marked_truncated() {
        let h = head("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\n");
        let mut s = Script::new(&[b"four"]);
        assert_eq!(
            read_body(&mut s, &h, Vec::new(), soon()),
            (b"four".to_vec(), true)
        );
        let h = head("HTTP/1.1 204 No Content\r\n\r\n");
        let mut s = Script::new(&[b"ignored"]);
        assert_eq!(
            read_body(&mut s, &h, Vec::new(), soon()),
            (Vec::new(), false)
        );
    }
}
