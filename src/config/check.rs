//! `--check` and its options, resolved: whether the run is a server check
//! and which opt-in probes it adds. The probes themselves are `check`'s.

use crate::cli::Cli;
use crate::error::{Error, Result};
use std::time::Duration;

/// What `--check` asks for beyond the default probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckSpec {
    /// `--idle SECS`: how long the idle probe stays silent.
    pub idle: Option<Duration>,
}

/// The check spec, when `--check` is given; flags of pipe mode that do
/// nothing in a check are warned about.
pub(super) fn check_spec(cli: &Cli, warnings: &mut Vec<String>) -> Result<Option<CheckSpec>> {
    if !cli.check {
        if cli.idle.is_some() {
            return Err(Error::Usage("--idle needs --check".into()));
        }
        return Ok(None);
    }
    let ignored = super::given(&[
        ("-d", !cli.data.is_empty()),
        ("-c", cli.count.is_some()),
        ("--expect", !cli.expectations.is_empty()),
        ("--write-out", cli.write_out.is_some()),
        ("--retry", cli.retry.is_some()),
        ("--har", cli.har.is_some()),
        ("--ping-interval", cli.ping_interval.is_some()),
        ("-L", cli.location),
    ]);
    if !ignored.is_empty() {
        warnings.push(format!(
            "{} do nothing with --check: it sends its own probes",
            ignored.join(", ")
        ));
    }
    Ok(Some(CheckSpec {
        idle: cli.idle.map(super::session::secs),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::config;
    use std::time::Duration;

    #[test]
    fn check_and_idle() {
        let c = config(&["--check", "h:1"]).expect("ok");
        assert_eq!(c.check.map(|s| s.idle), Some(None));
        assert!(c.repl.is_none());
        let c = config(&["--check", "--idle", "2.5", "h:1"]).expect("ok");
        assert_eq!(
            c.check.and_then(|s| s.idle),
            Some(Duration::from_millis(2500))
        );
        let e = config(&["--idle", "1", "h:1"]).expect_err("needs --check");
        assert_eq!(e.exit_code(), 2);
        assert!(config(&["h:1"]).expect("ok").check.is_none());
    }

    #[test]
    fn session_flags_are_warned_about() {
        let c = config(&["--check", "-d", "x", "-c", "2", "h:1"]).expect("ok");
        assert!(
            c.warnings
                .iter()
                .any(|w| w == "-d, -c do nothing with --check: it sends its own probes"),
            "{:?}",
            c.warnings
        );
    }
}
