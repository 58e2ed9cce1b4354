//! Giving memory back to the system once a load is over.
//!
//! A server that has answered a busy hour and is quiet again should not keep that hour's
//! memory. SQLite's readers close after a quiet spell and its writer drops its cache and
//! prepared statements (steward-store), but glibc's allocator keeps what was freed
//! scattered through its per-thread arenas, still resident: an idle SQLite server held
//! 60 MiB of which 34 MiB were in use (docs/benchmarks.md, "Growth"). `malloc_trim` hands
//! those free pages back. It runs once per quiet spell, after the readers had time to close.
//!
//! This module holds Steward's one `unsafe` block, allowed in this crate alone
//! (crates/steward/Cargo.toml): a call into the C library with no pointer and no state
//! of ours. Another allocator was measured instead (mimalloc: 85 MiB idle after the same
//! load, and slower).

use std::time::Duration;

/// How often the upkeep looks at the request count.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Quiet time after which freed memory is returned: long enough for SQLite's idle readers
/// to have been closed (their timeout, plus the pool's check that runs at the same period).
pub fn quiet_before_returning() -> Duration {
    steward_store::sqlite::RELEASE_AFTER_IDLE * 2 + LOOK_EVERY
}

/// Watches `answered` (requests answered so far) and returns freed memory to the system
/// once it has not moved for [`quiet_before_returning`]; runs until the task is dropped.
pub async fn return_freed_memory_when_quiet(answered: impl Fn() -> u64) {
    let mut ticks = tokio::time::interval(LOOK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = answered();
    let mut quiet_since = tokio::time::Instant::now();
    // Start-up allocates and frees as much as a load does.
    let mut returned = false;
    loop {
        ticks.tick().await;
        let now = answered();
        if now != seen {
            (seen, quiet_since, returned) = (now, tokio::time::Instant::now(), false);
        } else if !returned && quiet_since.elapsed() >= quiet_before_returning() {
            returned = true;
            let _ = tokio::task::spawn_blocking(return_free_pages).await;
        }
    }
}

/// Hands the allocator's free pages back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_free_pages() {
    unsafe extern "C" {
        /// glibc: releases free memory from the top of the heap and, since 2.8, the free
        /// pages inside every arena; returns 1 when some memory was released.
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim takes a plain integer, touches only the allocator's own free
    // lists under its own locks, and may be called from any thread at any time.
    let released = unsafe { malloc_trim(0) };
    tracing::debug!(released = released == 1, "returned free memory to the system");
}

/// Other C libraries give free pages back without being asked, or have no such call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_free_pages() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_spell_outlasts_the_readers_idle_timeout() {
        assert!(quiet_before_returning() > steward_store::sqlite::RELEASE_AFTER_IDLE * 2);
        // Callable at any moment, from any thread, any number of times.
        return_free_pages();
        return_free_pages();
    }
}
