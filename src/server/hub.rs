//! Listen mode's event loop: the only code that reads or writes a
//! client's socket after its 101, on one thread, with `polling` over the
//! listener and every client.
//!
//! Each turn accepts what is waiting (each connection's handshake runs on
//! a thread of its own, `handshake::serve`, and comes back over a channel),
//! reads every client that has bytes (a budget each, so none starves the
//! others; pings are answered by the engine as they are read), hands
//! input to the clients, flushes, and sleeps until a socket, the input,
//! a handshake or a deadline needs it.
//!
//! Input is broadcast: each message to every open client. It is taken
//! from the input channel only while some client keeps up (its queue
//! under [`LOW_WATER`]), so what is read before the first client connects
//! waits for it in the bounded channel, and the end of stdin does not stop
//! the server. A client whose queue passes [`CLIENT_QUEUE`] has stopped
//! reading: it is disconnected ("too slow") and the others go on.

mod input;
mod programs;

use super::client::{CLIENT_QUEUE, Client, Ending, Read, Reading};
use super::handshake::{self, Handshaken, Policy};
use crate::config::{Config, ListenSpec};
use crate::error::{Error, Result, TimeoutKind};
use crate::event::{ClientId, Dropped, Emit, Event, RequestProblem, Stats};
use crate::input::Input;
use crate::net::Stream;
use crate::net::tap::Tap;
use crate::protocol::Connection;
use crate::protocol::frame::Role;
use crate::session::pings::Pings;
use polling::Poller;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};
use tungstenite::Message;

/// The poller key of the listener; a client's key is its id (from 1).
const LISTENER: usize = 0;
/// Input is taken only while some client has fewer bytes than this queued.
pub const LOW_WATER: usize = 256 * 1024;
/// Connections accepted per turn.
const ACCEPT_BUDGET: usize = 64;
/// Messages broadcast per turn.
const SEND_BUDGET: usize = 4096;
/// Connections refused for --max-clients whose request is being read, at
/// most; past it, one more is closed at once.
const BUSY_READERS: usize = 8;

/// What the hub is given besides the configuration and the sink.
pub struct Wiring {
    /// wss://: the server's TLS configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// --static DIR, canonical.
    pub static_root: Option<std::path::PathBuf>,
    /// The bound, non-blocking listener.
    pub listener: TcpListener,
    /// The input, the -d messages and the poller (see `input.rs`).
    pub feed: super::Feed,
    /// Set on Ctrl-C.
    pub stop: Arc<AtomicBool>,
}

/// Listen mode's state; see the module documentation.
pub struct Hub<'a> {
    cfg: &'a Config,
    spec: &'a ListenSpec,
    out: &'a mut dyn Emit,
    poller: Arc<Poller>,
    listener: TcpListener,
    policy: Arc<Policy>,
    clients: BTreeMap<ClientId, Client>,
    /// Handshake threads running, for the limit; and those refusing.
    handshakes: usize,
    busy_readers: usize,
    done_tx: mpsc::Sender<Handshaken>,
    done_rx: Receiver<Handshaken>,
    input: Option<Receiver<Input>>,
    pending: VecDeque<Message>,
    next_id: ClientId,
    /// --once: the client was upgraded (later ones are refused).
    served: bool,
    /// --once: how its session ended.
    outcome: Option<Result<()>>,
    stop: Arc<AtomicBool>,
    /// Closing every client (Ctrl-C, --max-time, input failure).
    stopping: bool,
    /// What the run reports once every client is gone.
    failure: Option<Error>,
    started: Instant,
    input_done_at: Option<Instant>,
    output_gone: bool,
    trace_messages: bool,
    /// --exec: programs being finished, and how they ended.
    reaping: usize,
    reaped_tx: mpsc::Sender<super::exec::Reaped>,
    reaped_rx: Receiver<super::exec::Reaped>,
    /// The input is the REPL's.
    interactive: bool,
    /// Connections served, refused and answered with files, for `/stats`.
    counts: Counts,
    /// The counters of the clients that have ended, for `/stats`.
    ended_totals: Stats,
}

/// What `/stats` counts besides the clients' own counters.
#[derive(Default)]
struct Counts {
    served: u64,
    refused: u64,
    files: u64,
}

impl<'a> Hub<'a> {
    /// A hub on a bound, non-blocking listener.
    pub fn new(cfg: &'a Config, spec: &'a ListenSpec, out: &'a mut dyn Emit, w: Wiring) -> Hub<'a> {
        let Wiring {
            tls,
            static_root,
            listener,
            feed,
            stop,
        } = w;
        let super::Feed {
            poller,
            input,
            data,
            interactive,
        } = feed;
        let (done_tx, done_rx) = mpsc::channel();
        let (reaped_tx, reaped_rx) = mpsc::channel();
        Hub {
            policy: Arc::new(Policy {
                subprotocols: spec.accept_subprotocols.clone(),
                headers: spec.response_headers.clone(),
                compress: cfg.compress,
                timeout: cfg.handshake_timeout,
                tls,
                static_root,
            }),
            cfg,
            spec,
            out,
            poller,
            listener,
            clients: BTreeMap::new(),
            handshakes: 0,
            busy_readers: 0,
            done_tx,
            done_rx,
            input,
            pending: data.into(),
            next_id: 1,
            served: false,
            outcome: None,
            stop,
            stopping: false,
            failure: None,
            started: Instant::now(),
            input_done_at: None,
            output_gone: false,
            trace_messages: cfg.output.json,
            reaping: 0,
            reaped_tx,
            reaped_rx,
            interactive,
            counts: Counts::default(),
            ended_totals: Stats::default(),
        }
    }

    /// Serve until Ctrl-C, --max-time, or (--once) the one session's end.
    pub fn run(mut self) -> Result<()> {
        // SAFETY: the listener outlives its registration (deleted below).
        unsafe {
            self.poller
                .add(&self.listener, polling::Event::readable(LISTENER))
                .map_err(io_err("cannot register the listener with the poller"))?;
        }
        let result = self.event_loop();
        let _ = self.poller.delete(&self.listener);
        for (_, c) in std::mem::take(&mut self.clients) {
            let _ = self.poller.delete(c.ws.get_ref().get_ref());
        }
        let _ = self.out.flush();
        result
    }

    fn event_loop(&mut self) -> Result<()> {
        let mut events = polling::Events::new();
        loop {
            if self.stop.load(Ordering::Relaxed) && !self.stopping {
                self.stop_all(1001);
            }
            self.collect_handshakes();
            self.read_clients();
            if self.output_gone && !self.stopping {
                self.stop_all(1001);
            }
            let more_output = self.service_programs();
            self.take_commands();
            let more_input = self.broadcast() || more_output;
            // Deadlines first: what they queue (keepalive pings, a Close)
            // goes out with this turn's flush.
            let deadline = self.deadlines(Instant::now());
            self.flush_clients();
            if let Some(done) = self.finished() {
                return done;
            }
            if let Err(e) = self.out.flush() {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    self.output_gone = true;
                    continue;
                }
                return Err(io_err("cannot write to standard output")(e));
            }
            let busy = more_input || self.clients.values().any(|c| c.more_to_read);
            let timeout = if busy {
                Some(Duration::ZERO)
            } else {
                deadline.map(|d| d.saturating_duration_since(Instant::now()))
            };
            self.arm()?;
            events.clear();
            match self.poller.wait(&mut events, timeout) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err("cannot poll the sockets")(e)),
            }
            let mut accept = false;
            for ev in events.iter() {
                if ev.key == LISTENER {
                    accept = true;
                } else if let Some(c) = self.clients.get_mut(&(ev.key as ClientId)) {
                    c.more_to_read |= ev.readable;
                    if ev.writable {
                        c.write_blocked = false;
                    }
                }
            }
            if accept {
                self.accept();
            }
        }
    }

    /// The run is over: return how it ended.
    fn finished(&mut self) -> Option<Result<()>> {
        if !self.clients.is_empty() || self.reaping > 0 {
            return None;
        }
        if self.spec.once
            && let Some(outcome) = self.outcome.take()
        {
            return Some(self.failure.take().map_or(outcome, Err));
        }
        if self.stopping {
            return Some(self.failure.take().map_or(Ok(()), Err));
        }
        None
    }

    /// Re-arm the poller (it reports an event once): the listener while
    /// accepting, each client for reading (not while its echoes wait) and,
    /// when its socket is full, for writing.
    fn arm(&mut self) -> Result<()> {
        let accepting = !(self.stopping || self.spec.once && self.outcome.is_some());
        let interest = polling::Event::new(LISTENER, accepting, false);
        self.poller
            .modify(&self.listener, interest)
            .map_err(io_err("cannot poll the listener"))?;
        for c in self.clients.values() {
            let echoes_wait = self.cfg.echo && c.ws.queued() > CLIENT_QUEUE;
            let program_waits = c.program.as_ref().is_some_and(|p| p.waiting());
            let read = !(echoes_wait || program_waits);
            let interest = polling::Event::new(c.id as usize, read, c.write_blocked);
            self.poller
                .modify(c.ws.get_ref().get_ref(), interest)
                .map_err(io_err("cannot poll a client"))?;
        }
        Ok(())
    }

    /// Accept what is waiting; each connection's handshake runs on a
    /// thread of its own.
    fn accept(&mut self) {
        for _ in 0..ACCEPT_BUDGET {
            let (stream, addr) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A connection that died in the backlog, or no file
                // descriptors left: try again at the next event.
                Err(_) => return,
            };
            let id = self.next_id;
            self.next_id += 1;
            let ev = Event::Accepted { addr };
            let _ = self.out.emit(&Event::Client { id, event: &ev });
            let full = self.clients.len() + self.handshakes >= self.spec.max_clients
                || (self.spec.once && self.served);
            let busy = full.then_some(self.spec.max_clients);
            if busy.is_some() && self.busy_readers >= BUSY_READERS {
                let problem = RequestProblem::Busy {
                    limit: self.spec.max_clients,
                };
                let ev = Event::Refused {
                    addr,
                    status: None,
                    problem: &problem,
                };
                let _ = self.out.emit(&Event::Client { id, event: &ev });
                self.counts.refused += 1;
                continue;
            }
            let (tx, waker, policy) = (
                self.done_tx.clone(),
                self.poller.clone(),
                self.policy.clone(),
            );
            let spawned = std::thread::Builder::new()
                .name(format!("handshake-{id}"))
                .spawn(move || {
                    let done = handshake::serve(stream, id, addr, &policy, busy);
                    let _ = tx.send(done);
                    let _ = waker.notify();
                });
            match spawned {
                Ok(_) if busy.is_some() => self.busy_readers += 1,
                Ok(_) => self.handshakes += 1,
                // No thread for it: the connection is dropped with the
                // closure; say so.
                Err(e) => {
                    let _ = self.out.emit(&Event::Warning(&format!(
                        "#{id}: cannot start a handshake thread ({e}); connection dropped"
                    )));
                }
            }
        }
    }

    /// Take the handshakes that finished: refusals are reported, upgraded
    /// clients join.
    fn collect_handshakes(&mut self) {
        while let Ok(done) = self.done_rx.try_recv() {
            let busy = matches!(done.outcome, Err(RequestProblem::Busy { .. }));
            if busy {
                self.busy_readers = self.busy_readers.saturating_sub(1);
            } else {
                self.handshakes = self.handshakes.saturating_sub(1);
            }
            let id = done.id;
            let emit = |out: &mut dyn Emit, ev: &Event<'_>| {
                let _ = out.emit(&Event::Client { id, event: ev });
            };
            if !done.request.is_empty() {
                emit(self.out, &Event::RequestReceived { raw: &done.request });
            }
            if !done.response.is_empty() {
                emit(
                    self.out,
                    &Event::ResponseSent {
                        raw: &done.response,
                    },
                );
            }
            if let Some((status, outcome)) = &done.file {
                self.counts.files += 1;
                let ev = Event::FileServed {
                    addr: done.addr,
                    path: &done.target,
                    status: *status,
                    outcome,
                };
                emit(self.out, &ev);
                continue;
            }
            match done.outcome {
                Err(problem) => {
                    self.counts.refused += 1;
                    let status = (!done.response.is_empty())
                        .then(|| handshake::answer(&problem).map(|a| (a.status, a.reason)))
                        .flatten();
                    let ev = Event::Refused {
                        addr: done.addr,
                        status,
                        problem: &problem,
                    };
                    emit(self.out, &ev);
                }
                Ok((stream, accepted, early))
                    if self.stopping || (self.spec.once && self.served) =>
                {
                    // Upgraded while we stopped (or a --once race): close
                    // it as going away at once.
                    let mut c = self.client(id, done.addr, stream, &accepted, early);
                    c.start_close(1001, "", self.out);
                    let _ = c.flush();
                    c.ws.get_mut().get_mut().shutdown();
                }
                Ok((stream, accepted, early)) => {
                    let mut c = self.client(id, done.addr, stream, &accepted, early);
                    let extensions = accepted.deflate.map(|d| d.to_string());
                    let ev = Event::ClientOpen {
                        addr: done.addr,
                        path: &accepted.path,
                        offered: &accepted.offered,
                        subprotocol: accepted.subprotocol.as_deref(),
                        extensions: extensions.as_deref(),
                    };
                    emit(self.out, &ev);
                    self.attach(&mut c, &done.request, &accepted.path);
                    self.join(c);
                }
            }
        }
    }

    fn client(
        &self,
        id: ClientId,
        addr: std::net::SocketAddr,
        stream: Stream,
        accepted: &handshake::Accepted,
        early: Vec<u8>,
    ) -> Client {
        let _ = stream.set_nonblocking(true);
        let settings = crate::handshake::settings(self.cfg, accepted.deflate, Role::Server);
        let mut tap = Tap::new(stream, crate::handshake::tracer(self.cfg));
        tap.saw_received(&early);
        let now = Instant::now();
        Client {
            id,
            addr,
            ws: Connection::new(tap, early, settings),
            opened: now,
            last_rx: now,
            path: accepted.path.clone(),
            origin: accepted.origin.clone(),
            subprotocol: accepted.subprotocol.clone(),
            pings: Pings::new(now, self.cfg.keepalive.map(|k| k.interval)),
            write_blocked: false,
            more_to_read: true,
            closing: None,
            after_close: None,
            program: None,
        }
    }

    /// Register an upgraded client with the poller.
    fn join(&mut self, c: Client) {
        // SAFETY: the socket is deleted from the poller before the client
        // (and so the socket) is dropped, in `end` or at the end of `run`.
        let added = unsafe {
            self.poller.add(
                c.ws.get_ref().get_ref(),
                polling::Event::readable(c.id as usize),
            )
        };
        if let Err(e) = added {
            let _ = self.out.emit(&Event::Warning(&format!(
                "#{}: cannot register the socket with the poller ({e}); connection dropped",
                c.id
            )));
            return;
        }
        self.served = true;
        self.counts.served += 1;
        self.clients.insert(c.id, c);
    }

    fn read_clients(&mut self) {
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            let Some(c) = self.clients.get_mut(&id) else {
                continue;
            };
            let mut reading = Reading {
                out: &mut *self.out,
                echo: self.cfg.echo,
                output_gone: &mut self.output_gone,
            };
            let read = c.read(&mut reading);
            let count_reached = self.spec.once
                && c.closing.is_none()
                && self.cfg.ending.count.is_some_and(|n| c.received() >= n);
            match read {
                Read::Ended(ending) => self.end(id, ending),
                Read::Idle if count_reached => {
                    let e = &self.cfg.ending;
                    c.start_close(e.close_code, &e.close_reason, self.out);
                }
                Read::Idle => {}
            }
        }
    }

    /// Hand input to the clients (see the module documentation). True
    /// when the turn's budget ran out with input perhaps still waiting: the
    /// loop must come back at once, since nothing else will wake it.
    fn broadcast(&mut self) -> bool {
        if self.stopping || self.clients.values().all(|c| c.closing.is_some()) {
            return false;
        }
        let mut too_slow = Vec::new();
        let mut budget = SEND_BUDGET;
        while budget > 0 {
            budget -= 1;
            let keeping_up = self
                .clients
                .values()
                .any(|c| c.closing.is_none() && c.ws.queued() < LOW_WATER);
            if !keeping_up {
                break;
            }
            let Some(msg) = self.pending.pop_front().or_else(|| self.take_input()) else {
                break;
            };
            if self.trace_messages {
                let (kind, data) = input::kind_and_data(&msg);
                let _ = self.out.emit(&Event::MessageSent { kind, data });
            }
            for c in self.clients.values_mut().filter(|c| c.closing.is_none()) {
                if c.ws.queued() > CLIENT_QUEUE {
                    too_slow.push((c.id, c.ws.queued()));
                    continue;
                }
                c.send(msg.clone(), self.out);
            }
            if !too_slow.is_empty() {
                break;
            }
        }
        for (id, queued) in too_slow {
            self.end(id, Ending::Dropped(Dropped::TooSlow(queued)));
        }
        budget == 0
    }

    fn flush_clients(&mut self) {
        let mut ended = Vec::new();
        for c in self.clients.values_mut() {
            if let Some(e) = c.flush() {
                ended.push((c.id, e));
            }
            c.emit_frames(self.out);
        }
        for (id, e) in ended {
            self.end(id, e);
        }
    }

    /// Close every client with `code` and stop accepting.
    fn stop_all(&mut self, code: u16) {
        self.stopping = true;
        for c in self.clients.values_mut() {
            c.start_close(code, "", self.out);
        }
    }

    /// Act on the deadlines that passed; return the next one.
    fn deadlines(&mut self, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        let cfg = self.cfg;
        let e = &cfg.ending;
        if let Some(max) = e.max_time.map(|d| self.started + d)
            && !self.stopping
        {
            if now >= max {
                if self.spec.once {
                    for c in self.clients.values_mut() {
                        c.after_close = Some(Error::Timeout {
                            kind: TimeoutKind::MaxTime,
                            after: e.max_time.unwrap_or_default(),
                        });
                    }
                    if self.clients.is_empty() {
                        self.failure = Some(Error::Timeout {
                            kind: TimeoutKind::MaxTime,
                            after: e.max_time.unwrap_or_default(),
                        });
                        self.outcome = Some(Ok(()));
                    }
                }
                self.stop_all(1001);
            } else {
                at(max);
            }
        }
        if self.spec.once {
            self.once_quiet(now, &mut at);
        }
        if let Some(ka) = cfg.keepalive {
            let mut silent = Vec::new();
            for c in self.clients.values_mut() {
                match c.keepalive(now, ka, self.out) {
                    Ok(next) => next.into_iter().for_each(&mut at),
                    Err(ending) => silent.push((c.id, ending)),
                }
            }
            for (id, ending) in silent {
                self.end(id, ending);
            }
        }
        let mut unanswered = Vec::new();
        for c in self.clients.values() {
            if let Some(since) = c.closing {
                let limit = since + e.close_timeout;
                if now >= limit {
                    unanswered.push(c.id);
                } else {
                    at(limit);
                }
            }
        }
        for id in unanswered {
            let after = self.cfg.ending.close_timeout;
            self.end(id, Ending::Dropped(Dropped::CloseUnanswered(after)));
        }
        next
    }

    /// --once: after input ends, close once the client has been quiet for
    /// --wait (as client mode does); --echo sessions last until the client
    /// closes.
    fn once_quiet(&mut self, now: Instant, at: &mut impl FnMut(Instant)) {
        let Some(c) = self.clients.values_mut().next() else {
            return;
        };
        // With --echo the client ends the session; with --exec its program.
        if c.closing.is_some() || self.cfg.echo || c.program.is_some() {
            return;
        }
        if self.input_done_at.is_none()
            && self.input.is_none()
            && self.pending.is_empty()
            && !c.write_blocked
        {
            self.input_done_at = Some(now);
        }
        let e = &self.cfg.ending;
        if let (Some(done), Some(wait)) = (self.input_done_at, e.wait) {
            let quiet_until = done.max(c.last_rx) + wait;
            if now >= quiet_until {
                c.start_close(e.close_code, &e.close_reason, self.out);
            } else {
                at(quiet_until);
            }
        }
    }

    /// A client's session is over: report it, let go of its socket, and
    /// with --once keep its result.
    fn end(&mut self, id: ClientId, ending: Ending) {
        let Some(mut c) = self.clients.remove(&id) else {
            return;
        };
        if let Ending::Violation(v) = &ending {
            c.fail(v, self.out);
        }
        c.emit_frames(self.out);
        let ev = Event::ClientEnded {
            addr: c.addr,
            end: ending.as_event(),
            after: c.opened.elapsed(),
            received: c.received(),
        };
        c.emit(self.out, &ev);
        self.ended_totals.add(&c.pings.stats(c.opened.elapsed()));
        self.detach(&mut c);
        let _ = self.poller.delete(c.ws.get_ref().get_ref());
        c.ws.get_mut().get_mut().shutdown();
        if self.spec.once && self.outcome.is_none() {
            let after = c.after_close.take();
            self.outcome = Some(ending.result(after, self.cfg.ending.close_timeout));
            self.stopping = true;
        }
    }
}

fn io_err(context: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        context: context.to_string(),
        source,
    }
}
