//! Listen mode in the plain printer: each client's events tagged `#ID`
//! ([`tag_lines`]), and the lines of listen mode's own events, in the
//! words of `output::listen`.

use super::super::listen;
use super::{Printer, quoted};
use crate::event::{Emit, Event};
use crate::output::redact::redact;
use std::io::{self, Write};

/// `text` with ` #ID` after the marker of each line (`* #2 Open: ...`);
/// an indented line continues the one before it and is left as it is.
/// The REPL printer tags its lines with it too.
pub(in crate::output) fn tag_lines(text: &str, id: crate::event::ClientId) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let mut chars = line.chars();
        match chars.next() {
            Some(marker) if !marker.is_whitespace() => {
                let rest = chars.as_str();
                out.push(marker);
                out.push_str(&format!(" #{id}"));
                if !rest.starts_with([' ', '\n']) && !rest.is_empty() {
                    out.push(' ');
                }
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    out
}

impl<O: Write, E: Write> Printer<O, E> {
    /// Listen mode's own events (words in `output::listen`). The lines
    /// without -v show unless -q: where we listen, each client's open,
    /// refusal and end.
    pub(super) fn listen_event(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let tty = self.spec.stderr_tty;
        let line = match *ev {
            Event::Client { id, event } => {
                let outer = self.client.replace(id);
                let shown = self.emit(event);
                self.client = outer;
                return shown;
            }
            Event::Listening { addr, secure } => {
                format!(
                    "Listening on {}://{addr}/",
                    if secure { "wss" } else { "ws" }
                )
            }
            Event::Accepted { addr } => {
                self.info(1, format_args!("Connection from {addr}"));
                return Ok(());
            }
            Event::RequestReceived { raw } => {
                if self.spec.verbose >= 1 {
                    let raw = redact(raw, self.spec.show_secrets);
                    self.lines("<", raw.strip_suffix(b"\r\n").unwrap_or(&raw));
                }
                return Ok(());
            }
            Event::ResponseSent { raw } => {
                if self.spec.verbose >= 1 {
                    let raw = redact(raw, self.spec.show_secrets);
                    self.lines(">", raw.strip_suffix(b"\r\n").unwrap_or(&raw));
                }
                return Ok(());
            }
            Event::Refused {
                addr,
                status,
                problem,
            } => listen::refused_line(addr, status, problem, tty),
            Event::ClientOpen {
                addr,
                path,
                offered,
                subprotocol,
                extensions,
            } => listen::open_line(addr, path, offered, subprotocol, extensions, tty),
            Event::FileServed {
                addr,
                path,
                status,
                outcome,
            } => listen::file_line(addr, path, status, outcome, tty),
            Event::ClientEnded {
                addr,
                ref end,
                after,
                received,
            } => listen::ended_line(addr, end, after, received, |r| quoted(r.as_bytes(), tty)),
            _ => return Ok(()),
        };
        if !self.spec.quiet {
            self.trace(&format!("* {line}\n"));
        }
        Ok(())
    }
}
