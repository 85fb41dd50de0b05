//! The `cli` integration test binary: the real `wsprobe` against peers
//! started inside the test process (see `support`).

// tungstenite's handshake callback returns `Result<Response, ErrorResponse>`,
// whose error is a whole `http::Response`: every such closure trips this lint.
#![allow(clippy::result_large_err)]

mod support;

mod architecture;
mod bounded;
mod browser;
mod check;
mod conformance;
mod diagnostics;
mod exec;
mod failures;
mod generated;
mod intermediaries;
mod listen;
mod listen_repl;
mod peers;
mod pipe;
mod proxy;
mod repl;
mod request;
mod routing;
mod scripting;
mod selftest;
mod selftest_net;
mod tls_options;
