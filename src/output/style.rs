//! Every colour wsprobe writes, and the one other terminal escape: the trace
//! markers, the warning and the error report on stderr, and the REPL's
//! markers, notes, prompt and hints. The styles are `anstyle` values; no
//! other file spells an escape sequence.
//!
//! It decides nothing: whether to colour at all is the caller's
//! (`OutputSpec::color`), and it knows no events.
//!
//! Two renderings exist because the output has always had both, and output
//! stays byte for byte what it was: [`paint`] is `anstyle`'s own (one
//! sequence per attribute, `\x1b[1m\x1b[36m`), which the REPL's own lines
//! use; [`on`] joins the attributes into one sequence (`\x1b[1;36m`), as
//! the trace, the warning and the error report write them.

use anstyle::{AnsiColor, Color, Style};

const fn fg(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(Color::Ansi(color)))
}

/// Trace marker `*`: information.
pub const INFO_MARK: Style = Style::new().dimmed();
/// Trace marker `>`: the request (and the proxy request).
pub const REQUEST_MARK: Style = fg(AnsiColor::Cyan).bold();
/// Trace marker `<`: the response (and the proxy's).
pub const RESPONSE_MARK: Style = fg(AnsiColor::Green).bold();
/// Trace marker `}`: a frame sent.
pub const SENT_FRAME_MARK: Style = fg(AnsiColor::Magenta);
/// Trace marker `{`: a frame received.
pub const RECEIVED_FRAME_MARK: Style = fg(AnsiColor::Blue);
/// `warning:` in `wsprobe: warning: …`.
pub const WARNING: Style = fg(AnsiColor::Yellow).bold();
/// `error:`, in the final report and in the REPL's one-line errors.
pub const ERROR: Style = fg(AnsiColor::Red).bold();
/// The error report's headline.
pub const HEADLINE: Style = Style::new().bold();
/// `hint:` in the error report.
pub const HINT: Style = Style::new().dimmed();
/// The REPL's `<` (received).
pub const REPL_IN: Style = fg(AnsiColor::Cyan).bold();
/// The REPL's `>` (sent).
pub const REPL_OUT: Style = fg(AnsiColor::Green).bold();
/// The REPL's `*` and its notes in parentheses.
pub const REPL_INFO: Style = Style::new().dimmed();
/// `open` in the REPL prompt.
pub const PROMPT_OPEN: Style = fg(AnsiColor::Green);
/// `closing` in the REPL prompt.
pub const PROMPT_CLOSING: Style = fg(AnsiColor::Yellow);
/// The greyed-out arguments the REPL suggests after a command name.
pub const TYPING_HINT: Style = Style::new().dimmed();

/// Cursor up one row, then a newline: printed, it changes nothing on the
/// screen (the REPL printer sends it to learn when the editor has taken
/// what came before).
pub const UP_AND_BACK: &str = "\x1b[A\n";

/// The style of a trace line's marker (its first character), if it has one.
pub fn trace_marker(c: char) -> Option<Style> {
    match c {
        '*' => Some(INFO_MARK),
        '>' => Some(REQUEST_MARK),
        '<' => Some(RESPONSE_MARK),
        '}' => Some(SENT_FRAME_MARK),
        '{' => Some(RECEIVED_FRAME_MARK),
        _ => None,
    }
}

/// `s` in `style` when `color` (`anstyle`'s rendering), else `s` as is.
pub fn paint(color: bool, style: Style, s: &str) -> String {
    if color {
        format!("{}{s}{}", style.render(), style.render_reset())
    } else {
        s.to_string()
    }
}

/// The one sequence that turns `style` on (`\x1b[1;36m`) when `color`,
/// else nothing.
pub fn on(color: bool, style: Style) -> String {
    if !color {
        return String::new();
    }
    // anstyle writes one `ESC [ n m` per attribute; joining them keeps
    // the bytes the trace has always had.
    style.render().to_string().replace("m\x1b[", ";")
}

/// The sequence that turns every style off when `color`, else nothing.
pub fn off(color: bool) -> String {
    if color {
        anstyle::Reset.render().to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_and_separate_renderings() {
        assert_eq!(on(true, REQUEST_MARK), "\x1b[1;36m");
        assert_eq!(on(true, ERROR), "\x1b[1;31m");
        assert_eq!(on(true, WARNING), "\x1b[1;33m");
        assert_eq!(on(true, SENT_FRAME_MARK), "\x1b[35m");
        assert_eq!(on(true, INFO_MARK), "\x1b[2m");
        assert_eq!(off(true), "\x1b[0m");
        assert_eq!(on(false, ERROR), "");
        assert_eq!(off(false), "");
        assert_eq!(paint(true, REPL_IN, "<"), "\x1b[1m\x1b[36m<\x1b[0m");
        assert_eq!(
            paint(true, PROMPT_CLOSING, "closing"),
            "\x1b[33mclosing\x1b[0m"
        );
        assert_eq!(paint(false, REPL_IN, "<"), "<");
    }
}
