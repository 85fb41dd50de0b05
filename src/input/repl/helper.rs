//! The line editor's helper: Tab completion of command names (with a
//! space when the command takes arguments), of `/file` paths, `/frame`
//! opcodes and `/help` topics; the argument synopsis as a hint while only a
//! command's name is typed; the hint's colour. The commands are the
//! client's or listen mode's, by [`Role`].

use crate::input::command;
use crate::output::style;
use crate::protocol::frame::Role;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use std::borrow::Cow;

/// Completion, hints and their colour.
pub(super) struct Helper {
    pub(super) files: FilenameCompleter,
    pub(super) color: bool,
    /// Whose commands: the client's, or listen mode's.
    pub(super) role: Role,
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = line.get(..pos).unwrap_or(line);
        if !head.starts_with('/') {
            return Ok((0, Vec::new()));
        }
        let Some(space) = head.find(char::is_whitespace) else {
            let names = command::complete(head, self.role)
                .into_iter()
                .map(|name| {
                    let takes_args = command::commands(self.role)
                        .iter()
                        .any(|c| c.name == &name[1..] && !c.args.is_empty());
                    Pair {
                        replacement: if takes_args {
                            format!("{name} ")
                        } else {
                            name.clone()
                        },
                        display: name,
                    }
                })
                .collect();
            return Ok((0, names));
        };
        let start = space + 1;
        let word = head.get(start..).unwrap_or("");
        let words = |list: &mut dyn Iterator<Item = &str>| -> Vec<Pair> {
            list.filter(|w| w.starts_with(word))
                .map(|w| Pair {
                    display: w.to_string(),
                    replacement: w.to_string(),
                })
                .collect()
        };
        match &head[1..space] {
            "file" => self.files.complete(line, pos, ctx),
            "frame" if !word.contains([',', ' ']) => {
                Ok((start, words(&mut command::OPCODE_NAMES.iter().copied())))
            }
            "help" => {
                let names = command::commands(self.role).iter().map(|c| c.name);
                Ok((start, words(&mut names.into_iter())))
            }
            _ => Ok((pos, Vec::new())),
        }
    }
}

impl Hinter for Helper {
    type Hint = String;

    /// The arguments a command takes, while only its name is typed.
    fn hint(&self, line: &str, pos: usize, _: &rustyline::Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        let (name, spaced) = match line.strip_suffix(' ') {
            Some(n) => (n, true),
            None => (line, false),
        };
        let spec = command::commands(self.role)
            .iter()
            .find(|c| name.strip_prefix('/') == Some(c.name))?;
        if spec.args.is_empty() {
            return None;
        }
        Some(if spaced {
            spec.args.to_string()
        } else {
            format!(" {}", spec.args)
        })
    }
}

impl Highlighter for Helper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(style::paint(true, style::TYPING_HINT, hint))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for Helper {}

impl rustyline::Helper for Helper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    fn helper(role: Role) -> Helper {
        Helper {
            role,
            files: FilenameCompleter::new(),
            color: false,
        }
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        complete_as(line, Role::Client)
    }

    fn complete_as(line: &str, role: Role) -> (usize, Vec<String>) {
        let history = DefaultHistory::new();
        let ctx = rustyline::Context::new(&history);
        let (start, pairs) = helper(role)
            .complete(line, line.len(), &ctx)
            .expect("complete");
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn command_names_complete_with_a_space_when_they_take_arguments() {
        assert_eq!(complete("/pi"), (0, vec!["/ping ".to_string()]));
        assert_eq!(complete("/st"), (0, vec!["/stats".to_string()]));
        assert_eq!(complete("hello"), (0, vec![]));
        assert_eq!(complete("/frame te"), (7, vec!["text".to_string()]));
        assert_eq!(complete("/help cl"), (6, vec!["close".to_string()]));
        assert_eq!(complete("/ping x"), (7, vec![]));
        assert_eq!(complete("/cl"), (0, vec!["/close ".to_string()]));
        let listen = complete_as("/cl", Role::Server);
        assert_eq!(listen, (0, vec!["/clients".into(), "/close ".into()]));
        assert_eq!(
            complete_as("/help t", Role::Server),
            (6, vec!["to".into(), "text".into()])
        );
    }

    #[test]
    fn hints_show_the_arguments_of_a_typed_command() {
        let history = DefaultHistory::new();
        let ctx = rustyline::Context::new(&history);
        let h = helper(Role::Client);
        assert_eq!(
            h.hint("/close", 6, &ctx).as_deref(),
            Some(" [CODE [REASON]]")
        );
        let listen = helper(Role::Server);
        assert_eq!(
            listen.hint("/close", 6, &ctx).as_deref(),
            Some(" [ID] [CODE [REASON]]")
        );
        assert_eq!(listen.hint("/to", 3, &ctx).as_deref(), Some(" ID TEXT"));
        assert_eq!(h.hint("/ping ", 6, &ctx).as_deref(), Some("[TEXT]"));
        assert_eq!(h.hint("/stats", 6, &ctx), None);
        assert_eq!(h.hint("/ping x", 7, &ctx), None);
        assert_eq!(h.hint("/close", 2, &ctx), None);
    }
}
