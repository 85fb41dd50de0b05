//! The program in the middle: which reverse proxy, load balancer or cache
//! stands between wsprobe and the WebSocket server ([`Intermediary`]),
//! recognised in one place ([`Intermediary::recognise`]) from what it
//! answers (`Server`, `Via`, `X-Cache` and kin, the body signatures of its
//! own error pages), and what a refused upgrade tells about it
//! ([`Refusal`], [`Refusal::of`]): the Upgrade and Connection headers not
//! forwarded, a backend down or slow, a route to a plain-HTTP app.
//!
//! Words and typed inference only: the configuration each proxy needs is
//! said here ([`Intermediary::upgrade_fix`], [`Intermediary::idle_setting`])
//! so that every hint names the same fix. Body signatures are the peer's
//! bytes, not wsprobe's messages: reading them is recognition, done once.

use super::Rejection;
use std::time::Duration;

/// A reverse proxy, load balancer or cache recognised from its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intermediary {
    /// nginx (and OpenResty).
    Nginx,
    /// HAProxy.
    HAProxy,
    /// Apache httpd (mod_proxy).
    Apache,
    /// Caddy (reverse_proxy).
    Caddy,
    /// Envoy (and meshes built on it).
    Envoy,
    /// Traefik.
    Traefik,
    /// Squid.
    Squid,
    /// Varnish.
    Varnish,
    /// Cloudflare's edge.
    Cloudflare,
    /// AWS Elastic Load Balancing (ALB, Classic ELB).
    AwsElb,
    /// Google Cloud's HTTP(S) load balancer (Google Front End).
    GoogleLb,
}

impl Intermediary {
    /// Its name as the words say it: "the proxy (nginx) in front of the server".
    pub fn name(self) -> &'static str {
        match self {
            Intermediary::Nginx => "nginx",
            Intermediary::HAProxy => "HAProxy",
            Intermediary::Apache => "Apache httpd",
            Intermediary::Caddy => "Caddy",
            Intermediary::Envoy => "Envoy",
            Intermediary::Traefik => "Traefik",
            Intermediary::Squid => "Squid",
            Intermediary::Varnish => "Varnish",
            Intermediary::Cloudflare => "Cloudflare",
            Intermediary::AwsElb => "AWS ELB",
            Intermediary::GoogleLb => "Google Cloud load balancer",
        }
    }

    /// Recognise the intermediary from a response's headers and body (a
    /// refusal, or the 101 itself): the first of `Server`, `Via`, the
    /// headers only one product sends, then the signatures of the error
    /// pages of those that send no `Server` header (HAProxy, Envoy).
    pub fn recognise(headers: &[(String, String)], body: &[u8]) -> Option<Intermediary> {
        let all = |name: &'static str| {
            headers
                .iter()
                .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        let has = |name: &'static str| all(name).next().is_some();
        all("Server")
            .find_map(|v| from_product(&v))
            .or_else(|| all("Via").find_map(|v| from_via(&v)))
            .or_else(|| {
                let unique = [
                    ("CF-RAY", Intermediary::Cloudflare),
                    ("X-Squid-Error", Intermediary::Squid),
                    ("X-Varnish", Intermediary::Varnish),
                    ("X-Amzn-Trace-Id", Intermediary::AwsElb),
                    ("X-Envoy-Upstream-Service-Time", Intermediary::Envoy),
                ];
                unique.iter().find(|(h, _)| has(h)).map(|(_, i)| *i)
            })
            .or_else(|| {
                all("X-Cache")
                    .any(|v| v.contains(" from "))
                    .then_some(Intermediary::Squid)
            })
            .or_else(|| from_body(body))
    }

    /// The configuration that forwards a WebSocket upgrade through it.
    pub fn upgrade_fix(self) -> &'static str {
        match self {
            Intermediary::Nginx => {
                "in nginx's location: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
                 proxy_set_header Connection \"upgrade\";"
            }
            Intermediary::Apache => {
                "in Apache httpd: ProxyPass /path/ http://backend/path/ upgrade=websocket \
                 (2.4.47 and later; before, mod_proxy_wstunnel with a ws:// ProxyPass)"
            }
            Intermediary::HAProxy => {
                "HAProxy forwards the upgrade by default in mode http: look for \
                 http-request del-header or set-header rules on Connection and Upgrade"
            }
            Intermediary::Caddy => {
                "Caddy's reverse_proxy forwards the upgrade by default: look for \
                 header_up rules that remove Connection or Upgrade"
            }
            Intermediary::Envoy => {
                "in Envoy: upgrade_configs: [{upgrade_type: websocket}] on the route or the \
                 http_connection_manager"
            }
            Intermediary::Traefik => {
                "Traefik forwards the upgrade by default: look for a middleware that rewrites headers"
            }
            Intermediary::Squid | Intermediary::Varnish => {
                "this cache does not relay upgrades: route WebSocket paths around it \
                 (Varnish: return (pipe) for requests with Upgrade)"
            }
            Intermediary::Cloudflare => {
                "in Cloudflare: enable WebSockets in the zone's Network settings"
            }
            Intermediary::AwsElb => {
                "on AWS: use an Application Load Balancer (or TCP listeners on a Classic ELB)"
            }
            Intermediary::GoogleLb => {
                "on Google Cloud: the HTTP(S) load balancer relays WebSocket; check the backend \
                 service's protocol (HTTP, not HTTP/2)"
            }
        }
    }

    /// The setting that ends a quiet tunnel through it, and its default
    /// when it has one that ends WebSocket connections.
    pub fn idle_setting(self) -> (&'static str, Option<Duration>) {
        let s = Duration::from_secs;
        match self {
            Intermediary::Nginx => ("proxy_read_timeout", Some(s(60))),
            Intermediary::HAProxy => ("timeout tunnel (or timeout client)", None),
            Intermediary::Apache => ("ProxyTimeout (or Timeout)", Some(s(60))),
            Intermediary::Caddy => ("stream_timeout", None),
            Intermediary::Envoy => ("idle_timeout", Some(s(3600))),
            Intermediary::Traefik => ("respondingTimeouts.idleTimeout", Some(s(180))),
            Intermediary::Squid => ("read_timeout", Some(s(900))),
            Intermediary::Varnish => ("pipe_timeout", Some(s(60))),
            Intermediary::Cloudflare => ("idle timeout", Some(s(100))),
            Intermediary::AwsElb => ("idle timeout", Some(s(60))),
            Intermediary::GoogleLb => ("backend service timeout", Some(s(30))),
        }
    }
}

/// A `Server` value (lowercased) naming a proxy product.
fn from_product(v: &str) -> Option<Intermediary> {
    let table = [
        ("nginx", Intermediary::Nginx),
        ("openresty", Intermediary::Nginx),
        ("apache", Intermediary::Apache),
        ("caddy", Intermediary::Caddy),
        ("envoy", Intermediary::Envoy),
        ("istio-envoy", Intermediary::Envoy),
        ("haproxy", Intermediary::HAProxy),
        ("squid", Intermediary::Squid),
        ("varnish", Intermediary::Varnish),
        ("cloudflare", Intermediary::Cloudflare),
        ("awselb", Intermediary::AwsElb),
        ("google frontend", Intermediary::GoogleLb),
        ("gfe", Intermediary::GoogleLb),
        ("traefik", Intermediary::Traefik),
    ];
    table
        .iter()
        .find(|(p, _)| {
            v.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', ' ']))
        })
        .map(|(_, i)| *i)
}

/// A `Via` value (lowercased): "1.1 varnish", "1.1 google", "1.1 host (squid/5.7)".
fn from_via(v: &str) -> Option<Intermediary> {
    let table = [
        ("squid", Intermediary::Squid),
        ("varnish", Intermediary::Varnish),
        ("google", Intermediary::GoogleLb),
        ("haproxy", Intermediary::HAProxy),
        ("caddy", Intermediary::Caddy),
        ("envoy", Intermediary::Envoy),
        ("nginx", Intermediary::Nginx),
        ("cloudfront", Intermediary::AwsElb),
    ];
    table.iter().find(|(p, _)| v.contains(p)).map(|(_, i)| *i)
}

/// The error pages of proxies that may send no `Server` header.
fn from_body(body: &[u8]) -> Option<Intermediary> {
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    let table = [
        ("<center>nginx", Intermediary::Nginx),
        (
            "no server is available to handle this request",
            Intermediary::HAProxy,
        ),
        ("the server didn't respond in time", Intermediary::HAProxy),
        (
            "the server returned an invalid or incomplete response",
            Intermediary::HAProxy,
        ),
        (
            "upstream connect error or disconnect/reset before headers",
            Intermediary::Envoy,
        ),
        ("no healthy upstream", Intermediary::Envoy),
        ("<address>apache", Intermediary::Apache),
        (
            "the server is temporarily unable to service your",
            Intermediary::Apache,
        ),
        ("the proxy server received an invalid", Intermediary::Apache),
        ("generated by squid", Intermediary::Squid),
        ("cloudflare-nginx", Intermediary::Cloudflare),
    ];
    table
        .iter()
        .find(|(p, _)| text.contains(p))
        .map(|(_, i)| *i)
}

/// What a refused upgrade says about the path to the server, when it says
/// something a proxy explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server never saw an upgrade request: something in between did
    /// not forward the hop-by-hop Upgrade and Connection headers.
    UpgradeNotForwarded(NotForwarded),
    /// A gateway could not reach its backend (502, or its own 503).
    BackendUnreachable,
    /// A gateway gave up waiting for its backend (504).
    BackendTimedOut,
    /// A proxy routed the request to an HTTP application that answered 200.
    PlainHttpBackend,
    /// The port speaks TLS and said so in plain HTTP: ws:// reached a
    /// listener (often a proxy terminating TLS) that wants wss://.
    TlsPort,
}

/// How a server says it saw no upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotForwarded {
    /// 505: the request reached it as HTTP/1.0 (nginx's default upstream
    /// version), which cannot upgrade.
    Http10,
    /// 426 naming no version, or 400, with a body that names the
    /// Connection header (as `close`, or missing).
    Connection,
    /// 426 naming no version, or 400, with a body that names Upgrade.
    Upgrade,
}

impl Refusal {
    /// The typed reading of a refusal; `via` is what
    /// [`Intermediary::recognise`] made of it.
    pub fn of(r: &Rejection, via: Option<Intermediary>) -> Option<Refusal> {
        let body = String::from_utf8_lossy(&r.body[..r.body.len().min(2048)]).to_ascii_lowercase();
        let names = |h: &str| body.contains(&format!("{h} header"));
        let versionless = r.header("Sec-WebSocket-Version").is_none();
        // nginx, Apache httpd, Go's net/http (Caddy, Traefik) in turn.
        let tls_port = [
            "plain http request was sent to https port",
            "speaking plain http to an ssl-enabled server port",
            "client sent an http request to an https server",
        ];
        if r.status == 400 && tls_port.iter().any(|t| body.contains(t)) {
            return Some(Refusal::TlsPort);
        }
        match r.status {
            505 => Some(Refusal::UpgradeNotForwarded(NotForwarded::Http10)),
            400 | 426 if versionless && names("connection") => {
                Some(Refusal::UpgradeNotForwarded(NotForwarded::Connection))
            }
            400 | 426 if versionless && names("upgrade") => {
                Some(Refusal::UpgradeNotForwarded(NotForwarded::Upgrade))
            }
            // A 426 naming no version says "send an upgrade", and we did.
            426 if versionless => Some(Refusal::UpgradeNotForwarded(NotForwarded::Upgrade)),
            502 => Some(Refusal::BackendUnreachable),
            503 if via.is_some() && from_body(&r.body).is_some() => {
                Some(Refusal::BackendUnreachable)
            }
            503 if via.is_some() && r.body.is_empty() => Some(Refusal::BackendUnreachable),
            504 => Some(Refusal::BackendTimedOut),
            200 if via.is_some() => Some(Refusal::PlainHttpBackend),
            _ => None,
        }
    }
}

/// "the proxy (nginx) in front of the server", or "a proxy in front of the
/// server" when none was recognised.
pub fn the_proxy(via: Option<Intermediary>) -> String {
    match via {
        Some(i) => format!("the proxy ({}) in front of the server", i.name()),
        None => "a proxy in front of the server".into(),
    }
}

/// "the proxy (nginx)", or "the proxy": for words that already place it
/// in front of the server.
pub fn proxy_named(via: Option<Intermediary>) -> String {
    match via {
        Some(i) => format!("the proxy ({})", i.name()),
        None => "the proxy".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn recognised_by_server_via_headers_and_body() {
        let r = Intermediary::recognise;
        assert_eq!(
            r(&h(&[("Server", "nginx/1.22.1")]), b""),
            Some(Intermediary::Nginx)
        );
        assert_eq!(
            r(&h(&[("server", "Apache/2.4.62 (Debian)")]), b""),
            Some(Intermediary::Apache)
        );
        assert_eq!(
            r(&h(&[("Server", "awselb/2.0")]), b""),
            Some(Intermediary::AwsElb)
        );
        assert_eq!(
            r(&h(&[("Server", "Google Frontend")]), b""),
            Some(Intermediary::GoogleLb)
        );
        assert_eq!(
            r(
                &h(&[
                    ("Server", "Python/3.11 websockets/17.4"),
                    ("Server", "Caddy")
                ]),
                b""
            ),
            Some(Intermediary::Caddy)
        );
        assert_eq!(
            r(&h(&[("Via", "1.1 host (squid/5.7)")]), b""),
            Some(Intermediary::Squid)
        );
        assert_eq!(
            r(&h(&[("cf-ray", "8a1b-CDG")]), b""),
            Some(Intermediary::Cloudflare)
        );
        assert_eq!(
            r(&h(&[("X-Cache", "MISS from proxy")]), b""),
            Some(Intermediary::Squid)
        );
        assert_eq!(
            r(&[], b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n"),
            Some(Intermediary::HAProxy)
        );
        assert_eq!(
            r(&h(&[("Server", "nginxish")]), b""),
            None,
            "a prefix is not a product"
        );
        assert_eq!(
            r(&h(&[("Server", "Python/3.11 websockets/17.4")]), b"hello"),
            None
        );
    }

    #[test]
    fn a_426_speaks_of_forwarding_unless_it_names_a_version() {
        let rej = |status, headers: &[(&str, &str)], body: &str| Rejection {
            status,
            reason: String::new(),
            headers: h(headers),
            body: body.as_bytes().to_vec(),
            body_truncated: false,
        };
        let body = "Failed to open a WebSocket connection: invalid Connection header: close.";
        assert_eq!(
            Refusal::of(&rej(426, &[], body), None),
            Some(Refusal::UpgradeNotForwarded(NotForwarded::Connection))
        );
        assert_eq!(
            Refusal::of(&rej(426, &[("Sec-WebSocket-Version", "8")], body), None),
            None
        );
        assert_eq!(
            Refusal::of(&rej(505, &[], ""), Some(Intermediary::Nginx)),
            Some(Refusal::UpgradeNotForwarded(NotForwarded::Http10))
        );
        assert_eq!(Refusal::of(&rej(200, &[], "<html>"), None), None);
        assert_eq!(
            Refusal::of(&rej(200, &[], "<html>"), Some(Intermediary::Nginx)),
            Some(Refusal::PlainHttpBackend)
        );
        assert_eq!(Refusal::of(&rej(503, &[], "busy"), None), None);
        assert_eq!(
            Refusal::of(
                &rej(
                    400,
                    &[],
                    "<center>The plain HTTP request was sent to HTTPS port</center>"
                ),
                None
            ),
            Some(Refusal::TlsPort)
        );
        assert_eq!(
            Refusal::of(&rej(504, &[], ""), None),
            Some(Refusal::BackendTimedOut)
        );
    }
}
