//! Per-plugin resource limits and the store limiter that enforces memory caps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long one tick of the engine's epoch lasts; CPU deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every call into one plugin. Each call gets a fresh store,
/// so a limit bounds one call, never the plugin's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most linear memory one call may grow to, in bytes.
    pub memory_bytes: usize,
    /// How long a call may compute (guest code only) before it is interrupted.
    pub cpu_time: Duration,
    /// How long a call may take in all, including time spent waiting on the host
    /// (Docker, the client). Exceeding it cancels the call.
    pub wall_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(5),
            wall_time: Duration::from_secs(300),
        }
    }
}

impl Limits {
    /// The CPU deadline in epoch ticks (at least one).
    pub fn epoch_ticks(&self) -> u64 {
        (self.cpu_time.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
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
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.refused.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
