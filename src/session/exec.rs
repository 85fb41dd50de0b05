//! The session's side of `--exec`: received messages go to the program's
//! stdin queue; when the queue is full, reading the socket pauses until
//! the program takes them (so memory stays bounded and TCP holds the
//! server back); at the end the program is finished and how it ended is
//! part of the outcome.

use super::Session;
use crate::error::{ExecEnd, Result};
use crate::event::Event;
use crate::input::exec::{Delivery, Program};

impl<'a> Session<'a> {
    /// Run `program` on this session (--exec): its output is the input
    /// channel given to [`Session::new`]; this hands it the messages.
    pub fn with_exec(mut self, program: Program) -> Session<'a> {
        self.exec = Some(program);
        self
    }

    /// Give a received message to the program, if one runs.
    pub(super) fn deliver_to_program(&mut self, data: &[u8]) {
        let Some(p) = &mut self.exec else {
            return;
        };
        let framed = p.framed(data);
        if let Delivery::Full(d) = p.deliver(framed) {
            self.exec_backlog = Some(d);
        }
    }

    /// Try the message the program's queue had no room for again.
    pub(super) fn retry_program_backlog(&mut self) {
        let (Some(p), Some(d)) = (&mut self.exec, self.exec_backlog.take()) else {
            return;
        };
        match p.deliver(d) {
            Delivery::Full(d) => self.exec_backlog = Some(d),
            Delivery::Queued => self.more_to_read = true,
        }
    }

    /// Reading waits: for echoes a blocked socket holds, or for the
    /// program to take a message.
    pub(super) fn reading_paused(&self) -> bool {
        self.echo_backlog() || self.exec_backlog.is_some()
    }

    /// End the program and fold how it ended into the session's outcome:
    /// its failure is the run's when the session itself went well, and a
    /// warning otherwise.
    pub(super) fn end_program(&mut self, result: Result<()>) -> Result<()> {
        let Some(p) = self.exec.take() else {
            return result;
        };
        if self.exec_backlog.take().is_some() {
            // Undeliverable now: the program is being closed.
            p.lose(1);
        }
        let (end, err) = p.finish();
        let (code, signal) = match end {
            ExecEnd::Code(c) => (Some(c), None),
            ExecEnd::Signal(s) => (None, Some(s)),
            ExecEnd::Unknown => (None, None),
        };
        let command = self.cfg.script.exec.clone().unwrap_or_default();
        self.emit(&Event::ExecEnded {
            command: &command,
            code,
            signal,
        });
        match (result, err) {
            (Ok(()), Some(e)) => Err(e),
            (Err(session), Some(e)) => {
                let words = e.to_string();
                self.emit(&Event::Warning(&words));
                Err(session)
            }
            (result, None) => result,
        }
    }
}
