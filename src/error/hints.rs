//! The lines under a failure's headline: [`Error::facts`] (what was sent,
//! received, tried) and [`Error::hints`] (what to try next), each chosen
//! from the typed cause (a status, an `io::ErrorKind`, a [`TimeoutKind`],
//! a SOCKS5 reply code), never by reading message text.
//!
//! Words only, like the rest of `error`: it decides nothing about where or
//! how the lines are printed (that is `output`). TLS facts and hints are
//! the table in `tls.rs`.

use super::{
    Error, HandshakeProblem, MalformedResponse, ProxyFailure, ProxyProblem, RedirectProblem,
    Rejection, SocksProblem, TimeoutKind, Unmet, UnmetEnd, describe_io,
    intermediary::{Intermediary, NotForwarded, Refusal, proxy_named, the_proxy},
    response::{Preview, response_facts},
};
use crate::format::sanitize::escape_preview;
use crate::protocol::frame::{ACCEPT_GUID, Role};
use std::io;

impl Error {
    /// Lines of facts shown under the headline (status, headers, body,
    /// attempts, expected and received values).
    pub fn facts(&self) -> Vec<String> {
        match self {
            Error::Connect { attempts, .. } => attempts
                .iter()
                .map(|a| {
                    format!(
                        "{}: {} (after {})",
                        a.addr,
                        describe_io(&a.error),
                        crate::format::ms(a.took)
                    )
                })
                .collect(),
            Error::Handshake(HandshakeProblem::AcceptMismatch {
                key,
                expected,
                received,
            }) => vec![
                format!("sent Sec-WebSocket-Key: {key}"),
                format!("expected Sec-WebSocket-Accept: {expected}"),
                match received {
                    Some(r) => format!("received Sec-WebSocket-Accept: {r}"),
                    None => "received no Sec-WebSocket-Accept header".to_string(),
                },
                format!("expected = base64(SHA-1(key + \"{ACCEPT_GUID}\"))"),
            ],
            Error::Handshake(HandshakeProblem::BadExtension { sent, received, .. }) => vec![
                format!("sent Sec-WebSocket-Extensions: {sent}"),
                format!("received Sec-WebSocket-Extensions: {received}"),
            ],
            Error::Malformed(
                MalformedResponse::NotHttp { received, .. }
                | MalformedResponse::ClosedEarly { received },
            ) if !received.is_empty() => vec![received_bytes(received)],
            Error::Tls {
                plaintext_reply,
                diagnosis,
                ..
            } => super::tls::facts(plaintext_reply.as_deref(), diagnosis.as_deref()),
            Error::Proxy(p) => proxy_facts(p),
            Error::AbnormalClose {
                silence: Some(s), ..
            } => vec![super::idle::fact(s)],
            Error::ExpectUnmet(u) => unmet_facts(u),
            _ => Vec::new(),
        }
    }

    /// What to try next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            Error::Usage(_) => vec!["see wsprobe --help".into()],
            Error::Resolve { host, .. } => vec![format!(
                "check the spelling of '{host}' and your DNS settings; \
                 an address in the URL skips name resolution"
            )],
            Error::Connect {
                attempts,
                timed_out,
                ..
            } => connect_hints(attempts, *timed_out),
            Error::Tls {
                plaintext_reply,
                diagnosis,
                ..
            } => super::tls::hints(plaintext_reply.is_some(), diagnosis.as_deref()),
            Error::KeyMismatch { cert, key } => vec![format!(
                "use the key the certificate was issued for; compare \
                 `openssl x509 -noout -pubkey -in {}` with `openssl pkey -pubout -in {}`",
                cert.display(),
                key.display()
            )],
            Error::UnixConnect { source, .. } => unix_hints(source.kind()),
            Error::Proxy(p) => proxy_hints(p),
            Error::Redirect(RedirectProblem::TooMany { .. }) => vec![
                "raise --max-redirs, or look for a loop with -v".into(),
            ],
            Error::Redirect(RedirectProblem::BadLocation { .. }) => {
                vec!["a WebSocket redirect must lead to ws://, wss://, http:// or https://".into()]
            }
            Error::Rejected(r) => rejection_hints(r),
            Error::Malformed(m) => malformed_hints(m),
            Error::Handshake(p) => handshake_hints(p),
            Error::AbnormalClose {
                code: 1006,
                ours: Role::Server,
                ..
            } => vec![
                "the client or something in between dropped the connection; -v shows what happened before".into(),
            ],
            Error::AbnormalClose {
                code: 1006,
                silence,
                ..
            } => vec![silence.as_ref().and_then(super::idle::hint).unwrap_or_else(|| {
                "the server or something in between dropped the connection; -v shows what happened before".into()
            })],
            Error::Timeout { kind, .. } => timeout_hints(*kind),
            Error::Input(_) => vec!["-b sends binary messages, which need not be UTF-8".into()],
            Error::ExpectUnmet(u) => unmet_hints(u),
            Error::Exec {
                end: super::ExecEnd::Code(127),
                ..
            } => vec!["sh did not find the program: check the command and PATH".into()],
            Error::Exec {
                end: super::ExecEnd::Code(126),
                ..
            } => vec!["the program is not executable: chmod +x, or name its interpreter".into()],
            Error::Exec { lost, .. } if *lost > 0 => vec![
                "a program on --exec should read its stdin until it ends, or exit to end the session".into(),
            ],
            _ => Vec::new(),
        }
    }
}

/// What arrived while an expectation waited: the count, then the last
/// few messages, escaped.
fn unmet_facts(u: &Unmet) -> Vec<String> {
    if u.received == 0 {
        return vec!["no message arrived while it waited".into()];
    }
    let n = u.received;
    let mut facts = vec![match n {
        1 => "1 message arrived while it waited:".to_string(),
        n if n as usize <= u.recent.len() => format!("{n} messages arrived while it waited:"),
        n => format!(
            "{n} messages arrived while it waited; the last {}:",
            u.recent.len()
        ),
    }];
    facts.extend(
        u.recent
            .iter()
            .map(|m| format!("  < {}", escape_preview(m, 200))),
    );
    facts
}

fn unmet_hints(u: &Unmet) -> Vec<String> {
    match u.end {
        UnmetEnd::TimedOut => vec![
            "wait longer with --expect-timeout SECS; -v shows each expectation as it is met".into(),
        ],
        UnmetEnd::ClosedByServer(_) => {
            vec!["the server ended the session first: check what -d or the input sent it".into()]
        }
        UnmetEnd::ClosedByClient => Vec::new(),
        UnmetEnd::CountReached(_) => {
            vec!["--count closes after N messages: raise it, or drop it".into()]
        }
    }
}

/// "received N bytes: ..." for what a peer sent instead of an answer.
fn received_bytes(received: &[u8]) -> String {
    format!(
        "received {} bytes: {}",
        received.len(),
        escape_preview(received, 200)
    )
}

fn connect_hints(attempts: &[super::Attempt], timed_out: bool) -> Vec<String> {
    let refused = |a: &super::Attempt| a.error.kind() == io::ErrorKind::ConnectionRefused;
    let mut h = Vec::new();
    if attempts.iter().any(refused) {
        h.push("nothing listens on that port: check the port and that the server runs".into());
    }
    if timed_out {
        h.push(
            "a firewall may drop the packets; raise --connect-timeout if the network is slow"
                .into(),
        );
    }
    let refused_v6 = attempts.iter().any(|a| a.addr.is_ipv6() && refused(a));
    if refused_v6 && attempts.iter().all(|a| a.addr.is_ipv6()) {
        h.push("only IPv6 addresses were tried and refused; a server listening on 127.0.0.1 only is not reached through ::1: try the IPv4 address".into());
    }
    h
}

fn unix_hints(kind: io::ErrorKind) -> Vec<String> {
    match kind {
        io::ErrorKind::NotFound => {
            vec!["no socket at this path: check the path and that the server runs".into()]
        }
        io::ErrorKind::ConnectionRefused => {
            vec!["the socket file exists but nothing accepts on it (a stale socket?)".into()]
        }
        io::ErrorKind::PermissionDenied => {
            vec!["check the permissions of the socket and its directory".into()]
        }
        io::ErrorKind::TimedOut => vec![
            "the server does not accept connections (its backlog may be full); raise --connect-timeout".into(),
        ],
        _ => Vec::new(),
    }
}

fn malformed_hints(m: &MalformedResponse) -> Vec<String> {
    match m {
        MalformedResponse::ClosedEarly { .. } => vec![
            "the server closed the connection without answering: check the path, and wss:// if the port expects TLS"
                .into(),
        ],
        MalformedResponse::NotHttp { received, .. } => match received.first() {
            Some(0x16 | 0x15) => vec!["these bytes are TLS: use wss:// for this port".into()],
            _ => vec!["this port does not speak HTTP: check the port".into()],
        },
        MalformedResponse::TooLarge { .. } => Vec::new(),
    }
}

fn handshake_hints(p: &HandshakeProblem) -> Vec<String> {
    match p {
        HandshakeProblem::BadUpgrade(_) | HandshakeProblem::BadConnection(_) => vec![
            "a proxy between you and the server may strip the hop-by-hop Upgrade and Connection headers".into(),
        ],
        HandshakeProblem::AcceptMismatch { .. } => vec![
            "the server (or a proxy in between) computes the Accept key wrongly or answers for another request".into(),
        ],
        HandshakeProblem::SubprotocolNotOffered { .. } => {
            vec!["offer the server's choice with -s NAME".into()]
        }
        HandshakeProblem::BadExtension { .. } => vec![
            "--no-compress offers no extension, so the server has none to get wrong".into(),
        ],
        HandshakeProblem::ExtensionNotOffered(_) | HandshakeProblem::BadVersion(_) => Vec::new(),
    }
}

fn timeout_hints(kind: TimeoutKind) -> Vec<String> {
    match kind {
        TimeoutKind::Close => vec!["raise --close-timeout if the server is slow to close".into()],
        TimeoutKind::ClientClose => {
            vec!["raise --close-timeout if the client is slow to close".into()]
        }
        TimeoutKind::Keepalive => vec![
            "raise --ping-timeout if the server is slow to answer pings (-vv shows them)".into(),
        ],
        TimeoutKind::ClientKeepalive => vec![
            "raise --ping-timeout if the client is slow to answer pings (-vv shows them)".into(),
        ],
        TimeoutKind::HandshakeRequest
        | TimeoutKind::HandshakeResponse
        | TimeoutKind::HandshakeHead => {
            vec!["raise --handshake-timeout; check that the port serves HTTP".into()]
        }
        TimeoutKind::MaxTime => Vec::new(),
    }
}

fn proxy_facts(p: &ProxyFailure) -> Vec<String> {
    match &p.problem {
        ProxyProblem::Unreachable(e) => e.facts(),
        ProxyProblem::Refused(r) => response_facts(r, &Preview::PROXY_REFUSAL),
        ProxyProblem::NotHttp { received, .. } | ProxyProblem::ClosedEarly { received }
            if !received.is_empty() =>
        {
            vec![received_bytes(received)]
        }
        _ => Vec::new(),
    }
}

fn proxy_hints(p: &ProxyFailure) -> Vec<String> {
    let mut h = Vec::new();
    match &p.problem {
        ProxyProblem::Unreachable(Error::Tls {
            plaintext_reply: Some(_),
            ..
        }) => h.push("the proxy speaks plain HTTP: use http:// for it, not https://".into()),
        ProxyProblem::Unreachable(e) => h.extend(e.hints()),
        ProxyProblem::Refused(r) if r.status == 407 => h.push(proxy_auth_hint(p, r)),
        ProxyProblem::Refused(r) => match r.status {
            403 | 405 => h.push(connect_refused_hint(p, r)),
            502..=504 => h.push(format!(
                "the proxy could not reach {}: check the host and port as the proxy sees them; its body may say why",
                p.target
            )),
            _ => h.push("the proxy's body may say why".into()),
        },
        ProxyProblem::NotHttp { received, .. } => match received.first() {
            Some(5) => h.push("this looks like a SOCKS5 proxy: use socks5:// or socks5h://".into()),
            Some(0x15 | 0x16) => h.push("the proxy speaks TLS: use https:// for it".into()),
            _ => h.push("check the proxy's host and port, and its scheme".into()),
        },
        ProxyProblem::ClosedEarly { .. } | ProxyProblem::Io(_) => {
            h.push("check the proxy's host, port and scheme; its logs may say why".into())
        }
        ProxyProblem::TimedOut => h.push(
            "the proxy did not answer: check that it is a proxy of this kind; raise --connect-timeout if it is slow"
                .into(),
        ),
        ProxyProblem::Socks(s) => h.push(socks_hint(&p.target, s)),
    }
    match &p.env_var {
        Some(var) => h.push(format!(
            "the proxy comes from {var}: -x '' or --noproxy HOST connects directly"
        )),
        None => h.push(
            "the proxy comes from -x (--proxy): without it, wsprobe connects directly".into(),
        ),
    }
    h
}

/// A 403 or 405 to CONNECT: the proxy's rules, in its own terms when it
/// is recognised (Squid's stock configuration allows CONNECT to port 443
/// only); the WebSocket server was never asked.
fn connect_refused_hint(p: &ProxyFailure, r: &Rejection) -> String {
    let port = p.target.rsplit(':').next().unwrap_or("443");
    match Intermediary::recognise(&r.headers, &r.body) {
        Some(Intermediary::Squid) => format!(
            "Squid's http_access rules refuse CONNECT to port {port} (its stock configuration \
             allows CONNECT to the SSL_ports, 443, only): add `acl SSL_ports port {port}` \
             before its `http_access deny CONNECT !SSL_ports`, or reach the server on 443; \
             the WebSocket server was never asked"
        ),
        _ => format!(
            "the proxy does not allow a tunnel to {}: many allow CONNECT to port 443 only; \
             the WebSocket server was never asked",
            p.target
        ),
    }
}

/// A 407 from the proxy: by the scheme it asks for and what we sent.
fn proxy_auth_hint(p: &ProxyFailure, r: &Rejection) -> String {
    let scheme = r
        .header("Proxy-Authenticate")
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("an unnamed");
    if !scheme.eq_ignore_ascii_case("basic") {
        format!("the proxy asks for {scheme} authentication; wsprobe speaks Basic only")
    } else if let Some(user) = &p.user {
        format!(
            "the proxy did not accept the password of '{user}': check --proxy-user or the proxy URL"
        )
    } else {
        "the proxy wants Basic authentication: give --proxy-user USER:PASS \
         (or user:pass@ in the proxy URL)"
            .into()
    }
}

fn socks_hint(target: &str, s: &SocksProblem) -> String {
    match s {
        SocksProblem::NotSocks5 { version: b'H' } => {
            "this looks like an HTTP proxy: use http://".into()
        }
        SocksProblem::NotSocks5 { .. } => {
            "check the proxy's port; wsprobe speaks SOCKS version 5 only".into()
        }
        SocksProblem::NoAcceptableMethod {
            offered_password: false,
        } => "the proxy may want a user name and password: give --proxy-user USER:PASS".into(),
        SocksProblem::NoAcceptableMethod { .. } => {
            "the proxy wants a method wsprobe does not speak (GSSAPI?)".into()
        }
        SocksProblem::AuthFailed { .. } => "check the user name and password (--proxy-user)".into(),
        SocksProblem::Reply { code: 2 } => format!(
            "the proxy's rules forbid this destination ({target}; Dante: its socks block and \
             pass rules): the refusal is the proxy's, the WebSocket server was never asked"
        ),
        SocksProblem::Reply { code: 3 | 4 | 6 } => format!(
            "the proxy cannot reach {target}: check the host and port as the proxy sees them"
        ),
        SocksProblem::Reply { code: 5 } => {
            format!("nothing listens on {target} (as the proxy sees it)")
        }
        SocksProblem::Reply { code: 8 } => {
            "try socks5h:// (the proxy resolves names) or socks5:// (wsprobe resolves them)".into()
        }
        SocksProblem::Reply { .. } => "the proxy's logs may say why".into(),
        SocksProblem::Malformed(_) => "check that the proxy speaks SOCKS5 on this port".into(),
        SocksProblem::NameTooLong => "use socks5:// so that wsprobe resolves the name".into(),
    }
}

fn rejection_hints(r: &Rejection) -> Vec<String> {
    let via = Intermediary::recognise(&r.headers, &r.body);
    if let Some(cause) = Refusal::of(r, via) {
        return vec![refusal_hint(cause, via)];
    }
    let mut h = Vec::new();
    match r.status {
        200 => h.push(
            "the server answered 200, not 101: this URL serves plain HTTP; check the path and port, \
             and, behind a reverse proxy, that its route for this path leads to the WebSocket server"
                .into(),
        ),
        301 | 302 | 303 | 307 | 308 => match r.header("Location") {
            Some(loc) => h.push(format!(
                "the server redirects to {loc}: try that URL, or add -L to follow redirects"
            )),
            None => h.push("the server redirects but sent no Location header".into()),
        },
        400 => h.push(
            "the server found the upgrade request malformed; -v shows the request as sent".into(),
        ),
        401 => {
            let scheme = r
                .header("WWW-Authenticate")
                .and_then(|v| v.split_whitespace().next())
                .unwrap_or("an unnamed");
            h.push(format!(
                "the server wants {scheme} authentication: try -u USER:PASS or -H 'Authorization: ...'"
            ));
        }
        403 => h.push(
            "forbidden: servers often check the Origin header; try --origin https://the-site"
                .into(),
        ),
        404 => h.push("no WebSocket endpoint at this path: check the path".into()),
        426 => {
            // Refusal::of took the 426s that name no version.
            if let Some(v) = r.header("Sec-WebSocket-Version") {
                h.push(format!(
                    "the server wants another WebSocket version: {v}; wsprobe speaks 13"
                ));
            }
        }
        429 => match r.header("Retry-After") {
            Some(s) => h.push(format!("rate limited: retry after {s}")),
            None => h.push("rate limited: retry later".into()),
        },
        500..=599 => h.push("the server failed: its body may say why".into()),
        _ => {}
    }
    h
}

/// The hint for a refusal a proxy explains, naming the proxy's fix.
fn refusal_hint(cause: Refusal, via: Option<Intermediary>) -> String {
    let proxy = the_proxy(via);
    let fix = via.map_or(
        "forward them (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
         proxy_set_header Connection \"upgrade\"; Apache httpd: ProxyPass ... upgrade=websocket)",
        Intermediary::upgrade_fix,
    );
    match cause {
        Refusal::UpgradeNotForwarded(NotForwarded::Http10) => format!(
            "the request reached the server as HTTP/1.0, which cannot upgrade: {proxy} \
             forwards HTTP/1.0 (nginx's default) without Upgrade and Connection; {fix}"
        ),
        Refusal::UpgradeNotForwarded(NotForwarded::Connection | NotForwarded::Upgrade) => format!(
            "the server saw no upgrade request: {proxy} does not forward the hop-by-hop \
             Upgrade and Connection headers; {fix}"
        ),
        Refusal::BackendUnreachable => format!(
            "the WebSocket server behind {} is down, refuses connections or is not at \
             the address the proxy's configuration gives (its upstream or backend); the \
             proxy's error log names the address it tried",
            proxy_named(via)
        ),
        Refusal::BackendTimedOut => format!(
            "the WebSocket server behind {} accepted but did not answer the upgrade in \
             time: check that it is not stuck or overloaded; the proxy's error log says which \
             backend it waited for",
            proxy_named(via)
        ),
        Refusal::TlsPort => format!(
            "this port speaks TLS: {} terminates TLS here and answered the plain request in \
             plain HTTP; use wss:// for this port",
            match via {
                Some(_) => proxy,
                None => "the server (or a proxy in front of it)".into(),
            }
        ),
        Refusal::PlainHttpBackend => format!(
            "the answer is 200, not 101: {proxy} routes this path to a plain HTTP application, \
             not to the WebSocket server (or drops Upgrade and Connection, and the server \
             answered as for a page); check the proxy's route for this path \
             (nginx location, Apache ProxyPass, HAProxy use_backend)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rejection_hints_name_the_next_step() {
        let r = |status, headers: Vec<(&str, &str)>| Rejection {
            status,
            reason: String::new(),
            headers: headers
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: vec![],
            body_truncated: false,
        };
        let h = rejection_hints(&r(401, vec![("www-authenticate", "Bearer realm=x")]));
        assert!(h[0].contains("Bearer"), "{h:?}");
        let h = rejection_hints(&r(302, vec![("Location", "ws://other/")]));
        assert!(h[0].contains("ws://other/"), "{h:?}");
        assert!(rejection_hints(&r(403, vec![]))[0].contains("--origin"));
        assert!(rejection_hints(&r(200, vec![]))[0].contains("plain HTTP"));
    }

    #[test]
    fn timeout_hints_follow_the_kind() {
        let hints = |kind| {
            Error::Timeout {
                kind,
                after: Duration::from_secs(1),
            }
            .hints()
        };
        assert!(hints(TimeoutKind::Close)[0].contains("--close-timeout"));
        assert!(hints(TimeoutKind::Keepalive)[0].contains("--ping-timeout"));
        for k in [
            TimeoutKind::HandshakeRequest,
            TimeoutKind::HandshakeResponse,
            TimeoutKind::HandshakeHead,
        ] {
            assert!(hints(k)[0].contains("--handshake-timeout"));
        }
        assert!(hints(TimeoutKind::MaxTime).is_empty());
    }

    #[test]
    fn the_accept_rule_is_spelled_out() {
        let e = Error::Handshake(HandshakeProblem::AcceptMismatch {
            key: "k".into(),
            expected: "e".into(),
            received: None,
        });
        assert_eq!(
            e.facts()[3],
            "expected = base64(SHA-1(key + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"))"
        );
    }
}
