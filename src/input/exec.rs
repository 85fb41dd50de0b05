//! `--exec`: a program on the connection. Its stdout is cut into messages
//! as stdin would be (lines, `-0` records, `--whole`, `-b`), on a thread of
//! its own, into the same bounded channel the session reads; every message
//! received goes to its stdin, followed by the framing's separator, through
//! a writer thread and a bounded queue. Its stderr is wsprobe's.
//!
//! The queue to the program is the bound on memory: when it is full the
//! session stops reading the socket (TCP then holds the server back) until
//! the writer has made room, and the writer wakes the session each time it
//! does. A program that exits or closes its stdin loses the messages that
//! still arrive; they are counted, and the report says how many.

use super::Input;
use super::pipe::pump;
use crate::config::Framing;
use crate::error::{Error, ExecEnd};
use std::io::{self, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Messages waiting for the program's stdin: a few, since each may be up
/// to --max-message-size.
const QUEUE: usize = 16;

/// How long the program has to exit once its stdin is closed, and again
/// after SIGTERM, before it is killed.
const GRACE: Duration = Duration::from_secs(2);

/// A running `--exec` program.
pub struct Program {
    command: String,
    child: Child,
    to_stdin: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<()>>,
    /// Messages the program did not take (its stdin was closed).
    lost: Arc<AtomicU64>,
    separator: Option<u8>,
}

/// What became of a message handed to the program.
pub enum Delivery {
    /// Queued for its stdin.
    Queued,
    /// The queue is full: try again after the next wake-up.
    Full(Vec<u8>),
}

impl Program {
    /// Start `sh -c COMMAND` with `env` added to its environment. Its stdout
    /// becomes messages on `tx` (then [`Input::End`] when it closes); `wake`
    /// is called after each batch and after each write to its stdin.
    pub fn spawn(
        command: &str,
        env: &[(String, String)],
        framing: Framing,
        binary: bool,
        tx: SyncSender<Input>,
        wake: impl Fn() + Send + Clone + 'static,
    ) -> Result<Program, Error> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| Error::Io {
                context: format!("cannot start --exec '{command}' (with sh -c)"),
                source,
            })?;
        let (stdout, stdin) = match (child.stdout.take(), child.stdin.take()) {
            (Some(o), Some(i)) => (o, i),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Io {
                    context: format!("cannot start --exec '{command}'"),
                    source: io::Error::other("its stdin or stdout is missing"),
                });
            }
        };
        let thread_err = |source| Error::Io {
            context: "cannot start the --exec threads".into(),
            source,
        };
        let w = wake.clone();
        std::thread::Builder::new()
            .name("exec-stdout".into())
            .spawn(move || pump(stdout, None, framing, binary, tx, w))
            .map_err(thread_err)?;
        let (to_stdin, queue) = mpsc::sync_channel(QUEUE);
        let lost = Arc::new(AtomicU64::new(0));
        let writer = {
            let lost = lost.clone();
            std::thread::Builder::new()
                .name("exec-stdin".into())
                .spawn(move || feed(stdin, queue, &lost, wake))
                .map_err(thread_err)?
        };
        Ok(Program {
            command: command.to_string(),
            child,
            to_stdin: Some(to_stdin),
            writer: Some(writer),
            lost,
            separator: match framing {
                Framing::Lines => Some(b'\n'),
                Framing::Null => Some(0),
                Framing::Whole => None,
            },
        })
    }

    /// Hand a received message to the program, without waiting.
    pub fn deliver(&mut self, data: Vec<u8>) -> Delivery {
        let Some(tx) = &self.to_stdin else {
            self.lost.fetch_add(1, Ordering::Relaxed);
            return Delivery::Queued;
        };
        match tx.try_send(data) {
            Ok(()) => Delivery::Queued,
            Err(TrySendError::Full(d)) => Delivery::Full(d),
            Err(TrySendError::Disconnected(_)) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
                Delivery::Queued
            }
        }
    }

    /// Count `n` messages the program will never get.
    pub fn lose(&self, n: u64) {
        self.lost.fetch_add(n, Ordering::Relaxed);
    }

    /// A received message as the program's stdin gets it: the payload, then
    /// the framing's separator.
    pub fn framed(&self, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(payload.len() + 1);
        v.extend_from_slice(payload);
        v.extend(self.separator);
        v
    }

    /// End the program: close its stdin (after what is queued), give it
    /// two seconds to exit, then SIGTERM and SIGKILL. How it ended, as an
    /// error when that was not status 0.
    pub fn finish(mut self) -> (ExecEnd, Option<Error>) {
        self.to_stdin = None;
        if let Some(w) = self.writer.take() {
            // The writer ends once the queue is drained or the pipe breaks;
            // a program that never reads would hold it, so it is not
            // joined beyond the grace period (the kill below frees it).
            let (done_tx, done_rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = w.join();
                let _ = done_tx.send(());
            });
            let _ = done_rx.recv_timeout(GRACE);
        }
        let status = self.wait(GRACE).or_else(|| {
            signal(&self.child, libc::SIGTERM);
            self.wait(GRACE)
        });
        let status = match status {
            Some(s) => s,
            None => {
                let _ = self.child.kill();
                match self.child.wait() {
                    Ok(s) => s,
                    Err(_) => {
                        return (ExecEnd::Unknown, None);
                    }
                }
            }
        };
        let end = ExecEnd::from_status(status);
        let lost = self.lost.load(Ordering::Relaxed);
        let err = (!end.is_success() || lost > 0).then(|| Error::Exec {
            command: self.command.clone(),
            end,
            lost,
        });
        (end, err)
    }

    /// The program's status if it exits within `limit`.
    fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = std::time::Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => return Some(s),
                Ok(None) => {}
                Err(_) => return None,
            }
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            // A child's exit has no file descriptor to poll portably:
            // look again shortly (bounded by `limit`).
            std::thread::sleep(left.min(Duration::from_millis(10)));
        }
    }
}

/// Send `sig` to the child (by its PID, which it keeps until reaped).
fn signal(child: &Child, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) has no memory effects; the PID is our child's,
        // not yet waited for, so it cannot have been reused.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// The writer thread: queued messages to the program's stdin, waking the
/// session after each; once the pipe breaks, the rest are counted lost.
fn feed(
    mut stdin: std::process::ChildStdin,
    queue: Receiver<Vec<u8>>,
    lost: &AtomicU64,
    wake: impl Fn(),
) {
    let mut open = true;
    for msg in queue {
        if open && stdin.write_all(&msg).and_then(|()| stdin.flush()).is_err() {
            open = false;
        }
        if !open {
            lost.fetch_add(1, Ordering::Relaxed);
        }
        wake();
    }
}
