//! The command-line contract: clap derive structs, syntax only.
//!
//! Everything a user can type is declared here, with its help text. Nothing
//! here reads the environment, opens files or decides policy: `config.rs`
//! turns a parsed [`Cli`] into a [`crate::config::Config`]. The flag names
//! are an interface that scripts rely on (see DESIGN.md, "The CLI contract").

mod listen;

pub use listen::ListenArgs;

use crate::protocol::frame::{CLOSE_CODES_ALLOWED, close_code_on_wire};
use clap::{ArgAction, Parser, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Examples:
  wsprobe ws://127.0.0.1:8080/chat                 on a terminal: interactive REPL (/help)
  cat msgs.txt | wsprobe ws://127.0.0.1:8080/chat  send each line, print replies
  printf '%s\\n' a b | wsprobe ws://host/echo -c 2  send two lines, exit after two replies
  wsprobe -n -d '{\"op\":\"sub\"}' -w 5 wss://host/feed  send one message, listen for 5 s of quiet
  wsprobe -b --whole ws://host/bin < image.png > echoed.png
  wsprobe -v wss://host/path                       show DNS, TCP, TLS, the handshake and timings
  wsprobe -x socks5h://127.0.0.1:1080 wss://host/  go through a SOCKS5 proxy
  wsprobe -n -d ping --expect pong wss://host/ws   health check: exit 11 unless pong comes in 10 s
  wsprobe --check wss://host/path                  a conformance and health report of the server
  wsprobe -l 8080 --echo                           be an echo server on 127.0.0.1:8080
  wsprobe -l 0 --once -d hi | jq                   serve one client, print what it sends

Exit status:
  0 clean close (1000/1001) or ended as asked   6 upgrade rejected (status other than 101)
  1 other error                                 7 invalid handshake response
  2 usage error                                 8 protocol violation by the server
  3 name resolution failed                      9 abnormal close (code other than 1000/1001, or none)
  4 connect failed or timed out (also proxy)    10 timeout during the session
  5 TLS failed                                  11 --expect not met
                                                12 the --exec program failed
                                                13 --check: a probe failed
                                                130 interrupted";

/// A WebSocket client for scripts and people, and a diagnostic tool for
/// handshakes that fail.
///
/// wsprobe connects to a WebSocket URL, sends each line of standard input as
/// a message and writes every message it receives to standard output, one per
/// line. Diagnostics go to standard error; the exit status says how the
/// session ended. On a terminal it opens an interactive REPL instead: line
/// editing, history, and slash commands for pings, binary, raw frames and
/// closing (type /help).
#[derive(Debug, Parser)]
#[command(
    name = "wsprobe",
    version,
    after_help = AFTER_HELP,
    max_term_width = 100
)]
pub struct Cli {
    /// The WebSocket URL: ws://, wss://, http:// or https:// (aliases), or
    /// host:port for ws://.
    #[arg(value_name = "URL", required_unless_present_any = ["generate", "listen"])]
    pub url: Option<String>,

    // ----- listen -----
    /// Listen mode's flags (-l and the ones that go with it).
    #[command(flatten)]
    pub server: listen::ListenArgs,

    // ----- request -----
    /// Add a request header, 'Name: value' (repeatable).
    ///
    /// The header is sent as typed, in its case. Host replaces the default
    /// Host header. The headers the WebSocket handshake owns (Upgrade,
    /// Connection, Sec-WebSocket-Key, Sec-WebSocket-Version,
    /// Sec-WebSocket-Extensions) cannot be set; Sec-WebSocket-Protocol adds
    /// to the subprotocols offered, like -s.
    ///
    /// Example: -H 'Authorization: Bearer TOKEN'
    #[arg(short = 'H', long = "header", value_name = "HEADER", action = ArgAction::Append,
          num_args = 1, help_heading = "Request")]
    pub headers: Vec<String>,

    /// Send an Origin header.
    #[arg(long, value_name = "URL", help_heading = "Request")]
    pub origin: Option<String>,

    /// Offer a subprotocol in Sec-WebSocket-Protocol (repeatable, in order of
    /// preference).
    #[arg(short = 's', long = "subprotocol", value_name = "NAME", action = ArgAction::Append,
          num_args = 1, help_heading = "Request")]
    pub subprotocols: Vec<String>,

    /// Basic authentication, USER:PASS (user:pass@ in the URL works too).
    #[arg(
        short = 'u',
        long = "user",
        value_name = "USER:PASS",
        help_heading = "Request"
    )]
    pub user: Option<String>,

    /// The User-Agent header (default: wsprobe/VERSION; empty to send none).
    #[arg(
        short = 'A',
        long = "user-agent",
        value_name = "NAME",
        help_heading = "Request"
    )]
    pub user_agent: Option<String>,

    /// Offer permessage-deflate compression (RFC 7692), as browsers do: on
    /// by default.
    ///
    /// The offer is 'permessage-deflate; client_max_window_bits'; whatever
    /// parameters the server answers with are honoured. -v shows what was
    /// agreed, -vv the compressed and uncompressed size of each message.
    #[arg(long, overrides_with = "no_compress", help_heading = "Request")]
    pub compress: bool,

    /// Offer no compression (no Sec-WebSocket-Extensions header): frames on
    /// the wire then carry the messages as they are.
    #[arg(long, overrides_with = "compress", help_heading = "Request")]
    pub no_compress: bool,

    // ----- tls -----
    /// Do not verify the server's certificate chain or name.
    #[arg(short = 'k', long, help_heading = "TLS")]
    pub insecure: bool,

    /// Trust the certificates in this PEM file, in addition to the built-in
    /// roots.
    ///
    /// The built-in roots (Mozilla's, compiled in) stay trusted. Without
    /// --cacert, the SSL_CERT_FILE variable names such a file instead.
    /// The same trust anchors check an https:// proxy.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cacert: Option<PathBuf>,

    /// Client certificate for mutual TLS: a PEM file, leaf first, then any
    /// intermediates (the private key may follow in the same file).
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert: PEM, PKCS#8 ('PRIVATE KEY'), PKCS#1 ('RSA
    /// PRIVATE KEY') or SEC1 ('EC PRIVATE KEY'), not encrypted.
    ///
    /// A key that does not belong to the certificate is an error before
    /// connecting.
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "TLS")]
    pub key: Option<PathBuf>,

    /// The lowest TLS version to accept (default 1.2).
    #[arg(long, value_name = "VERSION", help_heading = "TLS")]
    pub tls_min: Option<TlsVersion>,

    /// The highest TLS version to offer (default 1.3).
    #[arg(long, value_name = "VERSION", help_heading = "TLS")]
    pub tls_max: Option<TlsVersion>,

    /// Send NAME as the TLS server name (SNI), and check the certificate
    /// against NAME instead of the URL's host.
    ///
    /// The Host header still comes from the URL. For testing virtual hosts:
    /// wsprobe --sni staging.example wss://10.0.0.7/
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "no_sni",
        help_heading = "TLS"
    )]
    pub sni: Option<String>,

    /// Send no TLS server name (SNI); the certificate is still checked
    /// against the URL's host.
    #[arg(long, help_heading = "TLS")]
    pub no_sni: bool,

    // ----- network -----
    /// Connect through this proxy: an http://, https://, socks5:// or
    /// socks5h:// URL, with USER:PASS@ before the host if it wants them.
    ///
    /// http:// and https:// proxies are asked for a tunnel with CONNECT
    /// (https:// speaks TLS to the proxy); socks5:// resolves the server's
    /// name here, socks5h:// lets the proxy resolve it. Without a scheme,
    /// http:// is meant. The port defaults to 1080 (443 for https://).
    /// Overrides the ws_proxy, http_proxy, wss_proxy, https_proxy and
    /// all_proxy variables; -x '' ignores them.
    #[arg(short = 'x', long, value_name = "URL", help_heading = "Network")]
    pub proxy: Option<String>,

    /// Credentials for the proxy, USER:PASS (Basic for http(s)://,
    /// username/password for SOCKS5). Overrides user:pass@ in the proxy URL.
    #[arg(long, value_name = "USER:PASS", help_heading = "Network")]
    pub proxy_user: Option<String>,

    /// Hosts to reach without a proxy, comma-separated ('*' for all).
    /// Overrides the no_proxy variable.
    ///
    /// A name matches itself and its subdomains ('example.com' and
    /// '.example.com' both match api.example.com); an address matches
    /// itself; ADDR/BITS matches a network.
    #[arg(long, value_name = "LIST", help_heading = "Network")]
    pub noproxy: Option<String>,

    /// Connect to this unix domain socket instead of the URL's host; the URL
    /// still gives the Host header, the path and ws:// or wss://.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "proxy",
        help_heading = "Network"
    )]
    pub unix_socket: Option<PathBuf>,

    /// Like --unix-socket, for a socket in Linux's abstract namespace (NAME
    /// without the leading NUL byte).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["proxy", "unix_socket"],
          help_heading = "Network")]
    pub abstract_unix_socket: Option<String>,

    /// Use IPv4 addresses only.
    #[arg(short = '4', long, conflicts_with = "ipv6", help_heading = "Network")]
    pub ipv4: bool,

    /// Use IPv6 addresses only.
    #[arg(short = '6', long, help_heading = "Network")]
    pub ipv6: bool,

    /// Use ADDR for HOST:PORT instead of asking the resolver (repeatable;
    /// ADDR may be a comma-separated list; HOST may be '*').
    ///
    /// Example: --resolve example.com:443:127.0.0.1 keeps the Host header,
    /// the TLS server name and certificate check for example.com.
    #[arg(long, value_name = "HOST:PORT:ADDR", action = ArgAction::Append, num_args = 1,
          help_heading = "Network")]
    pub resolve: Vec<String>,

    /// Connect to HOST2:PORT2 whenever HOST:PORT is asked for (repeatable;
    /// an empty field matches anything, or keeps the original).
    ///
    /// The Host header, the TLS server name and the certificate check keep
    /// the URL's host. Example: --connect-to example.com:443:127.0.0.1:8443
    #[arg(long, value_name = "HOST:PORT:HOST2:PORT2", action = ArgAction::Append,
          num_args = 1, help_heading = "Network")]
    pub connect_to: Vec<String>,

    /// Follow redirects (301, 302, 303, 307, 308) of the upgrade request.
    ///
    /// http:// and https:// locations mean ws:// and wss://. Credentials
    /// (Authorization and Cookie headers, -u, user:pass@) are not sent to
    /// another host, port or scheme.
    #[arg(short = 'L', long, help_heading = "Network")]
    pub location: bool,

    /// With -L, the most redirects to follow.
    #[arg(long, value_name = "N", default_value = "10", help_heading = "Network")]
    pub max_redirs: u32,

    /// Give up connecting after SECS seconds: name resolution, TCP, the
    /// proxy and TLS together.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs,
          help_heading = "Network")]
    pub connect_timeout: f64,

    /// Give up waiting for the handshake response after SECS seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs,
          help_heading = "Network")]
    pub handshake_timeout: f64,

    // ----- input -----
    /// Send MSG first, before standard input (repeatable). @FILE sends the
    /// contents of FILE as one message.
    #[arg(short = 'd', long = "data", value_name = "MSG", action = ArgAction::Append,
          num_args = 1, help_heading = "Input")]
    pub data: Vec<String>,

    /// Do not read standard input: send only the --data messages.
    #[arg(short = 'n', long = "no-input", help_heading = "Input")]
    pub no_input: bool,

    /// Send binary messages instead of text, and write received binary
    /// messages to stdout byte for byte.
    #[arg(short = 'b', long, help_heading = "Input")]
    pub binary: bool,

    /// Standard input holds NUL-separated records, not lines.
    #[arg(
        short = '0',
        long = "null",
        conflicts_with = "whole",
        help_heading = "Input"
    )]
    pub null: bool,

    /// Send all of standard input as one message.
    #[arg(long, help_heading = "Input")]
    pub whole: bool,

    /// Send every message received back to the server, with the same type
    /// (text as text, binary as binary).
    ///
    /// For testing servers and for conformance runs (the Autobahn
    /// TestSuite). Standard input is not read (as with -n); --data messages
    /// are sent first. The session lasts until the server closes, or until
    /// -c N messages or --max-time: --wait does not end it. No REPL.
    #[arg(long, conflicts_with = "interactive", help_heading = "Input")]
    pub echo: bool,

    /// Use the interactive REPL even when standard output is not a terminal.
    ///
    /// The REPL starts by itself when standard input and output are both
    /// terminals. With -i it draws on the terminal (/dev/tty) whatever
    /// standard output is. Standard input must be a terminal.
    #[arg(short = 'i', long, conflicts_with_all = ["no_repl", "no_input", "null", "whole"],
          help_heading = "Input")]
    pub interactive: bool,

    /// Never start the REPL: on a terminal too, send each line as typed.
    #[arg(long, help_heading = "Input")]
    pub no_repl: bool,

    /// Do not read or write the REPL history file.
    ///
    /// The history lives in $XDG_STATE_HOME/wsprobe/history (by default
    /// ~/.local/state/wsprobe/history). Lines that start with a space, and
    /// lines that look like they carry a credential (token, password,
    /// Authorization, Cookie, ...), are never written to it.
    #[arg(long, help_heading = "Input")]
    pub no_history: bool,

    // ----- ending -----
    /// Exit after N messages have been received.
    #[arg(short = 'c', long, value_name = "N", help_heading = "Ending")]
    pub count: Option<u64>,

    /// After input ends, close once no message has arrived for SECS seconds
    /// [default: 1; with --count, wait for the count].
    ///
    /// The timer restarts with every message received, so replies in flight
    /// are not lost. 0 closes as soon as input ends (replies sent before the
    /// server's Close are still printed). With --count and no --wait, wsprobe
    /// waits for the N messages (bounded by --max-time, if given).
    #[arg(short = 'w', long, value_name = "SECS", value_parser = parse_secs,
          help_heading = "Ending")]
    pub wait: Option<f64>,

    /// Close the session after SECS seconds in all (exit status 10).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Ending")]
    pub max_time: Option<f64>,

    /// The code of the Close frame wsprobe sends.
    #[arg(long, value_name = "N", default_value = "1000", value_parser = parse_close_code,
          help_heading = "Ending")]
    pub close_code: u16,

    /// The reason text of the Close frame wsprobe sends (at most 123 bytes).
    #[arg(long, value_name = "TEXT", help_heading = "Ending")]
    pub close_reason: Option<String>,

    /// How long to wait for the server's Close after sending ours.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = parse_secs,
          help_heading = "Ending")]
    pub close_timeout: f64,

    /// The largest message accepted from the server, in bytes (after
    /// decompression); a larger one fails the session with close code 1009.
    #[arg(
        long,
        value_name = "BYTES",
        default_value = "67108864",
        help_heading = "Ending"
    )]
    pub max_message_size: usize,

    /// The largest frame accepted from the server, in bytes as sent
    /// (default: the --max-message-size limit).
    ///
    /// A frame header announcing more fails the session at once, with close
    /// code 1009, before any of its payload is read.
    #[arg(long, value_name = "BYTES", help_heading = "Ending")]
    pub max_frame_size: Option<usize>,

    // ----- scripting -----
    /// Wait until a received message matches the regular expression
    /// PATTERN (repeatable: met in order, with --expect-json).
    ///
    /// The pattern is searched for anywhere in the message (the regex
    /// crate's syntax without Unicode classes: \d and \w are ASCII; anchor
    /// it with ^ and $). When every expectation has been met,
    /// wsprobe closes the session cleanly and exits 0; when one is not met
    /// within --expect-timeout, or the server closes first, it exits 11 and
    /// shows the last messages that arrived instead. Messages are printed as
    /// usual meanwhile.
    #[arg(long, value_name = "PATTERN", action = ArgAction::Append,
          help_heading = "Scripting")]
    pub expect: Vec<String>,

    /// Wait until a received JSON message passes TEST, a jq path alone
    /// (it must be neither null nor false) or compared with == or != to a
    /// JSON value, or with <, <=, > or >= to a number: '.type == "welcome"',
    /// '.data.id != 0', '.version >= 2', '.ok' (see the man page, SCRIPTS).
    /// Repeatable; met in order with --expect.
    #[arg(long, value_name = "TEST", action = ArgAction::Append,
          help_heading = "Scripting")]
    pub expect_json: Vec<String>,

    /// How long each --expect or --expect-json waits, from the moment the
    /// one before it was met (or the connection opened).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs,
          help_heading = "Scripting")]
    pub expect_timeout: f64,

    /// At the end, whatever the outcome, write FORMAT with its %{variables}
    /// filled in, as curl's --write-out does: to stdout after the messages.
    ///
    /// '%{time_open}s %{http_code} %{close_code}\n' or '%{json}' (every
    /// variable in one JSON object); %{stderr} and %output{FILE} send what
    /// follows elsewhere; @FILE reads the format from FILE. The variables
    /// are listed in the man page (WRITE-OUT VARIABLES).
    #[arg(long, value_name = "FORMAT", help_heading = "Scripting")]
    pub write_out: Option<String>,

    /// After a drop or a failed connection, connect again, up to N times
    /// (or 'forever'), replaying the -d messages on each new connection.
    ///
    /// Waits --retry-delay, doubling each time (at most 30 s, or longer when
    /// a 429 or 503 says Retry-After), with jitter. Each drop is reported
    /// with its diagnosis and the attempt number. A failure that would only
    /// repeat is not retried: a usage error, a 4xx other than 408 and 429, a
    /// certificate or handshake problem, a protocol violation. A Close from
    /// the server with 1001, 1011, 1012, 1013 or 1014 (going away, restarting,
    /// overloaded) is a drop; 1000 ends the run. Stdin lines wait while
    /// disconnected (reading pauses; nothing is dropped), and lines read but
    /// not yet sent go out on the next connection.
    #[arg(long, value_name = "N", value_parser = parse_retries, help_heading = "Scripting")]
    pub retry: Option<u64>,

    /// The wait before the first retry; it doubles after each.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_secs,
          requires = "retry", help_heading = "Scripting")]
    pub retry_delay: f64,

    /// Start no retry once SECS have passed since the first attempt.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, requires = "retry",
          help_heading = "Scripting")]
    pub retry_max_time: Option<f64>,

    /// Run COMMAND (with sh -c) on the connection: each line it writes (or
    /// record, with -0, --whole, -b) is sent as a message, and each message
    /// received is written to its stdin, followed by a newline (NUL with -0,
    /// nothing with --whole). Its stderr is wsprobe's.
    ///
    /// Stdin is not read, and received messages do not go to stdout. The
    /// session closes when the program exits (after --wait, which defaults
    /// to 0 here), or the program's stdin closes when the server ends the
    /// session. A status other than 0, a signal, or messages it stopped
    /// taking make the exit status 12. The program sees WSPROBE_URL and, when
    /// one was agreed, WSPROBE_SUBPROTOCOL. With -l, one program per client
    /// (a WebSocket server in one line, as websocketd): it talks to that
    /// client alone, sees the request in the CGI variables (PATH_INFO,
    /// QUERY_STRING, REMOTE_ADDR, REMOTE_PORT, HTTP_ORIGIN and every header
    /// as HTTP_NAME), and its exit closes that client with 1000.
    #[arg(long, value_name = "COMMAND", conflicts_with_all = ["echo", "no_input", "retry", "interactive"],
          help_heading = "Scripting")]
    pub exec: Option<String>,

    /// The expectations in the order they were given on the command line
    /// (filled by [`Cli::parse_args`]; --expect and --expect-json are
    /// separate lists otherwise).
    #[arg(skip)]
    pub expectations: Vec<ExpectArg>,

    // ----- liveness -----
    /// Send a ping every SECS seconds, to keep the connection alive and to
    /// notice a dead peer [REPL default: 20, with --ping-timeout 20].
    ///
    /// Pipe mode sends no pings unless asked, so that what it measures is
    /// the path as it is: a proxy's idle timeout shows as a drop after a
    /// silence, which wsprobe names. With -l, each client is pinged, and
    /// one that stops answering is disconnected (the others go on).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Liveness")]
    pub ping_interval: Option<f64>,

    /// Fail (exit status 10) when a keepalive ping has no pong after SECS
    /// seconds (default: the ping interval); with -l, that client is
    /// disconnected.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, requires = "ping_interval",
          help_heading = "Liveness")]
    pub ping_timeout: Option<f64>,

    // ----- check -----
    /// Check the server at URL instead of opening a session: run a battery
    /// of probes, some of which send deliberately invalid frames, and print
    /// a report (exit status 13 when a probe failed).
    ///
    /// One line per probe (pass, warn, fail or info) with the facts
    /// measured and the RFC section of each failure, then a summary. The
    /// probes: the handshake (101, Accept, tokens, subprotocol and
    /// extension answers, a version 8 request, a request without a key),
    /// pings and the close handshake, the server's enforcement of the
    /// protocol, echo probes when the server echoes (fragments, sizes up to
    /// 4 MiB, its largest message), permessage-deflate, and TLS. Check
    /// sends deliberately invalid frames and requests, which the server may
    /// log as errors. The connection options apply (headers, Origin, -s,
    /// TLS, proxies, --resolve, --connect-to, unix sockets). Exit status 0
    /// when no probe failed, 13 when one did. --json writes the report as
    /// one JSON object. The man page lists every probe (CHECK PROBES).
    ///
    /// Example: wsprobe --check wss://example.com/socket
    #[arg(long, conflicts_with_all = ["interactive", "echo", "exec"], help_heading = "Check")]
    pub check: bool,

    /// With --check, also measure how long a silent connection lives (up to
    /// SECS) and who ends it: a Close with a code, or a drop (often a
    /// proxy's idle timeout).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Check")]
    pub idle: Option<f64>,

    // ----- output -----
    /// Show the connection and handshake (-v); repeat for more.
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,

    /// Indent JSON text messages (received, and sent by REPL commands).
    #[arg(long, help_heading = "Output")]
    pub pretty: bool,

    /// Print nothing on stderr but errors.
    #[arg(short = 'q', long, conflicts_with = "verbose", help_heading = "Output")]
    pub quiet: bool,

    /// Write every event as one JSON object per line on stdout (NDJSON),
    /// instead of bare message payloads.
    ///
    /// The events and their fields are listed in the man page (JSON EVENTS).
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Write the session to FILE as HAR 1.2: the upgrade request and
    /// response, timings, and every message in _webSocketMessages (as
    /// browsers export them).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub har: Option<PathBuf>,

    /// Show Authorization, Proxy-Authorization, Cookie and Set-Cookie values
    /// in traces, --json and --har (they are redacted by default).
    #[arg(long, help_heading = "Output")]
    pub show_secrets: bool,

    /// Start each trace line (and each REPL line) with the seconds since
    /// wsprobe started.
    #[arg(long, help_heading = "Output")]
    pub timestamps: bool,

    /// When to use colour on stderr.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Write shell completions or the man page to stdout.
    #[arg(long, value_name = "KIND", hide = true, exclusive = true)]
    pub generate: Option<Generate>,

    /// Testing only: fixed keys and masks, for byte-exact output.
    #[arg(long, hide = true)]
    pub deterministic: bool,
}

/// One `--expect` or `--expect-json`, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectArg {
    /// `--expect PATTERN`.
    Regex(String),
    /// `--expect-json TEST`.
    Json(String),
}

impl Cli {
    /// Parse a command line (`args` starts with the program name), keeping
    /// the order of expectations across --expect and --expect-json.
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let indexed = |id: &str| -> Vec<usize> {
            matches
                .indices_of(id)
                .map(|i| i.collect())
                .unwrap_or_default()
        };
        let mut all: Vec<(usize, ExpectArg)> = indexed("expect")
            .into_iter()
            .zip(cli.expect.iter().cloned().map(ExpectArg::Regex))
            .chain(
                indexed("expect_json")
                    .into_iter()
                    .zip(cli.expect_json.iter().cloned().map(ExpectArg::Json)),
            )
            .collect();
        all.sort_by_key(|(i, _)| *i);
        cli.expectations = all.into_iter().map(|(_, e)| e).collect();
        Ok(cli)
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--tls-min`, `--tls-max`: the versions rustls speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[value(name = "1.2")]
    V1_2,
    /// TLS 1.3.
    #[value(name = "1.3")]
    V1_3,
}

/// `--generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// bash completions.
    Bash,
    /// zsh completions.
    Zsh,
    /// fish completions.
    Fish,
    /// PowerShell completions.
    Powershell,
    /// elvish completions.
    Elvish,
    /// The man page (roff).
    Man,
}

/// A duration in seconds: a finite, non-negative decimal number.
fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("'{s}' is not a number of seconds (0 or more)"));
    }
    if v > 1.0e9 {
        return Err(format!("'{s}' seconds is too long"));
    }
    Ok(v)
}

/// `--retry N`: a count, or `forever` (u64::MAX).
fn parse_retries(s: &str) -> Result<u64, String> {
    match s.trim() {
        "forever" => Ok(u64::MAX),
        n => n
            .parse()
            .map_err(|_| format!("'{s}' is not a number of retries (or 'forever')")),
    }
}

/// A Close code we may send: one that may appear on the wire
/// ([`close_code_on_wire`], RFC 6455 section 7.4).
pub fn parse_close_code(s: &str) -> Result<u16, String> {
    let v: u16 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a close code"))?;
    if close_code_on_wire(v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} may not be sent: use {CLOSE_CODES_ALLOWED} (RFC 6455 section 7.4)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_args(std::iter::once("wsprobe").chain(args.iter().copied()))
    }

    #[test]
    fn expectations_keep_their_order_across_both_flags() {
        let cli = parse(&[
            "--expect",
            "a",
            "--expect-json",
            ".b",
            "--expect",
            "c",
            "h:1",
        ])
        .expect("parses");
        assert_eq!(
            cli.expectations,
            vec![
                ExpectArg::Regex("a".into()),
                ExpectArg::Json(".b".into()),
                ExpectArg::Regex("c".into())
            ]
        );
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn header_never_swallows_the_url() {
        let cli = parse(&["-H", "X-A: 1", "ws://h/", "-H", "X-B: 2"]).expect("parses");
        assert_eq!(cli.url.as_deref(), Some("ws://h/"));
        assert_eq!(cli.headers, ["X-A: 1", "X-B: 2"]);
    }

    #[test]
    fn repeatable_flags_keep_order() {
        let cli = parse(&["-s", "b", "-s", "a", "-d", "1", "-d", "@f", "h:1"]).expect("parses");
        assert_eq!(cli.subprotocols, ["b", "a"]);
        assert_eq!(cli.data, ["1", "@f"]);
    }

    #[test]
    fn verbosity_counts() {
        assert_eq!(parse(&["-vvv", "h:1"]).expect("parses").verbose, 3);
        assert!(parse(&["-v", "-q", "h:1"]).is_err());
    }

    #[test]
    fn seconds_are_validated() {
        assert_eq!(
            parse(&["-w", "0.25", "h:1"]).expect("parses").wait,
            Some(0.25)
        );
        assert!(parse(&["-w", "-1", "h:1"]).is_err());
        assert!(parse(&["-w", "soon", "h:1"]).is_err());
        assert!(parse(&["--max-time", "inf", "h:1"]).is_err());
    }

    #[test]
    fn close_codes_are_validated() {
        assert_eq!(
            parse(&["--close-code", "4000", "h:1"])
                .expect("ok")
                .close_code,
            4000
        );
        for bad in ["1005", "1006", "1015", "999", "2999", "5000", "x"] {
            assert!(parse(&["--close-code", bad, "h:1"]).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_is_required_except_for_generate() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--generate", "man"]).is_ok());
        assert!(parse(&["--generate", "man", "h:1"]).is_err());
    }

    #[test]
    fn listen_replaces_the_url() {
        let cli = parse(&["-l", "0", "--once", "--accept-subprotocol", "a"]).expect("parses");
        assert_eq!(cli.server.listen.as_deref(), Some("0"));
        assert!(cli.server.once && cli.url.is_none() && cli.server.max_clients == 32);
        assert_eq!(cli.server.accept_subprotocols, ["a"]);
        assert!(parse(&["-l", "0", "ws://h/"]).is_err(), "both");
        assert!(
            parse(&["-l", "0", "--tls-cert", "c.pem"]).is_err(),
            "needs --tls-key"
        );
        assert!(
            parse(&["-l", "0", "--tls-key", "k.pem"]).is_err(),
            "needs --tls-cert"
        );
        let tls = parse(&["-l", "0", "--tls-cert", "c", "--tls-key", "k"]).expect("parses");
        assert!(tls.server.tls_cert.is_some() && tls.server.tls_key.is_some());
        // With a URL, clap lets these through (the -l they require
        // conflicts with it); config refuses them.
        assert!(parse(&["--once"]).is_err(), "--once alone needs -l");
    }

    #[test]
    fn compression_is_on_unless_the_last_word_says_no() {
        let on = |args: &[&str]| {
            let c = parse(args).expect("parses");
            !c.no_compress
        };
        assert!(on(&["h:1"]));
        assert!(on(&["--compress", "h:1"]));
        assert!(!on(&["--no-compress", "h:1"]));
        assert!(on(&["--no-compress", "--compress", "h:1"]));
        assert!(!on(&["--compress", "--no-compress", "h:1"]));
    }

    #[test]
    fn network_flags_parse_and_conflict() {
        let cli = parse(&[
            "-x",
            "socks5h://p:1080",
            "-4",
            "--resolve",
            "h:1:127.0.0.1",
            "--resolve",
            "*:2:::1",
            "--connect-to",
            "::h2:",
            "-L",
            "h:1",
        ])
        .expect("parses");
        assert_eq!(cli.proxy.as_deref(), Some("socks5h://p:1080"));
        assert_eq!(cli.resolve, ["h:1:127.0.0.1", "*:2:::1"]);
        assert!(cli.ipv4 && cli.location && cli.max_redirs == 10);
        assert!(parse(&["-4", "-6", "h:1"]).is_err());
        assert!(parse(&["-x", "http://p", "--unix-socket", "/s", "h:1"]).is_err());
        assert!(
            parse(&["--key", "k.pem", "h:1"]).is_err(),
            "--key needs --cert"
        );
        assert!(parse(&["--sni", "a", "--no-sni", "h:1"]).is_err());
    }

    #[test]
    fn tls_versions_are_1_2_and_1_3() {
        let cli = parse(&["--tls-min", "1.2", "--tls-max", "1.3", "h:1"]).expect("parses");
        assert_eq!(cli.tls_min, Some(TlsVersion::V1_2));
        assert_eq!(cli.tls_max, Some(TlsVersion::V1_3));
        assert!(TlsVersion::V1_2 < TlsVersion::V1_3);
        assert!(parse(&["--tls-min", "1.1", "h:1"]).is_err());
    }

    #[test]
    fn repl_flags_conflict_with_pipe_only_ones() {
        assert!(parse(&["-i", "h:1"]).expect("ok").interactive);
        for other in ["--no-repl", "-n", "-0", "--whole"] {
            assert!(parse(&["-i", other, "h:1"]).is_err(), "{other}");
        }
        assert!(parse(&["--no-repl", "--no-history", "h:1"]).is_ok());
    }

    #[test]
    fn ping_timeout_needs_an_interval() {
        assert!(parse(&["--ping-timeout", "1", "h:1"]).is_err());
        let cli = parse(&["--ping-interval", "0.5", "--ping-timeout", "2", "h:1"]).expect("ok");
        assert_eq!(
            (cli.ping_interval, cli.ping_timeout),
            (Some(0.5), Some(2.0))
        );
    }

    #[test]
    fn check_is_a_flag_beside_the_url() {
        let cli = parse(&["--check", "--idle", "3", "ws://h/"]).expect("parses");
        assert!(cli.check);
        assert_eq!(cli.idle, Some(3.0));
        assert_eq!(cli.url.as_deref(), Some("ws://h/"));
        assert!(parse(&["--check", "--echo", "h:1"]).is_err());
        assert!(parse(&["--check", "-i", "h:1"]).is_err());
        assert!(parse(&["--check", "--exec", "cat", "h:1"]).is_err());
        assert!(parse(&["--check", "--idle", "-1", "h:1"]).is_err());
    }

    #[test]
    fn null_and_whole_conflict() {
        assert!(parse(&["-0", "--whole", "h:1"]).is_err());
        assert!(parse(&["-0", "-b", "h:1"]).is_ok());
    }
}
