//! The proxy in the middle, with the real programs: nginx, HAProxy, Apache
//! httpd and Caddy as reverse proxies in front of the Python `websockets`
//! echo server (and of a plain HTTP app, and of backends that are down or
//! never answer), Squid and Dante as forward proxies. Each is started with
//! a configuration generated in its own temporary directory on loopback
//! ports (support::daemon), never the system's service.
//!
//! Every test checks a correct configuration that works (text, binary,
//! compression through the proxy) and the exit status and words of each
//! diagnosis: the proxy named, the fix named. A proxy whose binary is
//! missing is skipped with a message saying so (tests/setup.sh installs
//! them from tests/peers/debian-packages.txt).

use crate::support::daemon::{Daemon, PlainHttp, find, free_port};
use crate::support::tls::write_ca_file;
use crate::support::{IO_TIMEOUT, PythonEcho, TestPki, wsprobe};
use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::thread;

/// What one run of wsprobe did.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    /// Panics unless the exit status is `code` and stderr has every needle.
    fn expect(&self, code: i32, needles: &[&str]) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit status {code}\n--- stderr:\n{}",
            self.stderr
        );
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?}\n--- stderr:\n{}",
                self.stderr
            );
        }
        self
    }

    /// Panics if stderr has `needle`.
    fn lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}\n--- stderr:\n{}",
            self.stderr
        );
        self
    }
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    run_env(args, stdin, &[])
}

/// [`run`] with environment variables (a proxy variable).
fn run_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let out = wsprobe()
        .args(args)
        .envs(env.iter().copied())
        .write_stdin(stdin.to_vec())
        .output()
        .expect("wsprobe runs");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A correct path through a proxy: a text message, a binary one and
/// permessage-deflate agreed end to end (the Python server's answer comes
/// back through the proxy).
fn works_through(url: &str, extra: &[&str]) {
    let mut args = vec![url, "-v", "-c", "2"];
    args.extend(extra);
    let r = run(&args, b"hello\nworld\n");
    r.expect(0, &["(subprotocol: none, extensions: permessage-deflate"]);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        "hello\nworld\n",
        "{}",
        r.stderr
    );
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut args = vec![url, "-b", "--whole", "-c", "1"];
    args.extend(extra);
    let r = run(&args, &data);
    r.expect(0, &[]);
    assert!(
        r.stdout == data,
        "the binary echo differs ({} bytes back)",
        r.stdout.len()
    );
}

/// A backend that accepts, reads the request and never answers: a proxy's
/// read timeout toward it becomes its 504. It holds the connection until
/// the proxy gives up (or IO_TIMEOUT).
fn silent_backend() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind the silent backend");
    let port = l.local_addr().expect("its address").port();
    thread::spawn(move || {
        for s in l.incoming().take(4) {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                s.set_read_timeout(Some(IO_TIMEOUT)).ok();
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink);
            });
        }
    });
    port
}

/// Fills `@NAME@` placeholders.
fn fill(template: &str, values: &[(&str, u16)]) -> String {
    let mut s = template.to_string();
    for (name, v) in values {
        s = s.replace(&format!("@{name}@"), &v.to_string());
    }
    s
}

// ------------------------------------------------------------------ nginx

const NGINX_CONF: &str = r#"
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp;
  uwsgi_temp_path tmp; scgi_temp_path tmp;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:@LISTEN@;
    # right: HTTP/1.1 and the hop-by-hop headers forwarded
    location /good/ {
      proxy_pass http://127.0.0.1:@WS@/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 2s;
    }
    # nginx's defaults: HTTP/1.0 upstream, Upgrade and Connection dropped
    location /http10/ { proxy_pass http://127.0.0.1:@WS@/; }
    # HTTP/1.1, headers still dropped (Connection: close reaches the server)
    location /noheaders/ { proxy_pass http://127.0.0.1:@WS@/; proxy_http_version 1.1; }
    location /down/ {
      proxy_pass http://127.0.0.1:@DOWN@/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
    location /slow/ {
      proxy_pass http://127.0.0.1:@SLOW@/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1s;
    }
    location /plain/ {
      proxy_pass http://127.0.0.1:@HTTP@/plain/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
  }
  # TLS terminated here, plain HTTP to the backend
  server {
    listen 127.0.0.1:@TLS@ ssl;
    ssl_certificate cert.pem;
    ssl_certificate_key key.pem;
    location / {
      proxy_pass http://127.0.0.1:@WS@/;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
    }
  }
}
"#;

#[test]
fn nginx_in_front_of_websockets_each_failure_named_with_its_fix() {
    let Some(bin) = find("nginx", "nginx") else {
        return;
    };
    let (echo, http) = (PythonEcho::start(), PlainHttp::start());
    let (port, tls_port) = (free_port(), free_port());
    let pki = TestPki::generate();
    let ca = write_ca_file(&pki);
    let conf = fill(
        NGINX_CONF,
        &[
            ("LISTEN", port),
            ("TLS", tls_port),
            ("WS", echo.port()),
            ("DOWN", crate::support::refused_port()),
            ("SLOW", silent_backend()),
            ("HTTP", http.port()),
        ],
    );
    let _nginx = crate::support::daemon::nginx(&bin, &conf, &pki, &[port, tls_port]);
    let url = |path: &str| format!("ws://127.0.0.1:{port}/{path}/");

    works_through(&url("good"), &[]);

    // TLS terminated at nginx: wss:// works with its CA, a certificate
    // problem is its certificate's, and each scheme on the other's port is
    // said as which side speaks what.
    let ca = ca.path().to_str().expect("a UTF-8 temp path");
    works_through(&format!("wss://127.0.0.1:{tls_port}/"), &["--cacert", ca]);
    run(&["-n", &format!("wss://127.0.0.1:{tls_port}/")], b"")
        .expect(5, &["TLS handshake with 127.0.0.1 failed", "--cacert"]);
    run(&["-n", &format!("ws://127.0.0.1:{tls_port}/")], b"").expect(
        6,
        &[
            "the proxy (nginx) in front of the server expects TLS on this port, and refused \
             the plain request: 400 Bad Request",
            "| <center>The plain HTTP request was sent to HTTPS port</center>",
            "use wss:// for this port",
        ],
    );
    run(
        &[
            "-n",
            "--cacert",
            ca,
            &format!("wss://127.0.0.1:{port}/good/"),
        ],
        b"",
    )
    .expect(
        5,
        &[
            "does not speak TLS on this port",
            "HTTP/1.1 400",
            "use ws://",
        ],
    );

    run(&["-n", &url("http10")], b"").expect(
        6,
        &[
            "505 HTTP Version Not Supported, through the proxy (nginx) in front of it",
            "< Server: nginx/",
            "| Failed to open a WebSocket connection: unsupported HTTP version: HTTP/1.0.",
            "hint: the request reached the server as HTTP/1.0, which cannot upgrade",
            "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; \
             proxy_set_header Connection \"upgrade\";",
        ],
    );
    run(&["-n", &url("noheaders")], b"")
        .expect(
            6,
            &[
                "426 Upgrade Required, through the proxy (nginx) in front of it",
                "invalid Connection header: close",
                "hint: the server saw no upgrade request: the proxy (nginx) in front of the \
                 server does not forward the hop-by-hop Upgrade and Connection headers",
                "proxy_set_header Connection \"upgrade\";",
            ],
        )
        .lacks("WebSocket version");
    run(&["-n", &url("down")], b"").expect(
        6,
        &[
            "the proxy (nginx) in front of the server could not reach the WebSocket server \
             behind it: 502 Bad Gateway",
            "is down, refuses connections",
        ],
    );
    run(&["-n", &url("slow")], b"").expect(
        6,
        &[
            "the proxy (nginx) in front of the server gave up waiting for the WebSocket \
             server behind it: 504 Gateway Time-out",
            "did not answer the upgrade in time",
        ],
    );
    run(&["-n", &url("plain")], b"").expect(
        6,
        &[
            "200 OK, through the proxy (nginx) in front of it",
            "| <html><body><h1>a plain HTTP app</h1></body></html>",
            "routes this path to a plain HTTP application",
        ],
    );
    assert!(http.output().contains("GET /plain/"), "{}", http.output());

    // proxy_read_timeout 2s on /good/: a quiet connection is dropped, and
    // pings keep it open.
    idle_timeout_is_named(
        &url("good"),
        "(the proxy (nginx) in front of the server: its proxy_read_timeout)",
    );
}

/// A connection left quiet (-w 10 after one echo) is dropped by the
/// proxy's 2 s idle timeout: exit 9, the silence each way, the cause and
/// --ping-interval named; with --ping-interval 0.5 it stays open until
/// wsprobe closes it after -w 3.
fn idle_timeout_is_named(url: &str, whose: &str) {
    let dropped = run(&["-d", "hi", "-w", "10", url], b"");
    dropped.expect(
        9,
        &[
            "connection closed abnormally: 1006 Abnormal Closure",
            "silent before the end: nothing received for ",
            "hint: the connection was quiet both ways for ",
            "and then dropped: an intermediary's idle timeout is the likely cause",
            whose,
            "--ping-interval 1 keeps it alive",
        ],
    );
    // The proxy's clock starts when it forwards the echo, a moment before
    // wsprobe reads it: the silence measured is 2 s give or take a little.
    let silent: f64 = dropped
        .stderr
        .split("nothing received for ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no silence in:\n{}", dropped.stderr));
    assert!(
        (1.8..=2.8).contains(&silent),
        "silence {silent} s, the timeout is 2 s"
    );
    let r = run(&["-d", "hi", "-w", "3", "--ping-interval", "0.5", url], b"");
    r.expect(0, &[]);
    assert_eq!(String::from_utf8_lossy(&r.stdout), "hi\n");
}

// ---------------------------------------------------------------- HAProxy

const HAPROXY_CFG: &str = r#"
global
  log stderr format raw local0 err
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 1s
  timeout tunnel 2s
frontend fe
  bind 127.0.0.1:@LISTEN@
  use_backend down if { path_beg /down/ }
  use_backend slow if { path_beg /slow/ }
  use_backend strip if { path_beg /strip/ }
  default_backend ws
backend ws
  server s1 127.0.0.1:@WS@
backend strip
  http-request del-header Connection
  http-request del-header Upgrade
  server s1 127.0.0.1:@WS@
backend down
  server s1 127.0.0.1:@DOWN@
backend slow
  server s1 127.0.0.1:@SLOW@
"#;

#[test]
fn haproxy_in_front_of_websockets_its_own_pages_are_recognised() {
    let Some(bin) = find("haproxy", "haproxy") else {
        return;
    };
    let echo = PythonEcho::start();
    let port = free_port();
    let dir = Daemon::dir("haproxy");
    let cfg = fill(
        HAPROXY_CFG,
        &[
            ("LISTEN", port),
            ("WS", echo.port()),
            ("DOWN", crate::support::refused_port()),
            ("SLOW", silent_backend()),
        ],
    );
    std::fs::write(dir.path().join("haproxy.cfg"), cfg).expect("write haproxy.cfg");
    let mut cmd = Command::new(bin);
    cmd.arg("-db").arg("-f").arg(dir.path().join("haproxy.cfg"));
    let _haproxy = Daemon::start("haproxy", cmd, dir, &[port]);
    let url = |path: &str| format!("ws://127.0.0.1:{port}/{path}/");

    works_through(&url("good"), &[]);
    // HAProxy sends no Server header: its error pages name it.
    run(&["-n", &url("down")], b"").expect(
        6,
        &[
            "the proxy (HAProxy) in front of the server could not reach the WebSocket server \
             behind it: 503 Service Unavailable",
            "| No server is available to handle this request.",
        ],
    );
    run(&["-n", &url("slow")], b"").expect(
        6,
        &["the proxy (HAProxy) in front of the server gave up waiting for the WebSocket server behind it: 504 Gateway Time-out"],
    );
    // Relayed from the backend, the refusal carries no trace of HAProxy.
    run(&["-n", &url("strip")], b"")
        .expect(
            6,
            &[
                "the server refused the WebSocket upgrade: 426 Upgrade Required",
                "missing Connection header",
                "a proxy in front of the server does not forward the hop-by-hop Upgrade and \
                 Connection headers",
            ],
        )
        .lacks("WebSocket version");

    // timeout tunnel 2s; the 101 came from the backend, unmarked: the
    // silence itself tells.
    idle_timeout_is_named(
        &url("good"),
        "(2.00 s is a round number of seconds, as timeouts are set)",
    );
}

// ----------------------------------------------------------- Apache httpd

const APACHE_CONF: &str = r#"
ServerRoot "@DIR@"
PidFile httpd.pid
ErrorLog error.log
LogLevel warn
Mutex file:@DIR@
ServerName 127.0.0.1
Listen 127.0.0.1:@LISTEN@
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
ProxyPass /good/ http://127.0.0.1:@WS@/ upgrade=websocket
ProxyPass /down/ http://127.0.0.1:@DOWN@/ upgrade=websocket
ProxyPass /plain/ http://127.0.0.1:@HTTP@/plain/ upgrade=websocket
"#;

#[test]
fn apache_httpd_with_upgrade_websocket_works_and_names_a_dead_backend() {
    let Some(bin) = find("apache2", "apache2") else {
        return;
    };
    let (echo, http) = (PythonEcho::start(), PlainHttp::start());
    let port = free_port();
    let dir = Daemon::dir("apache2");
    let conf = fill(
        APACHE_CONF,
        &[
            ("LISTEN", port),
            ("WS", echo.port()),
            ("DOWN", crate::support::refused_port()),
            ("HTTP", http.port()),
        ],
    )
    .replace("@DIR@", &dir.path().display().to_string());
    std::fs::write(dir.path().join("httpd.conf"), conf).expect("write httpd.conf");
    let mut cmd = Command::new(bin);
    cmd.arg("-X").arg("-f").arg(dir.path().join("httpd.conf"));
    let _apache = Daemon::start("apache2", cmd, dir, &[port]);
    let url = |path: &str| format!("ws://127.0.0.1:{port}/{path}/");

    works_through(&url("good"), &[]);
    // mod_proxy answers 503 when the backend refuses.
    run(&["-n", &url("down")], b"").expect(
        6,
        &[
            "the proxy (Apache httpd) in front of the server could not reach the WebSocket \
             server behind it: 503 Service Unavailable",
            "< Server: Apache/",
        ],
    );
    // mod_proxy relays the app's own Server header: nothing names Apache.
    run(&["-n", &url("plain")], b"").expect(
        6,
        &[
            "the server refused the WebSocket upgrade: 200 OK",
            "| <html><body><h1>a plain HTTP app</h1></body></html>",
            "behind a reverse proxy, that its route for this path leads to the WebSocket server",
        ],
    );
}

// ------------------------------------------------------------------ Caddy

const CADDYFILE: &str = r#"
{
  admin off
  auto_https off
}
http://127.0.0.1:@LISTEN@ {
  handle /down/* {
    reverse_proxy 127.0.0.1:@DOWN@
  }
  handle /strip/* {
    reverse_proxy 127.0.0.1:@WS@ {
      header_up -Connection
      header_up -Upgrade
    }
  }
  handle {
    reverse_proxy 127.0.0.1:@WS@
  }
}
"#;

#[test]
fn caddy_forwards_by_default_and_its_502_and_stripped_headers_are_named() {
    let Some(bin) = find("caddy", "caddy") else {
        return;
    };
    let echo = PythonEcho::start();
    let port = free_port();
    let dir = Daemon::dir("caddy");
    let conf = fill(
        CADDYFILE,
        &[
            ("LISTEN", port),
            ("WS", echo.port()),
            ("DOWN", crate::support::refused_port()),
        ],
    );
    std::fs::write(dir.path().join("Caddyfile"), conf).expect("write Caddyfile");
    let mut cmd = Command::new(bin);
    cmd.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.path().join("Caddyfile"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path());
    let _caddy = Daemon::start("caddy", cmd, dir, &[port]);
    let url = |path: &str| format!("ws://127.0.0.1:{port}/{path}/");

    works_through(&url("good"), &[]);
    run(&["-n", &url("down")], b"").expect(
        6,
        &["the proxy (Caddy) in front of the server could not reach the WebSocket server behind it: 502 Bad Gateway"],
    );
    run(&["-n", &url("strip")], b"")
        .expect(
            6,
            &[
                "426 Upgrade Required, through the proxy (Caddy) in front of it",
                "Caddy's reverse_proxy forwards the upgrade by default: look for header_up rules",
            ],
        )
        .lacks("WebSocket version");
}

// ------------------------------------------------------------------ Squid

const SQUID_CONF: &str = r#"
http_port 127.0.0.1:@LISTEN@
pid_filename @DIR@/squid.pid
cache_log @DIR@/cache.log
access_log none
cache deny all
cache_mem 1 MB
coredump_dir @DIR@
netdb_filename none
pinger_enable off
shutdown_lifetime 0 seconds
auth_param basic program /usr/lib/squid/basic_fake_auth
auth_param basic realm wsprobe-test
acl SSL_ports port 443 @WS@
acl CONNECT method CONNECT
acl users proxy_auth REQUIRED
http_access deny CONNECT !SSL_ports
http_access allow users
http_access deny all
"#;

#[test]
fn squid_refusals_are_the_proxys_naming_the_variable_and_the_rule() {
    let Some(bin) = find("squid", "squid") else {
        return;
    };
    let echo = PythonEcho::start();
    let port = free_port();
    let dir = Daemon::dir("squid");
    let conf = fill(SQUID_CONF, &[("LISTEN", port), ("WS", echo.port())])
        .replace("@DIR@", &dir.path().display().to_string());
    std::fs::write(dir.path().join("squid.conf"), conf).expect("write squid.conf");
    let mut cmd = Command::new(bin);
    cmd.args(["-N", "-n", &format!("wsprobe{port}"), "-f"])
        .arg(dir.path().join("squid.conf"));
    let _squid = Daemon::start("squid", cmd, dir, &[port]);
    let proxy = format!("http://127.0.0.1:{port}");
    let env = [("http_proxy", proxy.as_str())];

    // CONNECT to a port outside SSL_ports: Squid's 403, not the server's.
    let closed = crate::support::refused_port();
    let target = format!("ws://127.0.0.1:{closed}/");
    run_env(&["-n", &target], b"", &env).expect(
        4,
        &[
            &format!(
                "the proxy {proxy} (Squid) refused to open a tunnel to 127.0.0.1:{closed}: 403 Forbidden"
            ),
            "< X-Squid-Error: ERR_ACCESS_DENIED",
            &format!("add `acl SSL_ports port {closed}`"),
            "the WebSocket server was never asked",
            "the proxy comes from http_proxy",
        ],
    );
    // An allowed port, no credentials: 407.
    run_env(&["-n", &echo.url()], b"", &env).expect(
        4,
        &[
            &format!("the proxy {proxy} (Squid) wants authentication: 407"),
            "< Proxy-Authenticate: Basic realm=\"wsprobe-test\"",
            "give --proxy-user USER:PASS",
        ],
    );
    // With them, the tunnel carries the session.
    works_through(&echo.url(), &["-x", &proxy, "--proxy-user", "ws:probe"]);
}

// ------------------------------------------------------------------ Dante

const DANTE_CONF: &str = r#"
logoutput: stderr
internal: 127.0.0.1 port = @LISTEN@
external: 127.0.0.1
clientmethod: none
socksmethod: none
client pass { from: 127.0.0.1/32 to: 0.0.0.0/0 }
socks block { from: 0.0.0.0/0 to: 127.0.0.1/32 port = @BLOCKED@ log: error connect }
socks pass { from: 127.0.0.1/32 to: 127.0.0.0/8 }
"#;

#[test]
fn dante_refusing_a_destination_is_the_proxys_refusal_naming_the_flag() {
    let Some(bin) = find("danted", "dante-server") else {
        return;
    };
    let echo = PythonEcho::start();
    let (port, blocked) = (free_port(), crate::support::refused_port());
    let dir = Daemon::dir("dante");
    let conf = fill(DANTE_CONF, &[("LISTEN", port), ("BLOCKED", blocked)]);
    std::fs::write(dir.path().join("danted.conf"), conf).expect("write danted.conf");
    let mut cmd = Command::new(bin);
    cmd.arg("-f")
        .arg(dir.path().join("danted.conf"))
        .arg("-p")
        .arg(dir.path().join("danted.pid"));
    let _dante = Daemon::start("danted", cmd, dir, &[port]);
    let proxy = format!("socks5://127.0.0.1:{port}");

    let target = format!("ws://127.0.0.1:{blocked}/");
    run(&["-n", "-x", &proxy, &target], b"").expect(
        4,
        &[
            &format!(
                "the SOCKS5 proxy {proxy} could not connect to 127.0.0.1:{blocked}: \
                 connection not allowed by ruleset (reply 2)"
            ),
            "the refusal is the proxy's, the WebSocket server was never asked",
            "the proxy comes from -x (--proxy)",
        ],
    );
    works_through(&echo.url(), &["-x", &proxy]);
}
