//! The end of a run: the error report (`wsprobe: error: …`, its facts, a
//! rejection's status and body, its hints) and [`Finish`], the one way
//! every set of sinks is told how the run ended. It decides no exit status
//! (that is `main`'s) and renders no event.

use super::style;
use crate::error::{Error, Preview, Result, response_facts};
use crate::event::Emit;
use std::io::Write;

/// The sinks of a run as its end sees them: `main` reports the error that
/// ended the run (if any) through [`Finish::report`], then calls
/// [`Finish::finish`] and reports what that returns the same way.
pub trait Finish {
    /// Show the error that ended the run.
    fn report(&mut self, err: &Error);

    /// Write what is left (buffered output, the HAR file, the REPL's last
    /// lines). An error here did not end the run, but is one of its
    /// failures all the same.
    fn finish(&mut self) -> Result<()>;
}

/// The sinks of a pipe-mode run: events, and error reports in the middle
/// of it (each drop that `--retry` survives is reported in full).
pub trait Sink: Emit + Finish {}

impl<T: Emit + Finish> Sink for T {}

/// Standard error, for errors before any printer exists (a bad command
/// line; a REPL that could not start).
#[derive(Debug, Clone, Copy)]
pub struct Stderr {
    /// Colour the report.
    pub color: bool,
    /// Standard error is a terminal: escape server bytes.
    pub tty: bool,
}

impl Finish for Stderr {
    fn report(&mut self, err: &Error) {
        report_error(err, &mut std::io::stderr().lock(), self.color, self.tty, 0);
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Write the final error report: `wsprobe: error: …`, facts, a non-101's
/// status and body, and hints.
pub fn report_error(err: &Error, w: &mut dyn Write, color: bool, tty: bool, verbose: u8) {
    let (red, bold, dim) = (
        style::on(color, style::ERROR),
        style::on(color, style::HEADLINE),
        style::on(color, style::HINT),
    );
    let reset = style::off(color);
    let mut s = format!("{bold}wsprobe: {red}error:{reset}{bold} {err}{reset}\n");
    for fact in err.facts() {
        s.push_str(&format!("  {fact}\n"));
    }
    if let Error::Rejected(r) = err {
        // Shown even without -v: the body usually says why. With -v the
        // trace has already shown the whole response.
        if verbose == 0 {
            for fact in response_facts(r, &Preview::refused_upgrade(tty)) {
                s.push_str(&format!("  {fact}\n"));
            }
        }
    }
    for hint in err.hints() {
        s.push_str(&format!("  {dim}hint:{reset} {hint}\n"));
    }
    let _ = w.write_all(s.as_bytes());
    let _ = w.flush();
}
