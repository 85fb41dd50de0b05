//! wsprobe: a WebSocket client for scripts and people, and a diagnostic tool
//! for handshakes that fail.
//!
//! The binary (`main.rs`) is a thin shell around [`run`]; everything lives
//! in this library so that tests, fuzz targets and benchmarks reach it. The
//! pipeline: [`cli`] → [`config`] → [`net::open`] → [`handshake::upgrade`]
//! (repeated by [`redirect::connect`] for -L) → [`session::Session`] (or,
//! with --check, [`check::run`] and its report), with
//! every observation sent as an [`event::Event`] to [`output`]. HTTP/1.1
//! itself (heads, bodies, both sides) is [`http`]'s, for the upgrade and
//! for proxies alike. ARCHITECTURE.md is the map: layers, data flow,
//! invariants, and where to add things.

pub mod check;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod error;
pub mod event;
pub mod format;
pub mod generate;
pub mod handshake;
pub mod http;
pub mod input;
pub mod net;
pub mod output;
pub mod protocol;
pub mod redirect;
pub mod script;
pub mod server;
pub mod session;
pub mod wire;

use config::Config;
use error::Result;
use event::{Emit, Event, Timing};
use polling::Poller;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::{Bytes, Message};

/// How many input batches may wait for the socket. Each batch is one read
/// of stdin (at most `input::pipe::CHUNK`, 64 KiB, of records), so this
/// bounds input memory; two keep the reader a read ahead of the socket.
const INPUT_QUEUE: usize = 2;

/// Connect, upgrade and run the session described by `cfg` in pipe mode
/// (or, with -l, serve clients: [`server::run`]), reporting to `out`. Reads standard input on a thread of its own when
/// asked to.
///
/// The thread starts before connecting: a new thread can wait milliseconds
/// for a CPU on a busy machine, and that wait (2 ms of a 3 ms one-shot,
/// measured) now overlaps the connection instead of following it. What it
/// reads waits in the bounded channel until the session starts.
pub fn run(cfg: &Config, out: &mut dyn output::report::Sink) -> Result<()> {
    let poller = new_poller()?;
    let input = if cfg.input.read_stdin {
        let (tx, rx) = mpsc::sync_channel(INPUT_QUEUE);
        let waker = poller.clone();
        let (framing, binary) = (cfg.input.framing, cfg.input.binary);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let size = if framing == config::Framing::Whole {
                    input::pipe::stdin_size()
                } else {
                    None
                };
                let stdin = std::io::stdin().lock();
                input::pipe::pump(stdin, size, framing, binary, tx, || {
                    let _ = waker.notify();
                });
            })
            .map_err(|source| error::Error::Io {
                context: "cannot start the input thread".into(),
                source,
            })?;
        Some(rx)
    } else {
        None
    };
    let data = data_messages(cfg)?;
    if let config::Mode::Listen(spec) = &cfg.mode {
        let feed = server::Feed {
            poller,
            input,
            data,
            interactive: false,
        };
        return server::run(cfg, spec, out, feed);
    }
    if let Some(command) = &cfg.script.exec {
        return run_exec(cfg, out, poller, data, command);
    }
    let Some(spec) = cfg.script.retry else {
        let up = open(cfg, out)?;
        return session::Session::new(up.ws, cfg, out, poller, input, data, up.via).run();
    };
    retrying(cfg, out, &poller, input, data, spec)
}

/// `--exec`: connect, then start the program (it may speak first: the
/// connection is there for it), and run the session on its output.
fn run_exec(
    cfg: &Config,
    out: &mut dyn output::report::Sink,
    poller: Arc<Poller>,
    data: Vec<Message>,
    command: &str,
) -> Result<()> {
    let up = open(cfg, out)?;
    let mut env = vec![("WSPROBE_URL".to_string(), cfg.target.url.clone())];
    if let Some(p) = &up.subprotocol {
        env.push(("WSPROBE_SUBPROTOCOL".to_string(), p.clone()));
    }
    let (tx, rx) = mpsc::sync_channel(INPUT_QUEUE);
    let waker = poller.clone();
    let program = input::exec::Program::spawn(
        command,
        &env,
        cfg.input.framing,
        cfg.input.binary,
        tx,
        move || {
            let _ = waker.notify();
        },
    )?;
    session::Session::new(up.ws, cfg, out, poller, Some(rx), data, up.via)
        .with_exec(program)
        .run()
}

/// `--retry`: connect and run sessions until one ends for good, waiting
/// out the backoff between them. Each new connection sends the -d
/// messages again, then what the last one had not sent, then goes on with
/// the input.
fn retrying(
    cfg: &Config,
    out: &mut dyn output::report::Sink,
    poller: &Arc<Poller>,
    mut input: Option<mpsc::Receiver<input::Input>>,
    data: Vec<Message>,
    spec: script::retry::RetrySpec,
) -> Result<()> {
    let mut backoff = script::retry::Backoff::new(spec, Instant::now());
    let mut carried: Vec<Message> = Vec::new();
    loop {
        let (result, server_closed) = match open(cfg, out) {
            Ok(up) => {
                let mut first = data.clone();
                first.append(&mut carried);
                let ended = session::Session::new(
                    up.ws,
                    cfg,
                    out,
                    poller.clone(),
                    input.take(),
                    first,
                    up.via,
                )
                .run_to_end();
                input = ended.input;
                carried = ended.unsent;
                (ended.result, ended.server_closed)
            }
            Err(e) => (Err(e), None),
        };
        let again = match (&result, server_closed) {
            (Err(e), _) => e.is_transient(),
            (Ok(()), Some(code)) => error::CLOSE_CODES_TO_RETRY.contains(&code),
            (Ok(()), None) => false,
        };
        let hint = result.as_ref().err().and_then(error::Error::retry_after);
        let next = if again {
            backoff.next(Instant::now(), jitter(), hint)
        } else {
            None
        };
        let Some(next) = next else {
            return result;
        };
        if let Err(e) = &result {
            out.report(e);
        }
        let _ = out.emit(&Event::Retrying {
            attempt: next.attempt,
            of: next.of,
            delay: next.delay,
            server_closed: if result.is_ok() { server_closed } else { None },
        });
        let _ = out.flush();
        std::thread::sleep(next.delay);
    }
}

/// A number in [0, 1) for the backoff's jitter, from the system's
/// random source (0.5 if it fails: the jitter is a courtesy to servers,
/// not a guarantee).
fn jitter() -> f64 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 4];
    match ring::rand::SystemRandom::new().fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// `--check`: run the probes of [`check::run`] and write the report on
/// stdout (text, or one JSON object with --json). The warnings go to `out`
/// first; a server that cannot be reached or upgraded is the usual error;
/// a report with a failed probe is [`error::Error::CheckFailed`] (exit 13).
pub fn run_check(cfg: &Config, out: &mut dyn output::report::Sink) -> Result<()> {
    for w in &cfg.warnings {
        let _ = out.emit(&Event::Warning(w));
    }
    let _ = out.flush();
    let report = check::run(cfg)?;
    let mut stdout = std::io::stdout().lock();
    let written = if cfg.output.json {
        output::check::write_json(&report, &mut stdout, cfg.deterministic)
    } else {
        output::check::write_plain(&report, &mut stdout, cfg.deterministic)
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(error::Error::Io {
                context: "cannot write the report".into(),
                source: e,
            });
        }
        _ => {}
    }
    match report.count(check::Verdict::Fail) {
        0 => Ok(()),
        failed => Err(error::Error::CheckFailed {
            failed,
            probes: report.results.len(),
        }),
    }
}

/// How long the end of a REPL session waits for the editor to show the
/// last lines and give the terminal back.
const REPL_END: Duration = Duration::from_secs(2);

/// How long the end of a REPL session waits for the editor to take the last
/// lines before stopping it anyway (it may be in Ctrl-R search, which shows
/// nothing new); lines it did not take are then printed directly.
const REPL_SETTLE: Duration = Duration::from_secs(1);

/// Run the interactive REPL described by `cfg` (`cfg.repl` is set). Returns
/// how the session ended, and where that is to be reported: every line of
/// output goes through the REPL printer, so the final error report does
/// too (or to standard error, when the printer could not start). `main`
/// reports through the [`ReplEnd`], then finishes it.
pub fn run_repl(cfg: &Config) -> (Result<()>, ReplEnd) {
    let o = cfg.output;
    let stderr = output::report::Stderr {
        color: o.color,
        tty: o.stderr_tty,
    };
    let early = |e: error::Error| (Err(e), ReplEnd::new(None, stderr));
    let Some(spec) = &cfg.repl else {
        return early(error::Error::Usage(
            "run_repl: the configuration asks for no REPL".into(),
        ));
    };
    let mut warnings = cfg.warnings.clone();
    let role = match cfg.mode {
        config::Mode::Listen(_) => protocol::frame::Role::Server,
        config::Mode::Client => protocol::frame::Role::Client,
    };
    let mut repl = match input::repl::Repl::new(spec, o.color, role, &mut warnings) {
        Ok(r) => r,
        Err(e) => {
            return early(error::Error::Io {
                context: "cannot start the line editor".into(),
                source: std::io::Error::other(e.to_string()),
            });
        }
    };
    let mut printer = match output::repl::ReplPrinter::new(
        o,
        cfg.deterministic,
        &cfg.target.url,
        repl.screen(),
    ) {
        Ok(p) => p,
        Err(source) => {
            return early(error::Error::Io {
                context: "cannot start the printer thread".into(),
                source,
            });
        }
    };
    for w in &warnings {
        let _ = printer.emit(&Event::Warning(w));
    }
    let result = repl_session(cfg, repl, &mut printer);
    (result, ReplEnd::new(Some(printer), stderr))
}

/// The end of a REPL session as `main` sees it: the error report goes
/// above the prompt (after the session's last lines) while the printer
/// runs, to standard error if it never started; [`Finish::finish`] prints
/// what is left and stops the printer thread.
///
/// [`Finish::finish`]: output::report::Finish::finish
pub struct ReplEnd {
    printer: Option<output::repl::ReplPrinter>,
    stderr: output::report::Stderr,
}

impl ReplEnd {
    fn new(printer: Option<output::repl::ReplPrinter>, stderr: output::report::Stderr) -> Self {
        ReplEnd { printer, stderr }
    }
}

impl output::report::Finish for ReplEnd {
    fn report(&mut self, err: &error::Error) {
        match &mut self.printer {
            Some(p) => p.report(err),
            None => self.stderr.report(err),
        }
    }

    fn finish(&mut self) -> Result<()> {
        if let Some(p) = self.printer.take() {
            p.finish(REPL_END);
        }
        Ok(())
    }
}

/// Connect (or, with -l, bind), start the editor thread, run the session
/// (or serve), stop the editor.
fn repl_session(
    cfg: &Config,
    repl: input::repl::Repl,
    printer: &mut output::repl::ReplPrinter,
) -> Result<()> {
    if let config::Mode::Listen(spec) = &cfg.mode {
        let bound = server::bind(spec, printer)?;
        let host = bound.addr.to_string();
        let data = data_messages(cfg)?;
        return with_repl(cfg, repl, printer, host, Vec::new(), |out, poller, rx| {
            let feed = server::Feed {
                poller,
                input: Some(rx),
                data,
                interactive: true,
            };
            bound.serve(cfg, spec, out, feed)
        });
    }
    let up = open(cfg, printer)?;
    let host = cfg.target.host_header.clone();
    with_repl(
        cfg,
        repl,
        printer,
        host,
        data_messages(cfg)?,
        |out, poller, rx| {
            session::Session::new(up.ws, cfg, out, poller, Some(rx), Vec::new(), up.via).run()
        },
    )
}

/// Start the editor thread (prompting with `host`; `first` are the -d
/// messages it sends first), run `serve` on its input, and stop it.
fn with_repl(
    cfg: &Config,
    repl: input::repl::Repl,
    printer: &mut output::repl::ReplPrinter,
    host: String,
    first: Vec<Message>,
    serve: impl FnOnce(
        &mut output::repl::ReplPrinter,
        Arc<Poller>,
        mpsc::Receiver<input::Input>,
    ) -> Result<()>,
) -> Result<()> {
    let poller = new_poller()?;
    let (tx, rx) = mpsc::sync_channel(INPUT_QUEUE);
    let waker = poller.clone();
    let wiring = input::repl::Wiring {
        tx,
        wake: Box::new(move || {
            let _ = waker.notify();
        }),
        out: printer.output(),
        host,
        binary: cfg.input.binary,
        close: (cfg.ending.close_code, cfg.ending.close_reason.clone()),
        first,
    };
    // The trace so far and the banner come before the first prompt.
    let _ = printer.flush();
    printer.sync(REPL_END);
    let terminal = repl.terminal();
    let running = repl.start(wiring).map_err(|source| error::Error::Io {
        context: "cannot start the REPL thread".into(),
        source,
    })?;
    let result = serve(printer, poller, rx);
    // Let the editor show what is left above its prompt, then take the
    // terminal back from it; the error report comes after.
    let _ = printer.flush();
    printer.sync(REPL_SETTLE);
    if running.stop(REPL_END) {
        printer.take_over(terminal, REPL_SETTLE);
    }
    result
}

/// Connect and upgrade, reporting the phases to `out`.
fn open(cfg: &Config, out: &mut dyn Emit) -> Result<handshake::Upgraded> {
    let start = Instant::now();
    if cfg.repl.is_none() {
        for w in &cfg.warnings {
            let _ = out.emit(&Event::Warning(w));
        }
    }
    let (up, mut timing): (handshake::Upgraded, Timing) = redirect::connect(cfg, out)?;
    timing.upgrade = up.took;
    timing.total = start.elapsed();
    let _ = out.emit(&Event::Open {
        timing,
        subprotocol: up.subprotocol.as_deref(),
        extensions: up.extensions.as_deref(),
        early_bytes: up.early_bytes,
    });
    Ok(up)
}

fn new_poller() -> Result<Arc<Poller>> {
    Poller::new()
        .map(Arc::new)
        .map_err(|source| error::Error::Io {
            context: "cannot create the event loop".into(),
            source,
        })
}

/// The -d messages, text or (with -b) binary.
fn data_messages(cfg: &Config) -> Result<Vec<Message>> {
    cfg.input
        .data
        .iter()
        .map(|d| {
            let bytes = Bytes::from(d.clone());
            if cfg.input.binary {
                Ok(Message::Binary(bytes))
            } else {
                tungstenite::Utf8Bytes::try_from(bytes)
                    .map(Message::Text)
                    .map_err(|_| error::Error::Usage("--data is not valid UTF-8; add -b".into()))
            }
        })
        .collect()
}
