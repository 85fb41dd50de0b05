//! wsprobe: a WebSocket client for scripts and people, and a diagnostic tool
//! for handshakes that fail.
//!
//! The binary (`main.rs`) is a thin shell around [`run`]; everything lives
//! in this library so that tests, fuzz targets and benchmarks reach it. The
//! pipeline: [`cli`] → [`config`] → [`net::open`] → [`handshake::upgrade`]
//! (repeated by [`redirect::connect`] for -L) → [`session::Session`], with
//! every observation sent as an [`event::Event`] to [`output`]. See
//! DESIGN.md for the whole picture.

pub mod cli;
pub mod config;
pub mod error;
pub mod event;
pub mod generate;
pub mod handshake;
pub mod input;
pub mod net;
pub mod output;
pub mod redirect;
pub mod session;
pub mod wire;

use config::Config;
use error::Result;
use event::{Emit, Event, Timing};
use polling::Poller;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;
use tungstenite::{Bytes, Message};

/// How many input batches may wait for the socket. Each batch is one read
/// of stdin (at most 256 KiB of records), so this bounds input memory.
const INPUT_QUEUE: usize = 4;

/// Connect, upgrade and run the session described by `cfg`, reporting to
/// `out`. Reads standard input on a thread of its own when asked to.
pub fn run(cfg: &Config, out: &mut dyn Emit) -> Result<()> {
    let start = Instant::now();
    for w in &cfg.warnings {
        let _ = out.emit(&Event::Warning(w));
    }
    let (up, mut timing): (handshake::Upgraded, Timing) = redirect::connect(cfg, out)?;
    timing.upgrade = up.took;
    timing.total = start.elapsed();
    let _ = out.emit(&Event::Open {
        timing,
        subprotocol: up.subprotocol.as_deref(),
        early_bytes: up.early_bytes,
    });

    let poller = Arc::new(Poller::new().map_err(|source| error::Error::Io {
        context: "cannot create the event loop".into(),
        source,
    })?);
    let input = if cfg.input.read_stdin {
        let (tx, rx) = mpsc::sync_channel(INPUT_QUEUE);
        let waker = poller.clone();
        let (framing, binary) = (cfg.input.framing, cfg.input.binary);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let stdin = std::io::stdin().lock();
                input::pipe::pump(stdin, framing, binary, tx, || {
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
    let data = cfg
        .input
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
        .collect::<Result<Vec<_>>>()?;
    session::Session::new(up.ws, cfg, out, poller, input, data).run()
}
