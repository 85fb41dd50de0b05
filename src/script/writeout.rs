//! `--write-out FORMAT`, after curl's: a template of text and `%{variable}`
//! references, parsed once from the command line. `output::writeout` fills
//! it in at the end of the run, whatever the outcome.
//!
//! The syntax is curl's: `%{name}` is a variable, `%%` a percent sign,
//! `\n`, `\r`, `\t` and `\\` the usual escapes; `%{stdout}` and
//! `%{stderr}` send what follows to that stream (stdout is the default),
//! `%output{FILE}` to a file (`%output{>>FILE}` appends). `@FILE` as the
//! whole argument reads the format from FILE (config does the reading).

use std::path::PathBuf;

/// A variable of the write-out, in the order `%{json}` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// Name resolution, seconds.
    TimeDns,
    /// TCP connect, seconds.
    TimeConnect,
    /// The proxy's part (CONNECT or SOCKS5), seconds.
    TimeProxy,
    /// The TLS handshake, seconds.
    TimeTls,
    /// From sending the upgrade request to the whole 101, seconds.
    TimeUpgrade,
    /// From the start to the connection open, seconds.
    TimeOpen,
    /// From the start to the end of the run, seconds.
    TimeTotal,
    /// The status of the last upgrade response (000 when none arrived).
    HttpCode,
    /// The URL asked for.
    Url,
    /// The address connected to.
    RemoteIp,
    /// The port connected to.
    RemotePort,
    /// The subprotocol the server chose.
    Subprotocol,
    /// The extension agreed, with its parameters.
    Extensions,
    /// Data messages sent.
    MessagesSent,
    /// Data messages received.
    MessagesReceived,
    /// Payload bytes sent.
    BytesSent,
    /// Payload bytes received.
    BytesReceived,
    /// Mean ping round trip, seconds.
    PingRtt,
    /// Shortest ping round trip, seconds.
    PingRttMin,
    /// Longest ping round trip, seconds.
    PingRttMax,
    /// The close code of the session.
    CloseCode,
    /// The close reason of the session.
    CloseReason,
    /// Who sent Close first: client, server, or none.
    ClosedBy,
    /// Retries made (--retry).
    NumRetries,
    /// wsprobe's exit status.
    ExitCode,
    /// The error's headline.
    ErrorMsg,
    /// The error's class, as --json names it.
    ErrorClass,
    /// Every variable above as one JSON object.
    Json,
}

/// Every variable: its name in `%{…}`, what it holds (the man page lists
/// these), and the variable.
pub const VARIABLES: &[(&str, &str, Var)] = &[
    (
        "time_dns",
        "name resolution, in seconds (0 for an address)",
        Var::TimeDns,
    ),
    (
        "time_connect",
        "the TCP connect, in seconds",
        Var::TimeConnect,
    ),
    (
        "time_proxy",
        "the proxy's part (CONNECT or SOCKS5), in seconds",
        Var::TimeProxy,
    ),
    (
        "time_tls",
        "the TLS handshake, in seconds (0 for ws://)",
        Var::TimeTls,
    ),
    (
        "time_upgrade",
        "from the upgrade request to the whole 101, in seconds",
        Var::TimeUpgrade,
    ),
    (
        "time_open",
        "from the start to the connection open, in seconds",
        Var::TimeOpen,
    ),
    (
        "time_total",
        "from the start to the end of the run, in seconds",
        Var::TimeTotal,
    ),
    (
        "http_code",
        "the status of the upgrade response (101; 000 when none)",
        Var::HttpCode,
    ),
    ("url", "the URL given", Var::Url),
    (
        "remote_ip",
        "the address connected to (the proxy's, through one)",
        Var::RemoteIp,
    ),
    ("remote_port", "the port connected to", Var::RemotePort),
    (
        "subprotocol",
        "the subprotocol the server chose",
        Var::Subprotocol,
    ),
    (
        "extensions",
        "the extension agreed, with its parameters",
        Var::Extensions,
    ),
    (
        "messages_sent",
        "data messages sent (over every connection)",
        Var::MessagesSent,
    ),
    (
        "messages_received",
        "data messages received (over every connection)",
        Var::MessagesReceived,
    ),
    ("bytes_sent", "payload bytes sent", Var::BytesSent),
    (
        "bytes_received",
        "payload bytes received",
        Var::BytesReceived,
    ),
    (
        "ping_rtt",
        "the mean ping round trip, in seconds (empty without pongs)",
        Var::PingRtt,
    ),
    (
        "ping_rtt_min",
        "the shortest ping round trip, in seconds",
        Var::PingRttMin,
    ),
    (
        "ping_rtt_max",
        "the longest ping round trip, in seconds",
        Var::PingRttMax,
    ),
    (
        "close_code",
        "the close code (the server's; empty when none was exchanged)",
        Var::CloseCode,
    ),
    ("close_reason", "the close reason", Var::CloseReason),
    (
        "closed_by",
        "who sent Close first: client, server or none",
        Var::ClosedBy,
    ),
    (
        "num_retries",
        "connections tried again after the first (--retry)",
        Var::NumRetries,
    ),
    ("exitcode", "wsprobe's exit status", Var::ExitCode),
    (
        "errormsg",
        "the error's headline (empty on success)",
        Var::ErrorMsg,
    ),
    (
        "error_class",
        "the error's class, as --json names it (empty on success)",
        Var::ErrorClass,
    ),
    ("json", "all of the above as one JSON object", Var::Json),
];

/// Where the text that follows goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Standard output, after the messages (the default).
    Stdout,
    /// Standard error.
    Stderr,
    /// A file, created (or appended to).
    File {
        /// The file.
        path: PathBuf,
        /// `%output{>>FILE}`.
        append: bool,
    },
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as is.
    Text(String),
    /// A variable's value.
    Var(Var),
    /// What follows goes there.
    To(Sink),
}

/// A parsed `--write-out` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The pieces in order.
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Parse a format; the error names the first problem.
    pub fn parse(format: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = format.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    Some('\\') => text.push('\\'),
                    Some(other) => {
                        text.push('\\');
                        text.push(other);
                    }
                    None => text.push('\\'),
                },
                '%' if format[i..].starts_with("%%") => {
                    chars.next();
                    text.push('%');
                }
                '%' if format[i..].starts_with("%{") || format[i..].starts_with("%output{") => {
                    let open = i + format[i..].find('{').unwrap_or(0);
                    let Some(len) = format[open..].find('}') else {
                        return Err(format!("'{}' has no closing '}}'", &format[i..]));
                    };
                    let inner = &format[open + 1..open + len];
                    let piece = if format[i..].starts_with("%output{") {
                        output_piece(inner)?
                    } else {
                        var_piece(inner)?
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(piece);
                    while chars.peek().is_some_and(|(j, _)| *j <= open + len) {
                        chars.next();
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }
}

fn var_piece(name: &str) -> Result<Piece, String> {
    match name {
        "stdout" => Ok(Piece::To(Sink::Stdout)),
        "stderr" => Ok(Piece::To(Sink::Stderr)),
        _ => VARIABLES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, v)| Piece::Var(*v))
            .ok_or_else(|| {
                format!(
                    "unknown variable %{{{name}}} (the variables are listed in the man page, \
                     WRITE-OUT VARIABLES; %{{json}} has them all)"
                )
            }),
    }
}

fn output_piece(inner: &str) -> Result<Piece, String> {
    let (append, path) = match inner.strip_prefix(">>") {
        Some(p) => (true, p),
        None => (false, inner),
    };
    if path.is_empty() {
        return Err("%output{} names no file".into());
    }
    Ok(Piece::To(Sink::File {
        path: PathBuf::from(path),
        append,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_variables_and_escapes() {
        let t = Template::parse(r"%{http_code} in %{time_total}s 100%%\n").expect("parses");
        assert_eq!(
            t.pieces,
            vec![
                Piece::Var(Var::HttpCode),
                Piece::Text(" in ".into()),
                Piece::Var(Var::TimeTotal),
                Piece::Text("s 100%\n".into()),
            ]
        );
    }

    #[test]
    fn streams_and_files() {
        let t = Template::parse("a%{stderr}b%output{>>/tmp/x}c%output{f}%{stdout}").expect("ok");
        assert_eq!(
            t.pieces,
            vec![
                Piece::Text("a".into()),
                Piece::To(Sink::Stderr),
                Piece::Text("b".into()),
                Piece::To(Sink::File {
                    path: "/tmp/x".into(),
                    append: true
                }),
                Piece::Text("c".into()),
                Piece::To(Sink::File {
                    path: "f".into(),
                    append: false
                }),
                Piece::To(Sink::Stdout),
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = Template::parse("%{nope}").expect_err("unknown");
        assert!(e.starts_with("unknown variable %{nope}"), "{e}");
        let e = Template::parse("x %{http_code").expect_err("open");
        assert!(e.contains("no closing '}'"), "{e}");
        let e = Template::parse("%output{}").expect_err("empty");
        assert!(e.contains("names no file"), "{e}");
    }

    #[test]
    fn every_variable_parses_by_its_name() {
        for (name, _, var) in VARIABLES {
            let t = Template::parse(&format!("%{{{name}}}")).expect(name);
            assert_eq!(t.pieces, vec![Piece::Var(*var)]);
        }
    }

    #[test]
    fn a_lone_percent_or_backslash_is_text() {
        let t = Template::parse(r"50% \q\").expect("ok");
        assert_eq!(t.pieces, vec![Piece::Text(r"50% \q\".into())]);
    }
}
