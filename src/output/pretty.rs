//! `--pretty`: re-indent a JSON object or array, two spaces a level.
//!
//! The text is checked and re-indented in one pass without building a
//! value, so it comes out exactly as the server wrote it apart from
//! whitespace: key order, number spelling and string escapes are kept.
//! Anything that is not one complete JSON object or array (plain text, a bare
//! number, a syntax error, nesting deeper than [`MAX_DEPTH`]) gives `None`,
//! and the caller shows the message as it came.

/// Nesting deeper than this is shown as it came (and cannot exhaust the stack).
pub const MAX_DEPTH: usize = 128;

/// The indented form of `data`, when it is one JSON object or array.
pub fn json(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?.trim();
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    let mut p = Indenter {
        text,
        at: 0,
        out: String::with_capacity(text.len() * 2),
    };
    p.value(0)?;
    p.skip_ws();
    (p.at == text.len()).then_some(p.out)
}

struct Indenter<'a> {
    text: &'a str,
    at: usize,
    out: String,
}

impl Indenter<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn newline(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'{' => self.container(depth, b'}', true),
            b'[' => self.container(depth, b']', false),
            b'"' => self.string(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// An object (`keyed`) or an array, from its opening bracket.
    fn container(&mut self, depth: usize, close: u8, keyed: bool) -> Option<()> {
        self.out.push(self.peek()? as char);
        self.at += 1;
        self.skip_ws();
        if self.peek()? == close {
            self.at += 1;
            self.out.push(close as char);
            return Some(());
        }
        loop {
            self.newline(depth + 1);
            if keyed {
                self.skip_ws();
                if self.peek()? != b'"' {
                    return None;
                }
                self.string()?;
                self.skip_ws();
                if self.peek()? != b':' {
                    return None;
                }
                self.at += 1;
                self.out.push_str(": ");
            }
            self.value(depth + 1)?;
            self.skip_ws();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.out.push(',');
                }
                c if c == close => {
                    self.at += 1;
                    self.newline(depth);
                    self.out.push(close as char);
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string, copied as written (escapes included).
    fn string(&mut self) -> Option<()> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    let escaped = self.text.as_bytes().get(self.at + 1).copied()?;
                    if escaped == b'u' {
                        let hex = self.text.get(self.at + 2..self.at + 6)?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        self.at += 6;
                    } else if b"\"\\/bfnrt".contains(&escaped) {
                        self.at += 2;
                    } else {
                        return None;
                    }
                }
                c if c < 0x20 => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        self.out.push_str(&self.text[start..self.at]);
        Some(())
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        if !self.text[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        self.out.push_str(word);
        Some(())
    }

    /// A number as RFC 8259 section 6 spells it, copied as written.
    fn number(&mut self) -> Option<()> {
        let b = self.text.as_bytes();
        let start = self.at;
        let mut i = self.at;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > s
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if b.get(i) == Some(&b'0') {
            i += 1;
        } else if !digits(&mut i) {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.at = i;
        self.out.push_str(&self.text[start..i]);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        json(s.as_bytes())
    }

    #[test]
    fn objects_and_arrays_are_indented_keeping_their_text() {
        assert_eq!(
            p(r#"{"b":1,"a":[true,null,{"x":"y\"z"}],"e":{},"f":[]}"#).as_deref(),
            Some(
                "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    {\n      \"x\": \"y\\\"z\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
            )
        );
        assert_eq!(
            p(" [ 1.50e+3 , -0 , \"\\u00e9\" ] ").as_deref(),
            Some("[\n  1.50e+3,\n  -0,\n  \"\\u00e9\"\n]")
        );
    }

    #[test]
    fn anything_else_is_left_alone() {
        for s in [
            "hello",
            "42",
            "\"str\"",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "{a:1}",
            "[01]",
            "[1.]",
            "[1e]",
            "[tru]",
            "{} {}",
            "[\"\\x\"]",
            "[\"\\u12\"]",
            "[\"a\nb\"]",
            "[-]",
        ] {
            assert_eq!(p(s), None, "{s}");
        }
        assert_eq!(json(b"[\xff]"), None);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(p(&deep), None);
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(p(&ok).is_some());
    }
}
