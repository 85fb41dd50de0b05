//! Memory stays bounded by design: a slow server or a slow stdout reader
//! holds wsprobe back instead of making it buffer. Each test pushes 64 MiB
//! through a peer held to 16 MiB/s and samples wsprobe's memory from
//! /proc/PID/status every 20 ms.
//!
//! Why 64 MiB: wsprobe's own buffers are about 1 MiB (two 64 KiB stdin
//! batches, a 64 KiB send queue, a 64 KiB read buffer, 64 KiB of stdout),
//! and the kernel can hold some MiB more in socket and pipe buffers; a
//! client that buffered without limit would grow by tens of MiB, far past
//! the 8 MiB allowed here, while the run stays near 5 s in a debug build
//! (a debug wsprobe moves about 50 MB/s each way, three times the peers'
//! rate, so the peer is what limits). `benches/run.sh --big` pushes 1 GiB.
//!
//! The assertion uses RssAnon (heap, stacks) rather than VmRSS: file-backed
//! pages of the debug binary are mapped in as code runs for the first time
//! and say nothing about buffering.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Bytes pushed through in each direction.
const VOLUME: usize = 64 << 20;
/// One line (and message) of the volume, newline excluded.
const LINE: usize = 16 * 1024 - 1;
/// How fast the slow peer takes bytes.
const RATE: f64 = 16.0 * 1024.0 * 1024.0;
/// How much anonymous memory may grow over the run: about 4 times what a
/// debug wsprobe really uses (under 2 MiB). A stdout buffer that only
/// blocked once per event-loop turn instead of once per 64 KiB grew by
/// 12 MiB here, and a client without backpressure on stdin by 56 MiB.
const ALLOWED_GROWTH_KIB: u64 = 8 * 1024;
/// Longest a run may take before the test gives up and kills wsprobe.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// Line `i` of the volume: its number, then filler, LINE bytes.
fn line(i: usize) -> Vec<u8> {
    let mut l = format!("{i:08} ").into_bytes();
    l.resize(LINE, b'a' + (i % 26) as u8);
    l
}

/// Sleeps so that `done` bytes since `start` keep to RATE: this is the
/// slow peer's pace, not synchronisation.
fn keep_pace(start: Instant, done: usize) {
    let due = Duration::from_secs_f64(done as f64 / RATE);
    if let Some(ahead) = due.checked_sub(start.elapsed()) {
        thread::sleep(ahead);
    }
}

/// wsprobe with piped stdin and stdout and the test environment (see
/// [`SCRUBBED_ENV`]).
fn spawn_wsprobe(args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsprobe"));
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsprobe")
}

/// RssAnon and VmRSS of `pid` in KiB, or None once it has ended.
pub fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| {
            l.strip_prefix(name)?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    Some((field("RssAnon:")?, field("VmRSS:")?))
}

/// Samples memory every 20 ms until wsprobe exits (killing it after
/// RUN_LIMIT); asserts it succeeded and that anonymous memory stayed flat.
fn watch(mut child: Child, what: &str) {
    let pid = child.id();
    let start = Instant::now();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: wsprobe still running after {RUN_LIMIT:?}; samples (KiB): {samples:?}");
        }
        if let Some(m) = memory(pid) {
            samples.push(m);
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(
        status.success(),
        "{what}: wsprobe failed: {status}\n{stderr}"
    );
    // The run takes about 4 s at RATE: enough samples to see a trend.
    assert!(
        samples.len() >= 50,
        "{what}: only {} samples in {:?}: the peer was not the slow side",
        samples.len(),
        start.elapsed()
    );
    // From the lowest sample (the process before its buffers filled) to the
    // highest: a client that read ahead without limit grows by tens of MiB
    // within the first second, so no later baseline would do.
    let low = samples.iter().map(|s| s.0).min().unwrap_or(0);
    let peak = samples.iter().map(|s| s.0).max().unwrap_or(0);
    let rss_peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    eprintln!(
        "{what}: {} samples over {:?}; RssAnon {low}..{peak} KiB; VmRSS peak {rss_peak} KiB",
        samples.len(),
        start.elapsed()
    );
    assert!(
        peak <= low + ALLOWED_GROWTH_KIB,
        "{what}: anonymous memory grew from {low} KiB to {peak} KiB while {} MiB went through \
         (allowed: {ALLOWED_GROWTH_KIB} KiB); samples (RssAnon, VmRSS) KiB: {samples:?}",
        VOLUME >> 20
    );
}

#[test]
fn slow_server_holds_stdin_back_and_memory_stays_flat() {
    let lines = VOLUME / (LINE + 1);
    let (tx, got) = mpsc::channel();
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        let (start, mut bytes, mut messages) = (Instant::now(), 0usize, 0usize);
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    assert_eq!(t.as_bytes(), &line(messages)[..], "message {messages}");
                    messages += 1;
                    bytes += t.len() + 1;
                    keep_pace(start, bytes);
                }
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(e) => panic!("slow server: ended before the client's Close: {e}"),
            }
        }
        tx.send(messages).expect("test waits");
        while ws.read().is_ok() {}
    });
    let mut child = spawn_wsprobe(&[&server.url(), "-w", "0"]);
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = thread::spawn(move || {
        for i in 0..lines {
            let mut l = line(i);
            l.push(b'\n');
            stdin.write_all(&l).expect("wsprobe reads its stdin");
        }
    });
    watch(child, "slow server");
    feeder.join().expect("feeder");
    server.finish();
    assert_eq!(got.recv_timeout(FINISH_TIMEOUT).expect("count"), lines);
}

#[test]
fn slow_stdout_reader_holds_the_socket_back_and_memory_stays_flat() {
    let lines = VOLUME / (LINE + 1);
    let server = WsServer::start(move |ws: &mut WebSocket<TcpStream>| {
        for i in 0..lines {
            let text = String::from_utf8(line(i)).expect("ASCII");
            ws.send(Message::text(text))
                .expect("the client reads (slowly)");
        }
        close_script(1000, "")(ws);
    });
    let mut child = spawn_wsprobe(&[&server.url(), "-n", "-c", &lines.to_string()]);
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = thread::spawn(move || {
        let (start, mut buf, mut out) = (Instant::now(), vec![0u8; 16 * 1024], Vec::new());
        let mut total = 0usize;
        loop {
            let n = stdout.read(&mut buf).expect("read wsprobe's stdout");
            if n == 0 {
                break;
            }
            total += n;
            // Keep only the first and last bytes: the middle is checked by count.
            if out.len() < 2 * LINE {
                out.extend_from_slice(&buf[..n]);
            }
            keep_pace(start, total);
        }
        (total, out)
    });
    watch(child, "slow stdout");
    let (total, head) = reader.join().expect("reader");
    server.finish();
    assert_eq!(total, lines * (LINE + 1), "every byte printed");
    let mut first = line(0);
    first.push(b'\n');
    assert!(head.starts_with(&first), "output starts with line 0");
}
