//! Listen mode's side of TLS (wss://): accept one client's handshake over
//! TCP before a deadline, as a [`TlsStream`] the rest of the program uses
//! like any other. What went wrong is returned in rustls's or the
//! transport's words for the caller's refusal line; nothing is emitted.

use super::Watch;
use super::stream::TlsStream;
use crate::net::{Stream, remaining};
use rustls::{ServerConfig, ServerConnection};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

/// Run the server side of the TLS handshake on `tcp` before `deadline`.
pub fn accept(
    tcp: TcpStream,
    config: &Arc<ServerConfig>,
    deadline: Instant,
) -> Result<TlsStream, String> {
    let mut conn = ServerConnection::new(config.clone()).map_err(|e| e.to_string())?;
    let mut sock = Stream::Tcp(tcp);
    while conn.is_handshaking() {
        let Some(left) = remaining(deadline) else {
            return Err("no complete TLS handshake before --handshake-timeout".into());
        };
        sock.set_timeouts(Some(left)).ok();
        match conn.complete_io(&mut sock) {
            Ok((0, 0)) if conn.is_handshaking() => {
                return Err("the client closed the connection during the TLS handshake".into());
            }
            Ok(_) => {}
            Err(e) if crate::deadline::is_timeout(&e) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(TlsStream::new(conn, sock, Watch::default(), String::new()))
}
