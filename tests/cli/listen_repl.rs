//! Listen mode's REPL, driven in a pseudo-terminal against real WebSocket
//! clients (tungstenite's client, each on a thread of its own, and the
//! Python `websockets` client): typed lines to every client, `/to`,
//! `/clients`, `/ping`, `/frame`, `/close` of one client or all, `/stats`,
//! and Ctrl-D stopping the server. Every wait is bounded.

use crate::listen::{peer, script_result};
use crate::repl::Pty;
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tungstenite::Message;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;

/// How long a client waits for one message.
const WAIT: Duration = Duration::from_secs(10);

/// A tungstenite client on a thread: what it receives comes out of `rx`
/// (its Close as `Message::Close`), what is put in `tx` is sent.
struct WsClient {
    rx: mpsc::Receiver<Message>,
    tx: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl WsClient {
    fn connect(port: u16, path: &str, origin: Option<&str>) -> WsClient {
        let mut req = format!("ws://127.0.0.1:{port}{path}")
            .into_client_request()
            .expect("request");
        if let Some(o) = origin {
            req.headers_mut()
                .insert("Origin", HeaderValue::from_str(o).expect("origin"));
        }
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (mut ws, _) = tungstenite::client::client(req, stream).expect("upgrade");
        ws.get_mut()
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let (in_tx, rx) = mpsc::channel();
        let (tx, out_rx) = mpsc::channel::<Message>();
        let thread = std::thread::spawn(move || {
            loop {
                while let Ok(m) = out_rx.try_recv() {
                    if ws.send(m).is_err() {
                        return;
                    }
                }
                match ws.read() {
                    Ok(m) => {
                        let closed = m.is_close();
                        if in_tx.send(m).is_err() || closed {
                            // Answer the Close (tungstenite queued it) and end.
                            let _ = ws.flush();
                            let _ = ws.read();
                            return;
                        }
                    }
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => return,
                }
            }
        });
        WsClient {
            rx,
            tx,
            thread: Some(thread),
        }
    }

    /// The next message other than a ping or pong.
    fn next(&self) -> Message {
        loop {
            match self.rx.recv_timeout(WAIT) {
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                Ok(m) => return m,
                Err(e) => panic!("the client received nothing within {WAIT:?}: {e}"),
            }
        }
    }

    fn text(&self) -> String {
        match self.next() {
            Message::Text(t) => t.to_string(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    fn close_frame(&self) -> (u16, String) {
        match self.next() {
            Message::Close(Some(f)) => (u16::from(f.code), f.reason.to_string()),
            other => panic!("expected a Close, got {other:?}"),
        }
    }

    fn send(&self, m: Message) {
        self.tx.send(m).expect("the client thread is gone");
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let (done_tx, done_rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = t.join();
                let _ = done_tx.send(());
            });
            // Bounded: the thread ends at its socket's end or error.
            let _ = done_rx.recv_timeout(WAIT);
        }
    }
}

/// `wsprobe --color never -l 0 ARGS` in a pty, at its prompt; its port.
fn listen(args: &[&str]) -> (Pty, u16) {
    let mut argv = vec!["--color", "never", "-l", "0"];
    argv.extend_from_slice(args);
    let mut pty = Pty::spawn_listen(&argv);
    pty.expect("Listening on ws://127.0.0.1:");
    let port = pty.expect("/.");
    let port: u16 = port
        .trim_end_matches("/.")
        .parse()
        .unwrap_or_else(|e| panic!("no port in {port:?}: {e}"));
    pty.expect("/help lists the commands; Ctrl-D stops the server.");
    pty.expect("listening> ");
    (pty, port)
}

#[test]
fn typed_lines_go_to_every_client_and_to_goes_to_one() {
    let (mut pty, port) = listen(&[]);
    pty.line("nobody hears this");
    pty.expect("no client is open: nothing was sent");
    let a = WsClient::connect(port, "/a", Some("http://page.test"));
    pty.expect("#1 Open: 127.0.0.1:");
    let b = WsClient::connect(port, "/b?room=2", None);
    pty.expect("#2 Open: 127.0.0.1:");
    a.send(Message::text("hello from a"));
    pty.expect("< #1 hello from a");
    b.send(Message::binary(vec![1u8, 2, 0xff]));
    pty.expect("< #2 [binary 3 bytes] 01 02 ff");
    pty.line("to everyone");
    assert_eq!(a.text(), "to everyone");
    assert_eq!(b.text(), "to everyone");
    pty.line("/to 2 just you");
    pty.expect("> #2 just you");
    pty.line("/to #1 and you");
    assert_eq!(b.text(), "just you");
    assert_eq!(a.text(), "and you", "a got nothing meant for b first");
    pty.line("/to 7 nobody");
    pty.expect("client #7 has not connected: nothing was sent");
    pty.line("/clients");
    pty.expect("2 clients open:");
    let table = pty.expect(" listening> ");
    for needle in ["ORIGIN", "#1", "/a", "http://page.test", "#2"] {
        assert!(table.contains(needle), "no {needle:?} in:\n{table}");
    }
    assert!(table.contains("/b?room=2"), "{table}");
    assert!(table.contains("1 (12 B)"), "a's received count:\n{table}");
    pty.keys("\x04");
    assert_eq!(a.close_frame(), (1001, String::new()));
    assert_eq!(b.close_frame(), (1001, String::new()));
    assert_eq!(pty.exit_code(), 0);
    pty.assert_terminal_restored();
}

#[test]
fn ping_frame_close_one_and_stats() {
    let (mut pty, port) = listen(&[]);
    let a = WsClient::connect(port, "/", None);
    pty.expect("#1 Open");
    let b = WsClient::connect(port, "/", None);
    pty.expect("#2 Open");
    pty.line("/ping are you there");
    pty.expect("> #2 ping \"are you there\"");
    let pongs = pty.expect("(rtt ") + &pty.expect("(rtt ");
    for id in [1, 2] {
        let pong = format!("< #{id} pong \"are you there\" (rtt ");
        assert!(pongs.contains(&pong), "no {pong:?} in:\n{pongs}");
    }
    // A fragmented message from raw frames, unmasked as a server's are.
    pty.line("/frame text,nofin Hel");
    pty.line("/frame cont lo");
    assert_eq!(a.text(), "Hello");
    assert_eq!(b.text(), "Hello");
    pty.line("/close 1 4000 only you");
    assert_eq!(a.close_frame(), (4000, "only you".into()));
    pty.expect("#1 Closed ");
    pty.expect("(4000 (private use) \"only you\", server initiated)");
    pty.line("/to 1 too late");
    pty.expect("client #1 has gone: nothing was sent");
    pty.line("still here?");
    assert_eq!(
        b.text(),
        "still here?",
        "closing one client leaves the other"
    );
    pty.line("/stats");
    pty.expect("* clients: 1 open, 2 served, 0 refused");
    pty.expect("* up ");
    pty.expect("; sent 1 message (11 bytes)");
    pty.expect("* pings: 2 sent, 2 answered; rtt min ");
    pty.line("/close");
    assert_eq!(b.close_frame(), (1000, String::new()));
    pty.expect("#2 Closed cleanly (1000");
    pty.line("/clients");
    pty.expect("No client is open.");
    pty.line("/quit");
    assert_eq!(pty.exit_code(), 0);
}

#[test]
fn help_is_listen_modes_and_a_python_client_is_served() {
    let (mut pty, port) = listen(&["--accept-subprotocol", "chat"]);
    pty.line("/help");
    pty.expect("Commands:");
    let help = pty.expect("Tab completes commands.");
    for needle in [
        "/clients",
        "/to ID TEXT",
        "/close [ID] [CODE [REASON]]",
        "stops the server",
    ] {
        assert!(help.contains(needle), "no {needle:?} in:\n{help}");
    }
    let mut python = std::process::Command::new("python3");
    python
        .arg(peer("ws_client.py"))
        .arg(format!("ws://127.0.0.1:{port}/py"))
        .args([
            "--subprotocol",
            "chat",
            "--text",
            "from python",
            "--expect",
            "1",
        ]);
    // The client's own waits are bounded (10 s each), so is this one.
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(python.output());
    });
    pty.expect("#1 Open: 127.0.0.1:");
    pty.expect("< #1 from python");
    pty.line("/to 1 welcome");
    let out = done
        .recv_timeout(WAIT * 3)
        .expect("the Python client ended")
        .expect("python3 runs");
    let got = script_result(out, "ws_client.py");
    assert_eq!(got["subprotocol"], "chat");
    assert_eq!(got["received"][0]["data"], "welcome");
    pty.expect("#1 Closed cleanly (1000");
    pty.keys("\x04");
    assert_eq!(pty.exit_code(), 0);
}
