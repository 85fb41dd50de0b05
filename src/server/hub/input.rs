//! What the hub does with its input: batches from standard input (or the
//! REPL's typed lines), broadcast in order; and in listen mode's REPL the
//! commands (`/clients`, `/to`, `/close [ID]`, `/ping`, `/frame`, `/stats`,
//! ...), each carried out when the messages before it have been handed to
//! the clients, so that it keeps its place among them.
//!
//! A typed message when no client is open is not kept for a later client
//! (as piped input is): it is refused with a warning, since the person who
//! typed it expects it to go now.

use super::Hub;
use crate::event::{ClientId, ClientRow, Emit, Event, MessageKind, ServerStats};
use crate::input::{Command, Input};
use crate::protocol::frame::Opcode;
use crate::server::client::Client;
use std::collections::BTreeMap;
use std::sync::mpsc::TryRecvError;
use std::time::Instant;
use tungstenite::Message;

impl Hub<'_> {
    /// The next message from the input channel, if one waits; commands
    /// met on the way are carried out (no message waits before them).
    pub(super) fn take_input(&mut self) -> Option<Message> {
        loop {
            match self.next_input()? {
                Input::Batch(b) => {
                    self.pending.extend(b);
                    if let Some(m) = self.pending.pop_front() {
                        return Some(m);
                    }
                }
                Input::Command(c) => {
                    if let Some(m) = self.command(c) {
                        return Some(m);
                    }
                }
                // next_input acts on these itself and never returns them.
                Input::End | Input::Failed(_) => return None,
            }
        }
    }

    /// The REPL, while no message can go to a client (none is open, or
    /// none keeps up): take its commands, and its messages when no client
    /// is open (refused, see the module documentation). Runs each turn.
    pub(super) fn take_commands(&mut self) {
        if !self.interactive {
            return;
        }
        while self.pending.is_empty() || self.open_clients() == 0 {
            let Some(input) = self.next_input() else {
                return;
            };
            let message = match input {
                Input::Batch(b) if self.open_clients() > 0 => {
                    self.pending.extend(b);
                    continue;
                }
                Input::Batch(b) => {
                    if !b.is_empty() {
                        self.not_sent();
                    }
                    continue;
                }
                Input::Command(c) => self.command(c),
                Input::End | Input::Failed(_) => None,
            };
            if let Some(m) = message {
                if self.open_clients() == 0 {
                    self.not_sent();
                } else {
                    self.pending.push_back(m);
                }
            }
        }
    }

    /// The next input, Batch or Command; None when nothing waits or input
    /// is over (its end is acted on here: the REPL's end stops the server,
    /// stdin's does not; a failure stops it too).
    fn next_input(&mut self) -> Option<Input> {
        let rx = self.input.as_ref()?;
        match rx.try_recv() {
            Ok(Input::End) | Err(TryRecvError::Disconnected) => {
                self.input = None;
                if self.interactive {
                    self.stop_all(1001);
                }
                None
            }
            Ok(Input::Failed(e)) => {
                self.input = None;
                self.failure = Some(e);
                self.stop_all(1001);
                None
            }
            Err(TryRecvError::Empty) => None,
            Ok(input) => Some(input),
        }
    }

    fn open_clients(&self) -> usize {
        self.clients
            .values()
            .filter(|c| c.closing.is_none())
            .count()
    }

    fn not_sent(&mut self) {
        let _ = self.out.emit(&Event::Warning(
            "no client is open: nothing was sent (/clients lists them)",
        ));
    }

    /// Carry out one REPL command; a message for every client is returned
    /// for the caller to broadcast.
    fn command(&mut self, c: Command) -> Option<Message> {
        let now = Instant::now();
        match c {
            Command::Send(msg) => {
                if self.open_clients() > 0 {
                    let (kind, data) = kind_and_data(&msg);
                    let _ = self.out.emit(&Event::ReplMessageSent { kind, data });
                }
                return Some(msg);
            }
            Command::To { client, message } => match open(&mut self.clients, client) {
                Some(c) => {
                    let (kind, data) = kind_and_data(&message);
                    c.emit(self.out, &Event::ReplMessageSent { kind, data });
                    c.send(message, self.out);
                }
                None => self.no_such_client(client),
            },
            Command::Ping(data) => self.each_open(|c, out| c.ping(data.clone(), false, out)),
            Command::Pong(data) => self.each_open(|c, out| {
                c.write(Message::Pong(data.clone().into()));
                c.emit(out, &Event::PongSent { data: &data });
            }),
            Command::Frame(frame) => {
                let h = frame.header();
                let opcode = Opcode::from_bits(u8::from(h.opcode));
                let (fin, rsv) = (h.is_final, [h.rsv1, h.rsv2, h.rsv3]);
                let data = frame.payload().to_vec();
                self.each_open(|c, out| {
                    c.write(Message::Frame(frame.clone()));
                    let ev = Event::RawFrameSent {
                        opcode,
                        fin,
                        rsv,
                        data: &data,
                    };
                    c.emit(out, &ev);
                });
            }
            Command::Close {
                client: Some(id),
                code,
                reason,
            } => match open(&mut self.clients, id) {
                Some(c) => c.start_close(code, &reason, self.out),
                None => self.no_such_client(id),
            },
            Command::Close {
                client: None,
                code,
                reason,
            } => self.each_open(|c, out| c.start_close(code, &reason, out)),
            Command::Verbose(level) => {
                let _ = self.out.emit(&Event::Verbosity { level });
            }
            Command::Clients => {
                let rows = self.rows(now);
                let _ = self.out.emit(&Event::ClientList(&rows));
            }
            Command::Stats => {
                let stats = self.server_stats(now);
                let _ = self.out.emit(&Event::ServerStats(&stats));
            }
            Command::Stop => self.stop_all(1001),
        }
        None
    }

    /// Do `f` for every open client; a warning when there is none.
    fn each_open(&mut self, mut f: impl FnMut(&mut Client, &mut dyn Emit)) {
        let mut any = false;
        for c in self.clients.values_mut().filter(|c| c.closing.is_none()) {
            f(c, &mut *self.out);
            any = true;
        }
        if !any {
            self.not_sent();
        }
    }

    fn no_such_client(&mut self, id: ClientId) {
        let why = match self.clients.get(&id) {
            Some(_) => "is closing",
            None if id < self.next_id => "has gone",
            None => "has not connected",
        };
        let _ = self.out.emit(&Event::Warning(&format!(
            "client #{id} {why}: nothing was sent (/clients lists the open ones)"
        )));
    }

    fn rows(&self, now: Instant) -> Vec<ClientRow> {
        self.clients
            .values()
            .map(|c| ClientRow {
                id: c.id,
                addr: c.addr,
                path: c.path.clone(),
                origin: c.origin.clone(),
                subprotocol: c.subprotocol.clone(),
                stats: c.pings.stats(now.saturating_duration_since(c.opened)),
                closing: c.closing.is_some(),
            })
            .collect()
    }

    fn server_stats(&self, now: Instant) -> ServerStats {
        let mut totals = self.ended_totals.clone();
        for c in self.clients.values() {
            totals.add(&c.pings.stats(now.saturating_duration_since(c.opened)));
        }
        totals.uptime = now.saturating_duration_since(self.started);
        ServerStats {
            open: self.clients.len(),
            served: self.counts.served,
            refused: self.counts.refused,
            files: self.counts.files,
            totals,
        }
    }
}

/// Client `id`, if it is open.
fn open(clients: &mut BTreeMap<ClientId, Client>, id: ClientId) -> Option<&mut Client> {
    clients.get_mut(&id).filter(|c| c.closing.is_none())
}

/// A data message's kind and payload, for the events that show it.
pub(super) fn kind_and_data(msg: &Message) -> (MessageKind, &[u8]) {
    match msg {
        Message::Text(t) => (MessageKind::Text, t.as_bytes()),
        Message::Binary(b) => (MessageKind::Binary, b),
        _ => (MessageKind::Binary, &[]),
    }
}
