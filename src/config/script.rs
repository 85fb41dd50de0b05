//! `--expect`, `--expect-json`, `--expect-timeout` and `--write-out`: what a
//! script waits for and what it is told at the end, parsed into
//! [`ScriptSpec`]. A bad pattern or format is a usage error before
//! connecting.

use super::session::secs;
use crate::cli::{Cli, ExpectArg};
use crate::error::{Error, Result};
use crate::script::expect::Expectation;
use crate::script::retry::RetrySpec;
use crate::script::writeout::Template;
use std::path::PathBuf;
use std::time::Duration;

/// What the run must see, and report, for a script.
#[derive(Debug, Clone, Default)]
pub struct ScriptSpec {
    /// Expectations, met in this order.
    pub expect: Vec<Expectation>,
    /// How long each one waits.
    pub expect_timeout: Duration,
    /// `--write-out`, parsed.
    pub write_out: Option<Template>,
    /// `--retry`, when given (and not 0).
    pub retry: Option<RetrySpec>,
    /// `--exec COMMAND`.
    pub exec: Option<String>,
}

/// The script options of `cli`.
pub fn script_spec(cli: &Cli) -> Result<ScriptSpec> {
    let expect = cli
        .expectations
        .iter()
        .map(|e| match e {
            ExpectArg::Regex(p) => Expectation::regex(p),
            ExpectArg::Json(t) => Expectation::json(t),
        })
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(Error::Usage)?;
    let write_out = match cli.write_out.as_deref() {
        None => None,
        Some(f) => Some(
            Template::parse(&format_text(f)?)
                .map_err(|e| Error::Usage(format!("--write-out: {e}")))?,
        ),
    };
    let retry = cli.retry.filter(|&n| n > 0).map(|n| RetrySpec {
        retries: (n != u64::MAX).then_some(n),
        delay: secs(cli.retry_delay),
        max_time: cli.retry_max_time.map(secs),
    });
    Ok(ScriptSpec {
        expect,
        expect_timeout: secs(cli.expect_timeout),
        write_out,
        retry,
        exec: cli.exec.clone(),
    })
}

/// The format itself: the argument, or with `@FILE` the file's text.
fn format_text(arg: &str) -> Result<String> {
    let Some(path) = arg.strip_prefix('@') else {
        return Ok(arg.to_string());
    };
    if path == "-" {
        return Err(Error::Usage(
            "--write-out @- is not supported: standard input carries the messages; \
             use @FILE"
                .into(),
        ));
    }
    std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        what: "--write-out",
        path: PathBuf::from(path),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::config;
    use std::io::Write;

    #[test]
    fn expectations_and_their_timeout() {
        let c = config(&["--expect", "a+", "--expect-json", ".ok", "h:1"]).expect("ok");
        let shown: Vec<String> = c.script.expect.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown, ["--expect 'a+'", "--expect-json '.ok'"]);
        assert_eq!(c.script.expect_timeout.as_secs(), 10);
        let e = config(&["--expect", "(", "h:1"]).expect_err("bad regex");
        assert_eq!(e.exit_code(), 2);
        let e = config(&["--expect-json", "type", "h:1"]).expect_err("bad test");
        assert!(e.to_string().contains("a path starts with '.'"), "{e}");
    }

    #[test]
    fn retries_count_or_go_on_forever() {
        let c = config(&["--retry", "3", "--retry-delay", "0.5", "h:1"]).expect("ok");
        let r = c.script.retry.expect("retry");
        assert_eq!(r.retries, Some(3));
        assert_eq!(r.delay.as_millis(), 500);
        let c = config(&["--retry", "forever", "--retry-max-time", "60", "h:1"]).expect("ok");
        let r = c.script.retry.expect("retry");
        assert_eq!(
            (r.retries, r.max_time.map(|d| d.as_secs())),
            (None, Some(60))
        );
        assert!(
            config(&["--retry", "0", "h:1"])
                .expect("ok")
                .script
                .retry
                .is_none()
        );
        assert!(crate::cli::Cli::parse_args(["wsprobe", "--retry", "x", "h:1"]).is_err());
    }

    #[test]
    fn write_out_formats_inline_and_from_files() {
        let c = config(&["--write-out", "%{http_code}", "h:1"]).expect("ok");
        assert!(c.script.write_out.is_some());
        let e = config(&["--write-out", "%{bogus}", "h:1"]).expect_err("unknown");
        assert!(
            e.to_string().starts_with("--write-out: unknown variable"),
            "{e}"
        );
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(b"%{exitcode}\\n").expect("write");
        let arg = format!("@{}", f.path().display());
        let c = config(&["--write-out", &arg, "h:1"]).expect("ok");
        assert_eq!(c.script.write_out.map(|t| t.pieces.len()), Some(2));
        let e = config(&["--write-out", "@/nonexistent/wsprobe-fmt", "h:1"]).expect_err("missing");
        assert_eq!(e.exit_code(), 2);
        let e = config(&["--write-out", "@-", "h:1"]).expect_err("stdin");
        assert!(e.to_string().contains("@FILE"), "{e}");
    }
}
