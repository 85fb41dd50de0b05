//! The wsprobe binary: parse, configure, run, and turn how the run ended
//! into the report and the exit status ([`conclude`], the one mapping).
//! Nothing else lives here.

use std::io::Write;
use std::process::ExitCode;
use wsprobe::cli::Cli;
use wsprobe::config::{Config, Env};
use wsprobe::error::Result;
use wsprobe::output::Outputs;
use wsprobe::output::report::{Finish, Stderr};

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            // clap reports its own errors: 2 for usage, 0 for --help and
            // --version, as the table has it.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Some(kind) = cli.generate {
        let mut out = std::io::stdout().lock();
        return match wsprobe::generate::generate(kind, &mut out).and_then(|()| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wsprobe: error: cannot write: {e}");
                ExitCode::from(1)
            }
        };
    }
    let env = Env::from_process();
    let code = match Config::new(&cli, &env) {
        Err(e) => {
            let mut stderr = Stderr {
                color: env.stderr_tty && !env.no_color,
                tty: env.stderr_tty,
            };
            conclude(Err(e), &mut stderr)
        }
        Ok(cfg) if cfg.check.is_some() => {
            let mut outputs = Outputs::new(&cfg);
            let result = wsprobe::run_check(&cfg, &mut outputs);
            conclude(result, &mut outputs)
        }
        Ok(cfg) if cfg.repl.is_some() => {
            let (result, mut end) = wsprobe::run_repl(&cfg);
            conclude(result, &mut end)
        }
        Ok(cfg) => {
            let mut outputs = Outputs::new(&cfg);
            let result = wsprobe::run(&cfg, &mut outputs);
            conclude(result, &mut outputs)
        }
    };
    ExitCode::from(code)
}

/// The one exit-status mapping: report how the run ended through `end`,
/// let it finish (flush, write the HAR file, stop the REPL printer), and
/// return the status of the first error, or 0. An error while finishing is
/// reported too, and counts only when the run itself succeeded.
///
/// The statuses are [`wsprobe::error::Error::exit_code`]'s, the table in
/// README.md and the man page. 130 is not among them: wsprobe does not
/// catch SIGINT, so Ctrl-C in pipe mode (or before the REPL's prompt)
/// ends it by the signal and the shell shows 128 + 2; at the REPL prompt
/// Ctrl-C is a key, and closing with it ends like any other close.
fn conclude(result: Result<()>, end: &mut dyn Finish) -> u8 {
    let status = |result: Result<()>, end: &mut dyn Finish| match result {
        Ok(()) => 0,
        Err(e) => {
            end.report(&e);
            e.exit_code()
        }
    };
    let code = status(result, end);
    let last = end.finish();
    let last = status(last, end);
    if code != 0 { code } else { last }
}
