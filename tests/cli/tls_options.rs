//! TLS options against rustls servers with certificates made by rcgen:
//! private CAs (--cacert, SSL_CERT_FILE), expired and wrong-name
//! certificates, mutual TLS (PKCS#8, SEC1 and PKCS#1 keys; mismatches),
//! version pins, --sni / --no-sni, and SSLKEYLOGFILE.

use crate::support::*;
use rustls::version::{TLS12, TLS13};

/// An echo server whose leaf certificate follows `spec`.
fn server_with(spec: &LeafSpec) -> TlsWsServer {
    let pki = TestPki::generate_with(spec);
    let config = pki.server_config();
    TlsWsServer::start_custom(pki, config, |_, r| Ok(r), echo_script)
}

/// An echo server speaking `versions`, demanding a client certificate
/// signed by its CA when `client_auth`; returns it with the PKI's client
/// identity made with `format` (when asked).
fn strict_server(
    client_auth: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
    identity: Option<KeyFormat>,
) -> (TlsWsServer, Option<ClientIdentity>) {
    let pki = TestPki::generate();
    let id = identity.map(|f| pki.client_identity("wsprobe client", f));
    let config = pki.server_config_with(client_auth, versions);
    (
        TlsWsServer::start_custom(pki, config, |_, r| Ok(r), echo_script),
        id,
    )
}

/// `wsprobe URL --cacert CA ARGS...`.
fn trusting(server: &TlsWsServer, url: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = wsprobe();
    cmd.arg(url)
        .arg("--cacert")
        .arg(server.ca_path())
        .args(args);
    cmd
}

#[test]
fn ssl_cert_file_adds_a_private_ca_like_cacert() {
    let server = TlsWsServer::start(echo_script);
    let (stdout, _) = succeeds(
        wsprobe()
            .args([&server.url(), "-w", "0"])
            .env("SSL_CERT_FILE", server.ca_path())
            .write_stdin("trusted\n"),
    );
    assert_eq!(stdout, "trusted\n");
    server.finish();
}

#[test]
fn unreadable_ssl_cert_file_is_a_usage_error_naming_the_variable() {
    fails_with(
        wsprobe()
            .args(["wss://127.0.0.1:1/", "-n"])
            .env("SSL_CERT_FILE", "/nonexistent/corp-ca.pem"),
        2,
        &["/nonexistent/corp-ca.pem", "SSL_CERT_FILE"],
    );
}

#[test]
fn expired_certificate_is_status_5_with_a_clock_hint_and_k_warns() {
    let spec = LeafSpec {
        expired: true,
        ..LeafSpec::default()
    };
    let server = server_with(&spec);
    fails_with(
        &mut trusting(&server, &server.url(), &["-n"]),
        5,
        &["expired", "clock"],
    );
    server.finish_handshake_error();

    let server = server_with(&spec);
    let (_, err) = succeeds(
        wsprobe()
            .args([&server.url(), "-k", "-w", "0"])
            .write_stdin("anyway\n"),
    );
    assert!(
        err.contains("warning: certificate not verified (-k)") && err.contains("expired"),
        "{err}"
    );
    server.finish();
}

#[test]
fn wrong_name_fails_and_sni_asks_for_the_right_one() {
    let spec = LeafSpec {
        names: vec!["virtual.example".into()],
        expired: false,
    };
    let server = server_with(&spec);
    fails_with(
        &mut trusting(&server, &server.url(), &["-n"]),
        5,
        &[
            "is not valid for '127.0.0.1'",
            "the certificate is for: virtual.example",
            "--sni NAME",
        ],
    );
    server.finish_handshake_error();

    // --sni sends the name and checks the certificate against it; the
    // Host header still comes from the URL.
    let server = server_with(&spec);
    let port = server.addr().port();
    let (stdout, _) = succeeds(
        trusting(
            &server,
            &server.url(),
            &["-w", "0", "--sni", "virtual.example"],
        )
        .write_stdin("vhost\n"),
    );
    assert_eq!(stdout, "vhost\n");
    let (rec, seen) = server.finish_tls();
    assert_eq!(seen.sni.as_deref(), Some("virtual.example"));
    assert_eq!(
        rec.header("Host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
}

#[test]
fn no_sni_sends_no_name_but_still_checks_the_certificate() {
    let server = TlsWsServer::start(echo_script);
    succeeds(&mut trusting(
        &server,
        &server.url_localhost(),
        &["-n", "-w", "0", "--no-sni"],
    ));
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.sni, None, "--no-sni must send no server name");
}

#[test]
fn mutual_tls_with_pkcs8_sec1_and_pkcs1_keys() {
    for format in [KeyFormat::Pkcs8, KeyFormat::Sec1, KeyFormat::Pkcs1] {
        let (server, id) = strict_server(true, &[&TLS13, &TLS12], Some(format));
        let id = id.expect("an identity");
        let (stdout, _) = succeeds(
            trusting(&server, &server.url(), &["-w", "0"])
                .arg("--cert")
                .arg(&id.cert_path)
                .arg("--key")
                .arg(&id.key_path)
                .write_stdin("mutual\n"),
        );
        assert_eq!(stdout, "mutual\n", "{format:?}");
        let (_, seen) = server.finish_tls();
        assert_eq!(
            seen.client_certs, 1,
            "{format:?}: the server saw no certificate"
        );
    }
}

#[test]
fn mutual_tls_key_may_follow_the_certificate_in_one_file() {
    let (server, id) = strict_server(true, &[&TLS13, &TLS12], Some(KeyFormat::Sec1));
    let id = id.expect("an identity");
    succeeds(
        trusting(&server, &server.url(), &["-n", "-w", "0"])
            .arg("--cert")
            .arg(&id.combined_path),
    );
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.client_certs, 1);
}

#[test]
fn server_requiring_a_client_certificate_is_status_5_naming_cert() {
    for versions in [&[&TLS13][..], &[&TLS12][..]] {
        let (server, _) = strict_server(true, versions, None);
        fails_with(
            &mut trusting(&server, &server.url(), &["-n"]),
            5,
            &[
                "the server requires a client certificate (mutual TLS)",
                "--cert FILE",
            ],
        );
        let server_err = server.finish_handshake_error();
        assert!(server_err.contains("TLS handshake failed"), "{server_err}");
    }
}

#[test]
fn key_that_does_not_match_the_certificate_fails_before_connecting() {
    let pki = TestPki::generate();
    let mine = pki.client_identity("mine", KeyFormat::Pkcs8);
    let other = pki.client_identity("other", KeyFormat::Pkcs8);
    // A refused port: connecting at all would be exit 4, not 2.
    let url = format!("wss://127.0.0.1:{}/", refused_port());
    let err = fails_with(
        wsprobe()
            .args([&url, "-n", "-v", "--cert"])
            .arg(&mine.cert_path)
            .arg("--key")
            .arg(&other.key_path),
        2,
        &[
            "does not belong to the certificate",
            "openssl x509 -noout -pubkey",
        ],
    );
    assert!(
        !err.contains("Trying"),
        "no connection may be attempted: {err}"
    );

    fails_with(
        wsprobe().args([&url, "-n", "--cert"]).arg(&mine.cert_path),
        2,
        &["holds no private key; give the key file with --key"],
    );
}

#[test]
fn tls_max_pins_the_version_and_tls_min_refuses_an_old_server() {
    let server = TlsWsServer::start(echo_script);
    let (_, err) = succeeds(&mut trusting(
        &server,
        &server.url(),
        &["-v", "-n", "-w", "0", "--tls-max", "1.2"],
    ));
    assert!(err.contains("* TLS 1.2, "), "{err}");
    let (_, seen) = server.finish_tls();
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_2));

    let (server, _) = strict_server(false, &[&TLS12], None);
    fails_with(
        &mut trusting(&server, &server.url(), &["-n", "--tls-min", "1.3"]),
        5,
        &["--tls-min"],
    );
    server.finish_handshake_error();
}

#[test]
fn sslkeylogfile_gets_the_secrets_of_the_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("keys.log");
    let server = TlsWsServer::start(echo_script);
    let (_, err) = succeeds(
        trusting(&server, &server.url(), &["-v", "-w", "0"])
            .env("SSLKEYLOGFILE", &log)
            .write_stdin("logged\n"),
    );
    assert!(err.contains("TLS secrets are written to"), "{err}");
    server.finish();
    let text = std::fs::read_to_string(&log).expect("the key log exists");
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    let labels: Vec<&str> = lines.iter().map(|l| l[0]).collect();
    for needed in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        assert!(labels.contains(&needed), "{needed} missing: {text}");
    }
    let random = lines[0][1];
    for l in &lines {
        assert_eq!(l.len(), 3, "NSS key log lines have three fields: {text}");
        assert_eq!(l[1], random, "one session, one client random: {text}");
        assert_eq!(l[1].len(), 64, "client random is 32 bytes: {text}");
        assert!(l[2].len() >= 64 && l[2].bytes().all(|c| c.is_ascii_hexdigit()));
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "secrets must be private to the owner");
}

#[test]
fn unwritable_sslkeylogfile_is_a_warning_not_a_failure() {
    let server = TlsWsServer::start(echo_script);
    let (_, err) = succeeds(
        trusting(&server, &server.url(), &["-n", "-w", "0"])
            .env("SSLKEYLOGFILE", "/nonexistent/dir/keys.log"),
    );
    assert!(
        err.contains("warning: SSLKEYLOGFILE=/nonexistent/dir/keys.log"),
        "{err}"
    );
    server.finish();
}

#[test]
fn connect_timeout_covers_a_tls_handshake_that_never_answers() {
    let silent = RawServer::start(|mut s| {
        // Read the ClientHello and say nothing until the client gives up.
        let mut all = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut all);
        assert_eq!(all.first(), Some(&0x16), "a TLS ClientHello arrived");
    });
    let start = std::time::Instant::now();
    fails_with(
        wsprobe().args([
            "-n",
            "--connect-timeout",
            "0.5",
            &format!("wss://{}/", silent.addr()),
        ]),
        5,
        &["did not answer the TLS handshake within --connect-timeout"],
    );
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    silent.finish();
}
