//! `--static DIR`: plain GET requests (no Upgrade header) answered with
//! files from DIR, so that the page under test and its WebSocket share one
//! origin. Read-only; a path is percent-decoded, may not hold `..`, NUL or
//! a backslash, and must stay inside DIR once symlinks are followed
//! (canonicalized and compared with the canonical root). `/` and any
//! directory mean its `index.html`. The Content-Type follows the file's
//! extension, for the types a web page uses.
//!
//! It runs on the handshake thread that read the request; what it did is
//! returned as a [`StaticOutcome`] for the hub to report.

use crate::event::StaticOutcome;
use crate::http;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Answer `target` (the request target as sent) from `root` (canonical)
/// on `w`. Returns the status and what happened.
pub fn serve<W: Write>(w: &mut W, root: &Path, target: &str) -> (u16, StaticOutcome) {
    let (status, reason, outcome) = match resolve(root, target) {
        Ok(path) => match std::fs::File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f))) {
            Ok((len, file)) => return send(w, &path, len, file),
            Err(e) => (
                500,
                "Internal Server Error",
                StaticOutcome::Failed(e.to_string()),
            ),
        },
        Err(o @ StaticOutcome::NotFound) => (404, "Not Found", o),
        Err(o @ StaticOutcome::BadPath) => (400, "Bad Request", o),
        Err(o) => (403, "Forbidden", o),
    };
    let body = format!("{status} {reason}\n");
    let headers = [
        (
            "Content-Type".to_string(),
            "text/plain; charset=utf-8".to_string(),
        ),
        ("Connection".to_string(), "close".to_string()),
    ];
    let _ = http::write_response(w, status, reason, &headers, Some(body.as_bytes()));
    (status, outcome)
}

/// 200 with the file, copied through a fixed buffer (a large file costs
/// no memory).
fn send<W: Write>(w: &mut W, path: &Path, len: u64, file: std::fs::File) -> (u16, StaticOutcome) {
    let ct = content_type(path);
    let headers = [
        ("Content-Type".to_string(), ct.to_string()),
        ("Content-Length".to_string(), len.to_string()),
        ("Cache-Control".to_string(), "no-store".to_string()),
        ("Connection".to_string(), "close".to_string()),
    ];
    let sent = http::write_response(w, 200, "OK", &headers, None)
        .and_then(|()| io::copy(&mut io::BufReader::new(file), w))
        .and_then(|_| w.flush());
    match sent {
        Ok(()) => (
            200,
            StaticOutcome::Sent {
                bytes: len,
                content_type: ct,
            },
        ),
        Err(e) => (200, StaticOutcome::Failed(e.to_string())),
    }
}

/// The file `target` names under `root`, or why it cannot be served.
pub fn resolve(root: &Path, target: &str) -> Result<PathBuf, StaticOutcome> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let Some(path) = path.strip_prefix('/') else {
        return Err(StaticOutcome::BadPath);
    };
    let decoded = percent_decode(path).ok_or(StaticOutcome::BadPath)?;
    let mut file = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(StaticOutcome::Outside),
            s if s.contains(['\0', '\\']) => return Err(StaticOutcome::BadPath),
            s => file.push(s),
        }
    }
    let real = file.canonicalize().map_err(|_| StaticOutcome::NotFound)?;
    // A symlink may point anywhere: what counts is where it leads.
    if !real.starts_with(root) {
        return Err(StaticOutcome::Outside);
    }
    let real = if real.is_dir() {
        real.join("index.html")
    } else {
        real
    };
    match real.canonicalize() {
        Ok(r) if !r.starts_with(root) => Err(StaticOutcome::Outside),
        Ok(r) if r.is_file() => Ok(r),
        _ => Err(StaticOutcome::NotFound),
    }
}

/// `%XX` decoded (UTF-8 required); None for a bad escape or bad UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type for a file, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("root");
        std::fs::write(root.join("index.html"), "<p>hi</p>").expect("write");
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("sub/a b.js"), "x").expect("write");
        let outside = tempfile::NamedTempFile::new().expect("outside");
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path(), root.join("link")).expect("symlink");
        assert_eq!(resolve(&root, "/"), Ok(root.join("index.html")));
        assert_eq!(resolve(&root, "/?x=1"), Ok(root.join("index.html")));
        assert_eq!(resolve(&root, "/sub/a%20b.js"), Ok(root.join("sub/a b.js")));
        assert_eq!(resolve(&root, "/sub/"), Err(StaticOutcome::NotFound));
        for bad in [
            "/../etc/passwd",
            "/sub/../../x",
            "/%2e%2e/x",
            "/sub/%2E%2E/%2e%2e/x",
        ] {
            assert_eq!(resolve(&root, bad), Err(StaticOutcome::Outside), "{bad}");
        }
        #[cfg(unix)]
        assert_eq!(resolve(&root, "/link"), Err(StaticOutcome::Outside));
        for bad in ["x", "/%zz", "/%ff", "/a%00b", "/a\\b"] {
            assert_eq!(resolve(&root, bad), Err(StaticOutcome::BadPath), "{bad}");
        }
        assert_eq!(
            resolve(&root, "/missing.html"),
            Err(StaticOutcome::NotFound)
        );
        assert_eq!(
            content_type(Path::new("a.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
