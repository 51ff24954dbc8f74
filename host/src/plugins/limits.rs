//! How the runtime enforces a plugin's [`Limits`]: CPU time in epoch ticks,
//! and the store limiter that caps memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::caller::Limits;

/// How long one tick of the engine's epoch lasts; CPU deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The CPU deadline of `limits` in epoch ticks (at least one).
pub fn epoch_ticks(limits: &Limits) -> u64 {
    (limits.cpu_time.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// A [`wasmtime::ResourceLimiter`] that caps linear memory and remembers whether
/// it refused a growth, so a resulting trap can be reported as a memory-limit fault.
pub struct MemoryLimiter {
    max_bytes: usize,
    refused: Arc<AtomicBool>,
}

impl MemoryLimiter {
    /// A limiter for `max_bytes`; `refused` is set when a growth is denied.
    pub fn new(max_bytes: usize, refused: Arc<AtomicBool>) -> Self {
        Self { max_bytes, refused }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.refused.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
