//! A real browser against listen mode: headless Chromium loads a page that
//! `wsprobe -l --static` serves, whose JavaScript connects back to the same
//! origin, sends a text and a binary message and writes everything it sees
//! into the page; the test checks both ends: what wsprobe printed and what
//! the page received (read over DevTools, see `support::chromium`).
//!
//! Skipped (with a message) only when Chromium is not installed or cannot
//! start; `tests/setup.sh` installs it from Debian.

use crate::support::chromium::Chromium;
use crate::support::listen::{Ended, Listening};
use serde_json::Value;

/// The page under test. `?expect=N`: close with 1000 after N messages
/// from wsprobe. `window.wsprobeDone` resolves to the log lines when the
/// socket has closed.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>wsprobe browser test</title></head>
<body><pre id="log"></pre>
<script>
const lines = [];
const note = (s) => { lines.push(s); document.getElementById('log').textContent = lines.join('\n'); };
const expect = Number(new URLSearchParams(location.search).get('expect') || '1');
let finish;
window.wsprobeDone = new Promise((ok) => { finish = ok; });
const ws = new WebSocket('ws://' + location.host + '/from-the-page');
ws.binaryType = 'arraybuffer';
let got = 0;
ws.onopen = () => {
  note('open extensions=' + ws.extensions);
  ws.send('text from the browser: \u00e9\u2713');
  ws.send(new Uint8Array([0, 1, 2, 127, 128, 254, 255]));
};
ws.onmessage = (e) => {
  if (typeof e.data === 'string') note('text: ' + e.data);
  else note('binary: ' + Array.from(new Uint8Array(e.data)).join(','));
  if (++got === expect) ws.close(1000, 'page done');
};
ws.onerror = () => note('error');
ws.onclose = (e) => { note('closed ' + e.code + ' ' + e.reason + ' clean=' + e.wasClean); finish(lines); };
</script></body></html>
"#;

/// Serve [`PAGE`] with `wsprobe -l ARGS --static DIR` (stdin: `stdin`),
/// open it in Chromium with `?expect=N`, and return the page's log and how
/// wsprobe ended (stopped with Ctrl-C once the page saw its socket close);
/// None when Chromium cannot start.
fn browse(args: &[&str], stdin: Option<&[u8]>, expect: usize) -> Option<(Vec<String>, Ended)> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("index.html"), PAGE).expect("write the page");
    let static_dir = dir.path().display().to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--static", &static_dir]);
    let l = Listening::start(&all, stdin);
    let page = format!("http://127.0.0.1:{}/", l.port);
    let chromium = Chromium::open(&format!("{page}?expect={expect}"))?;
    let log = chromium.await_in_page(&page, "wsprobeDone", "window.wsprobeDone");
    drop(chromium);
    let log: Vec<String> = log
        .as_array()
        .unwrap_or_else(|| panic!("the page's log is not a list: {log}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    l.wait_stderr("Closed cleanly (1000 Normal Closure \"page done\", client initiated)");
    l.interrupt();
    let ended = l.finish();
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    Some((log, ended))
}

#[test]
fn chromium_and_listen_mode_exchange_text_and_binary_both_ways() {
    let Some((log, ended)) = browse(&["--json"], Some(b"hello from wsprobe \xc3\xa9\n"), 1) else {
        return;
    };
    // The page's side: the permessage-deflate it agreed, wsprobe's stdin
    // line, and a clean close.
    assert_eq!(
        log,
        [
            "open extensions=permessage-deflate",
            "text: hello from wsprobe é",
            "closed 1000 page done clean=true",
        ],
        "{}",
        ended.stderr
    );
    // wsprobe's side: its stdin line went out, and both of the page's
    // messages came in from the page's socket, as the page sent them.
    let events: Vec<Value> = ended
        .out()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let open = events
        .iter()
        .find(|e| e["event"] == "client_open")
        .unwrap_or_else(|| panic!("no client_open event: {}", ended.out()));
    assert_eq!(open["path"], "/from-the-page", "{open}");
    assert_eq!(open["extensions"], "permessage-deflate", "{open}");
    let mut messages: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "message")
        .map(|e| {
            if e["direction"] == "received" {
                assert_eq!(e["client"], open["client"], "{e}");
            }
            format!(
                "{} {} {}",
                e["direction"].as_str().unwrap_or("?"),
                e["type"].as_str().unwrap_or("?"),
                e.get("data")
                    .or(e.get("data_base64"))
                    .unwrap_or(&Value::Null)
            )
        })
        .collect();
    // Sorted: wsprobe's line may go out before or after the page's arrive.
    messages.sort();
    assert_eq!(
        messages,
        [
            // 00 01 02 7f 80 fe ff
            r#"received binary "AAECf4D+/w==""#,
            r#"received text "text from the browser: é✓""#,
            r#"sent text "hello from wsprobe é""#,
        ],
        "{}",
        ended.out()
    );
}

#[test]
fn v_shows_the_browsers_request_head_and_the_agreed_compression() {
    let Some((log, ended)) = browse(&["-v", "--echo"], None, 2) else {
        return;
    };
    // --echo: the page got its own two messages back, same types.
    assert_eq!(
        log,
        [
            "open extensions=permessage-deflate",
            "text: text from the browser: é✓",
            "binary: 0,1,2,127,128,254,255",
            "closed 1000 page done clean=true",
        ],
        "{}",
        ended.stderr
    );
    let err = &ended.stderr;
    let port = err
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("* Listening on ws://127.0.0.1:"))
        .map(|p| p.trim_end_matches('/'))
        .expect("the Listening line");
    // The page itself, from --static, then the upgrade from its script.
    assert!(err.contains("< #"), "{err}");
    assert!(
        err.contains(": 200, ") && err.contains("text/html; charset=utf-8 (--static)"),
        "{err}"
    );
    let head_line = |needle: &str| {
        err.lines()
            .any(|l| l.starts_with("< #") && l.contains(needle))
    };
    for needle in [
        "GET /from-the-page HTTP/1.1".to_string(),
        format!("Host: 127.0.0.1:{port}"),
        format!("Origin: http://127.0.0.1:{port}"),
        "User-Agent: Mozilla/5.0".to_string(),
        "HeadlessChrome/".to_string(),
        "Sec-WebSocket-Version: 13".to_string(),
        "Sec-WebSocket-Key: ".to_string(),
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits".to_string(),
    ] {
        assert!(
            head_line(&needle),
            "no request line with {needle:?}:\n{err}"
        );
    }
    for needle in [
        "HTTP/1.1 101 Switching Protocols",
        "Sec-WebSocket-Accept: ",
        "Sec-WebSocket-Extensions: permessage-deflate",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("> #") && l.contains(needle)),
            "no response line with {needle:?}:\n{err}"
        );
    }
    assert!(
        err.contains("GET /from-the-page (subprotocol: none; extensions: permessage-deflate)"),
        "{err}"
    );
    // The echo's copy of the messages is on stdout too.
    assert_eq!(
        ended.out(),
        "text from the browser: é✓\n0001027f80feff\n",
        "{err}"
    );
}
