//! The wasmtime engine every plugin shares: configuration, the linker with the
//! host imports, the compile cache and the epoch ticker behind CPU deadlines.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use wasmtime::component::{InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::call::CallState;
use super::compile_cache::{CacheOutcome, CompileCache, ComponentBytes};
use super::limits::EPOCH_TICK;

/// How many plugin calls may run at once with the pooling allocator.
const POOL_SLOTS: u32 = 512;

/// One engine, one linker, one compile cache for every plugin.
pub struct PluginRuntime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: CompileCache,
    _ticker: EpochTicker,
}

impl PluginRuntime {
    /// Builds the engine (pooling allocator when the address space allows it)
    /// and links WASI and the Portcullis host imports.
    pub fn new(cache: CompileCache) -> Result<Self> {
        let engine = if reserving_address_space_is_slow() {
            // Under an emulator such as qemu-user, reserving address space
            // costs time in proportion to its size (seconds per TiB), so
            // neither the pool's terabytes nor 4 GiB per linear memory can be
            // afforded: memories reserve only what they use and are
            // bounds-checked.
            tracing::warn!(
                "reserving address space is slow here (an emulator?); using on-demand allocation and bounds-checked memories"
            );
            let mut config = base_config();
            config.memory_reservation(0).memory_guard_size(0).memory_reservation_for_growth(1 << 20);
            Engine::new(&config)?
        } else {
            pooled_engine().or_else(|e| {
                tracing::warn!("pooling allocator unavailable ({e:#}); using on-demand allocation");
                Ok::<_, anyhow::Error>(Engine::new(&base_config())?)
            })?
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
        super::host_api::link(&mut linker).map_err(anyhow::Error::from).context("linking host imports")?;
        let _ticker = EpochTicker::start(engine.clone());
        Ok(Self { engine, linker, cache, _ticker })
    }

    /// The shared engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles (or loads from the cache) and pre-instantiates a component.
    /// Fails if the bytes are not a component or import something the host
    /// does not provide.
    pub fn prepare(&self, wasm: &ComponentBytes) -> Result<(InstancePre<CallState>, CacheOutcome)> {
        let (component, outcome) = self.cache.load(&self.engine, wasm)?;
        let pre = self.linker.instantiate_pre(&component)?;
        Ok((pre, outcome))
    }
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true);
    config
}

fn pooled_engine() -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_SLOTS)
        .total_core_instances(POOL_SLOTS * 2)
        .total_memories(POOL_SLOTS * 2)
        .total_tables(POOL_SLOTS * 2)
        .total_stacks(POOL_SLOTS)
        .max_memory_size(1 << 32)
        // Reset the first pages of a slot with memset instead of returning them
        // to the kernel: a fresh instance per call then takes no page faults there.
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(64 << 10)
        // Where Linux can say which of those pages a call touched (6.7+), reset
        // only those: a trivial call dirties a few pages of its memory's 2 MiB.
        .pagemap_scan(wasmtime::Enabled::Auto)
        .async_stack_keep_resident(128 << 10);
    let mut config = base_config();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Ok(Engine::new(&config)?)
}

/// Whether reserving (not committing) address space takes time in proportion
/// to its size, as under qemu-user: a kernel reserves 1 GiB in microseconds,
/// an emulator in milliseconds.
fn reserving_address_space_is_slow() -> bool {
    const PROBE: usize = 1 << 30;
    let started = std::time::Instant::now();
    // SAFETY: an anonymous PROT_NONE mapping at an address the kernel
    // chooses touches no existing memory; it is unmapped at once.
    let reserved = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PROBE,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    let took = started.elapsed();
    if reserved == libc::MAP_FAILED {
        return false;
    }
    // SAFETY: `reserved` is the mapping of `PROBE` bytes made above.
    unsafe { libc::munmap(reserved, PROBE) };
    took > std::time::Duration::from_millis(2)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("portcullis-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
