//! Listen mode's flags (`-l` and the ones that only mean something with
//! it), flattened into [`super::Cli`]: syntax only, as the rest of `cli`.

use clap::{ArgAction, Args};
use std::path::PathBuf;

/// The help of -l: in constants, not a doc comment, because rustdoc would
/// read its brackets as links.
const LISTEN_SHORT: &str = "Be the server: listen on [ADDR:]PORT for WebSocket clients, show \
what they send and diagnose what they do wrong.";
/// The long help of -l.
const LISTEN_HELP: &str = "\
Be the server: listen on [ADDR:]PORT for WebSocket clients, show what they send and diagnose what \
they do wrong.

ADDR defaults to 127.0.0.1 (nothing is exposed unless asked: -l 0.0.0.0:8080, -l [::]:8080); port 0 \
picks a free port. The first line on stderr is '* Listening on ws://ADDR:PORT/' (with --json, a \
'listening' event). Messages from clients go to stdout; standard input and -d go to every connected \
client, and what is read before the first client connects waits for it. Runs until Ctrl-C (every \
client is closed with 1001) or --max-time; with --once, until its one client's session ends. -H adds \
response headers.

Example: wsprobe -l 8080 --echo";

/// `-l [ADDR:]PORT` and its companions.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Listen mode: the address and port to serve clients on (the help
    /// text is `LISTEN_SHORT` and `LISTEN_HELP`: it shows brackets).
    #[arg(short = 'l', long, value_name = "[ADDR:]PORT", conflicts_with = "url",
          help = LISTEN_SHORT, long_help = LISTEN_HELP, help_heading = "Listen")]
    pub listen: Option<String>,

    /// With -l, the most clients connected at once; one more is answered
    /// 503 Service Unavailable.
    #[arg(long, value_name = "N", default_value = "32", help_heading = "Listen")]
    pub max_clients: usize,

    /// With -l, serve one client, then exit with that session's status
    /// (the exit table below); -c, -w and --max-time end it as they end a
    /// client session. Other clients are answered 503 meanwhile.
    #[arg(long, requires = "listen", help_heading = "Listen")]
    pub once: bool,

    /// With -l, accept this subprotocol (repeatable): the first one the
    /// client offers that is accepted is chosen. Without it none is chosen
    /// (-v shows what was offered).
    #[arg(long = "accept-subprotocol", value_name = "NAME", action = ArgAction::Append,
          num_args = 1, requires = "listen", help_heading = "Listen")]
    pub accept_subprotocols: Vec<String>,

    /// With -l, serve wss://: the certificate chain, PEM, leaf first (with
    /// --tls-key).
    ///
    /// For clients that connect only securely (a page served over https
    /// cannot open ws://). A file that cannot be used is an error before
    /// listening.
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"],
          help_heading = "Listen")]
    pub tls_cert: Option<PathBuf>,

    /// With -l, answer plain GET requests with the files in DIR
    /// (index.html for a directory), so that a page and its WebSocket
    /// share one origin.
    ///
    /// Read-only; a path never leads outside DIR (no '..', no symlink
    /// out). Example: wsprobe -l 8080 --static ./site, then open
    /// http://127.0.0.1:8080/ in a browser.
    #[arg(
        long = "static",
        value_name = "DIR",
        requires = "listen",
        help_heading = "Listen"
    )]
    pub static_dir: Option<PathBuf>,

    /// With -l, the private key of --tls-cert: PEM (PKCS#8, PKCS#1 or
    /// SEC1), not encrypted.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        help_heading = "Listen"
    )]
    pub tls_key: Option<PathBuf>,
}
