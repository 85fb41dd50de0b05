//! The REPL's slash-command parser (src/input/command.rs) on arbitrary
//! lines, on both sides (the client's commands and listen mode's): never a
//! panic; what it accepts respects the protocol's limits, and
//! a raw `/frame` encodes (as the session would send it) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tungstenite::Message;
use tungstenite::protocol::frame::coding::OpCode;
use tungstenite::protocol::frame::{Frame, FrameHeader};
use wsprobe::input::command::{Command, Line, complete, help, is_secret, parse};
use wsprobe::protocol::encode::Encoder;
use wsprobe::protocol::frame::{
    MAX_CLOSE_REASON, MAX_CONTROL_PAYLOAD, Opcode, Role, close_code_on_wire,
};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = is_secret(&line);
    for role in [Role::Client, Role::Server] {
        let _ = complete(&line, role);
        let _ = help(Some(&line), role);
        check(&line, role);
    }
});

fn check(line: &str, role: Role) {
    let Ok(parsed) = parse(line, role) else {
        return;
    };
    let Line::Command(cmd) = parsed else {
        return;
    };
    match cmd {
        Command::Ping(p) | Command::Pong(p) => assert!(p.len() <= MAX_CONTROL_PAYLOAD),
        Command::Close {
            client,
            code,
            reason,
        } => {
            assert!(role == Role::Server || client.is_none());
            assert!(client != Some(0), "client ids start at 1");
            assert!(reason.len() <= MAX_CLOSE_REASON);
            if let Some(c) = code {
                assert!(close_code_on_wire(c));
            }
        }
        Command::Frame(f) => {
            assert_eq!(Opcode::from_bits(f.opcode.bits()), f.opcode);
            let header = FrameHeader {
                is_final: f.fin,
                rsv1: f.rsv[0],
                rsv2: f.rsv[1],
                rsv3: f.rsv[2],
                opcode: OpCode::from(f.opcode.bits()),
                mask: None,
            };
            let frame = Message::Frame(Frame::from_payload(header, f.payload.into()));
            let mut out = Vec::new();
            Encoder::new(None)
                .encode(&frame, Some([1, 2, 3, 4]), &mut out)
                .expect("a raw frame encodes");
        }
        Command::To { client, .. } => {
            assert_eq!(role, Role::Server, "/to is listen mode's");
            assert!(client >= 1);
        }
        Command::Clients => assert_eq!(role, Role::Server, "/clients is listen mode's"),
        _ => {}
    }
}
