//! A scripted peer for this module's tests: each read returns (at most)
//! the next chunk given, then end of stream. Test code only.

use super::ReadTimeout;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::time::Duration;

/// Bytes arriving in the reads given.
pub struct Script {
    chunks: VecDeque<Vec<u8>>,
}

impl Script {
    /// A peer that sends `chunks`, one per read, then closes.
    pub fn new(chunks: &[&[u8]]) -> Self {
        Script {
            chunks: chunks.iter().map(|c| c.to_vec()).collect(),
        }
    }
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut chunk) = self.chunks.pop_front() else {
            return Ok(0);
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.chunks.push_front(chunk.split_off(n));
        }
        Ok(n)
    }
}

impl ReadTimeout for Script {
    fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}
