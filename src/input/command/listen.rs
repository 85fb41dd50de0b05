//! The commands that differ when the REPL is the server (listen mode):
//! `/clients`, `/to ID TEXT`, and `/close` that may name one client. The
//! others are the client's, carried out for every open client.

use super::{
    BASE64, BINARY, Command, FILE, FRAME, HELP, ParseError, Spec, TEXT, VERBOSE, err, parse_close,
    split_arg,
};
use crate::event::ClientId;

/// Every command of listen mode's REPL, in the order `/help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "clients",
        args: "",
        summary: "list the open clients: id, address, path, Origin, subprotocol, uptime, counts",
    },
    Spec {
        name: "to",
        args: "ID TEXT",
        summary: "send TEXT to one client (its id, as /clients shows it: 3 or #3)",
    },
    Spec {
        name: "ping",
        args: "[TEXT]",
        summary: "ping every client; each pong's round-trip time is shown",
    },
    Spec {
        name: "pong",
        args: "[TEXT]",
        summary: "send an unsolicited pong to every client",
    },
    Spec {
        name: "close",
        args: "[ID] [CODE [REASON]]",
        summary: "close one client, or all of them; the server goes on (default code 1000)",
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
        summary: "clients served and refused, messages and bytes each way, ping times, uptime",
    },
    HELP,
    Spec {
        name: "quit",
        args: "",
        summary: "close every client (1001 Going Away) and stop the server (Ctrl-D too)",
    },
];

/// True for a command that exists only in listen mode.
pub(super) fn only_here(name: &str) -> bool {
    matches!(name, "clients" | "to")
}

/// Parse `name` (lowercase) and its argument when the command is one of
/// those that differ here; None for the others.
pub(super) fn parse(name: &str, arg: Option<&str>) -> Result<Option<Command>, ParseError> {
    let cmd = match name {
        "clients" => {
            if arg.is_some_and(|a| !a.trim().is_empty()) {
                return Err(err("/clients takes no arguments"));
            }
            Command::Clients
        }
        "to" => {
            let (id, text) = split_arg(arg.unwrap_or("").trim_start());
            let Some(client) = client_id(id) else {
                return Err(err(&format!(
                    "/to needs a client id and a message: /to ID TEXT ({}; /clients lists the ids)",
                    if id.is_empty() {
                        "no id given".to_string()
                    } else {
                        format!("'{}' is not an id", shown(id))
                    }
                )));
            };
            let Some(text) = text else {
                return Err(err("/to needs a message after the id: /to ID TEXT"));
            };
            Command::To {
                client,
                text: text.to_string(),
            }
        }
        "close" => {
            let arg = arg.unwrap_or("").trim_start();
            let (first, rest) = split_arg(arg);
            match close_target(first) {
                Some(client) => parse_close(rest.unwrap_or(""), Some(client))?,
                None => parse_close(arg, None)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}

/// A client id: `#N`, or `N` (1 or more).
fn client_id(word: &str) -> Option<ClientId> {
    let digits = word.strip_prefix('#').unwrap_or(word);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<ClientId>().ok().filter(|&id| id >= 1)
}

/// The first word of `/close` as a client id: `#N` always; a bare number
/// only below 1000, where no close code can be (RFC 6455 section 7.4.2),
/// so `/close 1000` stays a code.
fn close_target(word: &str) -> Option<ClientId> {
    if word.starts_with('#') {
        return client_id(word);
    }
    client_id(word).filter(|&id| id < 1000)
}

fn shown(s: &str) -> String {
    s.chars().take(20).flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Line, parse as parse_line};
    use super::*;
    use crate::protocol::frame::Role;

    fn cmd(line: &str) -> Command {
        match parse_line(line, Role::Server) {
            Ok(Line::Command(c)) => c,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        match parse_line(line, Role::Server) {
            Err(e) => e.0,
            other => panic!("{line:?} parsed: {other:?}"),
        }
    }

    #[test]
    fn to_takes_an_id_with_or_without_the_hash() {
        for line in [
            "/to 3 hello  there",
            "/to #3 hello  there",
            "/to  3 hello  there",
        ] {
            assert_eq!(
                cmd(line),
                Command::To {
                    client: 3,
                    text: "hello  there".into()
                },
                "{line}"
            );
        }
        assert_eq!(
            cmd("/to 2 "),
            Command::To {
                client: 2,
                text: String::new()
            }
        );
        assert!(error("/to").contains("no id given"));
        assert!(error("/to x hi").contains("'x' is not an id"));
        assert!(error("/to 0 hi").contains("'0' is not an id"));
        assert!(error("/to 99999999999999999999999 hi").contains("not an id"));
        assert!(error("/to 4").contains("needs a message"));
    }

    #[test]
    fn close_names_a_client_or_gives_a_code() {
        let close = |client, code: Option<u16>, reason: &str| Command::Close {
            client,
            code,
            reason: reason.into(),
        };
        assert_eq!(cmd("/close"), close(None, None, ""));
        assert_eq!(cmd("/close 2"), close(Some(2), None, ""));
        assert_eq!(
            cmd("/close #2 4000 bye now"),
            close(Some(2), Some(4000), "bye now")
        );
        assert_eq!(cmd("/close 1000"), close(None, Some(1000), ""));
        assert_eq!(
            cmd("/close 4001 all of you"),
            close(None, Some(4001), "all of you")
        );
        assert_eq!(cmd("/close #1500"), close(Some(1500), None, ""));
        assert!(error("/close 2 999").contains("/close"));
        assert!(error("/close #x").contains("/close"));
    }

    #[test]
    fn clients_takes_nothing_and_the_others_are_the_clients() {
        assert_eq!(cmd("/clients"), Command::Clients);
        assert!(error("/clients now").contains("no arguments"));
        assert_eq!(cmd("/ping hi"), Command::Ping(b"hi".to_vec()));
        assert_eq!(cmd("/stats"), Command::Stats);
        let in_client = parse_line("/clients", Role::Client).expect_err("client side");
        assert!(
            in_client.0.contains("listen-mode command"),
            "{}",
            in_client.0
        );
        assert!(parse_line("/to 1 x", Role::Client).is_err());
    }

    #[test]
    fn help_and_completion_follow_the_side() {
        let help = super::super::help(None, Role::Server);
        assert!(
            help.contains("/to ID TEXT") && help.contains("/clients"),
            "{help}"
        );
        assert!(help.contains("Ctrl-D stops the server"), "{help}");
        let client = super::super::help(None, Role::Client);
        assert!(!client.contains("/clients"), "{client}");
        assert!(super::super::help(Some("frame"), Role::Server).contains("unmasked"));
        assert!(super::super::help(Some("frame"), Role::Client).contains("masked, as a client"));
        assert_eq!(
            super::super::complete("/c", Role::Server),
            vec!["/clients", "/close"]
        );
        assert_eq!(super::super::complete("/c", Role::Client), vec!["/close"]);
    }
}
