//! Tests of the two roles (RFC 6455 section 5.1): a client refuses masked
//! frames and masks its own, a server refuses unmasked frames and sends
//! its own unmasked, and the two ends of the engine talk to each other,
//! with and without permessage-deflate, however the bytes are cut.

use super::decode::{Decoder, Incoming, Limits};
use super::deflate::DeflateParams;
use super::encode::Encoder;
use super::frame::{Header, MAX_HEADER, Opcode, Role, Violation, header_len};
use super::{Connection, ReadError, Settings, State};
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Bytes, Message, Utf8Bytes};

const LIMITS: Limits = Limits {
    max_message: 1 << 20,
    max_frame: 1 << 20,
};

/// Bytes in flight one way.
type Pipe = Rc<RefCell<VecDeque<u8>>>;

/// One end of an in-memory connection: reads what the other end wrote, at
/// most `step` bytes per read, and would block when nothing is there.
struct End {
    rx: Pipe,
    tx: Pipe,
    step: usize,
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rx = self.rx.borrow_mut();
        if rx.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.step).min(rx.len());
        for (b, v) in buf.iter_mut().zip(rx.drain(..n)) {
            *b = v;
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx.borrow_mut().extend(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn settings(role: Role, deflate: Option<DeflateParams>) -> Settings {
    Settings {
        limits: LIMITS,
        deflate,
        random_masks: true,
        role,
    }
}

/// A client and a server connected to each other.
fn pair(deflate: Option<DeflateParams>, step: usize) -> (Connection<End>, Connection<End>) {
    let (up, down) = (Pipe::default(), Pipe::default());
    let client = End {
        rx: down.clone(),
        tx: up.clone(),
        step,
    };
    let server = End {
        rx: up,
        tx: down,
        step,
    };
    (
        Connection::new(client, Vec::new(), settings(Role::Client, deflate)),
        Connection::new(server, Vec::new(), settings(Role::Server, deflate)),
    )
}

/// The next message; everything it needs was flushed before.
fn next(c: &mut Connection<End>) -> Message {
    match c.read() {
        Ok(m) => m,
        Err(ReadError::Violation(v)) => panic!("violation: {v}"),
        Err(e) => panic!("{e:?}"),
    }
}

/// The frames in `bytes`, as (opcode, masked).
fn frames_on_the_wire(bytes: &[u8]) -> Vec<(Opcode, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = header_len(&bytes[at..(at + 2).min(bytes.len())]);
        let mut h = [0u8; MAX_HEADER];
        h[..n].copy_from_slice(&bytes[at..at + n]);
        let head = Header::parse(&h);
        out.push((head.first.opcode, head.mask.is_some()));
        at += n + head.len as usize;
    }
    assert_eq!(at, bytes.len(), "whole frames");
    out
}

fn text(s: &str) -> Message {
    Message::Text(s.into())
}

#[test]
fn a_client_refuses_a_masked_frame_and_a_server_an_unmasked_one() {
    let masked = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    let plain = [0x81, 0x02, b'h', b'i'];
    let decode = |role, bytes: &[u8]| {
        let mut d = Decoder::with_role(LIMITS, None, role);
        // Refused on the second byte, before the key or payload arrive.
        assert_eq!(d.decode(&bytes[..1]).1, Ok(None));
        d.decode(&bytes[1..]).1
    };
    assert_eq!(decode(Role::Client, &masked), Err(Violation::Masked));
    let v = decode(Role::Server, &plain).expect_err("unmasked");
    assert_eq!(v, Violation::Unmasked);
    assert_eq!(v.close_code(), 1002);
    assert_eq!(
        v.to_string(),
        "the client sent an unmasked frame (section 5.1: clients must mask)"
    );
    // And each accepts what the other refuses.
    let got = |role, bytes: &[u8]| match Decoder::with_role(LIMITS, None, role).decode(bytes).1 {
        Ok(Some(Incoming { message, .. })) => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(got(Role::Client, &plain), text("hi"));
    assert_eq!(got(Role::Server, &masked), text("hi"));
}

#[test]
fn a_servers_frames_are_unmasked_on_the_wire_and_a_clients_masked() {
    for (role, masked) in [(Role::Server, false), (Role::Client, true)] {
        let wire = Pipe::default();
        let end = End {
            rx: Pipe::default(),
            tx: wire.clone(),
            step: 1,
        };
        let mut c = Connection::new(end, Vec::new(), settings(role, None));
        c.write(text("hi")).expect("text");
        // Large enough to leave from its own memory (sendq.rs).
        let big = Bytes::from(vec![0x5a; 100_000]);
        c.write(Message::Binary(big.clone())).expect("binary");
        c.write(Message::Ping(Bytes::from_static(b"p")))
            .expect("ping");
        c.close(None).expect("close");
        let bytes: Vec<u8> = wire.borrow().iter().copied().collect();
        let frames = frames_on_the_wire(&bytes);
        let want = [Opcode::Text, Opcode::Binary, Opcode::Ping, Opcode::Close];
        assert_eq!(frames, want.map(|op| (op, masked)), "{role:?}");
        if !masked {
            // The payload is sent as it is: after "hi" (2 + 2 bytes) and
            // the binary frame's 10-byte header.
            assert!(bytes[14..14 + 100_000] == big[..]);
        }
    }
}

#[test]
fn client_and_server_talk_through_the_engine() {
    let deflates = [
        None,
        Some(DeflateParams::default()),
        Some(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: Some(10),
            client_max_window_bits: Some(12),
        }),
        Some(DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: true,
            server_max_window_bits: None,
            client_max_window_bits: Some(9),
        }),
    ];
    for deflate in deflates {
        for step in [1, 7, 1 << 16] {
            let (mut client, mut server) = pair(deflate, step);
            let line = "the same words again and again, ".repeat(20);
            let big = Bytes::from((0..200_000u32).map(|i| (i % 7) as u8).collect::<Vec<_>>());
            // Repeated messages need the context each side keeps (or not).
            for _ in 0..3 {
                client.write(text(&line)).expect("write");
                client.flush().expect("flush");
                assert_eq!(next(&mut server), text(&line));
                assert_eq!(server.take_compression().is_some(), deflate.is_some());
                server.write(text(&line)).expect("write");
                server.flush().expect("flush");
                assert_eq!(next(&mut client), text(&line));
                assert_eq!(client.take_compression().is_some(), deflate.is_some());
            }
            big_message_and_ping(&mut client, &mut server, &big);
            big_message_and_ping(&mut server, &mut client, &big);
            // The client closes; the server answers with the same code.
            let bye = CloseFrame {
                code: 4001.into(),
                reason: Utf8Bytes::from_static("bye"),
            };
            client.close(Some(bye.clone())).expect("close");
            assert_eq!(next(&mut server), Message::Close(Some(bye.clone())));
            assert_eq!(server.state(), State::CloseReceived);
            server.flush().expect("answer");
            assert_eq!(next(&mut client), Message::Close(Some(bye)));
            assert_eq!(client.state(), State::Closed);
            assert!(matches!(client.read(), Err(ReadError::Closed)));
        }
    }
}

/// `from` sends a large message and a ping; `to`'s engine answers the ping.
fn big_message_and_ping(from: &mut Connection<End>, to: &mut Connection<End>, big: &Bytes) {
    from.write(Message::Binary(big.clone())).expect("big");
    from.flush().expect("flush");
    assert_eq!(next(to), Message::Binary(big.clone()));
    from.write(Message::Ping(Bytes::from_static(b"rtt")))
        .expect("ping");
    from.flush().expect("flush");
    assert_eq!(next(to), Message::Ping(Bytes::from_static(b"rtt")));
    to.flush().expect("pong");
    assert_eq!(next(from), Message::Pong(Bytes::from_static(b"rtt")));
}

/// Data messages and pings, as generated.
fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        proptest::collection::vec(prop_oneof![Just('a'), Just('é'), any::<char>()], 0..400)
            .prop_map(|cs| Message::Text(cs.into_iter().collect::<String>().into())),
        proptest::collection::vec(any::<u8>(), 0..1500)
            .prop_map(|b| Message::Binary(Bytes::from(b))),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(|p| Message::Ping(Bytes::from(p))),
    ]
}

/// Decode `bytes` fed in chunks of the given sizes (cycled).
fn decode_chunked(d: &mut Decoder, bytes: &[u8], sizes: &[usize]) -> Vec<Message> {
    let mut got = Vec::new();
    let (mut at, mut k) = (0, 0);
    while at < bytes.len() {
        let n = sizes[k % sizes.len()].max(1);
        k += 1;
        let mut chunk = &bytes[at..(at + n).min(bytes.len())];
        at += chunk.len();
        while !chunk.is_empty() {
            let (used, r) = d.decode(chunk);
            chunk = &chunk[used..];
            match r {
                Ok(Some(i)) => got.push(i.message),
                Ok(None) => {}
                Err(v) => panic!("{v}"),
            }
        }
    }
    got
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn each_role_reads_what_the_other_writes_in_any_chunking(
        messages in proptest::collection::vec(message(), 0..10),
        deflate in super::proptests::params(),
        key in any::<[u8; 4]>(),
        sizes in proptest::collection::vec(1usize..200, 1..6),
    ) {
        let mut from_client = Vec::new();
        let mut from_server = Vec::new();
        let mut client = Encoder::with_role(deflate.as_ref(), Role::Client);
        let mut server = Encoder::with_role(deflate.as_ref(), Role::Server);
        for m in &messages {
            client.encode(m, Some(key), &mut from_client).expect("encode");
            server.encode(m, None, &mut from_server).expect("encode");
        }
        // The masking key turns across chunks and frames alike.
        let mut d = Decoder::with_role(LIMITS, deflate.as_ref(), Role::Server);
        prop_assert_eq!(&decode_chunked(&mut d, &from_client, &sizes), &messages);
        let mut d = Decoder::with_role(LIMITS, deflate.as_ref(), Role::Client);
        prop_assert_eq!(&decode_chunked(&mut d, &from_server, &sizes), &messages);
    }
}
