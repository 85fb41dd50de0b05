//! Proxies: HTTP CONNECT (with and without Basic credentials, over TLS as an
//! https:// proxy), SOCKS5 (no auth, username/password, names resolved here
//! or by the proxy), the proxy variables and no_proxy, failures and their
//! exit statuses, and tinyproxy as a real third-party proxy.

use crate::support::*;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

fn localhost() -> Vec<(String, IpAddr)> {
    vec![("localhost".into(), "127.0.0.1".parse().expect("ip"))]
}

/// `text` holds `first` before `then`.
fn in_order(text: &str, first: &str, then: &str) -> bool {
    match (text.find(first), text.find(then)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

/// An HTTP proxy demanding alice:s3cret.
fn proxy_with_auth() -> ConnectProxy {
    ConnectProxy::start(ProxyOptions {
        auth: Some(("alice".into(), "s3cret".into())),
        ..ProxyOptions::default()
    })
}

/// A SOCKS5 proxy demanding bob:pw.
fn socks_with_auth() -> Socks5Proxy {
    Socks5Proxy::start(SocksOptions {
        auth: Some(("bob".into(), "pw".into())),
        ..SocksOptions::default()
    })
}

#[test]
fn ws_through_an_http_connect_proxy_is_traced_and_tunnelled() {
    let server = WsServer::start(echo_script);
    let addr = server.addr();
    let target = addr.to_string();
    let proxy = ConnectProxy::start(ProxyOptions::default());
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "-x", &proxy.url(), &server.url()])
            .write_stdin("through\n"),
    );
    assert_eq!(stdout, "through\n");
    for needed in [
        format!("* Using proxy {} (from -x)", proxy.url()),
        format!("> CONNECT {target} HTTP/1.1\n> Host: {target}\n"),
        "< HTTP/1.1 200 Connection established".to_string(),
        ", proxy ".to_string(),
    ] {
        assert!(err.contains(&needed), "{needed:?} missing:\n{err}");
    }
    assert!(
        in_order(&err, "* Tunnel to", "> GET / HTTP/1.1"),
        "the tunnel opens before the upgrade: {err}"
    );
    let rec = server.finish();
    assert_eq!(rec.header("Host"), Some(target.as_str()));
    let tunnel = proxy.finish();
    assert_eq!(tunnel.to, Some(addr));
    assert!(
        tunnel.up > 100 && tunnel.down > 100,
        "the handshake and messages went through the proxy: {tunnel:?}"
    );
}

#[test]
fn proxy_credentials_are_sent_as_basic_and_redacted_in_the_trace() {
    let server = WsServer::start(close_script(1000, ""));
    let proxy = proxy_with_auth();
    let (_, err) = succeeds(
        wsprobe()
            .args([
                "-v",
                "-n",
                "-x",
                &proxy.url(),
                "--proxy-user",
                "alice:s3cret",
            ])
            .arg(server.url()),
    );
    assert!(
        err.contains("> Proxy-Authorization: Basic [redacted]"),
        "{err}"
    );
    // base64("alice:s3cret")
    assert!(!err.contains("YWxpY2U6czNjcmV0"), "{err}");
    let connect = proxy.finish().request.expect("CONNECT recorded");
    assert_eq!(
        connect.header("Proxy-Authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    let rec = server.finish();
    assert_eq!(
        rec.header("Proxy-Authorization"),
        None,
        "proxy credentials must not reach the server"
    );
}

#[test]
fn proxy_asking_for_credentials_is_status_4_naming_the_scheme() {
    let proxy = proxy_with_auth();
    fails_with(
        wsprobe().args(["-n", "-x", &proxy.url(), "ws://127.0.0.1:9/"]),
        4,
        &[
            "wants authentication: 407 Proxy Authentication Required",
            "< Proxy-Authenticate: Basic realm=\"wsprobe-test\"",
            "--proxy-user USER:PASS",
        ],
    );
    proxy.finish();

    let proxy = proxy_with_auth();
    let url = proxy.url().replace("http://", "http://alice:wrong@");
    let err = fails_with(
        wsprobe().args(["-n", "-x", &url, "ws://127.0.0.1:9/"]),
        4,
        &["rejected the credentials of 'alice'"],
    );
    assert!(!err.contains("wrong"), "the password is never shown: {err}");
    proxy.finish();
}

#[test]
fn proxy_refusal_shows_status_and_body_with_status_4() {
    let body = "CONNECT to this port is not allowed\n";
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let proxy = ConnectProxy::start(ProxyOptions {
        answer: Some(answer.into_bytes()),
        ..ProxyOptions::default()
    });
    fails_with(
        wsprobe().args(["-n", "-x", &proxy.url(), "ws://127.0.0.1:9/"]),
        4,
        &[
            "refused to open a tunnel to 127.0.0.1:9: 403 Forbidden",
            "| CONNECT to this port is not allowed",
            "port 443",
        ],
    );
    proxy.finish();
}

#[test]
fn http_proxy_resolves_the_name_and_its_502_is_status_4() {
    // The proxy knows no such name: it answers 502. wsprobe itself never
    // looks the name up (no DNS traffic).
    let proxy = ConnectProxy::start(ProxyOptions::default());
    let err = fails_with(
        wsprobe().args(["-n", "-v", "-x", &proxy.url(), "ws://no-such-host.invalid/"]),
        4,
        &["502 Bad Gateway", "could not reach no-such-host.invalid:80"],
    );
    assert!(!err.contains("Resolved no-such-host"), "{err}");
    let tunnel = proxy.finish();
    assert_eq!(
        tunnel.request.expect("recorded").request_line,
        "CONNECT no-such-host.invalid:80 HTTP/1.1"
    );
}

#[test]
fn wss_through_an_https_proxy_runs_tls_inside_tls() {
    let proxy_pki = TestPki::generate();
    let proxy = ConnectProxy::start(ProxyOptions {
        tls: Some(proxy_pki.server_config()),
        hosts: localhost(),
        ..ProxyOptions::default()
    });
    let server = TlsWsServer::start(echo_script);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("both-cas.pem");
    std::fs::write(&bundle, format!("{}{}", proxy_pki.ca_pem, server.ca_pem())).expect("write");
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "-x", &proxy.url(), &server.url_localhost()])
            .arg("--cacert")
            .arg(&bundle)
            .write_stdin("nested\n"),
    );
    assert_eq!(stdout, "nested\n");
    assert!(
        in_order(&err, "* Proxy TLS 1.3", "> CONNECT localhost:"),
        "{err}"
    );
    assert!(
        in_order(&err, "* Tunnel to localhost:", "* TLS 1.3"),
        "{err}"
    );
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
    let tunnel = proxy.finish();
    assert!(tunnel.up > 300 && tunnel.down > 300, "{tunnel:?}");
}

#[test]
fn eight_mib_round_trip_through_tls_inside_tls_is_byte_exact() {
    // Backpressure and buffered records in both TLS layers, non-blocking.
    let proxy_pki = TestPki::generate();
    let proxy = ConnectProxy::start(ProxyOptions {
        tls: Some(proxy_pki.server_config()),
        ..ProxyOptions::default()
    });
    let server = TlsWsServer::start(echo_script);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("both-cas.pem");
    std::fs::write(&bundle, format!("{}{}", proxy_pki.ca_pem, server.ca_pem())).expect("write");
    let data = crate::pipe::noise(8 << 20, 11);
    let out = wsprobe()
        .args([
            "-b",
            "--whole",
            "-c",
            "1",
            "-x",
            &proxy.url(),
            &server.url(),
        ])
        .arg("--cacert")
        .arg(&bundle)
        .write_stdin(data.clone())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the echo differs");
    server.finish();
    let tunnel = proxy.finish();
    assert!(tunnel.up > 8 << 20 && tunnel.down > 8 << 20, "{tunnel:?}");
}

#[test]
fn https_proxy_that_speaks_plain_http_says_use_http() {
    // A plain HTTP proxy answers a TLS ClientHello with 400.
    let plain = RawServer::start(|mut s| {
        let mut hello = [0u8; 5];
        s.read_exact(&mut hello).expect("a ClientHello");
        assert_eq!(hello[0], 0x16, "a TLS handshake record");
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let proxy = format!("https://{}", plain.addr());
    let err = fails_with(
        wsprobe().args(["-n", "-x", &proxy, "ws://127.0.0.1:9/"]),
        5,
        &["cannot use the proxy https://", "use http:// for it"],
    );
    assert!(!err.contains("use ws://"), "{err}");
    plain.finish();
}

#[test]
fn wss_through_socks5h_lets_the_proxy_resolve_the_name() {
    let server = TlsWsServer::start(echo_script);
    let port = server.addr().port();
    let proxy = Socks5Proxy::start(SocksOptions {
        hosts: localhost(),
        ..SocksOptions::default()
    });
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "-x", &proxy.url("socks5h")])
            .arg(server.url_localhost())
            .arg("--cacert")
            .arg(server.ca_path())
            .write_stdin("socks\n"),
    );
    // Shown with --nocapture: the trace the documentation quotes.
    eprintln!("{err}");
    assert_eq!(stdout, "socks\n");
    assert!(
        err.contains("* SOCKS5: no authentication required"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "* SOCKS5: CONNECT localhost:{port} (name resolved by the proxy)"
        )),
        "{err}"
    );
    assert!(!err.contains("Resolved localhost"), "{err}");
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
    let rec = proxy.finish();
    assert_eq!((rec.atyp, rec.dest.as_str()), (3, "localhost"));
    assert_eq!(rec.methods, [0]);
    assert!(rec.tunnel.up > 300 && rec.tunnel.down > 300, "{rec:?}");
}

#[test]
fn socks5_resolves_here_with_resolve_and_authenticates() {
    let server = WsServer::start(echo_script);
    let port = server.addr().port();
    let proxy = socks_with_auth();
    let url = proxy.url("socks5").replace("socks5://", "socks5://bob:pw@");
    let (_, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "-x", &url])
            .arg(format!("--resolve=ws.example:{port}:127.0.0.1"))
            .arg(format!("ws://ws.example:{port}/"))
            .write_stdin("local\n"),
    );
    assert!(err.contains("* SOCKS5: authenticated as bob"), "{err}");
    assert!(
        err.contains(&format!("* SOCKS5: CONNECT ws.example:{port}\n")),
        "{err}"
    );
    let rec = proxy.finish();
    assert_eq!(rec.methods, [0, 2]);
    assert_eq!(rec.credentials, Some(("bob".into(), "pw".into())));
    assert_eq!((rec.atyp, rec.dest.as_str()), (1, "127.0.0.1"));
    let seen = server.finish();
    assert_eq!(
        seen.header("Host"),
        Some(format!("ws.example:{port}").as_str())
    );
}

#[test]
fn socks5_failures_are_status_4_in_words() {
    let proxy = Socks5Proxy::start(SocksOptions {
        reply: Some(2),
        ..SocksOptions::default()
    });
    fails_with(
        wsprobe().args(["-n", "-x", &proxy.url("socks5"), "ws://127.0.0.1:9/"]),
        4,
        &[
            "could not connect to 127.0.0.1:9: connection not allowed by ruleset (reply 2)",
            "forbid this destination",
        ],
    );
    proxy.finish();

    // A destination that refuses: the proxy says 5.
    let proxy = Socks5Proxy::start(SocksOptions::default());
    let target = format!("ws://127.0.0.1:{}/", refused_port());
    fails_with(
        wsprobe().args(["-n", "-x", &proxy.url("socks5"), &target]),
        4,
        &["connection refused (reply 5)"],
    );
    proxy.finish();

    let proxy = socks_with_auth();
    fails_with(
        wsprobe().args(["-n", "-x", &proxy.url("socks5"), "ws://127.0.0.1:9/"]),
        4,
        &["accepts none of the authentication methods", "--proxy-user"],
    );
    proxy.finish();

    let proxy = socks_with_auth();
    fails_with(
        wsprobe()
            .args(["-n", "-x", &proxy.url("socks5"), "--proxy-user", "bob:nope"])
            .arg("ws://127.0.0.1:9/"),
        4,
        &["rejected the user name and password of 'bob'"],
    );
    proxy.finish();
}

#[test]
fn wrong_proxy_kind_is_recognised_both_ways() {
    // An HTTP proxy named as socks5h://: its reply starts with 'H'.
    let http = RawServer::start(|mut s| {
        let mut greeting = [0u8; 3];
        s.read_exact(&mut greeting).expect("greeting");
        assert_eq!(greeting, [5, 1, 0], "a SOCKS5 greeting");
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let proxy = format!("socks5h://{}", http.addr());
    fails_with(
        wsprobe().args(["-n", "-x", &proxy, "ws://h:1/"]),
        4,
        &["is not a SOCKS5 proxy", "use http://"],
    );
    http.finish();

    // A SOCKS5 proxy named as http://: its reply is not HTTP.
    let socks = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        let _ = s.write_all(&[5, 0xFF]);
    });
    let proxy = format!("http://{}", socks.addr());
    fails_with(
        wsprobe().args(["-n", "-x", &proxy, "ws://h:1/"]),
        4,
        &["did not answer CONNECT with HTTP", "use socks5://"],
    );
    socks.finish();
}

#[test]
fn unreachable_proxy_is_status_4_and_names_the_variable() {
    fails_with(
        wsprobe()
            .args(["-n", "wss://example.invalid/"])
            .env("https_proxy", format!("127.0.0.1:{}", refused_port())),
        4,
        &[
            "cannot use the proxy http://127.0.0.1:",
            "connection refused",
            "the proxy comes from https_proxy",
        ],
    );
}

#[test]
fn proxy_variables_pick_by_scheme_and_no_proxy_goes_direct() {
    let server = WsServer::start(close_script(1000, ""));
    let proxy = ConnectProxy::start(ProxyOptions::default());
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v", &server.url()])
            .env("http_proxy", proxy.url())
            .env(
                "https_proxy",
                format!("http://127.0.0.1:{}", refused_port()),
            ),
    );
    assert!(err.contains("(from http_proxy)"), "{err}");
    server.finish();
    assert!(proxy.finish().up > 0);

    let server = WsServer::start(close_script(1000, ""));
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v", &server.url()])
            .env("HTTP_PROXY", format!("http://127.0.0.1:{}", refused_port()))
            .env("NO_PROXY", "localhost, 127.0.0.0/8"),
    );
    assert!(!err.contains("Using proxy"), "{err}");
    server.finish();

    // -x '' ignores the variables.
    let server = WsServer::start(close_script(1000, ""));
    succeeds(wsprobe().args(["-n", "-x", "", &server.url()]).env(
        "all_proxy",
        format!("socks5://127.0.0.1:{}", refused_port()),
    ));
    server.finish();
}

#[test]
fn connect_timeout_covers_a_proxy_that_never_answers() {
    let silent = RawServer::start(|mut s| {
        let _ = read_request_head(&mut s);
        // Hold the connection until the client gives up.
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    });
    let start = Instant::now();
    fails_with(
        wsprobe()
            .args(["-n", "--connect-timeout", "0.5", "-x"])
            .arg(format!("http://{}", silent.addr()))
            .arg("ws://127.0.0.1:9/"),
        4,
        &["within --connect-timeout"],
    );
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    silent.finish();
}

#[test]
fn tinyproxy_tunnels_with_and_without_credentials() {
    let tiny = Tinyproxy::start(None);
    let server = WsServer::start(echo_script);
    let addr = server.addr();
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "-x", &tiny.url(), &server.url()])
            .write_stdin("via tinyproxy\n"),
    );
    assert_eq!(stdout, "via tinyproxy\n");
    assert!(
        err.contains("< HTTP/1.0 200 Connection established"),
        "{err}"
    );
    server.finish();
    let line = tiny.wait_for("Request (file descriptor", Duration::from_secs(10));
    assert!(line.contains(&format!("CONNECT {addr} HTTP/1.1")), "{line}");

    let tiny = Tinyproxy::start(Some(("alice", "s3cret")));
    fails_with(
        wsprobe().args(["-n", "-x", &tiny.url(), "ws://127.0.0.1:9/"]),
        4,
        &["407", "Proxy-Authenticate: Basic"],
    );

    let server = WsServer::start(echo_script);
    let (stdout, _) = succeeds(
        wsprobe()
            .args(["-w", "0", "-x", &tiny.url(), "--proxy-user", "alice:s3cret"])
            .arg(server.url())
            .write_stdin("authorised\n"),
    );
    assert_eq!(stdout, "authorised\n");
    server.finish();
}
