//! Where connections go: unix sockets (paths and abstract names),
//! --resolve, --connect-to, -4/-6, every address tried in turn, and
//! redirects with -L.

use crate::support::*;
use std::io::Write;

#[test]
fn unix_socket_carries_the_urls_host_and_path() {
    let server = UnixWsServer::start(echo_script);
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-v", "-w", "0", "--unix-socket"])
            .arg(server.path())
            .arg("ws://api.internal/chat?room=1")
            .write_stdin("over unix\n"),
    );
    assert_eq!(stdout, "over unix\n");
    assert!(err.contains("* Connected to unix socket "), "{err}");
    assert!(!err.contains("Resolved"), "no name resolution: {err}");
    let rec = server.finish();
    assert_eq!(rec.request_line, "GET /chat?room=1 HTTP/1.1");
    assert_eq!(rec.header("Host"), Some("api.internal"));
}

#[test]
fn abstract_unix_socket() {
    let server = UnixWsServer::start_abstract(echo_script);
    let (stdout, _) = succeeds(
        wsprobe()
            .args(["-w", "0", "--abstract-unix-socket", server.abstract_name()])
            .arg("ws://localhost/")
            .write_stdin("abstract\n"),
    );
    assert_eq!(stdout, "abstract\n");
    server.finish();
}

#[test]
fn missing_unix_socket_is_status_4_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unix = |path: &std::path::Path| {
        let mut cmd = wsprobe();
        cmd.args(["-n", "--unix-socket"])
            .arg(path)
            .arg("ws://localhost/");
        cmd
    };
    fails_with(
        &mut unix(&dir.path().join("absent.sock")),
        4,
        &[
            "cannot connect to the unix socket",
            "absent.sock",
            "check the path",
        ],
    );

    // A socket file nobody accepts on.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    fails_with(&mut unix(&stale), 4, &["stale socket"]);
}

#[test]
fn resolve_gives_the_address_and_keeps_the_name() {
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v"])
            .arg(format!("--resolve=ws.example:{port}:127.0.0.1"))
            .arg(format!("ws://ws.example:{port}/")),
    );
    assert!(
        err.contains(&format!(
            "* Resolved ws.example:{port} to 127.0.0.1 (--resolve)"
        )),
        "{err}"
    );
    let rec = server.finish();
    assert_eq!(
        rec.header("Host"),
        Some(format!("ws.example:{port}").as_str())
    );
}

#[test]
fn every_address_is_tried_in_turn_families_interleaved() {
    // The server listens on 127.0.0.1 only: 127.0.0.2 and ::1 refuse.
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v"])
            .arg(format!(
                "--resolve=multi.example:{port}:127.0.0.2,127.0.0.1,[::1]"
            ))
            .arg(format!("ws://multi.example:{port}/")),
    );
    let tried: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("* Trying "))
        .collect();
    assert_eq!(
        tried,
        [
            format!("127.0.0.2:{port}..."),
            format!("[::1]:{port}..."),
            format!("127.0.0.1:{port}...")
        ],
        "{err}"
    );
    assert!(
        err.contains(&format!("* Connection to 127.0.0.2:{port} failed: ")),
        "{err}"
    );
    assert!(
        err.contains(&format!("* Connected to 127.0.0.1:{port}")),
        "{err}"
    );
    server.finish();

    // -4 leaves the IPv6 address out.
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v", "-4"])
            .arg(format!("--resolve=multi.example:{port}:[::1],127.0.0.1"))
            .arg(format!("ws://multi.example:{port}/")),
    );
    assert!(!err.contains("[::1]"), "{err}");
    server.finish();
}

#[test]
fn every_failed_address_is_listed_with_status_4() {
    let port = refused_port();
    fails_with(
        wsprobe()
            .arg("-n")
            .arg(format!("--resolve=dead.example:{port}:127.0.0.2,127.0.0.3"))
            .arg(format!("ws://dead.example:{port}/")),
        4,
        &[
            "all 2 addresses failed",
            &format!("127.0.0.2:{port}: connection refused"),
            &format!("127.0.0.3:{port}: connection refused"),
        ],
    );
}

#[test]
fn family_flag_without_a_matching_address_is_status_3() {
    fails_with(
        wsprobe().args(["-n", "-6", "ws://127.0.0.1:9/"]),
        3,
        &["it has no IPv6 address (-6)"],
    );
}

#[test]
fn connect_to_goes_elsewhere_keeping_host_and_tls_name() {
    let server = WsServer::start(close_script(1000, ""));
    let port = server.addr().port();
    let (_, err) = succeeds(
        wsprobe()
            .args(["-n", "-v"])
            .arg(format!("--connect-to=ws.example:80:127.0.0.1:{port}"))
            .arg("ws://ws.example/"),
    );
    assert!(
        err.contains(&format!(
            "* Connecting to 127.0.0.1:{port} instead of ws.example:80 (--connect-to)"
        )),
        "{err}"
    );
    assert_eq!(server.finish().header("Host"), Some("ws.example"));

    let tls = TlsWsServer::start(echo_script);
    let port = tls.addr().port();
    succeeds(
        wsprobe()
            .args(["-n", "-w", "0", "--cacert"])
            .arg(tls.ca_path())
            .arg(format!("--connect-to=localhost:443:127.0.0.1:{port}"))
            .arg("wss://localhost/"),
    );
    let (rec, seen) = tls.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));
    assert_eq!(rec.header("Host"), Some("localhost"));
}

/// A server that answers the upgrade with `status` and `Location: location`,
/// after checking the request's Authorization header.
fn redirector(status: u16, location: String, expect_auth: Option<&'static str>) -> RawServer {
    RawServer::start(move |mut s| {
        let (head, _) = read_request_head(&mut s);
        let rec = Recorded::parse(head);
        assert_eq!(rec.header("Authorization"), expect_auth, "redirector");
        let resp =
            format!("HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        s.write_all(resp.as_bytes()).expect("write the redirect");
    })
}

#[test]
fn location_follows_redirects_without_leaking_credentials() {
    let target = WsServer::start(echo_script);
    let port = target.addr().port();
    // http:// in a Location means ws://.
    let first = redirector(
        307,
        format!("http://127.0.0.1:{port}/next"),
        Some("Basic YWxpY2U6cHc="),
    );
    let (stdout, err) = succeeds(
        wsprobe()
            .args(["-L", "-v", "-w", "0", "-u", "alice:pw", &first.url()])
            .write_stdin("followed\n"),
    );
    assert_eq!(stdout, "followed\n");
    assert!(
        err.contains(&format!(
            "* Redirect 1 (307): following ws://127.0.0.1:{port}/next"
        )),
        "{err}"
    );
    assert!(
        err.contains("* Not sending Authorization to another host, port or scheme"),
        "{err}"
    );
    first.finish();
    let rec = target.finish();
    assert_eq!(rec.request_line, "GET /next HTTP/1.1");
    assert_eq!(rec.header("Authorization"), None);
}

#[test]
fn redirect_without_location_flag_is_status_6_suggesting_it() {
    let first = redirector(301, "ws://127.0.0.1:9/elsewhere".into(), None);
    fails_with(wsprobe().args(["-n", &first.url()]), 6, &["add -L"]);
    first.finish();
}

#[test]
fn too_many_redirects_and_bad_locations_are_status_6() {
    let never = refused_port();
    let second = redirector(302, format!("ws://127.0.0.1:{never}/"), None);
    let first = redirector(302, second.url(), None);
    fails_with(
        wsprobe().args(["-n", "-L", "--max-redirs", "1", &first.url()]),
        6,
        &["too many redirects: 1 followed", "--max-redirs"],
    );
    first.finish();
    second.finish();

    let first = redirector(308, "ftp://files.example/x".into(), None);
    fails_with(
        wsprobe().args(["-n", "-L", &first.url()]),
        6,
        &["cannot follow the redirect to 'ftp://files.example/x'"],
    );
    first.finish();
}
