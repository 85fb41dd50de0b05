//! The `cli` integration test binary: the real `wsprobe` against peers
//! started inside the test process (see `support`).

// tungstenite's handshake callback returns `Result<Response, ErrorResponse>`,
// whose error is a whole `http::Response`: every such closure trips this lint.
#![allow(clippy::result_large_err)]

mod support;

mod generated;
mod peers;
mod pipe;
mod repl;
mod request;
mod selftest;
