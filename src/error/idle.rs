//! A connection that ended without a Close frame after a silence: how long
//! it had been quiet each way ([`Silence`]), and whether that silence looks
//! like an intermediary's idle timeout (a well-known default, the setting
//! of the proxy the 101 came through, or a round number of seconds), with
//! `--ping-interval` as the way to keep the path alive.
//!
//! Words only, chosen from the typed [`Silence`] the session measured.

use super::Silence;
use super::intermediary::the_proxy;
use crate::format::secs;
use std::time::Duration;

/// Quieter than this, a drop is not taken for an idle timeout.
const SHORTEST_IDLE: Duration = Duration::from_secs(1);

/// Well-known idle timeouts, in seconds, and whose they are.
const KNOWN: &[(u64, &str)] = &[
    (30, "the Google Cloud load balancer's backend timeout"),
    (
        50,
        "HAProxy's timeout tunnel or timeout client as commonly set",
    ),
    (
        60,
        "nginx's proxy_read_timeout, Apache httpd's ProxyTimeout and the AWS load balancers' idle timeout",
    ),
    (100, "Cloudflare's idle timeout"),
    (350, "the AWS NAT gateway's idle timeout"),
];

/// The fact line: how long each direction had been silent.
pub(super) fn fact(s: &Silence) -> String {
    format!(
        "silent before the end: nothing received for {}, nothing sent for {}",
        secs(s.received),
        secs(s.sent)
    )
}

/// The hint, when the silence looks like an idle timeout.
pub(super) fn hint(s: &Silence) -> Option<String> {
    // An idle timer restarts with traffic either way.
    let quiet = s.received.min(s.sent);
    if quiet < SHORTEST_IDLE || s.pinging {
        return None;
    }
    // A timer fires on time or late (a loaded machine, the EOF's way
    // back), never early: a silence matches a timeout a little above it.
    let q = quiet.as_secs_f64();
    let near = |target: f64| (-0.1..=0.3 + target * 0.02).contains(&(q - target));
    let whole = (q + 0.1).floor();
    let known = KNOWN.iter().find(|(t, _)| near(*t as f64));
    if known.is_none() && !near(whole) {
        return None;
    }
    let whose = match (s.via, known) {
        (Some(i), _) => {
            let (setting, default) = i.idle_setting();
            match default.filter(|d| near(d.as_secs_f64())) {
                Some(d) => format!(
                    "{}: its {setting} defaults to {} s",
                    the_proxy(Some(i)),
                    d.as_secs()
                ),
                None => format!("{}: its {setting}", the_proxy(Some(i))),
            }
        }
        (None, Some((t, who))) => format!("{t} s is {who}"),
        (None, None) => format!(
            "{} is a round number of seconds, as timeouts are set",
            secs(Duration::from_secs_f64(whole))
        ),
    };
    // Ping well within the timeout, never more often than every second,
    // and at most every 20 s (the Python websockets default).
    let every = (quiet.as_secs() / 2).clamp(1, 20);
    Some(format!(
        "the connection was quiet both ways for {} and then dropped: an intermediary's idle \
         timeout is the likely cause ({whose}); --ping-interval {every} keeps it alive",
        secs(quiet)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Intermediary;

    fn silence(received: f64, sent: f64, via: Option<Intermediary>) -> Silence {
        Silence {
            received: Duration::from_secs_f64(received),
            sent: Duration::from_secs_f64(sent),
            via,
            pinging: false,
        }
    }

    #[test]
    fn known_defaults_and_round_numbers_are_idle_timeouts() {
        let h = hint(&silence(60.02, 61.0, None)).expect("60 s");
        assert!(h.contains("nginx's proxy_read_timeout"), "{h}");
        assert!(h.contains("--ping-interval 20"), "{h}");
        let h = hint(&silence(100.1, 100.1, None)).expect("100 s");
        assert!(h.contains("Cloudflare"), "{h}");
        let h = hint(&silence(3.004, 3.2, None)).expect("3 s");
        assert!(h.contains("round number"), "{h}");
        assert!(h.contains("--ping-interval 1"), "{h}");
        let h = hint(&silence(2.01, 5.0, Some(Intermediary::Nginx))).expect("via nginx");
        assert!(
            h.contains("(the proxy (nginx) in front of the server: its proxy_read_timeout)"),
            "{h}"
        );
        let h = hint(&silence(59.95, 60.0, Some(Intermediary::Nginx))).expect("nginx default");
        assert!(h.contains("its proxy_read_timeout defaults to 60 s"), "{h}");
        assert_eq!(hint(&silence(7.5, 9.0, Some(Intermediary::Nginx))), None);
    }

    #[test]
    fn short_odd_or_pinged_silences_are_not() {
        assert_eq!(hint(&silence(0.3, 0.3, None)), None);
        assert_eq!(hint(&silence(7.5, 7.5, None)), None);
        let mut s = silence(60.0, 60.0, None);
        s.pinging = true;
        assert_eq!(hint(&s), None);
        assert_eq!(
            fact(&silence(2.0, 1.5, None)),
            "silent before the end: nothing received for 2.00 s, nothing sent for 1.50 s"
        );
    }
}
