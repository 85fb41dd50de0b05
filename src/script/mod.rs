//! What scripts ask of a run, as data: the messages to wait for
//! ([`expect`]) and the line to write at the end ([`writeout`]). Parsed
//! from the command line by `config`, acted on by `session` (expectations)
//! and `output` (the write-out). Pure: no I/O, nothing above `format`.

pub mod expect;
pub mod retry;
pub mod writeout;
