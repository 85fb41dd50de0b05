//! Where outgoing messages come from. `pipe.rs` cuts standard input into
//! messages on its own thread; the session receives them over a bounded
//! channel, so a slow server holds stdin back instead of filling memory.

pub mod pipe;

use crate::error::Error;
use tungstenite::Message;

/// What an input thread hands the session.
#[derive(Debug)]
pub enum Input {
    /// Messages, in order, to send.
    Batch(Vec<Message>),
    /// Input ended normally.
    End,
    /// Input cannot continue (unreadable stdin, text that is not UTF-8).
    Failed(Error),
}
