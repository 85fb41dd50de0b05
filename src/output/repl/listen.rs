//! Listen mode in the REPL: the `/clients` table and the `/stats` report
//! of a server (each client's lines are tagged by `plain`'s `tag_lines`).
//! Everything a client chose (path, Origin, subprotocol) is escaped.

use super::stats_block;
use crate::event::{ClientRow, ServerStats};
use crate::format::{ms, sanitize, secs};

/// The `/clients` table: one row per open client, in id order.
pub fn clients_block(rows: &[ClientRow]) -> String {
    if rows.is_empty() {
        return "* No client is open.\n".into();
    }
    let esc = |s: &str| sanitize::escape_preview(s.as_bytes(), 60);
    let head = [
        "ID",
        "ADDRESS",
        "PATH",
        "ORIGIN",
        "SUBPROTOCOL",
        "UP",
        "RECEIVED",
        "SENT",
        "RTT",
    ];
    let mut table: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
    for r in rows {
        let s = &r.stats;
        let id = if r.closing {
            format!("#{} (closing)", r.id)
        } else {
            format!("#{}", r.id)
        };
        table.push(vec![
            id,
            r.addr.to_string(),
            esc(&r.path),
            r.origin.as_deref().map_or("-".into(), esc),
            r.subprotocol.as_deref().map_or("-".into(), esc),
            secs(s.uptime),
            counted(s.received_messages, s.received_bytes),
            counted(s.sent_messages, s.sent_bytes),
            s.rtt.map_or("-".into(), |(_, avg, _)| ms(avg)),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|col| {
            table
                .iter()
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let open = rows.iter().filter(|r| !r.closing).count();
    let mut out = format!(
        "* {open} client{} open{}:\n",
        if open == 1 { "" } else { "s" },
        if open < rows.len() {
            format!(", {} closing", rows.len() - open)
        } else {
            String::new()
        }
    );
    for row in &table {
        let mut line = String::from(" ");
        for (cell, w) in row.iter().zip(&widths) {
            line.push_str("  ");
            line.push_str(cell);
            line.push_str(&" ".repeat(w.saturating_sub(cell.chars().count())));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `3 (120 B)`: messages and their payload bytes.
fn counted(messages: u64, bytes: u64) -> String {
    format!("{messages} ({bytes} B)")
}

/// Listen mode's `/stats`: the clients, then every client's counters
/// added up (those that ended included).
pub fn server_stats_block(s: &ServerStats) -> String {
    let mut out = format!(
        "* clients: {} open, {} served, {} refused",
        s.open, s.served, s.refused
    );
    if s.files > 0 {
        out.push_str(&format!(", {} files sent (--static)", s.files));
    }
    out.push('\n');
    out.push_str(&stats_block(&s.totals));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Stats;
    use std::time::Duration;

    #[test]
    fn the_clients_table_aligns_and_escapes() {
        let row = |id, path: &str, origin: Option<&str>, closing| ClientRow {
            id,
            addr: "127.0.0.1:4000".parse().expect("addr"),
            path: path.into(),
            origin: origin.map(str::to_string),
            subprotocol: None,
            stats: Stats {
                received_messages: 2,
                received_bytes: 10,
                rtt: Some((Duration::ZERO, Duration::from_micros(400), Duration::ZERO)),
                uptime: Duration::from_secs(3),
                ..Stats::default()
            },
            closing,
        };
        let t = clients_block(&[
            row(1, "/chat", Some("http://127.0.0.1:8080"), false),
            row(12, "/\u{1b}[2J", None, true),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "* 1 client open, 1 closing:");
        assert!(lines[1].starts_with("   ID"), "{t}");
        assert!(
            lines[2].contains("#1 ") && lines[2].contains("http://127.0.0.1:8080"),
            "{t}"
        );
        assert!(
            lines[2].contains("2 (10 B)") && lines[2].contains("0.4 ms"),
            "{t}"
        );
        assert!(lines[3].contains("#12 (closing)"), "{t}");
        assert!(!t.contains('\u{1b}'), "escaped: {t:?}");
        let col = |l: &str| l.find("ADDRESS").or_else(|| l.find("127.0.0.1:4000"));
        assert_eq!(col(lines[1]), col(lines[2]));
        assert_eq!(col(lines[2]), col(lines[3]));
        assert_eq!(clients_block(&[]), "* No client is open.\n");
    }

    #[test]
    fn server_stats_name_the_clients_then_the_totals() {
        let s = ServerStats {
            open: 1,
            served: 4,
            refused: 2,
            files: 0,
            totals: Stats {
                sent_messages: 3,
                uptime: Duration::from_secs(2),
                ..Stats::default()
            },
        };
        let b = server_stats_block(&s);
        assert!(
            b.starts_with("* clients: 1 open, 4 served, 2 refused\n"),
            "{b}"
        );
        assert!(b.contains("sent 3 messages"), "{b}");
    }
}
