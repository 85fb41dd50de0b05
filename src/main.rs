//! The wsprobe binary: parse, configure, run, map the result to an exit
//! status. Nothing else lives here.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use wsprobe::cli::Cli;
use wsprobe::config::{Config, Env};
use wsprobe::output::Outputs;
use wsprobe::output::report::report_error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
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
    let cfg = match Config::new(&cli, &env) {
        Ok(cfg) => cfg,
        Err(e) => {
            let color = env.stderr_tty && !env.no_color;
            report_error(&e, &mut std::io::stderr().lock(), color, env.stderr_tty, 0);
            return ExitCode::from(e.exit_code());
        }
    };
    if cfg.repl.is_some() {
        return ExitCode::from(wsprobe::run_repl(&cfg));
    }
    let mut outputs = Outputs::new(&cfg);
    let result = wsprobe::run(&cfg, &mut outputs);
    ExitCode::from(outputs.finish(&result))
}
