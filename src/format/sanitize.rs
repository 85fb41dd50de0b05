//! Make server-controlled bytes safe for a terminal.
//!
//! On a TTY, C0 and C1 controls, DEL, bidi overrides and zero-width
//! characters are shown as escapes (`\x1b`, `\u{202e}`) so that a hostile
//! server cannot move the cursor, retitle the window or reorder text. Tab is
//! kept. Invalid UTF-8 is shown as `\xNN`. Pipes get bytes unchanged; that
//! choice is made by the caller, not here.

use std::fmt::Write as _;

/// True for characters that must not reach a terminal raw.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{feff}'              // zero-width no-break space
        )
}

/// Escape `bytes` for a terminal. `keep_newlines` leaves `\n` alone (for
/// multi-line bodies).
pub fn escape(bytes: &[u8], keep_newlines: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' && keep_newlines {
                out.push(c);
            } else if is_unsafe(c) {
                if (c as u32) < 0x100 {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                } else {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// True when escaping would change `bytes`.
pub fn needs_escape(bytes: &[u8], keep_newlines: bool) -> bool {
    bytes.utf8_chunks().any(|ch| {
        !ch.invalid().is_empty()
            || ch
                .valid()
                .chars()
                .any(|c| is_unsafe(c) && !(keep_newlines && c == '\n'))
    })
}

/// A one-line escaped preview of at most `max` bytes, with "…" when cut.
pub fn escape_preview(bytes: &[u8], max: usize) -> String {
    let cut = bytes.len() > max;
    let mut s = escape(&bytes[..bytes.len().min(max)], false);
    if cut {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_zero_width_are_escaped() {
        assert_eq!(escape(b"a\x1b[31mb", false), "a\\x1b[31mb");
        assert_eq!(
            escape("x\u{202e}y\u{200b}z".as_bytes(), false),
            "x\\u{202e}y\\u{200b}z"
        );
        assert_eq!(escape("\u{85}".as_bytes(), false), "\\x85");
        assert_eq!(escape(b"\x7f", false), "\\x7f");
    }

    #[test]
    fn tabs_text_and_optionally_newlines_are_kept() {
        assert_eq!(escape("héllo\tworld".as_bytes(), false), "héllo\tworld");
        assert_eq!(escape(b"a\nb", true), "a\nb");
        assert_eq!(escape(b"a\nb", false), "a\\x0ab");
        assert!(!needs_escape(b"a\nb", true));
        assert!(needs_escape(b"a\rb", true));
    }

    #[test]
    fn invalid_utf8_is_shown_as_bytes() {
        assert_eq!(escape(b"ok\xff", false), "ok\\xff");
        assert_eq!(escape_preview(b"abcdef", 3), "abc…");
    }
}
