//! Property tests of the engine: what the encoder writes (compressed or
//! not, fragmented or not, with control frames in between) the decoder
//! reads back unchanged, however the bytes are cut into chunks; arbitrary
//! bytes never panic it nor make it hold more than its limits allow.

use super::decode::{Decoder, Incoming, Limits};
use super::deflate::{DeflateParams, Deflater};
use super::encode::Encoder;
use super::frame::{Opcode, Role, Violation, apply_mask};
use proptest::prelude::*;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Bytes, Message, Utf8Bytes};

const LIMITS: Limits = Limits {
    max_message: 1 << 20,
    max_frame: 1 << 20,
};

/// A data message or a ping, as generated.
#[derive(Debug, Clone)]
enum Item {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

impl Item {
    fn message(&self) -> Message {
        match self {
            Item::Text(t) => Message::Text(t.as_str().into()),
            Item::Binary(b) => Message::Binary(Bytes::from(b.clone())),
            Item::Ping(p) => Message::Ping(Bytes::from(p.clone())),
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        // Repetitive text compresses; any char exercises UTF-8 across cuts.
        proptest::collection::vec(
            prop_oneof![Just('a'), Just('é'), Just('€'), Just('😀'), any::<char>()],
            0..600
        )
        .prop_map(|cs| Item::Text(cs.into_iter().collect())),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(Item::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Item::Ping),
    ]
}

/// Any agreed permessage-deflate parameters, or none (shared with
/// `role_tests`).
pub(super) fn params() -> impl Strategy<Value = Option<DeflateParams>> {
    prop_oneof![
        Just(None),
        (any::<bool>(), any::<bool>(), 9u8..=15, 9u8..=15).prop_map(|(s, c, sw, cw)| {
            Some(DeflateParams {
                server_no_context_takeover: s,
                client_no_context_takeover: c,
                server_max_window_bits: Some(sw),
                client_max_window_bits: Some(cw),
            })
        }),
    ]
}

/// Unmasked frames for `items`, as a server sends them: each data message
/// compressed when `deflate` is on (server side: the server's window and
/// context rules) and cut into `cuts[i]` fragments, with a pong between
/// the first two fragments.
fn server_bytes(items: &[Item], deflate: Option<&DeflateParams>, cuts: &[usize]) -> Vec<u8> {
    let mut deflater = deflate.map(|p| {
        Deflater::new(
            p.server_max_window_bits.unwrap_or(15),
            p.server_no_context_takeover,
        )
    });
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let (opcode, payload) = match it {
            Item::Ping(p) => {
                frame(&mut out, 0x80 | 0x9, p);
                continue;
            }
            Item::Text(t) => (0x1u8, t.as_bytes().to_vec()),
            Item::Binary(b) => (0x2u8, b.clone()),
        };
        let (rsv1, payload) = match &mut deflater {
            Some(d) => {
                let mut z = Vec::new();
                d.compress(&payload, &mut z).expect("compress");
                (0x40, z)
            }
            None => (0, payload),
        };
        let n = cuts
            .get(i)
            .copied()
            .unwrap_or(1)
            .clamp(1, payload.len().max(1));
        let size = payload.len().div_ceil(n).max(1);
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![&[]]
        } else {
            payload.chunks(size).collect()
        };
        for (k, piece) in pieces.iter().enumerate() {
            let fin = if k + 1 == pieces.len() { 0x80 } else { 0 };
            let first = if k == 0 { opcode | rsv1 } else { 0 };
            frame(&mut out, fin | first, piece);
            if k == 0 && pieces.len() > 1 {
                // A control frame may come between fragments (section 5.4).
                frame(&mut out, 0x80 | 0xa, b"between");
            }
        }
    }
    out
}

/// Append one unmasked frame with a minimal length.
fn frame(out: &mut Vec<u8>, first: u8, payload: &[u8]) {
    out.push(first);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// Feed `bytes` to `d` in chunks of the given sizes (cycled), until the
/// end or the first violation.
fn feed(d: &mut Decoder, bytes: &[u8], sizes: &[usize]) -> (Vec<Incoming>, Option<Violation>) {
    let mut got = Vec::new();
    let mut at = 0;
    let mut k = 0;
    while at < bytes.len() {
        let n = sizes[k % sizes.len()].max(1);
        k += 1;
        let mut chunk = &bytes[at..(at + n).min(bytes.len())];
        at += chunk.len();
        while !chunk.is_empty() {
            let (used, r) = d.decode(chunk);
            chunk = &chunk[used..];
            match r {
                Ok(Some(m)) => got.push(m),
                Ok(None) => {}
                Err(v) => return (got, Some(v)),
            }
        }
    }
    (got, None)
}

/// A frame near the decoder's short way: a first byte of a whole data
/// message or a neighbour of it (RSV1, no FIN, a continuation, a control
/// or reserved opcode), masked or not, a length at or around 125, a text
/// payload that may not be UTF-8, sometimes cut short.
fn near_whole_frame() -> impl Strategy<Value = Vec<u8>> {
    let first = prop_oneof![
        4 => Just(0x81u8),
        4 => Just(0x82u8),
        1 => prop::sample::select(vec![0x01u8, 0x02, 0x80, 0x89, 0x8a, 0x88, 0xc1, 0xc2, 0x91, 0x83]),
    ];
    let payload = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4),
        proptest::collection::vec(any::<u8>(), 0..130),
        "[a-zé€]{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(Just(b'x'), 124..=127),
    ];
    let cut = prop_oneof![3 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)];
    (first, payload, any::<bool>(), any::<[u8; 4]>(), cut).prop_map(
        |(first, payload, mask, key, cut)| {
            let mut f = Vec::new();
            frame(&mut f, first, &payload);
            if mask {
                let at = if payload.len() < 126 { 2 } else { 4 };
                f[1] |= 0x80;
                let mut body = f.split_off(at);
                apply_mask(&mut body, key);
                f.extend_from_slice(&key);
                f.extend(body);
            }
            if let Some(at) = cut {
                // A frame the input ends inside.
                f.truncate(at.index(f.len()));
            }
            f
        },
    )
}

/// Decode `bytes` fed in chunks of the given sizes (cycled).
fn decode_chunked(
    bytes: &[u8],
    deflate: Option<&DeflateParams>,
    sizes: &[usize],
) -> Result<Vec<Incoming>, Violation> {
    match feed(&mut Decoder::new(LIMITS, deflate), bytes, sizes) {
        (got, None) => Ok(got),
        (_, Some(v)) => Err(v),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn what_a_server_sends_decodes_in_any_chunking(
        items in proptest::collection::vec(item(), 0..12),
        deflate in params(),
        cuts in proptest::collection::vec(1usize..5, 12),
        sizes in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let bytes = server_bytes(&items, deflate.as_ref(), &cuts);
        let got = decode_chunked(&bytes, deflate.as_ref(), &sizes).expect("valid frames decode");
        let data: Vec<Message> = got.iter().map(|i| i.message.clone())
            .filter(|m| !matches!(m, Message::Pong(_)))
            .collect();
        prop_assert_eq!(data, items.iter().map(Item::message).collect::<Vec<_>>());
        for i in &got {
            let compressed_data = deflate.is_some()
                && matches!(i.message, Message::Text(_) | Message::Binary(_));
            prop_assert_eq!(i.compressed.is_some(), compressed_data);
        }
        // The same bytes in one piece give the same messages.
        let whole = decode_chunked(&bytes, deflate.as_ref(), &[bytes.len().max(1)]).expect("whole");
        prop_assert_eq!(whole, got);
    }

    #[test]
    fn what_we_send_is_what_a_server_reads(
        items in proptest::collection::vec(item(), 0..12),
        deflate in params(),
        key in any::<[u8; 4]>(),
    ) {
        // Our frames, unmasked again, are frames a server would accept:
        // decode them with the roles' parameters swapped.
        let mut enc = Encoder::new(deflate.as_ref());
        let swapped = deflate.map(|p| DeflateParams {
            server_no_context_takeover: p.client_no_context_takeover,
            client_no_context_takeover: p.server_no_context_takeover,
            server_max_window_bits: p.client_max_window_bits,
            client_max_window_bits: p.server_max_window_bits,
        });
        let mut bytes = Vec::new();
        for it in &items {
            let mut one = Vec::new();
            enc.encode(&it.message(), Some(key), &mut one).expect("encode");
            bytes.extend(unmask_frame(&one));
        }
        let got = decode_chunked(&bytes, swapped.as_ref(), &[7, 1, 64]).expect("decodes");
        let data: Vec<Message> = got.into_iter().map(|i| i.message).collect();
        prop_assert_eq!(data, items.iter().map(Item::message).collect::<Vec<_>>());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_within_limits(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        deflate in params(),
        sizes in proptest::collection::vec(1usize..50, 1..5),
    ) {
        let small = Limits { max_message: 1000, max_frame: 500 };
        let mut d = Decoder::new(small, deflate.as_ref());
        let (got, failed) = feed(&mut d, &bytes, &sizes);
        for i in &got {
            let len = match &i.message {
                Message::Text(t) => t.len(),
                Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
                _ => 0,
            };
            prop_assert!(len <= 1000);
        }
        if let Some(v) = failed {
            prop_assert!(matches!(v.close_code(), 1002 | 1007 | 1009));
            // Failed for good.
            prop_assert_eq!(d.decode(b"\x81\x00").1, Err(v));
        }
    }

    #[test]
    fn masking_twice_is_the_identity_and_matches_the_definition(
        data in proptest::collection::vec(any::<u8>(), 0..100),
        key in any::<[u8; 4]>(),
    ) {
        let mut m = data.clone();
        apply_mask(&mut m, key);
        let naive: Vec<u8> = data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
        prop_assert_eq!(&m, &naive);
        apply_mask(&mut m, key);
        prop_assert_eq!(m, data);
    }
}

proptest! {
    // Cheap cases, and the rare ones (a key cut off at the end) need many.
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn whole_frames_decode_as_byte_by_byte(
        frames in proptest::collection::vec(near_whole_frame(), 0..10),
        server in any::<bool>(),
        deflate in params(),
        max_message in 0usize..130,
        max_frame in 0usize..130,
    ) {
        // In one piece, a frame whole in the input takes the decoder's
        // short way (`whole_frame`); a byte at a time it never can. Both
        // ways give the same messages and the same violation, for frames
        // that are nearly the short way's.
        // Not compressed frames when deflate is agreed: corrupt ones fail
        // in the inflater or the UTF-8 check first depending on how the
        // bytes are cut, and neither way is the short way's.
        let bytes: Vec<u8> = frames
            .iter()
            .filter(|f| deflate.is_none() || f.first().is_none_or(|b| b & 0x40 == 0))
            .flatten()
            .copied()
            .collect();
        let role = if server { Role::Server } else { Role::Client };
        let limits = Limits { max_message, max_frame };
        let run = |sizes: &[usize]| {
            let mut d = Decoder::with_role(limits, deflate.as_ref(), role);
            feed(&mut d, &bytes, sizes)
        };
        prop_assert_eq!(run(&[bytes.len().max(1)]), run(&[1]));
    }
}

/// One masked frame made unmasked (the mask bit cleared, the key removed,
/// the payload unmasked).
fn unmask_frame(f: &[u8]) -> Vec<u8> {
    let ext = match f[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let at = 2 + ext;
    assert!(f[1] & 0x80 != 0, "client frames are masked");
    let key = [f[at], f[at + 1], f[at + 2], f[at + 3]];
    let mut out = f[..at].to_vec();
    out[1] &= 0x7f;
    let mut payload = f[at + 4..].to_vec();
    apply_mask(&mut payload, key);
    out.extend(payload);
    out
}

#[test]
fn close_frames_round_trip_and_bad_ones_are_named() {
    let mut enc = Encoder::new(None);
    let mut bytes = Vec::new();
    let close = Message::Close(Some(CloseFrame {
        code: 4001.into(),
        reason: Utf8Bytes::from_static("bye"),
    }));
    enc.encode(&close, None, &mut bytes).expect("encode");
    let got = decode_chunked(&bytes, None, &[1]).expect("decodes");
    assert_eq!(got[0].message, close);

    for (payload, want) in [
        (vec![0x03], Violation::CloseOneByte),
        (1005u16.to_be_bytes().to_vec(), Violation::CloseCode(1005)),
        (vec![0x03, 0xe8, 0xff], Violation::CloseReasonNotUtf8),
    ] {
        let mut b = Vec::new();
        frame(&mut b, 0x88, &payload);
        assert_eq!(decode_chunked(&b, None, &[3]).expect_err("bad"), want);
    }
}

#[test]
fn violations_are_found_from_the_first_bytes_that_show_them() {
    let dp = DeflateParams::default();
    let cases: Vec<(&[u8], Option<&DeflateParams>, Violation, usize)> = vec![
        // (bytes, deflate, violation, bytes consumed when it was found)
        (
            &[0x83],
            None,
            Violation::ReservedOpcode(Opcode::from_bits(3)),
            1,
        ),
        (
            &[0xc1],
            None,
            Violation::ReservedBits {
                rsv: [true, false, false],
            },
            1,
        ),
        (
            &[0xa1],
            Some(&dp),
            Violation::ReservedBits {
                rsv: [false, true, false],
            },
            1,
        ),
        (&[0xc9], Some(&dp), Violation::CompressedControl, 1),
        (
            &[0x01, 0x00, 0xc0],
            Some(&dp),
            Violation::CompressedContinuation,
            3,
        ),
        (&[0x09], None, Violation::FragmentedControl, 1),
        (&[0x80], None, Violation::UnexpectedContinuation, 1),
        (
            &[0x01, 0x00, 0x81],
            None,
            Violation::ExpectedContinuation,
            3,
        ),
        (&[0x81, 0x85], None, Violation::Masked, 2),
        (&[0x89, 0x7e], None, Violation::ControlTooLong(126), 2),
        (
            &[0x82, 0x7e, 0x00, 0x05],
            None,
            Violation::LengthNotMinimal(5),
            4,
        ),
        (
            &[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0],
            None,
            Violation::LengthMsbSet,
            10,
        ),
        (&[0x81, 0x02, b'a', 0xff], None, Violation::TextNotUtf8, 4),
    ];
    for (bytes, deflate, want, at) in cases {
        assert_eq!(bytes.len(), at, "the case ends on the telling byte");
        // Byte by byte: nothing is wrong until the telling byte arrives.
        let mut d = Decoder::new(LIMITS, deflate);
        for (i, b) in bytes.iter().enumerate() {
            let r = d.decode(std::slice::from_ref(b)).1;
            if i + 1 < at {
                assert_eq!(r, Ok(None), "{want:?} too early, on byte {}", i + 1);
            } else {
                assert_eq!(r, Err(want.clone()), "{bytes:02x?}");
            }
        }
    }
}

#[test]
fn a_huge_frame_is_refused_from_its_header_alone() {
    let mut d = Decoder::new(LIMITS, None);
    let mut h = vec![0x82, 0x7f];
    h.extend_from_slice(&(1u64 << 62).to_be_bytes());
    let (_, r) = d.decode(&h);
    match r {
        Err(Violation::TooBig { size, .. }) => assert_eq!(size, 1 << 62),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_utf8_fails_inside_a_frame_before_it_ends() {
    // Autobahn 6.4.3: the bad byte arrives in the middle of a frame whose
    // end has not been sent.
    let mut d = Decoder::new(LIMITS, None);
    let mut f = vec![0x81, 20];
    f.extend_from_slice(b"ok \xce\xba\xe1\xbd\xb9\xcf\x83");
    assert_eq!(d.decode(&f).1, Ok(None));
    assert_eq!(d.decode(b"\xf4\x90").1, Err(Violation::TextNotUtf8));
}

#[test]
fn a_compressed_bomb_is_refused_at_the_limit() {
    let p = DeflateParams::default();
    let mut z = Vec::new();
    Deflater::new(15, false)
        .compress(&vec![b'a'; 50 << 20], &mut z)
        .expect("compress");
    let mut bytes = Vec::new();
    frame(&mut bytes, 0xc1, &z);
    let mut d = Decoder::new(LIMITS, Some(&p));
    match d.decode(&bytes).1 {
        Err(v @ Violation::TooBig { inflated: true, .. }) => {
            assert_eq!(v.close_code(), 1009);
            assert!(v.to_string().contains("inflates past the limit of 1048576"));
        }
        other => panic!("{other:?}"),
    }
}
