//! The hub's side of `--exec` in listen mode (see `server::exec`): start a
//! client's program when it joins, move its output to that client and the
//! messages that waited for its queue, finish it on a thread of its own when
//! the client ends, and report how it ended.

use super::Hub;
use crate::error::ExecEnd;
use crate::event::Event;
use crate::input::Input;
use crate::input::exec::Program;
use crate::server::client::Client;
use crate::server::exec::{Attached, Reaped, environment};
use std::sync::mpsc::{self, TryRecvError};

/// Messages taken from one program per turn before the others get theirs.
const TAKE_BUDGET: usize = 256;
/// A program's output waits while its client has this much queued.
const CLIENT_BACKLOG: usize = 256 * 1024;

impl Hub<'_> {
    /// Start the program for a client that just joined.
    pub(in crate::server) fn attach(&mut self, c: &mut Client, request: &[u8], target: &str) {
        let Some(command) = &self.cfg.script.exec else {
            return;
        };
        let server = self.listener.local_addr().ok();
        let env = environment(request, target, c.addr, server, c.id);
        let (tx, rx) = mpsc::sync_channel(2);
        let waker = self.poller.clone();
        let spawned = Program::spawn(
            command,
            &env,
            self.cfg.input.framing,
            self.cfg.input.binary,
            tx,
            move || {
                let _ = waker.notify();
            },
        );
        match spawned {
            Ok(program) => {
                c.program = Some(Attached {
                    program,
                    output: Some(rx),
                    backlog: None,
                })
            }
            Err(e) => {
                let words = e.to_string();
                c.emit(self.out, &Event::Warning(&words));
                c.start_close(1011, "", self.out);
            }
        }
    }

    /// Each turn: the programs' output to their clients, the messages that
    /// waited for a program's queue, and the programs that ended. True
    /// when a program may have more output right now.
    pub(in crate::server) fn service_programs(&mut self) -> bool {
        self.collect_reaped();
        let mut more = false;
        for c in self.clients.values_mut() {
            let Some(a) = &mut c.program else {
                continue;
            };
            if a.waiting() && a.retry() {
                c.more_to_read = true;
            }
            // The channel is taken out while its messages go to the client
            // (both are the client's), and put back unless it ended.
            let Some(rx) = a.output.take() else {
                continue;
            };
            let mut ended = None;
            {
                let mut budget = TAKE_BUDGET;
                while budget > 0 && c.closing.is_none() && c.ws.queued() < CLIENT_BACKLOG {
                    budget -= 1;
                    match rx.try_recv() {
                        Ok(Input::Batch(b)) => {
                            for m in b {
                                c.send(m, self.out);
                            }
                        }
                        Ok(Input::Command(_)) => {}
                        Ok(Input::End) | Err(TryRecvError::Disconnected) => {
                            ended = Some(1000);
                            break;
                        }
                        Ok(Input::Failed(e)) => {
                            let words = e.to_string();
                            c.emit(self.out, &Event::Warning(&words));
                            ended = Some(1011);
                            break;
                        }
                        Err(TryRecvError::Empty) => break,
                    }
                }
                more |= budget == 0;
            }
            match ended {
                // The program's output is over: so is its client's session.
                Some(code) => c.start_close(code, "", self.out),
                None => {
                    if let Some(a) = &mut c.program {
                        a.output = Some(rx);
                    }
                }
            }
        }
        more
    }

    /// A client ended: finish its program on a thread of its own.
    pub(in crate::server) fn detach(&mut self, c: &mut Client) {
        let Some(a) = c.program.take() else {
            return;
        };
        let (id, tx, waker) = (c.id, self.reaped_tx.clone(), self.poller.clone());
        let reaper = std::thread::Builder::new()
            .name(format!("exec-reaper-{id}"))
            .spawn(move || {
                let program = a.program;
                if a.backlog.is_some() {
                    program.lose(1);
                }
                let (end, err) = program.finish();
                let _ = tx.send(Reaped { id, end, err });
                let _ = waker.notify();
            });
        match reaper {
            Ok(_) => self.reaping += 1,
            Err(e) => {
                let _ = self.out.emit(&Event::Warning(&format!(
                    "#{id}: cannot start a thread to end its --exec program ({e})"
                )));
            }
        }
    }

    /// Report the programs that ended; with --once a failed one is the
    /// run's failure when the session itself went well.
    fn collect_reaped(&mut self) {
        while let Ok(r) = self.reaped_rx.try_recv() {
            self.reaping = self.reaping.saturating_sub(1);
            let (code, signal) = match r.end {
                ExecEnd::Code(c) => (Some(c), None),
                ExecEnd::Signal(s) => (None, Some(s)),
                ExecEnd::Unknown => (None, None),
            };
            let command = self.cfg.script.exec.clone().unwrap_or_default();
            let ev = Event::ExecEnded {
                command: &command,
                code,
                signal,
            };
            let _ = self.out.emit(&Event::Client {
                id: r.id,
                event: &ev,
            });
            if let Some(e) = r.err {
                match &self.outcome {
                    Some(Ok(())) if self.spec.once => self.outcome = Some(Err(e)),
                    _ => {
                        let words = format!("#{}: {e}", r.id);
                        let _ = self.out.emit(&Event::Warning(&words));
                    }
                }
            }
        }
    }
}
