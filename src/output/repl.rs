//! REPL output: every event (messages, pings, closes, the trace) and every
//! note of the REPL itself is printed above the prompt, through rustyline's
//! `ExternalPrinter`, without clobbering the line being typed.
//!
//! The network thread never prints. [`ReplPrinter`] (an [`Emit`]) formats
//! events into a batch and hands the batch over when the event loop goes
//! idle; a printer thread takes whatever has gathered and prints it in one
//! `ExternalPrinter::print` call, which may block while the editor is busy
//! (Ctrl-R search, completion list): only that thread waits. Past
//! [`BACKLOG`] bytes not yet printed the network thread waits too, so memory
//! stays bounded, just as a full stdout pipe holds back pipe mode.
//!
//! Received lines start with `<`, sent ones with `>`, information with `*`
//! (coloured on a terminal unless colour is off). Trace lines are rendered by
//! the plain [`Printer`] and passed through unchanged.

mod blocks;
mod listen;

use blocks::raw_frame_line;
pub use blocks::stats_block;

use super::plain::{Printer, binary_line, closed_line, quoted, stamp};
use super::pretty;
use super::report::report_error;
use super::style::{self, paint};
use crate::config::OutputSpec;
use crate::error::Error;
use crate::event::{ClientId, Emit, Event, MessageKind};
use crate::format::{close_code_name, ms, sanitize};
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes waiting for the printer thread beyond which the network thread
/// waits for it.
pub const BACKLOG: usize = 4 << 20;

/// Binary messages longer than this are shown as rows of a hex dump.
const ONE_LINE_BINARY: usize = 32;

/// At most this much of a binary message is dumped; the rest is counted.
const MAX_DUMP: usize = 4096;

/// A message that moves the cursor up a row and back: printed after a batch
/// it changes nothing on screen, but returns only once the editor has taken
/// the batch before it (rustyline's queue holds one message).
const SETTLE: &str = style::UP_AND_BACK;

/// Which way something went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From the server: `<`.
    In,
    /// To the server: `>`.
    Out,
}

fn marker(dir: Dir, color: bool) -> String {
    match dir {
        Dir::In => paint(color, style::REPL_IN, "<"),
        Dir::Out => paint(color, style::REPL_OUT, ">"),
    }
}

/// A data message as the REPL shows it: `< text` (continuation lines
/// indented two spaces), `< [binary N bytes] 01 02`, or a hex dump for
/// longer binary.
pub fn message_block(
    dir: Dir,
    kind: MessageKind,
    data: &[u8],
    pretty: bool,
    color: bool,
) -> String {
    let mark = marker(dir, color);
    match kind {
        MessageKind::Text if data.is_empty() => {
            format!(
                "{mark} {}\n",
                paint(color, style::REPL_INFO, "(empty text message)")
            )
        }
        MessageKind::Text => {
            let indented = if pretty { pretty::json(data) } else { None };
            let body = sanitize::escape(indented.as_deref().map_or(data, str::as_bytes), true);
            let mut out = String::with_capacity(body.len() + 8);
            for (i, line) in body.split('\n').enumerate() {
                out.push_str(if i == 0 { &mark } else { " " });
                out.push(' ');
                out.push_str(line);
                out.push('\n');
            }
            out
        }
        MessageKind::Binary if data.len() <= ONE_LINE_BINARY => {
            format!("{mark} {}\n", binary_line(data))
        }
        MessageKind::Binary => {
            let mut out = format!("{mark} [binary {} bytes]\n", data.len());
            let shown = &data[..data.len().min(MAX_DUMP)];
            for (row, chunk) in shown.chunks(16).enumerate() {
                let mut hexes = String::with_capacity(48);
                for b in chunk {
                    hexes.push_str(&format!("{b:02x} "));
                }
                let ascii: String = chunk
                    .iter()
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                out.push_str(&format!("  {:04x}  {hexes:<48} |{ascii}|\n", row * 16));
            }
            if data.len() > shown.len() {
                out.push_str(&format!("  … {} more bytes\n", data.len() - shown.len()));
            }
            out
        }
    }
}

/// `< pong "hi" (rtt 0.4 ms)` and the like: one line for a control frame.
fn control_line(dir: Dir, word: &str, data: &[u8], note: &str, color: bool) -> String {
    format!(
        "{} {word}{}{note}\n",
        marker(dir, color),
        quoted(data, true)
    )
}

/// `< close 1000 Normal Closure "bye"`.
fn close_line(dir: Dir, code: u16, reason: &str, color: bool) -> String {
    format!(
        "{} close {code} {}{}\n",
        marker(dir, color),
        close_code_name(code),
        quoted(reason.as_bytes(), true)
    )
}

/// Where the printer thread puts text.
pub enum Screen {
    /// Above rustyline's prompt; `terminal` is the same terminal written
    /// directly, for text the editor could not take (it has stopped).
    Editor {
        /// rustyline's printer.
        printer: Box<dyn rustyline::ExternalPrinter + Send>,
        /// The terminal itself.
        terminal: Box<dyn Write + Send>,
    },
    /// Straight to a stream: the terminal has no line editing (TERM=dumb).
    Stream(Box<dyn Write + Send>),
}

impl Screen {
    /// Show `text`; false when the editor did not take it.
    fn show(&mut self, text: &str) -> bool {
        match self {
            Screen::Editor { printer, .. } => printer.print(text.to_string()).is_ok(),
            Screen::Stream(w) => {
                // Failing to write leaves nothing to tell: the terminal is gone.
                let _ = w.write_all(text.as_bytes());
                let _ = w.flush();
                true
            }
        }
    }

    /// Return once everything shown so far has been taken by the editor;
    /// false when the editor is gone.
    fn settle(&mut self) -> bool {
        match self {
            Screen::Editor { printer, .. } => printer.print(SETTLE.to_string()).is_ok(),
            Screen::Stream(_) => true,
        }
    }

    /// Write `text` to the terminal itself, past the editor.
    fn direct(&mut self, text: &str) {
        let w = match self {
            Screen::Editor { terminal, .. } => terminal,
            Screen::Stream(w) => w,
        };
        let _ = w.write_all(text.as_bytes());
        let _ = w.flush();
    }
}

#[derive(Default)]
struct State {
    /// Text not yet taken by the printer thread.
    text: String,
    /// No more text will come.
    closed: bool,
    /// The printer thread has ended.
    exited: bool,
    /// Sync requests made, and those completed.
    sync_asked: u64,
    sync_done: u64,
    /// The batch being printed, until the editor has taken it.
    in_flight: Option<String>,
    /// The printer thread is printing a batch.
    busy: bool,
    /// The editor is gone: the printer thread must not print any more.
    direct: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    cv: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, text: &str) {
        if !text.is_empty() {
            self.lock().text.push_str(text);
            self.cv.notify_all();
        }
    }

    /// Wait (at most `limit`) until `done` holds.
    fn wait_until(&self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        let end = Instant::now() + limit;
        let mut s = self.lock();
        while !done(&s) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            s = self
                .cv
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

/// The printer thread: print what gathers, one batch at a time.
///
/// Each batch is followed by [`SETTLE`], which returns once the editor has
/// taken the batch: so at most one batch is ever unconfirmed (`in_flight`),
/// and a sync request is complete when the batches before it are settled.
/// When the editor refuses a batch (it has stopped and dropped its queue),
/// the batch is written to the terminal directly.
fn pump(queue: Arc<Queue>, mut screen: Screen) {
    loop {
        let (text, sync_to, closed) = {
            let mut s = queue.lock();
            while s.text.is_empty() && s.sync_asked == s.sync_done && !s.closed && !s.direct {
                s = queue.cv.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            if s.direct {
                s.exited = true;
                queue.cv.notify_all();
                return;
            }
            let text = std::mem::take(&mut s.text);
            if !text.is_empty() {
                s.in_flight = Some(text.clone());
                s.busy = true;
            }
            (text, s.sync_asked, s.closed)
        };
        // Room in the backlog for a waiting network thread.
        queue.cv.notify_all();
        if !text.is_empty() {
            let taken = screen.show(&text) && screen.settle();
            let refused = {
                let mut s = queue.lock();
                if taken {
                    s.in_flight = None;
                    None
                } else {
                    s.in_flight.take()
                }
            };
            if let Some(t) = refused {
                screen.direct(&t);
            }
        }
        let mut s = queue.lock();
        s.busy = false;
        s.sync_done = s.sync_done.max(sync_to);
        if closed && s.text.is_empty() {
            s.exited = true;
            queue.cv.notify_all();
            return;
        }
        queue.cv.notify_all();
    }
}

/// A handle for the REPL thread's own lines (help, errors, notes).
#[derive(Clone)]
pub struct ReplOutput {
    queue: Arc<Queue>,
    color: bool,
}

impl ReplOutput {
    /// Print `text` (a newline is added when missing).
    pub fn note(&self, text: &str) {
        let mut t = text.to_string();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        self.queue.push(&t);
    }

    /// Print a one-line error about what was typed; the session goes on.
    pub fn error(&self, text: &str) {
        let head = paint(self.color, style::ERROR, "error:");
        self.queue.push(&format!("{head} {text}\n"));
    }

    /// Whether lines are coloured.
    pub fn color(&self) -> bool {
        self.color
    }
}

/// The [`Emit`] of REPL mode. See the module documentation.
pub struct ReplPrinter {
    spec: OutputSpec,
    fixed_clock: bool,
    /// When the printer started, for --timestamps.
    start: std::time::Instant,
    url: String,
    /// Renders the trace lines, exactly as pipe mode does.
    inner: Printer<Vec<u8>, Vec<u8>>,
    /// Formatted, not yet handed to the printer thread.
    batch: String,
    queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
    /// After [`ReplPrinter::take_over`]: the terminal, written directly.
    direct: Option<Box<dyn Write + Send>>,
    /// Listen mode: the client whose event is being rendered (its lines
    /// are tagged with its id).
    client: Option<ClientId>,
}

impl ReplPrinter {
    /// Start the printer thread on `screen`. `url` is named when the
    /// connection opens; `fixed_clock` is the hidden --deterministic switch.
    pub fn new(
        spec: OutputSpec,
        fixed_clock: bool,
        url: &str,
        screen: Screen,
    ) -> io::Result<ReplPrinter> {
        let queue = Arc::new(Queue::default());
        let q = Arc::clone(&queue);
        let thread = std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || pump(q, screen))?;
        Ok(ReplPrinter {
            spec,
            fixed_clock,
            start: std::time::Instant::now(),
            url: url.to_string(),
            inner: Printer::new(Vec::new(), Vec::new(), inner_spec(spec)),
            batch: String::new(),
            queue,
            thread: Some(thread),
            direct: None,
            client: None,
        })
    }

    /// A handle for the REPL thread's own lines.
    pub fn output(&self) -> ReplOutput {
        ReplOutput {
            queue: Arc::clone(&self.queue),
            color: self.spec.color,
        }
    }

    /// Hand everything over and wait (at most `limit`) until the editor has
    /// taken it. True when it has.
    pub fn sync(&mut self, limit: Duration) -> bool {
        let _ = Emit::flush(self);
        let target = {
            let mut s = self.queue.lock();
            s.sync_asked += 1;
            s.sync_asked
        };
        self.queue.cv.notify_all();
        self.queue
            .wait_until(limit, |s| s.sync_done >= target || s.exited)
    }

    /// The editor has stopped: from now on print straight to `terminal`,
    /// starting with the batch the editor never took (it was waiting in
    /// Ctrl-R search, say) and whatever had gathered behind it. The printer
    /// thread, possibly stuck handing that batch to the editor, prints
    /// nothing more.
    pub fn take_over(&mut self, mut terminal: Box<dyn Write + Send>, limit: Duration) {
        self.queue.lock().direct = true;
        self.queue.cv.notify_all();
        // A batch being handed over now fails (the editor is gone) and is
        // written directly by the printer thread: let it finish first.
        self.queue.wait_until(limit, |s| !s.busy);
        let (in_flight, waiting) = {
            let mut s = self.queue.lock();
            (s.in_flight.take(), std::mem::take(&mut s.text))
        };
        let text = in_flight.unwrap_or_default() + &waiting;
        let _ = terminal.write_all(text.as_bytes());
        let _ = terminal.flush();
        self.direct = Some(terminal);
    }

    /// Print the final error report.
    pub fn report(&mut self, err: &Error) {
        let mut buf = Vec::new();
        report_error(err, &mut buf, self.spec.color, true, self.spec.verbose);
        self.batch.push_str(&String::from_utf8_lossy(&buf));
    }

    /// Print everything left and stop the printer thread, waiting at most
    /// `limit` for it.
    pub fn finish(mut self, limit: Duration) {
        let _ = Emit::flush(&mut self);
        if self.direct.is_some() {
            return;
        }
        self.queue.lock().closed = true;
        self.queue.cv.notify_all();
        if self.queue.wait_until(limit, |s| s.exited)
            && let Some(t) = self.thread.take()
        {
            let _ = t.join();
        }
    }

    /// Add one event's lines to the batch (stamped with --timestamps).
    fn push(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let tagged;
        let text = match self.client {
            Some(id) => {
                tagged = super::plain::tag_lines(text, id);
                &tagged
            }
            None => text,
        };
        if self.spec.timestamps {
            let stamp = stamp(self.start, self.fixed_clock);
            for line in text.split_inclusive('\n') {
                self.batch.push_str(&stamp);
                self.batch.push_str(line);
            }
        } else {
            self.batch.push_str(text);
        }
    }

    fn info(&mut self, text: &str) {
        let line = format!("{} {text}\n", paint(self.spec.color, style::REPL_INFO, "*"));
        self.push(&line);
    }

    /// Listen mode's own REPL lines: the banner, `/clients`, `/stats`.
    fn listen_event(&mut self, ev: &Event<'_>) {
        let text = match *ev {
            Event::Listening { addr, secure } => {
                let scheme = if secure { "wss" } else { "ws" };
                return self.info(&format!(
                    "Listening on {scheme}://{addr}/. /help lists the commands; Ctrl-D stops the server."
                ));
            }
            Event::ClientList(rows) => listen::clients_block(rows),
            Event::ServerStats(s) => listen::server_stats_block(s),
            _ => return,
        };
        self.push(&text);
    }

    /// Let the plain printer render a trace event, and take its lines.
    fn delegate(&mut self, ev: &Event<'_>) {
        let _ = self.inner.emit(ev);
        let bytes = std::mem::take(self.inner.stderr());
        self.push(&String::from_utf8_lossy(&bytes));
    }
}

/// The plain printer's settings inside the REPL: the terminal is both
/// streams, so server bytes are escaped.
fn inner_spec(spec: OutputSpec) -> OutputSpec {
    OutputSpec {
        stdout_tty: true,
        stderr_tty: true,
        binary_raw: false,
        timestamps: false,
        ..spec
    }
}

impl Emit for ReplPrinter {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        let (color, verbose, pretty) = (self.spec.color, self.spec.verbose, self.spec.pretty);
        match *ev {
            Event::Message { kind, data } => {
                let block = message_block(Dir::In, kind, data, pretty, color);
                self.push(&block);
            }
            Event::ReplMessageSent { kind, data } => {
                let block = message_block(Dir::Out, kind, data, pretty, color);
                self.push(&block);
            }
            Event::PingReceived { data } => {
                if verbose >= 1 {
                    let line = control_line(Dir::In, "ping", data, " (answered)", color);
                    self.push(&line);
                }
            }
            Event::PongReceived {
                data,
                rtt,
                keepalive,
            } => {
                if !keepalive || verbose >= 1 {
                    let note = match rtt {
                        Some(r) => format!(" (rtt {})", ms(r)),
                        None => " (unsolicited: it answers no ping of ours)".into(),
                    };
                    let line = control_line(Dir::In, "pong", data, &note, color);
                    self.push(&line);
                }
            }
            Event::PingSent { data, keepalive } => {
                if !keepalive || verbose >= 1 {
                    let note = if keepalive { " (keepalive)" } else { "" };
                    let line = control_line(Dir::Out, "ping", data, note, color);
                    self.push(&line);
                }
            }
            Event::PongSent { data } => {
                let line = control_line(Dir::Out, "pong", data, "", color);
                self.push(&line);
            }
            Event::RawFrameSent {
                opcode,
                fin,
                rsv,
                data,
            } => {
                let line = raw_frame_line(opcode, fin, rsv, data, color);
                self.push(&line);
            }
            Event::CloseSent { code, reason } => {
                let line = close_line(Dir::Out, code, reason, color);
                self.push(&line);
            }
            Event::CloseReceived { code, reason } => {
                let line = close_line(Dir::In, code, reason, color);
                self.push(&line);
            }
            Event::Closed {
                clean,
                initiator,
                code,
                after,
            } => {
                let line = closed_line(clean, initiator, code, after);
                self.info(&line);
            }
            Event::Open { subprotocol, .. } => {
                let sub = subprotocol
                    .map(|s| format!(" (subprotocol {s})"))
                    .unwrap_or_default();
                let line = format!(
                    "Connected to {}{sub}. /help lists the commands; Ctrl-D closes.",
                    self.url
                );
                self.info(&line);
                self.delegate(ev);
            }
            Event::Verbosity { level } => {
                self.spec.verbose = level;
                let _ = self.inner.emit(ev);
                self.info(&format!("trace level {level}"));
            }
            Event::Stats(s) => {
                let block = stats_block(s);
                self.push(&block);
            }
            Event::InputEnded { .. } => {}
            Event::Client { id, event } => {
                let outer = self.client.replace(id);
                let shown = self.emit(event);
                self.client = outer;
                return shown;
            }
            Event::Listening { .. } | Event::ClientList(_) | Event::ServerStats(_) => {
                self.listen_event(ev)
            }
            _ => self.delegate(ev),
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let text = std::mem::take(&mut self.batch);
        if let Some(w) = &mut self.direct {
            w.write_all(text.as_bytes())?;
            return w.flush();
        }
        let mut s = self.queue.lock();
        while s.text.len() > BACKLOG && !s.exited {
            s = self.queue.cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.text.push_str(&text);
        drop(s);
        self.queue.cv.notify_all();
        Ok(())
    }
}

impl Drop for ReplPrinter {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Stats;
    use crate::protocol::frame::Opcode;

    fn spec() -> OutputSpec {
        OutputSpec {
            stdout_tty: true,
            stderr_tty: true,
            ..OutputSpec::default()
        }
    }

    /// A stream the test can read after the printer thread wrote to it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn render(spec: OutputSpec, events: &[Event<'_>]) -> String {
        let screen = Shared::default();
        let mut p = ReplPrinter::new(
            spec,
            true,
            "ws://h/",
            Screen::Stream(Box::new(screen.clone())),
        )
        .expect("printer");
        for e in events {
            p.emit(e).expect("emit");
        }
        p.finish(Duration::from_secs(5));
        String::from_utf8(screen.0.lock().expect("lock").clone()).expect("utf8")
    }

    #[test]
    fn received_and_sent_messages_are_marked() {
        let out = render(
            spec(),
            &[
                Event::Message {
                    kind: MessageKind::Text,
                    data: b"hi\nthere",
                },
                Event::ReplMessageSent {
                    kind: MessageKind::Binary,
                    data: &[1, 0xff],
                },
                Event::Message {
                    kind: MessageKind::Text,
                    data: b"\x1b[2J",
                },
            ],
        );
        assert_eq!(out, "< hi\n  there\n> [binary 2 bytes] 01 ff\n< \\x1b[2J\n");
    }

    #[test]
    fn long_binary_is_dumped_in_rows_and_capped() {
        let data: Vec<u8> = (0..=255u8).cycle().take(MAX_DUMP + 5).collect();
        let block = message_block(Dir::In, MessageKind::Binary, &data, false, false);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], format!("< [binary {} bytes]", MAX_DUMP + 5));
        assert!(lines[1].starts_with("  0000  00 01 02"), "{}", lines[1]);
        assert!(lines[3].ends_with("| !\"#$%&'()*+,-./|"), "{}", lines[3]);
        assert_eq!(lines.last().copied(), Some("  … 5 more bytes"));
        assert_eq!(lines.len(), 1 + MAX_DUMP / 16 + 1);
    }

    #[test]
    fn pretty_json_and_timestamps() {
        let s = OutputSpec {
            pretty: true,
            timestamps: true,
            ..spec()
        };
        let out = render(
            s,
            &[Event::Message {
                kind: MessageKind::Text,
                data: br#"{"a":[1]}"#,
            }],
        );
        assert_eq!(
            out,
            "[  0.000000] < {\n[  0.000000]     \"a\": [\n[  0.000000]       1\n[  0.000000]     ]\n[  0.000000]   }\n"
        );
    }

    #[test]
    fn pings_pongs_and_closes() {
        let ms5 = Duration::from_millis(5);
        let out = render(
            spec(),
            &[
                Event::PingSent {
                    data: b"hi",
                    keepalive: false,
                },
                Event::PongReceived {
                    data: b"hi",
                    rtt: Some(ms5),
                    keepalive: false,
                },
                Event::PingSent {
                    data: b"k",
                    keepalive: true,
                },
                Event::PongReceived {
                    data: b"k",
                    rtt: Some(ms5),
                    keepalive: true,
                },
                Event::PingReceived { data: b"" },
                Event::CloseReceived {
                    code: 4000,
                    reason: "bye",
                },
            ],
        );
        assert_eq!(
            out, "> ping \"hi\"\n< pong \"hi\" (rtt 5.0 ms)\n< close 4000 (private use) \"bye\"\n",
            "keepalive traffic and server pings need -v"
        );
        let v = OutputSpec {
            verbose: 1,
            ..spec()
        };
        let out = render(
            v,
            &[
                Event::PingSent {
                    data: b"k",
                    keepalive: true,
                },
                Event::PingReceived { data: b"" },
            ],
        );
        assert_eq!(out, "> ping \"k\" (keepalive)\n< ping (answered)\n");
    }

    #[test]
    fn raw_frames_and_stats() {
        let out = render(
            spec(),
            &[Event::RawFrameSent {
                opcode: Opcode::Text,
                fin: false,
                rsv: [true, false, false],
                data: b"Hel",
            }],
        );
        assert_eq!(out, "> frame TEXT rsv1 len=3 \"Hel\"\n");
        let ms = Duration::from_millis;
        let block = stats_block(&Stats {
            sent_messages: 1,
            sent_bytes: 5,
            received_messages: 2,
            received_bytes: 10,
            pings_sent: 3,
            pongs_matched: 2,
            rtt: Some((ms(1), ms(2), ms(3))),
            uptime: Duration::from_secs(3),
        });
        assert_eq!(
            block,
            "* up 3.00 s; sent 1 message (5 bytes), received 2 messages (10 bytes)\n\
             * pings: 3 sent, 2 answered; rtt min 1.0 ms, avg 2.0 ms, max 3.0 ms\n"
        );
    }

    #[test]
    fn verbosity_changes_what_the_trace_shows() {
        let out = render(
            spec(),
            &[
                Event::CloseSent {
                    code: 1000,
                    reason: "",
                },
                Event::Connected {
                    addr: "127.0.0.1:1".parse().expect("addr"),
                    took: Duration::ZERO,
                },
                Event::Verbosity { level: 1 },
                Event::Connected {
                    addr: "127.0.0.1:2".parse().expect("addr"),
                    took: Duration::ZERO,
                },
            ],
        );
        assert_eq!(
            out,
            "> close 1000 Normal Closure\n* trace level 1\n* Connected to 127.0.0.1:2 (0.0 ms)\n"
        );
    }

    /// rustyline's printer once the editor has stopped: it refuses.
    struct Gone;

    impl rustyline::ExternalPrinter for Gone {
        fn print(&mut self, _: String) -> rustyline::Result<()> {
            Err(rustyline::error::ReadlineError::Eof)
        }
    }

    #[test]
    fn text_the_editor_refuses_goes_to_the_terminal_directly() {
        let terminal = Shared::default();
        let screen = Screen::Editor {
            printer: Box::new(Gone),
            terminal: Box::new(terminal.clone()),
        };
        let mut p = ReplPrinter::new(spec(), true, "ws://h/", screen).expect("printer");
        p.emit(&Event::CloseReceived {
            code: 1000,
            reason: "",
        })
        .expect("emit");
        assert!(p.sync(Duration::from_secs(5)));
        p.take_over(Box::new(terminal.clone()), Duration::from_secs(5));
        p.emit(&Event::Warning("after")).expect("emit");
        p.finish(Duration::from_secs(5));
        let text = String::from_utf8(terminal.0.lock().expect("lock").clone()).expect("utf8");
        assert_eq!(
            text,
            "< close 1000 Normal Closure\nwsprobe: warning: after\n"
        );
    }

    #[test]
    fn repl_notes_and_errors_share_the_queue() {
        let screen = Shared::default();
        let mut p = ReplPrinter::new(
            spec(),
            true,
            "ws://h/",
            Screen::Stream(Box::new(screen.clone())),
        )
        .expect("printer");
        let out = p.output();
        out.error("unknown command /x");
        assert!(p.sync(Duration::from_secs(5)));
        out.note("hello");
        p.finish(Duration::from_secs(5));
        let text = String::from_utf8(screen.0.lock().expect("lock").clone()).expect("utf8");
        assert_eq!(text, "error: unknown command /x\nhello\n");
    }
}
