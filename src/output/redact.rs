//! Secret redaction: which header values are secrets, and how a raw HTTP
//! head shows them (`[redacted]`) unless `--show-secrets`. The trace, the
//! NDJSON events and the HAR file all redact through [`redact`]; nothing
//! here writes anything.

/// Headers whose values are secrets.
const SECRET_HEADERS: [&str; 4] = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
];

/// Redact secret header values in a raw HTTP head (unless `show`):
/// `Authorization: Basic [redacted]`, `Cookie: a=[redacted]; b=[redacted]`,
/// `Set-Cookie: id=[redacted]; Path=/`. The scheme and cookie names stay,
/// as they help diagnosis; the values do not.
pub fn redact(raw: &[u8], show: bool) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let is_secret = |line: &[u8]| {
        SECRET_HEADERS.iter().any(|h| {
            line.len() > h.len()
                && line[..h.len()].eq_ignore_ascii_case(h.as_bytes())
                && line[h.len()] == b':'
        })
    };
    if show || !raw.split(|&c| c == b'\n').any(is_secret) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, line) in raw.split(|&c| c == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if !is_secret(line) {
            out.extend_from_slice(line);
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let (name, rest) = text.split_once(':').unwrap_or((&text, ""));
        let cr = rest.ends_with('\r');
        let value = rest.trim();
        let hidden = if name.eq_ignore_ascii_case("Cookie") {
            value
                .split(';')
                .map(|p| match p.trim().split_once('=') {
                    Some((k, _)) => format!("{k}=[redacted]"),
                    None => "[redacted]".into(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else if name.eq_ignore_ascii_case("Set-Cookie") {
            let mut parts = value.split(';');
            let first = match parts.next().and_then(|p| p.split_once('=')) {
                Some((k, _)) => format!("{}=[redacted]", k.trim()),
                None => "[redacted]".into(),
            };
            std::iter::once(first)
                .chain(parts.map(|p| p.trim().to_string()))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} [redacted]"),
                None => "[redacted]".into(),
            }
        };
        out.extend_from_slice(format!("{name}: {hidden}").as_bytes());
        if cr {
            out.push(b'\r');
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_keeping_schemes_and_cookie_names() {
        let raw =
            b"GET / HTTP/1.1\r\nauthorization: Basic YWxpY2U6eA==\r\nCookie: a=1; b=2\r\nX: y\r\n";
        let r = redact(raw, false);
        assert_eq!(
            String::from_utf8_lossy(&r),
            "GET / HTTP/1.1\r\nauthorization: Basic [redacted]\r\nCookie: a=[redacted]; b=[redacted]\r\nX: y\r\n"
        );
        let r = redact(b"Set-Cookie: id=s3cr3t; Path=/; HttpOnly", false);
        assert_eq!(
            String::from_utf8_lossy(&r),
            "Set-Cookie: id=[redacted]; Path=/; HttpOnly"
        );
        assert_eq!(&redact(raw, true)[..], &raw[..]);
    }
}
