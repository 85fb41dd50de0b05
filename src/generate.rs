//! Shell completions and the man page, generated from the clap definition
//! in `cli.rs` (hidden `--generate KIND`). The committed copies under
//! `completions/` and `man/` are checked against this output by a test, so
//! they cannot drift. Nothing here depends on the date or the machine.

use crate::cli::{Cli, Generate};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};

/// Write completions or the man page for `kind` to `w`.
pub fn generate(kind: Generate, w: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let shell = match kind {
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Powershell => Shell::PowerShell,
        Generate::Elvish => Shell::Elvish,
        Generate::Man => return man(w),
    };
    clap_complete::generate(shell, &mut cmd, "wsprobe", w);
    Ok(())
}

/// The file name each kind is committed under, relative to the repository.
pub fn committed_path(kind: Generate) -> &'static str {
    match kind {
        Generate::Bash => "completions/wsprobe.bash",
        Generate::Zsh => "completions/_wsprobe",
        Generate::Fish => "completions/wsprobe.fish",
        Generate::Powershell => "completions/_wsprobe.ps1",
        Generate::Elvish => "completions/wsprobe.elv",
        Generate::Man => "man/wsprobe.1",
    }
}

fn man(w: &mut dyn Write) -> io::Result<()> {
    // The examples and exit table are in after_help for --help; the man page
    // gets them as proper sections instead.
    let cmd = Cli::command().after_help(None::<&str>);
    let man = clap_mangen::Man::new(cmd);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    w.write_all(MAN_EXTRA.as_bytes())?;
    man.render_version_section(w)?;
    Ok(())
}

const MAN_EXTRA: &str = r#".SH "INPUT AND OUTPUT"
When standard input is not a terminal, each line becomes one text message; the
line ending (\en or \er\en) is not sent, and a last line without a newline is
sent too.
\fB\-0\fR cuts records at NUL bytes instead, \fB\-\-whole\fR sends all of standard
input as one message, and \fB\-b\fR sends binary messages instead of text.
\fB\-d\fR messages are sent first; \fB\-n\fR does not read standard input at all.
.PP
Each received text message is written to standard output followed by a newline.
With \fB\-b\fR, received binary messages are written byte for byte with nothing
added. Without \fB\-b\fR, a binary message is written as one line of lowercase
hexadecimal (\fBxxd \-r \-p\fR reverses it); on a terminal as
\fB[binary N bytes]\fR and spaced hex pairs.
On a terminal, control, bidi and zero\-width characters in server text are
shown escaped; pipes receive the bytes unchanged.
Everything else (the \fB\-v\fR trace, warnings, errors) goes to standard error.
.SH "ENDING"
The session ends when the server closes, after \fB\-c\fR N messages, at
\fB\-\-max\-time\fR, or when standard input has ended and no message has arrived
for \fB\-w\fR seconds (default 1; the timer restarts with every message, and
\fB\-w 0\fR closes at once).
wsprobe then sends a Close frame (\fB\-\-close\-code\fR, default 1000) and keeps
reading, and printing, until the server answers with its Close or
\fB\-\-close\-timeout\fR passes.
A Close from the server is answered at once.
.SH "PROXIES"
\fB\-x\fR takes http:// (HTTP CONNECT), https:// (TLS to the proxy, then
CONNECT), socks5:// (SOCKS5, the server's name resolved by wsprobe) or
socks5h:// (SOCKS5, the name resolved by the proxy) URLs, with optional
user:pass@ credentials (or \fB\-\-proxy\-user\fR).
A URL without a scheme means http://; the port defaults to 1080 (443 for
https://).
Without \fB\-x\fR, the variables below choose the proxy; \fB\-x ''\fR
ignores them.
\fB\-v\fR shows every step: the CONNECT request and answer (credentials
redacted), or the SOCKS5 exchange, and how long the tunnel took.
A proxy that cannot be reached or refuses the tunnel ends the run with exit
status 4, not 6: status 6 is the WebSocket server's own refusal.
.SH "TLS"
\fB\-\-cacert\fR adds its certificates to the built-in roots (Mozilla's,
compiled in); it does not replace them.
Without \fB\-\-cacert\fR, \fBSSL_CERT_FILE\fR names such a file;
\fBSSL_CERT_DIR\fR is not read.
The same trust anchors check an https:// proxy, and \fB\-k\fR skips both
checks (verification still runs and its finding is printed as a warning).
\fB\-\-cert\fR and \fB\-\-key\fR present a client certificate; the key
may be PKCS#8, PKCS#1 or SEC1 PEM, and a key that does not belong to the
certificate is an error before connecting.
.SH "CONNECTING"
Addresses come from \fB\-\-resolve\fR, an address in the URL, or the
system resolver; \fB\-4\fR or \fB\-6\fR keeps one family.
They are tried in turn, IPv6 and IPv4 alternating, each attempt allowed an
equal share of the time left; \fB\-v\fR shows every attempt.
\fB\-\-connect\-to\fR and \fB\-\-resolve\fR keep the URL's host for the
Host header, the TLS server name and the certificate check.
\fB\-\-connect\-timeout\fR covers name resolution, TCP, the proxy and
TLS together.
With \fB\-L\fR, credentials (\fB\-u\fR, user:pass@, Authorization and
Cookie headers) and a custom Host header are not sent to another scheme,
host or port.
.SH "EXIT STATUS"
.TP
\fB0\fR
Clean: the close handshake completed with 1000 or 1001 (or no code), or the run
ended as asked.
.TP
\fB1\fR
Other error.
.TP
\fB2\fR
Usage error (bad flag, URL or header; unreadable file).
.TP
\fB3\fR
Name resolution failed.
.TP
\fB4\fR
Connect failed or timed out: TCP, a unix socket, or a proxy that cannot be
reached or will not open a tunnel (CONNECT refused, 407, a SOCKS5 failure).
.TP
\fB5\fR
TLS failed, with the server or with an https:// proxy.
.TP
\fB6\fR
Upgrade rejected: the server answered with a status other than 101; with
\fB\-L\fR, also too many redirects or a location that cannot be followed.
.TP
\fB7\fR
Invalid handshake response (not HTTP, Accept key, Upgrade/Connection,
subprotocol, extensions).
.TP
\fB8\fR
Protocol violation by the server during the session.
.TP
\fB9\fR
Connection closed abnormally: a close code other than 1000/1001, or no Close
frame (1006).
.TP
\fB10\fR
Timeout after connecting (handshake response, Close answer, \fB\-\-max\-time\fR).
.TP
\fB130\fR
Interrupted.
.SH EXAMPLES
.TP
\fBprintf '%s\en' a b | wsprobe ws://127.0.0.1:8080/echo \-c 2\fR
Send two lines and exit after two replies.
.TP
\fBwsprobe \-n \-d '{"op":"subscribe"}' \-w 5 wss://example.com/feed\fR
Send one message and print what arrives until five seconds pass quietly.
.TP
\fBwsprobe \-b \-\-whole ws://host/echo < in.bin > out.bin\fR
Send a file as one binary message and save the binary reply.
.TP
\fBwsprobe \-v wss://example.com/socket\fR
Show name resolution, TCP, TLS, the exact handshake and a timing breakdown.
.TP
\fBwsprobe \-x http://proxy.corp:3128 \-\-proxy\-user alice:s3cret wss://echo.example/\fR
Go through an HTTP proxy that wants Basic credentials.
.TP
\fBwsprobe \-\-cacert corp\-root.pem \-\-cert me.pem \-\-key me.key wss://internal/\fR
Trust a private CA and present a client certificate.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR, \fBCLICOLOR_FORCE\fR, \fBTERM\fR
Colour on standard error, with \fB\-\-color auto\fR.
.TP
\fBSSLKEYLOGFILE\fR
Append TLS session secrets to this file (created readable by its owner
only), in the NSS key log format Wireshark reads.
.TP
\fBSSL_CERT_FILE\fR
Without \fB\-\-cacert\fR: a PEM file of trust anchors added to the
built-in roots.
.TP
\fBws_proxy\fR, \fBhttp_proxy\fR
The proxy for ws:// URLs (the first one set; lowercase names before
uppercase ones).
.TP
\fBwss_proxy\fR, \fBhttps_proxy\fR
The proxy for wss:// URLs.
.TP
\fBall_proxy\fR
The proxy for both, when the above are not set.
.TP
\fBno_proxy\fR
Hosts to reach without a proxy, comma-separated: a name matches itself and
its subdomains, an address itself, ADDR/BITS a network, * everything.
\fB\-\-noproxy\fR replaces it.
"#;
