//! Turns [`Event`]s into bytes: message payloads on stdout, everything else
//! on stderr. The only module that formats for people.
//!
//! stdout carries payloads only, so `| jq` works: text messages plus a
//! newline; binary messages byte for byte with `-b`, otherwise as one line of
//! lowercase hex (on a terminal, `[binary N bytes]` and spaced hex). stdout
//! is buffered and flushed when the session goes idle, or per message on a
//! terminal. The trace on stderr follows curl: `*` info, `>` request, `<`
//! response lines.
//!
//! One file per concern: [`plain`] (the printer for pipes and terminals),
//! [`check`] (the --check report),
//! [`json`] (`--json`), [`har`] (`--har`), [`repl`] (above the REPL
//! prompt), [`trace`] (frame lines), [`pretty`] (`--pretty`), [`redact`]
//! (secrets), [`report`] (the error report and the end of a run) and
//! [`style`] (every colour). This file only chooses the sinks of a pipe-mode
//! run ([`Outputs`]); it renders nothing and decides no exit status.

pub mod check;
pub mod har;
pub mod json;
pub mod listen;
pub mod plain;
pub mod pretty;
pub mod redact;
pub mod repl;
pub mod report;
pub mod style;
pub mod trace;
pub mod writeout;

use crate::config::OutputSpec;
use crate::error::{Error, Result};
use crate::event::{Emit, Event};
use plain::Printer;
use report::{Finish, report_error};
use std::io::{self, Write};

/// Every sink a run writes to: the plain printer (payloads and trace), the
/// JSON printer instead of plain stdout with `--json`, and the HAR recorder
/// with `--har`. `main` builds one for pipe mode and ends it through
/// [`Finish`].
pub struct Outputs {
    plain: Printer<Box<dyn Write>, Box<dyn Write>>,
    json: Option<json::JsonPrinter<Box<dyn Write>>>,
    har: Option<(std::path::PathBuf, har::HarRecorder)>,
    writeout: Option<writeout::WriteOut>,
    spec: OutputSpec,
}

impl Outputs {
    /// The sinks `cfg` asks for, on the process's stdout and stderr.
    pub fn new(cfg: &crate::config::Config) -> Outputs {
        let spec = cfg.output;
        let stdout: Box<dyn Write> =
            Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()));
        let stderr: Box<dyn Write> = Box::new(io::stderr().lock());
        let (plain_out, json) = if spec.json {
            let j = json::JsonPrinter::new(
                stdout,
                spec.deterministic,
                spec.show_secrets,
                spec.stdout_tty,
            );
            (Box::new(io::sink()) as Box<dyn Write>, Some(j))
        } else {
            (stdout, None)
        };
        Outputs {
            plain: Printer::new(plain_out, stderr, spec),
            json,
            har: cfg.har.clone().map(|p| {
                (
                    p,
                    har::HarRecorder::new(&cfg.target.url, spec.show_secrets, spec.deterministic),
                )
            }),
            writeout: cfg
                .script
                .write_out
                .clone()
                .map(|t| writeout::WriteOut::new(t, &cfg.target.url, std::time::Instant::now())),
            spec,
        }
    }
}

impl Finish for Outputs {
    /// The error on stderr, and as an `error` event with --json.
    fn report(&mut self, err: &Error) {
        if let Some(j) = &mut self.json {
            let _ = j.error(err);
        }
        if let Some(w) = &mut self.writeout {
            w.failed(err);
        }
        let s = self.spec;
        report_error(err, self.plain.stderr(), s.color, s.stderr_tty, s.verbose);
    }

    /// Flush stdout, end the NDJSON stream, write the HAR file, then the
    /// --write-out line (after every message, and knowing whether the HAR
    /// file failed). The stream ends first, so a HAR file that cannot be
    /// written is reported on stderr only.
    fn finish(&mut self) -> Result<()> {
        let _ = Emit::flush(self);
        self.json = None;
        let har = match &self.har {
            Some((path, har)) => har.write(path).map_err(|source| Error::Io {
                context: format!("cannot write the HAR file {}", path.display()),
                source,
            }),
            None => Ok(()),
        };
        if let Some(w) = &mut self.writeout {
            if let Err(e) = &har {
                w.failed(e);
            }
            w.write(&mut io::stdout(), self.plain.stderr())
                .map_err(|source| Error::Io {
                    context: "cannot write the --write-out output".into(),
                    source,
                })?;
        }
        har
    }
}

impl Emit for Outputs {
    fn emit(&mut self, ev: &Event<'_>) -> io::Result<()> {
        if let Some(w) = &mut self.writeout {
            w.observe(ev);
        }
        if let Some((_, har)) = &mut self.har {
            let _ = har.emit(ev);
        }
        match &mut self.json {
            Some(j) => {
                let _ = self.plain.emit(ev);
                j.emit(ev)
            }
            None => self.plain.emit(ev),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let plain = self.plain.flush();
        match &mut self.json {
            Some(j) => j.flush(),
            None => plain,
        }
    }
}
