//! Protocol conformance beyond the Autobahn run (tests/conformance/run.sh):
//! --echo, permessage-deflate against a real third-party peer (Python
//! `websockets`, with the parameters it can impose) and against raw servers
//! that get it wrong, and hostile peers that must cost bounded memory and
//! time: a 2^63-byte frame header, a response head that never ends, peers
//! that trickle bytes, a decompression bomb.

use crate::support::*;
use flate2::{Compress, Compression, FlushCompress};
use std::io::Write;
use std::net::TcpStream;
use std::process::Output;
use std::time::{Duration, Instant};

/// The offer wsprobe sends by default.
const OFFER: &str = "permessage-deflate; client_max_window_bits";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run wsprobe with `args` (stdin empty); check the exit status is `code`
/// and stderr says `needle`. Returns stderr.
fn expect_run(args: &[&str], code: i32, needle: &str) -> String {
    let out = wsprobe().args(args).output().expect("runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    err
}

/// Raw DEFLATE of `data` ended with a sync flush, the tail removed (RFC
/// 7692 section 7.2.1), as a server compresses a message.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() + 64);
    c.compress_vec(data, &mut out, FlushCompress::Sync)
        .expect("compress");
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// A raw server that checks the client offered permessage-deflate, accepts
/// it with `answer` (the Sec-WebSocket-Extensions value), writes `frames`
/// and expects the client's Close with `close_code`.
fn deflate_server(answer: &'static str, frames: Vec<u8>, close_code: u16) -> RawServer {
    RawServer::start(move |mut s| {
        let (head, key) = read_request_head(&mut s);
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(
            head.contains(&format!("Sec-WebSocket-Extensions: {OFFER}\r\n")),
            "{head}"
        );
        let mut out = response_101(
            &key.expect("a key"),
            &[("Sec-WebSocket-Extensions", answer)],
        );
        out.extend(frames);
        s.write_all(&out).expect("write the 101 and the frames");
        let close = read_frame(&mut s);
        assert_eq!(close.opcode, 0x8, "{close:?}");
        assert_eq!(close.close_code().map(|c| c.0), Some(close_code));
    })
}

// ------------------------------------------------------------------ echo

#[test]
fn echo_sends_each_message_back_with_its_type_until_the_server_closes() {
    let server = WsServer::start(|ws| {
        for msg in [
            Message::Text("hello".into()),
            Message::Binary(vec![0u8, 1, 2, 255].into()),
            Message::Text(String::new().into()),
        ] {
            ws.send(msg.clone()).expect("send");
            assert_eq!(ws.read().expect("the echo"), msg);
        }
        close_script(1000, "done")(ws);
    });
    // -w 0 would close at once without --echo: an echo session lasts until
    // the server ends it.
    let out = wsprobe()
        .args(["--echo", "-w", "0", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n000102ff\n\n");
    server.finish();
}

#[test]
fn echo_does_not_read_stdin_but_sends_data_first() {
    let server = WsServer::start(|ws| {
        assert_eq!(ws.read().expect("-d"), Message::Text("first".into()));
        ws.send(Message::Text("back".into())).expect("send");
        assert_eq!(ws.read().expect("echo"), Message::Text("back".into()));
        close_script(1000, "")(ws);
    });
    let out = wsprobe()
        .args(["--echo", "-d", "first", &server.url()])
        .write_stdin("stdin is not sent\n")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    server.finish();
}

// ------------------------------------- permessage-deflate, a real peer

#[test]
fn deflate_is_negotiated_with_a_real_peer_by_default() {
    // -c, not -w: the peer answers our Close before echoing what came with it.
    let peer = PythonEcho::start();
    let long = "compressible text, ".repeat(500);
    let input = format!("hello\n{long}\n");
    let out = wsprobe()
        .args(["-vv", "-c", "2", &peer.url()])
        .write_stdin(input.clone())
        .output()
        .expect("runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), input);
    peer.next_connection();
    assert!(
        err.contains(&format!("> Sec-WebSocket-Extensions: {OFFER}")),
        "{err}"
    );
    assert!(
        err.contains("extensions: permessage-deflate"),
        "the Open line names the extension: {err}"
    );
    // -vv: each compressed frame is marked, and each message's sizes shown.
    assert!(err.contains("} TEXT fin rsv1 masked"), "{err}");
    assert!(err.contains("(compressed)"), "{err}");
    assert!(
        err.contains("* Message sent: 9500 bytes, deflated to"),
        "{err}"
    );
    assert!(
        err.contains("* Message received: 9500 bytes, inflated from"),
        "{err}"
    );
}

#[test]
fn no_compress_offers_no_extension() {
    let peer = PythonEcho::start();
    let out = wsprobe()
        .args(["--no-compress", "-vv", "-c", "1", &peer.url()])
        .write_stdin("plain\n")
        .output()
        .expect("runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "plain\n");
    peer.next_connection();
    assert!(!err.contains("Sec-WebSocket-Extensions"), "{err}");
    assert!(err.contains("extensions: none"), "{err}");
    assert!(err.contains("{ TEXT fin len=5 \"plain\""), "{err}");
}

/// Messages that need a large window to compress well: a window limit the
/// client ignored would make the server's inflater fail.
fn window_sensitive_lines() -> String {
    let mut s = String::new();
    for i in 0..40u32 {
        // Repeats 2 KiB apart: beyond a 512-byte window (9 bits).
        let block: String = (0..2000u32)
            .map(|j| char::from(b'a' + ((j * 7 + i) % 26) as u8))
            .collect();
        s.push_str(&block.repeat(4));
        s.push('\n');
    }
    s
}

#[test]
fn the_window_and_context_the_server_imposes_are_honoured() {
    for args in [
        &[
            "--client-max-window-bits",
            "9",
            "--client-no-context-takeover",
        ][..],
        &[
            "--client-max-window-bits",
            "10",
            "--server-max-window-bits",
            "9",
        ][..],
        &[
            "--server-no-context-takeover",
            "--client-no-context-takeover",
        ][..],
    ] {
        let peer = PythonEcho::start_with(args);
        let input = window_sensitive_lines();
        let out = wsprobe()
            .args(["-v", "-c", "40", &peer.url()])
            .write_stdin(input.clone())
            .output()
            .expect("runs");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(out.stdout == input.as_bytes(), "{args:?}: echoes differ");
        peer.next_connection();
        for a in args.iter().filter(|a| a.starts_with("--")) {
            let param = a.trim_start_matches("--").replace('-', "_");
            assert!(err.contains(&param), "{args:?}: -v names {param}: {err}");
        }
    }
}

// ----------------------------------- permessage-deflate, broken servers

#[test]
fn a_decompression_bomb_is_refused_at_the_limit_in_bounded_memory() {
    // 512 MiB of zeros in about half a megabyte; the address space is
    // capped well below that, so inflating it whole would abort. After the
    // first megabyte the window is all zeros, so the DEFLATE blocks for
    // "another megabyte of zeros" are the same bytes every time.
    let mut c = Compress::new(Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut first = Vec::with_capacity(1 << 16);
    c.compress_vec(&zeros, &mut first, FlushCompress::Sync)
        .expect("compress");
    let mut again = Vec::with_capacity(1 << 16);
    c.compress_vec(&zeros, &mut again, FlushCompress::Sync)
        .expect("compress");
    let mut bomb = first;
    for _ in 1..512 {
        bomb.extend_from_slice(&again);
    }
    bomb.truncate(bomb.len() - 4);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let server = RawServer::start(move |mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(
            &key.expect("a key"),
            &[("Sec-WebSocket-Extensions", "permessage-deflate")],
        );
        out.extend(frame_raw(0x80 | 0x40 | 0x2, &bomb));
        // The client may stop reading (and close) long before the end.
        let _ = s.write_all(&out);
        let _ = s.flush();
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    });
    let bin = env!("CARGO_BIN_EXE_wsprobe");
    let started = Instant::now();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "ulimit -v 400000 && exec \"$0\" \"$@\"",
            bin,
            "-n",
            "-w",
            "5",
            &server.url(),
        ])
        .output()
        .expect("runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(
        err.contains(
            "a compressed message inflates past the limit of 67108864 bytes (--max-message-size)"
        ),
        "{err}"
    );
    assert!(err.contains("closed with 1009"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    server.finish();
}

#[test]
fn a_bomb_under_a_small_limit_stops_at_that_limit() {
    let server = deflate_server(
        "permessage-deflate",
        frame_raw(0x80 | 0x40 | 0x1, &deflate(&vec![b'a'; 4 << 20])),
        1009,
    );
    expect_run(
        &[
            "-n",
            "-w",
            "5",
            "--max-message-size",
            "1000000",
            &server.url(),
        ],
        8,
        "inflates past the limit of 1000000",
    );
    server.finish();
}

#[test]
fn rsv1_on_a_control_frame_is_a_violation_even_with_deflate() {
    let server = deflate_server(
        "permessage-deflate",
        frame_raw(0x80 | 0x40 | 0x9, b""),
        1002,
    );
    expect_run(
        &["-n", "-w", "5", &server.url()],
        8,
        "control frames are never compressed (RFC 7692 section 6.1)",
    );
    server.finish();
}

#[test]
fn data_that_does_not_inflate_is_a_violation() {
    let server = deflate_server(
        "permessage-deflate",
        frame_raw(0x80 | 0x40 | 0x1, &[0xff; 16]),
        1002,
    );
    expect_run(
        &["-n", "-w", "5", &server.url()],
        8,
        "not valid DEFLATE data",
    );
    server.finish();
}

#[test]
fn compressed_text_that_inflates_to_invalid_utf8_closes_1007() {
    let server = deflate_server(
        "permessage-deflate",
        frame_raw(0x80 | 0x40 | 0x1, &deflate(b"ok \xff")),
        1007,
    );
    let out = wsprobe()
        .args(["-n", "-w", "5", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(stderr(&out).contains("not valid UTF-8"));
    server.finish();
}

#[test]
fn rsv1_without_negotiation_is_diagnosed_as_such() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a key"), &[]);
        out.extend(frame_raw(0x80 | 0x40 | 0x1, &deflate(b"hello")));
        s.write_all(&out).expect("write");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|c| c.0), Some(1002));
    });
    expect_run(
        &["-n", "-w", "5", &server.url()],
        8,
        "permessage-deflate was not agreed",
    );
    server.finish();
}

#[test]
fn an_invalid_deflate_answer_fails_the_handshake_with_the_rule() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let out = response_101(
            &key.expect("a key"),
            &[(
                "Sec-WebSocket-Extensions",
                "permessage-deflate; server_max_window_bits=99",
            )],
        );
        s.write_all(&out).expect("write");
    });
    let err = expect_run(
        &["-n", &server.url()],
        7,
        "invalid handshake: the server's permessage-deflate answer is invalid: server_max_window_bits=99 is not a window size from 8 to 15",
    );
    assert!(
        err.contains(
            "received Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99"
        ),
        "{err}"
    );
    assert!(err.contains("--no-compress"), "{err}");
    server.finish();
}

#[test]
fn an_8_bit_client_window_is_honoured_by_not_compressing() {
    // zlib has no 256-byte window: wsprobe sends such messages uncompressed
    // (RFC 7692 section 6 allows it per message) and still inflates the
    // server's.
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(
            &key.expect("a key"),
            &[(
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_max_window_bits=8",
            )],
        );
        out.extend(frame_raw(0x80 | 0x40 | 0x1, &deflate(b"squeezed")));
        s.write_all(&out).expect("write");
        let sent = read_frame(&mut s);
        assert_eq!((sent.rsv, sent.text()), (0, "hi"));
        s.write_all(&frame(true, 0x8, &close_payload(1000, "")))
            .expect("close");
        let _ = read_frame(&mut s);
    });
    let out = wsprobe()
        .args(["-n", "-d", "hi", "-w", "5", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "squeezed\n");
    server.finish();
}

// ---------------------------------------------------------- hostile peers

#[test]
fn a_frame_header_announcing_2_pow_63_bytes_is_refused_at_once() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a key"), &[]);
        out.extend_from_slice(&[0x82, 127]);
        out.extend_from_slice(&(1u64 << 63).to_be_bytes());
        s.write_all(&out).expect("write");
        let close = read_frame(&mut s);
        assert_eq!(close.close_code().map(|c| c.0), Some(1002));
    });
    let started = Instant::now();
    expect_run(
        &["-n", "-w", "5", &server.url()],
        8,
        "64-bit length with the most significant bit set",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    server.finish();
}

#[test]
fn a_response_head_that_never_ends_is_cut_at_64_kib() {
    let server = RawServer::start(|mut s| {
        read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\n")
            .expect("status line");
        let line = format!("X-Padding: {}\r\n", "a".repeat(1000));
        // Until the client hangs up (bounded: it must give up at 64 KiB).
        for _ in 0..10_000 {
            if s.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
        panic!("the client read 10 MB of response head");
    });
    let started = Instant::now();
    expect_run(
        &["-n", &server.url()],
        7,
        "the response head is larger than 65536 bytes",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    server.finish();
}

/// Write `bytes` one at a time, `gap` apart, until done or the client
/// hangs up. The pacing is the behaviour under test, not synchronisation.
fn trickle(s: &mut TcpStream, bytes: &[u8], gap: Duration) {
    for b in bytes {
        if s.write_all(std::slice::from_ref(b)).is_err() {
            return;
        }
        std::thread::sleep(gap);
    }
}

#[test]
fn a_peer_trickling_its_response_is_cut_by_the_handshake_timeout() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let head = response_101(&key.expect("a key"), &[]);
        trickle(&mut s, &head, Duration::from_millis(100));
    });
    let started = Instant::now();
    expect_run(
        &["-n", "--handshake-timeout", "1", &server.url()],
        10,
        "the handshake response head never completed",
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "{took:?}");
    server.finish();
}

#[test]
fn a_peer_trickling_a_frame_is_cut_by_max_time() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        let mut out = response_101(&key.expect("a key"), &[]);
        out.extend_from_slice(&[0x82, 126, 0x10, 0x00]);
        s.write_all(&out).expect("write");
        trickle(&mut s, &[7u8; 4096], Duration::from_millis(50));
    });
    let started = Instant::now();
    expect_run(
        &[
            "-n",
            "-w",
            "30",
            "--max-time",
            "1",
            "--close-timeout",
            "0.5",
            &server.url(),
        ],
        10,
        "--max-time reached",
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    server.finish();
}

#[test]
fn a_16_mib_message_in_4096_fragments_is_accepted_by_default() {
    let server = RawServer::start(|mut s| {
        let (_, key) = read_request_head(&mut s);
        s.write_all(&response_101(&key.expect("a key"), &[]))
            .expect("101");
        let piece = vec![b'x'; 4096];
        let mut out = Vec::with_capacity(17 << 20);
        for i in 0..4096 {
            let opcode = if i == 0 { 0x1 } else { 0x0 };
            out.extend(frame(i == 4095, opcode, &piece));
        }
        s.write_all(&out).expect("the message");
        s.write_all(&frame(true, 0x8, &close_payload(1000, "")))
            .expect("close");
        let _ = read_frame(&mut s);
    });
    let out = wsprobe()
        .args(["-n", "-w", "10", &server.url()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout.len(), (16 << 20) + 1);
    server.finish();
}
