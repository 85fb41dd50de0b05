//! The REPL's slash commands: a pure parser from one typed line to a
//! [`Line`], the command table that help and completion are built from, and
//! the rule that keeps secret-looking lines out of the history.
//!
//! Nothing here does I/O or touches the session: `/file` yields a path that
//! the REPL reads, and every other command yields plain data. Every input,
//! however malformed, gives a [`Line`] or a one-line [`ParseError`]; the
//! parser never panics (it is a fuzz target).
//!
//! The REPL runs on either side: as the client ([`Role::Client`], the
//! [`COMMANDS`] table) or in listen mode as the server ([`Role::Server`],
//! `listen.rs`: `/clients`, `/to`, and `/close` naming a client).
//!
//! Syntax: a line whose first character is `/` is a command; anything else
//! is a text message, sent as typed. The command name ends at the first
//! whitespace; exactly one whitespace character separates it from its
//! argument, so payloads keep any further spaces.

mod listen;

use crate::event::ClientId;
use crate::protocol::frame::{MAX_CLOSE_REASON, MAX_CONTROL_PAYLOAD, Opcode, Role};
use base64::Engine as _;
use std::fmt;
use std::path::PathBuf;

/// What one typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// An empty line: nothing to send.
    Empty,
    /// Plain text, to send as one message as typed.
    Message(String),
    /// A slash command.
    Command(Command),
}

/// A slash command with its arguments decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/text TEXT`: a text message, which may start with `/`.
    Text(String),
    /// `/binary HEX` or `/base64 B64`: a binary message.
    Binary(Vec<u8>),
    /// `/file PATH`: send the file as one binary message.
    File(PathBuf),
    /// `/ping [TEXT]`.
    Ping(Vec<u8>),
    /// `/pong [TEXT]`.
    Pong(Vec<u8>),
    /// `/close [CODE [REASON]]`; no code means the configured one. In
    /// listen mode `/close [ID] [CODE [REASON]]`.
    Close {
        /// Listen mode: the one client to close (None: every client).
        client: Option<ClientId>,
        /// The close code, already checked against RFC 6455 section 7.4.
        code: Option<u16>,
        /// The reason (at most 123 bytes).
        reason: String,
    },
    /// `/frame ...`: one raw frame.
    Frame(RawFrame),
    /// `/verbose N`.
    Verbose(u8),
    /// `/stats`.
    Stats,
    /// `/help [COMMAND]`: the command's name, when one was asked about.
    Help(Option<&'static str>),
    /// `/quit`.
    Quit,
    /// Listen mode: `/clients`.
    Clients,
    /// Listen mode: `/to ID TEXT`.
    To {
        /// The client.
        client: ClientId,
        /// The text message.
        text: String,
    },
}

/// A frame as `/frame` describes it. The client masks it when sending
/// (RFC 6455 section 5.3); everything else is sent as given, valid or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// The opcode, any of the 16.
    pub opcode: Opcode,
    /// The FIN bit.
    pub fin: bool,
    /// The RSV1, RSV2 and RSV3 bits.
    pub rsv: [bool; 3],
    /// The payload.
    pub payload: Vec<u8>,
}

/// Why a line is not a valid command: one line, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// One command in the table that help and completion use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The name, without the slash.
    pub name: &'static str,
    /// The argument synopsis ("" for none).
    pub args: &'static str,
    /// One line of help.
    pub summary: &'static str,
}

const PING: Spec = Spec {
    name: "ping",
    args: "[TEXT]",
    summary: "send a ping; the pong's round-trip time is shown",
};
const PONG: Spec = Spec {
    name: "pong",
    args: "[TEXT]",
    summary: "send an unsolicited pong",
};
const BINARY: Spec = Spec {
    name: "binary",
    args: "HEX",
    summary: "send a binary message, e.g. /binary 01 02 ff",
};
const BASE64: Spec = Spec {
    name: "base64",
    args: "B64",
    summary: "send a binary message given in base64",
};
const FILE: Spec = Spec {
    name: "file",
    args: "PATH",
    summary: "send a file as one binary message",
};
const TEXT: Spec = Spec {
    name: "text",
    args: "TEXT",
    summary: "send TEXT as a text message, even when it starts with /",
};
const FRAME: Spec = Spec {
    name: "frame",
    args: "OPCODE[,FLAG...] [PAYLOAD]",
    summary: "send one raw frame (/help frame explains)",
};
const VERBOSE: Spec = Spec {
    name: "verbose",
    args: "N",
    summary: "set the trace level, 0 to 3 (like -v, -vv, -vvv)",
};
const HELP: Spec = Spec {
    name: "help",
    args: "[COMMAND]",
    summary: "list the commands, or explain one",
};

/// Every command of the client's REPL, in the order `/help` lists them.
pub const COMMANDS: &[Spec] = &[
    PING,
    PONG,
    Spec {
        name: "close",
        args: "[CODE [REASON]]",
        summary: "start the close handshake (default: --close-code, 1000)",
    },
    BINARY,
    BASE64,
    FILE,
    TEXT,
    FRAME,
    VERBOSE,
    Spec {
        name: "stats",
        args: "",
        summary: "messages and bytes each way, ping round trips, uptime",
    },
    HELP,
    Spec {
        name: "quit",
        args: "",
        summary: "close the connection and exit (Ctrl-D does the same)",
    },
];

/// The commands of `role`'s REPL: the client's, or listen mode's.
pub fn commands(role: Role) -> &'static [Spec] {
    match role {
        Role::Client => COMMANDS,
        Role::Server => listen::COMMANDS,
    }
}

/// The long help of `/frame`.
pub const FRAME_HELP: &str = "\
/frame OPCODE[,FLAG...] [PAYLOAD]   send one frame exactly as described
  OPCODE   text, binary, cont (continuation), close, ping, pong,
           or a number 0-15 (decimal or 0x0-0xf), reserved ones included
  FLAG     fin (the default), nofin, rsv1, rsv2, rsv3,
           hex or base64 (how PAYLOAD is written; default: as typed)
  PAYLOAD  the rest of the line after one space (may be empty)
Examples:
  /frame text,nofin Hel      then   /frame cont lo      a fragmented \"Hello\"
  /frame binary,rsv1,hex 00ff       RSV1 set with no extension negotiated
  /frame close,hex 03e8             a Close frame with code 1000
  /frame 0xb                        a reserved control opcode
Nothing but the masking is checked, so it can break the protocol on
purpose (wsprobe's own state is not changed).";

/// The help text of `role`'s REPL: every command, or one of them.
pub fn help(topic: Option<&str>, role: Role) -> String {
    let table = commands(role);
    let width = table
        .iter()
        .map(|c| c.name.len() + 2 + c.args.len())
        .max()
        .unwrap_or(0);
    let line = |c: &Spec| {
        let usage = if c.args.is_empty() {
            format!("/{}", c.name)
        } else {
            format!("/{} {}", c.name, c.args)
        };
        format!("{usage:<width$}  {}", c.summary)
    };
    if let Some(name) = topic {
        if name == "frame" {
            let masking = match role {
                Role::Client => "The frame is masked, as a client's frames must be.",
                Role::Server => {
                    "The frame goes to every client, unmasked, as a server's frames are."
                }
            };
            return format!("{FRAME_HELP}\n{masking}");
        }
        if let Some(c) = table.iter().find(|c| c.name == name) {
            return line(c);
        }
    }
    let mut s = String::from("Commands:\n");
    for c in table {
        s.push_str("  ");
        s.push_str(&line(c));
        s.push('\n');
    }
    s.push_str(match role {
        Role::Client => {
            "Any other line is sent as a text message; an empty line sends nothing.\n\
             Keys: Ctrl-D closes, Ctrl-C clears the line (twice on an empty line closes),\n\
             Ctrl-R searches the history, Tab completes commands."
        }
        Role::Server => {
            "Any other line is sent to every client as a text message; an empty line sends\n\
             nothing. Keys: Ctrl-D stops the server, Ctrl-C clears the line (twice on an\n\
             empty line stops it), Ctrl-R searches the history, Tab completes commands."
        }
    });
    s
}

/// Command names (with the slash) of `role`'s REPL that start with
/// `prefix` (which starts with a slash), in table order.
pub fn complete(prefix: &str, role: Role) -> Vec<String> {
    let Some(p) = prefix.strip_prefix('/') else {
        return Vec::new();
    };
    let p = p.to_ascii_lowercase();
    commands(role)
        .iter()
        .filter(|c| c.name.starts_with(&p))
        .map(|c| format!("/{}", c.name))
        .collect()
}

/// The names of the opcodes `/frame` accepts, for completion.
pub const OPCODE_NAMES: &[&str] = &["text", "binary", "cont", "close", "ping", "pong"];

/// Parse one line typed at `role`'s REPL.
pub fn parse(line: &str, role: Role) -> Result<Line, ParseError> {
    if line.is_empty() {
        return Ok(Line::Empty);
    }
    let Some(rest) = line.strip_prefix('/') else {
        return Ok(Line::Message(line.to_string()));
    };
    let (name, arg) = split_arg(rest);
    if name.is_empty() {
        return Err(err(
            "a line starting with / is a command, and the command name is missing; \
             /help lists them (/text sends text that starts with /)",
        ));
    }
    let lower = name.to_ascii_lowercase();
    if role == Role::Server
        && let Some(cmd) = listen::parse(&lower, arg)?
    {
        return Ok(Line::Command(cmd));
    }
    let cmd = match lower.as_str() {
        "text" => Command::Text(arg.unwrap_or("").to_string()),
        "binary" => Command::Binary(parse_hex(arg.unwrap_or(""))?),
        "base64" => Command::Binary(parse_base64(arg.unwrap_or(""))?),
        "file" => {
            let path = unescape(arg.map(str::trim).unwrap_or(""));
            if path.is_empty() {
                return Err(err("/file needs a path: /file PATH"));
            }
            Command::File(PathBuf::from(path))
        }
        "ping" | "pong" => {
            let payload = arg.unwrap_or("").as_bytes().to_vec();
            if payload.len() > MAX_CONTROL_PAYLOAD {
                return Err(err(&format!(
                    "the {lower} payload is {} bytes; a control frame holds at most \
                     {MAX_CONTROL_PAYLOAD} (RFC 6455 section 5.5; /frame sends it anyway)",
                    payload.len()
                )));
            }
            if lower == "ping" {
                Command::Ping(payload)
            } else {
                Command::Pong(payload)
            }
        }
        "close" => parse_close(arg.unwrap_or(""), None)?,
        "frame" => Command::Frame(parse_frame(arg.unwrap_or(""))?),
        "verbose" => {
            let n = arg.map(str::trim).unwrap_or("");
            match n.parse::<u8>() {
                Ok(level @ 0..=3) => Command::Verbose(level),
                _ if n.is_empty() => return Err(err("/verbose needs a level: /verbose 0 to 3")),
                _ => return Err(err(&format!("'{n}' is not a trace level: use 0 to 3"))),
            }
        }
        "stats" | "quit" => {
            if arg.is_some_and(|a| !a.trim().is_empty()) {
                return Err(err(&format!("/{lower} takes no arguments")));
            }
            if lower == "stats" {
                Command::Stats
            } else {
                Command::Quit
            }
        }
        "help" => {
            let topic = arg.map(str::trim).unwrap_or("");
            let topic = topic
                .strip_prefix('/')
                .unwrap_or(topic)
                .to_ascii_lowercase();
            if topic.is_empty() {
                Command::Help(None)
            } else {
                match commands(role).iter().find(|c| c.name == topic) {
                    Some(c) => Command::Help(Some(c.name)),
                    None => {
                        return Err(err(&format!(
                            "no command /{topic}; /help lists the commands"
                        )));
                    }
                }
            }
        }
        _ => {
            let shown: String = name.chars().take(40).collect();
            let start: String = lower.chars().take(2).collect();
            let guess = complete(&format!("/{start}"), role);
            let hint = match guess.first() {
                _ if role == Role::Client && listen::only_here(&lower) => {
                    " (it is a listen-mode command)".to_string()
                }
                Some(g) if start.chars().count() == 2 => format!(" (did you mean {g}?)"),
                _ => String::new(),
            };
            return Err(err(&format!(
                "unknown command /{shown}{hint}; /help lists the commands, \
                 /text sends text that starts with /"
            )));
        }
    };
    Ok(Line::Command(cmd))
}

/// Drop the backslash of `\x` (as file name completion writes `a\ b`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn err(msg: &str) -> ParseError {
    ParseError(msg.to_string())
}

/// `s` cut at its first whitespace character, which is dropped (one
/// character only, so what follows keeps its spaces): the first word and
/// the rest, None when there is no whitespace.
fn split_arg(s: &str) -> (&str, Option<&str>) {
    match s.find(char::is_whitespace) {
        Some(i) => {
            let sep = s[i..].chars().next().map_or(1, char::len_utf8);
            (&s[..i], Some(&s[i + sep..]))
        }
        None => (s, None),
    }
}

/// Hex digits, whitespace between them ignored, an optional `0x` prefix.
fn parse_hex(s: &str) -> Result<Vec<u8>, ParseError> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let mut digits = Vec::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        match c.to_digit(16) {
            Some(d) => digits.push(d as u8),
            None => {
                return Err(err(&format!(
                    "'{}' (character {}) is not a hex digit; /binary takes pairs like 01 ff",
                    c.escape_debug(),
                    i + 1
                )));
            }
        }
    }
    if digits.len() % 2 == 1 {
        return Err(err(&format!(
            "{} hex digits: each byte needs two (e.g. 0f, not f)",
            digits.len()
        )));
    }
    Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect())
}

/// Standard or URL-safe base64, padding optional, whitespace ignored.
fn parse_base64(s: &str) -> Result<Vec<u8>, ParseError> {
    use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD_PAD_INDIFFERENT
        .decode(&compact)
        .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(&compact))
        .map_err(|e| err(&format!("not valid base64: {e}")))
}

/// `[CODE [REASON]]`, for `client` (listen mode) or the connection.
fn parse_close(arg: &str, client: Option<ClientId>) -> Result<Command, ParseError> {
    let arg = arg.trim_start();
    if arg.trim().is_empty() {
        return Ok(Command::Close {
            client,
            code: None,
            reason: String::new(),
        });
    }
    let (code, reason) = split_arg(arg);
    let reason = reason.unwrap_or("");
    let code =
        crate::cli::parse_close_code(code).map_err(|e| ParseError(format!("/close: {e}")))?;
    if reason.len() > MAX_CLOSE_REASON {
        return Err(err(&format!(
            "the close reason is {} bytes; a Close frame holds at most {MAX_CLOSE_REASON} \
             (RFC 6455 section 5.5)",
            reason.len()
        )));
    }
    Ok(Command::Close {
        client,
        code: Some(code),
        reason: reason.to_string(),
    })
}

/// `OPCODE[,FLAG...] [PAYLOAD]`.
fn parse_frame(arg: &str) -> Result<RawFrame, ParseError> {
    let (spec, payload) = split_arg(arg);
    let payload = payload.unwrap_or("");
    if spec.is_empty() {
        return Err(err(
            "/frame needs an opcode: /frame OPCODE[,FLAG...] [PAYLOAD] (/help frame)",
        ));
    }
    let mut parts = spec.split(',');
    let op = parts.next().unwrap_or("");
    let opcode = parse_opcode(op)?;
    let mut fin: Option<bool> = None;
    let mut rsv = [false; 3];
    let mut encoding: Option<&str> = None;
    for flag in parts {
        let f = flag.to_ascii_lowercase();
        match f.as_str() {
            "fin" | "nofin" => {
                let v = f == "fin";
                if fin.is_some_and(|old| old != v) {
                    return Err(err("/frame: fin and nofin both given"));
                }
                fin = Some(v);
            }
            "rsv1" => rsv[0] = true,
            "rsv2" => rsv[1] = true,
            "rsv3" => rsv[2] = true,
            "hex" | "base64" | "b64" => {
                let e = if f == "hex" { "hex" } else { "base64" };
                if encoding.is_some_and(|old| old != e) {
                    return Err(err("/frame: hex and base64 both given"));
                }
                encoding = Some(e);
            }
            _ => {
                let shown: String = flag.chars().take(20).collect();
                return Err(err(&format!(
                    "/frame: unknown flag '{shown}'; use fin, nofin, rsv1, rsv2, rsv3, hex or base64"
                )));
            }
        }
    }
    let payload = match encoding {
        Some("hex") => parse_hex(payload)?,
        Some(_) => parse_base64(payload)?,
        None => payload.as_bytes().to_vec(),
    };
    Ok(RawFrame {
        opcode,
        fin: fin.unwrap_or(true),
        rsv,
        payload,
    })
}

fn parse_opcode(op: &str) -> Result<Opcode, ParseError> {
    let lower = op.to_ascii_lowercase();
    let named = match lower.as_str() {
        "cont" | "continuation" | "continue" => Some(Opcode::Continuation),
        "text" => Some(Opcode::Text),
        "binary" | "bin" => Some(Opcode::Binary),
        "close" => Some(Opcode::Close),
        "ping" => Some(Opcode::Ping),
        "pong" => Some(Opcode::Pong),
        _ => None,
    };
    let number = match lower.strip_prefix("0x") {
        Some(h) if !h.is_empty() => u8::from_str_radix(h, 16).ok(),
        Some(_) => None,
        None => lower.parse::<u8>().ok(),
    };
    let number = number.filter(|&n| n <= 0xf).map(Opcode::from_bits);
    match named.or(number) {
        Some(op) => Ok(op),
        _ => {
            let shown: String = op.chars().take(20).collect();
            Err(err(&format!(
                "/frame: '{shown}' is not an opcode; use text, binary, cont, close, ping, pong or 0-15"
            )))
        }
    }
}

/// Words that mark a line as carrying a credential; such lines are kept out
/// of the history file (compared ignoring case).
const SECRET_WORDS: &[&str] = &[
    "authorization",
    "bearer ",
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "cookie",
    "private_key",
];

/// True when `line` looks like it carries a credential (a token, password,
/// Authorization or Cookie value), so it must not be written to the history.
/// Errs on the side of not saving.
pub fn is_secret(line: &str) -> bool {
    let lower = line.to_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Line, ParseError> {
        super::parse(line, Role::Client)
    }

    fn help(topic: Option<&str>) -> String {
        super::help(topic, Role::Client)
    }

    fn complete(prefix: &str) -> Vec<String> {
        super::complete(prefix, Role::Client)
    }

    fn cmd(line: &str) -> Command {
        match parse(line) {
            Ok(Line::Command(c)) => c,
            other => panic!("{line:?}: expected a command, got {other:?}"),
        }
    }

    fn bad(line: &str) -> String {
        match parse(line) {
            Err(e) => {
                assert!(!e.0.contains('\n'), "{line:?}: error is one line: {e}");
                e.0
            }
            Ok(l) => panic!("{line:?}: expected an error, got {l:?}"),
        }
    }

    #[test]
    fn plain_lines_are_messages_as_typed() {
        assert_eq!(parse(""), Ok(Line::Empty));
        assert_eq!(parse("hello"), Ok(Line::Message("hello".into())));
        assert_eq!(parse("  spaced  "), Ok(Line::Message("  spaced  ".into())));
        assert_eq!(parse(" /ping"), Ok(Line::Message(" /ping".into())));
        assert_eq!(
            parse("{\"a\":\n1}"),
            Ok(Line::Message("{\"a\":\n1}".into()))
        );
    }

    #[test]
    fn text_keeps_its_payload_after_one_separator() {
        assert_eq!(
            cmd("/text /etc/passwd"),
            Command::Text("/etc/passwd".into())
        );
        assert_eq!(cmd("/text  two"), Command::Text(" two".into()));
        assert_eq!(cmd("/text"), Command::Text(String::new()));
        assert_eq!(cmd("/text "), Command::Text(String::new()));
        assert_eq!(cmd("/text\ta\nb"), Command::Text("a\nb".into()));
        assert_eq!(cmd("/TEXT x"), Command::Text("x".into()));
    }

    #[test]
    fn binary_takes_hex_pairs_with_optional_spaces() {
        assert_eq!(cmd("/binary 0102ff"), Command::Binary(vec![1, 2, 0xff]));
        assert_eq!(cmd("/binary 01 02 FF"), Command::Binary(vec![1, 2, 0xff]));
        assert_eq!(cmd("/binary 0xdead"), Command::Binary(vec![0xde, 0xad]));
        assert_eq!(cmd("/binary"), Command::Binary(vec![]));
        assert!(bad("/binary 0g").contains("'g'"));
        assert!(bad("/binary abc").contains("3 hex digits"));
        assert_eq!(cmd("/binary 0x"), Command::Binary(vec![]));
    }

    #[test]
    fn base64_accepts_both_alphabets_and_missing_padding() {
        assert_eq!(cmd("/base64 aGk="), Command::Binary(b"hi".to_vec()));
        assert_eq!(cmd("/base64 aGk"), Command::Binary(b"hi".to_vec()));
        assert_eq!(cmd("/base64 __8="), Command::Binary(vec![0xff, 0xff]));
        assert_eq!(cmd("/base64 //8="), Command::Binary(vec![0xff, 0xff]));
        assert_eq!(cmd("/base64 aG k="), Command::Binary(b"hi".to_vec()));
        assert!(bad("/base64 !!!").starts_with("not valid base64"));
    }

    #[test]
    fn file_needs_a_path() {
        assert_eq!(
            cmd("/file ./a b.bin "),
            Command::File(PathBuf::from("./a b.bin"))
        );
        assert_eq!(
            cmd("/file my\\ file\\\\x"),
            Command::File(PathBuf::from("my file\\x"))
        );
        assert!(bad("/file").contains("needs a path"));
        assert!(bad("/file   ").contains("needs a path"));
    }

    #[test]
    fn ping_and_pong_payloads_are_limited_to_125_bytes() {
        assert_eq!(cmd("/ping"), Command::Ping(vec![]));
        assert_eq!(cmd("/ping hi there"), Command::Ping(b"hi there".to_vec()));
        assert_eq!(cmd("/pong x"), Command::Pong(b"x".to_vec()));
        let ok = format!("/ping {}", "a".repeat(125));
        assert_eq!(cmd(&ok), Command::Ping(vec![b'a'; 125]));
        let long = format!("/pong {}", "é".repeat(63));
        assert!(bad(&long).contains("126 bytes"));
    }

    #[test]
    fn close_validates_code_and_reason() {
        assert_eq!(
            cmd("/close"),
            Command::Close {
                client: None,
                code: None,
                reason: String::new()
            }
        );
        assert_eq!(
            cmd("/close 4000"),
            Command::Close {
                client: None,
                code: Some(4000),
                reason: String::new()
            }
        );
        assert_eq!(
            cmd("/close 1001 going  away "),
            Command::Close {
                client: None,
                code: Some(1001),
                reason: "going  away ".into()
            }
        );
        assert!(bad("/close 1006").contains("may not be sent"));
        assert!(bad("/close 1005 x").contains("may not be sent"));
        assert!(bad("/close bye").contains("not a close code"));
        assert!(bad("/close 99999").contains("not a close code"));
        let long = format!("/close 1000 {}", "r".repeat(124));
        assert!(bad(&long).contains("124 bytes"));
        let max = format!("/close 1000 {}", "r".repeat(123));
        assert!(matches!(
            cmd(&max),
            Command::Close {
                client: None,
                code: Some(1000),
                ..
            }
        ));
    }

    fn frame(opcode: u8, fin: bool, rsv: [bool; 3], payload: &[u8]) -> Command {
        Command::Frame(RawFrame {
            opcode: Opcode::from_bits(opcode),
            fin,
            rsv,
            payload: payload.to_vec(),
        })
    }

    #[test]
    fn frame_opcodes_flags_and_payloads() {
        assert_eq!(
            cmd("/frame text,nofin Hel"),
            frame(1, false, [false; 3], b"Hel")
        );
        assert_eq!(cmd("/frame cont lo"), frame(0, true, [false; 3], b"lo"));
        assert_eq!(
            cmd("/frame binary,rsv1,rsv3,hex 00 ff"),
            frame(2, true, [true, false, true], &[0, 0xff])
        );
        assert_eq!(
            cmd("/frame close,base64 A+g="),
            frame(8, true, [false; 3], &[0x03, 0xe8])
        );
        let op = |l: &str| match cmd(l) {
            Command::Frame(f) => f.opcode.bits(),
            other => panic!("{other:?}"),
        };
        assert_eq!(op("/frame 0xb"), 0xb);
        assert_eq!(op("/frame 15"), 15);
        assert_eq!(op("/frame PING"), 9);
        assert_eq!(op("/frame pong,fin"), 10);
        assert_eq!(op("/frame 3  two spaces"), 3);
        match cmd("/frame text  a ") {
            Command::Frame(f) => assert_eq!(f.payload, b" a "),
            other => panic!("{other:?}"),
        }
        assert!(bad("/frame").contains("needs an opcode"));
        assert!(bad("/frame 16").contains("not an opcode"));
        assert!(bad("/frame 0x10").contains("not an opcode"));
        assert!(bad("/frame 0x").contains("not an opcode"));
        assert!(bad("/frame nope").contains("not an opcode"));
        assert!(bad("/frame text,fin,nofin").contains("fin and nofin"));
        assert!(bad("/frame text,hex,base64").contains("hex and base64"));
        assert!(bad("/frame text,mask x").contains("unknown flag 'mask'"));
        assert!(bad("/frame text,hex zz").contains("not a hex digit"));
        assert!(bad("/frame text,").contains("unknown flag ''"));
    }

    #[test]
    fn verbose_stats_quit_help() {
        assert_eq!(cmd("/verbose 2"), Command::Verbose(2));
        assert_eq!(cmd("/verbose 0"), Command::Verbose(0));
        assert!(bad("/verbose").contains("needs a level"));
        assert!(bad("/verbose 4").contains("'4'"));
        assert!(bad("/verbose -1").contains("'-1'"));
        assert_eq!(cmd("/stats"), Command::Stats);
        assert_eq!(cmd("/stats  "), Command::Stats);
        assert!(bad("/stats now").contains("takes no arguments"));
        assert_eq!(cmd("/quit"), Command::Quit);
        assert!(bad("/quit now").contains("takes no arguments"));
        assert_eq!(cmd("/help"), Command::Help(None));
        assert_eq!(cmd("/help /close"), Command::Help(Some("close")));
        assert_eq!(cmd("/help frame"), Command::Help(Some("frame")));
        assert!(bad("/help nope").contains("no command /nope"));
    }

    #[test]
    fn unknown_and_empty_commands_are_one_line_errors() {
        assert!(bad("/").contains("name is missing"));
        assert!(bad("/ x").contains("name is missing"));
        let e = bad("/pign");
        assert!(
            e.contains("unknown command /pign") && e.contains("/ping"),
            "{e}"
        );
        assert!(bad("/usr/bin").contains("/text"));
        let e = bad(&format!("/{}", "x".repeat(500)));
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn help_lists_every_command_and_explains_frame() {
        let h = help(None);
        for c in COMMANDS {
            assert!(h.contains(&format!("/{}", c.name)), "{}", c.name);
        }
        assert!(help(Some("frame")).contains("nofin"));
        assert!(help(Some("close")).starts_with("/close [CODE [REASON]]"));
    }

    #[test]
    fn completion_of_command_names() {
        assert_eq!(complete("/pi"), ["/ping"]);
        assert_eq!(complete("/p"), ["/ping", "/pong"]);
        assert_eq!(
            complete("/"),
            COMMANDS
                .iter()
                .map(|c| format!("/{}", c.name))
                .collect::<Vec<_>>()
        );
        assert!(complete("/zz").is_empty());
        assert!(complete("pi").is_empty());
    }

    #[test]
    fn secret_lines_are_recognised() {
        for s in [
            "{\"token\":\"abc\"}",
            "Authorization: Bearer x",
            "{\"Password\": 1}",
            "login api_key=1",
            "Cookie: a=b",
        ] {
            assert!(is_secret(s), "{s}");
        }
        for s in ["hello", "/ping", "{\"op\":\"sub\"}"] {
            assert!(!is_secret(s), "{s}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A small deterministic sweep over awkward inputs (the fuzz target
        // goes further).
        let pieces = [
            "/", "/frame", " ", "\t", "\n", "0x", ",", "é", "aé", "\u{202e}", "hex", "ff", "text",
            "/close", "1000", "\0", "nofin", "base64", "=",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let line = format!("{a}{b}{c}");
                    let _ = parse(&line);
                }
            }
        }
    }
}
