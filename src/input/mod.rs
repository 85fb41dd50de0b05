//! Where outgoing messages come from. `pipe.rs` cuts standard input into
//! messages on its own thread; `repl.rs` runs the line editor on its own
//! thread and turns typed lines (`command.rs` parses the slash commands)
//! into messages and [`Command`]s. Either way the session receives them over
//! a bounded channel, so a slow server holds input back instead of filling
//! memory.

pub mod command;
pub mod exec;
pub mod pipe;
pub mod repl;

use crate::error::Error;
use crate::event::ClientId;
use tungstenite::Message;
use tungstenite::protocol::frame::Frame;

/// What an input thread hands the session.
#[derive(Debug)]
pub enum Input {
    /// Messages, in order, to send.
    Batch(Vec<Message>),
    /// One instruction from the REPL, carried out in order with the
    /// messages around it.
    Command(Command),
    /// Input ended normally.
    End,
    /// Input cannot continue (unreadable stdin, text that is not UTF-8).
    Failed(Error),
}

/// What the REPL asks the session to do beyond sending typed text.
#[derive(Debug)]
pub enum Command {
    /// Send a data message and report it as sent (a typed line is not
    /// reported: it is already on the screen).
    Send(Message),
    /// Send a ping and time its pong.
    Ping(Vec<u8>),
    /// Send an unsolicited pong.
    Pong(Vec<u8>),
    /// Start the close handshake with this code and reason (listen mode:
    /// with one client, or every client).
    Close {
        /// Listen mode: the client (None: every client).
        client: Option<ClientId>,
        /// The close code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Send one frame as given (masked by the protocol engine when it is
    /// the client's; nothing else checked).
    Frame(Frame),
    /// Change the trace level.
    Verbose(u8),
    /// Report the session statistics.
    Stats,
    /// Listen mode: list the clients.
    Clients,
    /// Listen mode: send a data message to one client.
    To {
        /// The client.
        client: ClientId,
        /// The message.
        message: Message,
    },
    /// Listen mode: close every client as going away and stop serving.
    Stop,
}
