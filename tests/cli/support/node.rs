//! The Node.js `ws` library's echo server (`tests/peers/ws_server.js`, `ws`
//! pinned in tests/peers/package-lock.json and installed by
//! tests/setup.sh), a real third-party peer run as a child process with the
//! same guard as the Python one ([`PythonEcho`]: killed by its PID when
//! dropped, and it exits by itself when its stdin closes).

use super::PythonEcho;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Start the `ws` echo server with `args` (`--no-compression` refuses
/// permessage-deflate). None, with a message on stderr, when Node.js or the
/// installed `ws` package is missing (run tests/setup.sh).
pub fn start_ws(args: &[&str]) -> Option<PythonEcho> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers");
    let found = Command::new("node")
        .current_dir(&dir)
        .args(["-e", "require('ws')"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipped: Node.js or its ws package is missing (run tests/setup.sh)");
        return None;
    }
    Some(PythonEcho::spawn(
        "node",
        &dir.join("ws_server.js"),
        args,
        "the Node ws echo server",
    ))
}
