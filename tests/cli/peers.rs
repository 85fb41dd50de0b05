//! Real TLS and a real third-party peer (Python `websockets`).

use crate::support::*;

#[test]
fn wss_with_private_ca_round_trips_and_traces_tls() {
    let server = TlsWsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-v", "-w", "0", "--cacert"])
        .arg(server.ca_path())
        .write_stdin("secure\n")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "secure\n");
    assert!(err.contains("* TLS 1.3, TLS13_"), "{err}");
    assert!(err.contains(", ALPN "), "{err}");
    assert!(err.contains(", tls "), "timing has a tls phase: {err}");
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_3));
}

#[test]
fn wss_by_name_sends_sni() {
    let server = TlsWsServer::start(echo_script);
    wsprobe()
        .args([&server.url_localhost(), "-w", "0", "--cacert"])
        .arg(server.ca_path())
        .write_stdin("named\n")
        .assert()
        .success()
        .stdout("named\n");
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
}

#[test]
fn untrusted_certificate_fails_with_status_5_and_insecure_warns() {
    let server = TlsWsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-n"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS handshake with 127.0.0.1 failed"), "{err}");
    assert!(err.contains("--cacert"), "{err}");
    server.finish_handshake_error();

    let server = TlsWsServer::start(echo_script);
    let out = wsprobe()
        .args([&server.url(), "-k", "-w", "0"])
        .write_stdin("anyway\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "anyway\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: certificate not verified (-k)"),
        "{err}"
    );
    server.finish();
}

#[test]
fn cacert_without_certificates_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let out = wsprobe()
        .args(["wss://127.0.0.1:1/", "-n", "--cacert"])
        .arg(&empty)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.pem"));
}

#[test]
fn wss_against_a_plain_http_port_says_use_ws() {
    let server = RawServer::start(|mut s| {
        use std::io::{Read, Write};
        let mut hello = [0u8; 512];
        let n = s.read(&mut hello).expect("client hello");
        assert!(n > 0 && hello[0] == 0x16, "expected a TLS ClientHello");
        let _ = s.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    });
    let port = server.addr().port();
    let out = wsprobe()
        .args(["-n", &format!("wss://127.0.0.1:{port}/")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not speak TLS"), "{err}");
    assert!(err.contains("HTTP/1.1 400"), "{err}");
    assert!(err.contains("use ws://"), "{err}");
    server.finish();
}

#[test]
fn python_websockets_echo_text_and_binary() {
    // -c, not -w 0: websockets answers a Close at once, even while its
    // application has not yet echoed what arrived before it.
    let peer = PythonEcho::start();
    let out = wsprobe()
        .args([&peer.url(), "-c", "2"])
        .write_stdin("héllo\nworld\n")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "héllo\nworld\n");
    assert_eq!(peer.next_connection(), "/");

    let data = crate::pipe::noise(1 << 20, 7);
    let out = wsprobe()
        .arg(format!("{}bin?x=1", peer.url()))
        .args(["-b", "--whole", "-c", "1"])
        .write_stdin(data.clone())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "binary echo differs");
    assert_eq!(peer.next_connection(), "/bin?x=1");
}
