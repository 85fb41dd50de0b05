//! The event loop: the only code that reads or writes the socket once the
//! connection is open.
//!
//! One thread owns the `WebSocket`. The socket is non-blocking and
//! registered with `polling`; input threads send batches over a bounded
//! channel and wake the poller. Each turn reads everything available, writes
//! as many queued messages as the socket takes, flushes once, and then
//! sleeps until the socket, the input or the next deadline needs it.
//!
//! Ending (RFC 6455 section 7): after input ends the session stays until it
//! has been quiet for `--wait`, then sends Close and keeps reading (and
//! printing) until the server's Close or `--close-timeout`. A Close from the
//! server is answered at once. Every wait has a deadline.
//!
//! The protocol engine is `protocol::Connection` (RFC 6455 and
//! permessage-deflate); with --echo every message received is queued back
//! to the server, and reading pauses while echoes wait for a blocked socket.
//!
//! REPL commands, keepalive and `/stats` live in `control.rs` (ping timing
//! and the counters in `pings.rs`, which listen mode shares);
//! `--expect` in `expect.rs`; what read and write errors become in
//! `failure.rs`. [`Session::run_to_end`] gives back what a new connection
//! takes over (`--retry`).

mod control;
mod ending;
mod exec;
mod expect;
mod failure;
mod idle;
pub mod pings;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::event::Direction;
use crate::event::{Emit, Event, Initiator, MessageKind};
use crate::input::Input;
use crate::net::Stream;
use crate::net::tap::Tap;
use crate::protocol::{Connection, ReadError};
use polling::Poller;
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};
use tungstenite::Message;

/// The poller key of the socket.
const SOCKET: usize = 0;
/// Messages read (or written) in one turn before the other direction gets
/// its chance.
const TURN_BUDGET: usize = 4096;

/// What the session needs besides the socket.
pub struct Session<'a> {
    ws: Connection<Tap<Stream>>,
    cfg: &'a Config,
    out: &'a mut dyn Emit,
    poller: Arc<Poller>,
    input: Option<Receiver<Input>>,
    /// Messages taken from input (or -d) and not yet given to the socket.
    pending: Pending,
    /// The last write or flush would have blocked: wait for writability and
    /// take no more input until then.
    write_blocked: bool,
    /// The engine (or TLS) may hold bytes it already read; poll without
    /// sleeping.
    more_to_read: bool,
    opened: Instant,
    input_done_at: Option<Instant>,
    received: u64,
    sent: u64,
    /// When we sent Close.
    closing_since: Option<Instant>,
    /// What to report once the close handshake ends, if not a clean close.
    after_close: Option<Error>,
    /// stdout is gone: finish quietly.
    output_gone: bool,
    /// Emit an event for every message sent (--json, --har).
    trace_messages: bool,
    /// REPL commands, pings and statistics (control.rs).
    ctl: pings::Pings,
    /// When a frame last went each way (idle.rs).
    quiet: idle::Quiet,
    /// --expect: what is still to arrive (expect.rs).
    expect: Option<expect::Waiting>,
    /// The code of a Close the server sent first, for --retry.
    server_closed: Option<u16>,
    /// --exec: the program, and a message its full queue could not take.
    exec: Option<crate::input::exec::Program>,
    exec_backlog: Option<Vec<u8>>,
}

/// How a session ended, with what a new connection (--retry) takes over:
/// the input channel, if it is still open, and the messages taken from
/// input or -d that never reached the socket.
pub struct Ended {
    /// How the session ended.
    pub result: Result<()>,
    /// The input, when it has not ended.
    pub input: Option<Receiver<Input>>,
    /// Messages not yet given to the connection, in order.
    pub unsent: Vec<Message>,
    /// The code of a Close the server sent first.
    pub server_closed: Option<u16>,
}

/// Messages waiting for the outbox, kept in the batches they arrived in:
/// a batch is not copied message by message into one queue, and its
/// memory goes as soon as its last message is sent. Never holds an empty
/// batch, so `is_empty` is exact.
#[derive(Default)]
struct Pending(VecDeque<std::vec::IntoIter<Message>>);

impl Pending {
    fn push_back(&mut self, msg: Message) {
        self.0.push_back(vec![msg].into_iter());
    }

    fn extend(&mut self, batch: Vec<Message>) {
        if !batch.is_empty() {
            self.0.push_back(batch.into_iter());
        }
    }

    // Inlined into the write loop: out of line it cost 3% of the echo
    // workload's instructions (cachegrind), a call per message.
    #[inline(always)]
    fn pop_front(&mut self) -> Option<Message> {
        let front = self.0.front_mut()?;
        let msg = front.next();
        if front.len() == 0 {
            self.0.pop_front();
        }
        msg
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Message>> for Pending {
    fn from(batch: Vec<Message>) -> Pending {
        let mut p = Pending::default();
        p.extend(batch);
        p
    }
}

/// How one turn of reading ended the session, if it did.
enum Finish {
    /// The close handshake completed (or the server closed and we answered).
    Closed {
        code: u16,
        reason: String,
        initiator: Initiator,
    },
    /// The session failed.
    Failed(Error),
}

impl<'a> Session<'a> {
    /// Prepare a session over an open WebSocket. `data` messages are sent
    /// before anything from `input`.
    pub fn new(
        ws: Connection<Tap<Stream>>,
        cfg: &'a Config,
        out: &'a mut dyn Emit,
        poller: Arc<Poller>,
        input: Option<Receiver<Input>>,
        data: Vec<Message>,
        via: Option<crate::error::Intermediary>,
    ) -> Session<'a> {
        let now = Instant::now();
        Session {
            ws,
            cfg,
            out,
            poller,
            input,
            pending: Pending::from(data),
            write_blocked: false,
            more_to_read: true,
            opened: now,
            input_done_at: None,
            received: 0,
            sent: 0,
            closing_since: None,
            after_close: None,
            output_gone: false,
            trace_messages: cfg.output.json || cfg.har.is_some(),
            ctl: pings::Pings::new(now, cfg.keepalive.map(|k| k.interval)),
            quiet: idle::Quiet::new(now, via),
            server_closed: None,
            exec: None,
            exec_backlog: None,
            expect: (!cfg.script.expect.is_empty()).then(|| {
                expect::Waiting::new(cfg.script.expect.clone(), cfg.script.expect_timeout, now)
            }),
        }
    }

    /// Run until the session ends.
    pub fn run(self) -> Result<()> {
        self.run_to_end().result
    }

    /// Run until the session ends, and give back what another connection
    /// would go on with.
    pub fn run_to_end(mut self) -> Ended {
        let result = self.run_loop();
        let result = self.end_program(result);
        let mut unsent = Vec::new();
        while let Some(m) = self.pending.pop_front() {
            unsent.push(m);
        }
        Ended {
            result,
            input: self.input.take(),
            unsent,
            server_closed: self.server_closed,
        }
    }

    fn run_loop(&mut self) -> Result<()> {
        let io_err = |context: &str| {
            let context = context.to_string();
            move |source| Error::Io { context, source }
        };
        self.ws
            .get_ref()
            .get_ref()
            .set_nonblocking(true)
            .map_err(io_err("cannot make the socket non-blocking"))?;
        // SAFETY: the socket is deleted from the poller below, before the
        // WebSocket (and so the socket) is dropped.
        unsafe {
            self.poller
                .add(
                    self.ws.get_ref().get_ref(),
                    polling::Event::readable(SOCKET),
                )
                .map_err(io_err("cannot register the socket with the poller"))?;
        }
        let result = self.event_loop();
        let stats = self.stats();
        self.emit(&Event::Totals(&stats));
        let _ = self.poller.delete(self.ws.get_ref().get_ref());
        let _ = self.out.flush();
        self.ws.get_mut().get_mut().shutdown();
        result
    }

    fn event_loop(&mut self) -> Result<()> {
        let mut events = polling::Events::new();
        let max_deadline = self.cfg.ending.max_time.map(|d| self.opened + d);
        loop {
            if let Some(finish) = self.read_available() {
                return self.finish(finish);
            }
            if self.output_gone {
                // stdout closed (e.g. `| head`): end quietly.
                self.start_close();
                let _ = self.ws.flush();
                return Ok(());
            }
            let keepalive_due = match self.keepalive(Instant::now()) {
                Ok(due) => due,
                Err(e) => return self.finish(Finish::Failed(e)),
            };
            if let Err(e) = self.write_input() {
                return self.finish(Finish::Failed(e));
            }
            if let Err(e) = self.flush_socket() {
                return self.finish(Finish::Failed(e));
            }
            self.emit_frames();

            let now = Instant::now();
            self.quiet.stamp(now);
            if self.closing_since.is_none()
                && !self.cfg.echo
                && self.input_done_at.is_none()
                && self.pending.is_empty()
                && !self.write_blocked
                && self.input.is_none()
            {
                self.input_done_at = Some(now);
                let (sent, wait) = (self.sent, self.cfg.ending.wait);
                self.emit(&Event::InputEnded { sent, wait });
            }
            let deadline = match self.ending_due(now, keepalive_due, max_deadline) {
                ending::Due::Again => continue,
                ending::Due::At(d) => d,
                ending::Due::End(e) => return Err(e),
            };

            if let Err(e) = self.out.flush() {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    self.output_gone = true;
                    continue;
                }
                return Err(Error::Io {
                    context: "cannot write to standard output".into(),
                    source: e,
                });
            }
            let timeout = if self.more_to_read {
                Some(Duration::ZERO)
            } else {
                deadline.map(|d| d.saturating_duration_since(Instant::now()))
            };
            let interest = polling::Event::new(SOCKET, !self.reading_paused(), self.write_blocked);
            self.poller
                .modify(self.ws.get_ref().get_ref(), interest)
                .map_err(|source| Error::Io {
                    context: "cannot poll the socket".into(),
                    source,
                })?;
            events.clear();
            match self.poller.wait(&mut events, timeout) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        context: "cannot poll the socket".into(),
                        source,
                    });
                }
            }
            if events.iter().any(|e| e.writable) {
                self.write_blocked = false;
            }
            // Reading is always attempted: a readable event, a wake-up from
            // input or a timeout all lead to the same cheap non-blocking read.
            self.more_to_read = true;
        }
    }

    /// With --echo, echoes wait for a blocked socket: read no more until
    /// they are written, so memory stays bounded.
    fn echo_backlog(&self) -> bool {
        self.cfg.echo && self.write_blocked && !self.pending.is_empty()
    }

    /// Read everything the socket has now.
    fn read_available(&mut self) -> Option<Finish> {
        self.retry_program_backlog();
        if !self.more_to_read || self.reading_paused() {
            return None;
        }
        for _ in 0..TURN_BUDGET {
            let result = self.ws.read();
            match result {
                Ok(msg) => {
                    self.quiet.heard();
                    self.emit_frames_of_one_message();
                    self.emit_compression(Direction::Received);
                    if let Some(f) = self.on_message(msg) {
                        return Some(f);
                    }
                    if self.output_gone {
                        return None;
                    }
                    if (self.cfg.echo && !self.pending.is_empty()) || self.exec_backlog.is_some() {
                        // Send the echo before reading on: a message that
                        // came before a protocol violation is still echoed.
                        // And wait for the program to take one it could not.
                        self.more_to_read = true;
                        return None;
                    }
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.more_to_read = false;
                    return None;
                }
                Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.emit_frames();
                    if let Some(partial) = self.ws.get_ref().partial_received() {
                        self.emit(&Event::Frame {
                            dir: Direction::Received,
                            frame: &partial,
                        });
                    }
                    return Some(self.on_read_error(e));
                }
            }
        }
        // Budget spent with data possibly still buffered: come back at once.
        self.more_to_read = true;
        None
    }

    fn on_message(&mut self, msg: Message) -> Option<Finish> {
        let (kind, data) = match &msg {
            Message::Text(t) => (MessageKind::Text, t.as_bytes()),
            Message::Binary(b) => (MessageKind::Binary, &b[..]),
            Message::Ping(p) => {
                self.emit(&Event::PingReceived { data: p });
                return None;
            }
            Message::Pong(p) => {
                self.on_pong(p);
                return None;
            }
            Message::Close(frame) => {
                // The engine has checked the code and reason (section 7.4).
                let (code, reason) = match frame {
                    Some(f) => (u16::from(f.code), f.reason.as_str().to_string()),
                    None => (1005, String::new()),
                };
                self.emit(&Event::CloseReceived {
                    code,
                    reason: &reason,
                });
                let initiator = if self.closing_since.is_some() {
                    Initiator::Client
                } else {
                    // The engine queued our answer; send it now.
                    let _ = self.ws.flush();
                    self.emit(&Event::CloseSent {
                        code,
                        reason: &reason,
                    });
                    self.server_closed = Some(code);
                    Initiator::Server
                };
                return Some(Finish::Closed {
                    code,
                    reason,
                    initiator,
                });
            }
            Message::Frame(_) => return None,
        };
        self.quiet.message();
        if let Some(n) = self.cfg.ending.count
            && self.received >= n
        {
            // Already have what was asked for; closing now.
            return None;
        }
        self.received += 1;
        self.ctl.count_received(data.len());
        if let Err(e) = self.out.emit(&Event::Message { kind, data }) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.output_gone = true;
                return None;
            }
            return Some(Finish::Failed(Error::Io {
                context: "cannot write to standard output".into(),
                source: e,
            }));
        }
        self.judge(data);
        self.deliver_to_program(data);
        if self.cfg.echo && self.closing_since.is_none() {
            // Same type back (Bytes clones share the payload).
            self.pending.push_back(msg.clone());
        }
        if self.cfg.ending.count == Some(self.received) {
            self.start_close();
        }
        None
    }

    /// Move queued input into the socket until it would block.
    fn write_input(&mut self) -> Result<()> {
        if self.closing_since.is_some() {
            return Ok(());
        }
        let mut budget = TURN_BUDGET;
        while !self.write_blocked && budget > 0 {
            let Some(msg) = self.pending.pop_front() else {
                if !self.take_input()? {
                    break;
                }
                continue;
            };
            budget -= 1;
            self.sent += 1;
            if self.trace_messages {
                let (kind, data): (MessageKind, &[u8]) = match &msg {
                    Message::Text(t) => (MessageKind::Text, t.as_bytes()),
                    Message::Binary(b) => (MessageKind::Binary, b),
                    _ => (MessageKind::Binary, &[]),
                };
                let _ = self.out.emit(&Event::MessageSent { kind, data });
            }
            self.ctl.count_sent(&msg);
            let written = self.ws.write(msg);
            self.quiet.spoke();
            self.emit_compression(Direction::Sent);
            match written {
                Ok(()) => {}
                // The message is queued in the engine: never resend it.
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                }
                Err(e) => return Err(self.write_error(e)),
            }
        }
        Ok(())
    }

    /// Take the next batch from input. False when nothing is waiting.
    fn take_input(&mut self) -> Result<bool> {
        let Some(rx) = &self.input else {
            return Ok(false);
        };
        match rx.try_recv() {
            Ok(Input::Batch(b)) => {
                self.pending.extend(b);
                Ok(true)
            }
            Ok(Input::Command(c)) => {
                self.command(c)?;
                Ok(true)
            }
            Ok(Input::End) | Err(TryRecvError::Disconnected) => {
                self.input = None;
                Ok(false)
            }
            Ok(Input::Failed(e)) => {
                self.input = None;
                self.after_close = Some(e);
                self.start_close();
                Ok(false)
            }
            Err(TryRecvError::Empty) => Ok(false),
        }
    }

    fn flush_socket(&mut self) -> Result<()> {
        if self.write_blocked {
            return Ok(());
        }
        match self.ws.flush() {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
                Ok(())
            }
            Err(e) => Err(self.write_error(e)),
        }
    }

    /// Send our Close (--close-code, --close-reason) once and start the
    /// close timer.
    fn start_close(&mut self) {
        let e = &self.cfg.ending;
        self.start_close_with(e.close_code, &e.close_reason.clone());
    }

    fn finish(&mut self, f: Finish) -> Result<()> {
        self.emit_frames();
        let after = self.opened.elapsed();
        match f {
            Finish::Closed {
                code,
                reason,
                initiator,
            } => {
                let clean = matches!(code, 1000 | 1001 | 1005);
                self.emit(&Event::Closed {
                    clean,
                    initiator: Some(initiator),
                    code: Some(code),
                    after,
                });
                if let Some(e) = self.after_close.take() {
                    return Err(e);
                }
                if let Some(e) = self.unmet_at_close(initiator, code) {
                    return Err(e);
                }
                if clean || self.output_gone {
                    Ok(())
                } else {
                    let who = match initiator {
                        Initiator::Server => "closed by the server",
                        Initiator::Client => "the server's answer to our Close",
                    };
                    Err(Error::AbnormalClose {
                        code,
                        reason,
                        detail: who.into(),
                        silence: None,
                        ours: crate::protocol::frame::Role::Client,
                    })
                }
            }
            Finish::Failed(e) => {
                self.emit(&Event::Closed {
                    clean: false,
                    initiator: None,
                    code: None,
                    after,
                });
                Err(self.after_close.take().unwrap_or(e))
            }
        }
    }

    /// Show an informational event; stderr trouble never stops a session.
    fn emit(&mut self, ev: &Event<'_>) {
        let _ = self.out.emit(ev);
    }

    /// Emit the frames behind the message just read (see
    /// [`Tap::take_frames_of_one_message`]).
    fn emit_frames_of_one_message(&mut self) {
        if !self.ws.get_ref().tracing() {
            return;
        }
        for (dir, frame) in self.ws.get_mut().take_frames_of_one_message() {
            self.emit(&Event::Frame { dir, frame: &frame });
        }
    }

    /// Report the compression of the message just read or written
    /// (permessage-deflate; nothing otherwise).
    fn emit_compression(&mut self, dir: Direction) {
        if let Some(c) = self.ws.take_compression() {
            self.emit(&Event::Compression {
                dir,
                size: c.size,
                wire: c.wire,
            });
        }
    }

    /// Emit the frames the tap decoded since the last call.
    fn emit_frames(&mut self) {
        if !self.ws.get_ref().tracing() {
            return;
        }
        for (dir, frame) in self.ws.get_mut().take_frames() {
            self.emit(&Event::Frame { dir, frame: &frame });
        }
    }
}
