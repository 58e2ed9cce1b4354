//! A token-bucket limiter kept in memory, keyed by a string (an IP address). It slows
//! password guessing from one address; the per-account lockout in the database catches
//! guessing spread over many addresses.

use std::collections::HashMap;
use std::sync::Mutex;

/// Allows `burst` attempts at once, refilled at `burst` per `window_seconds`.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, i64)>>,
}

const MAX_TRACKED_KEYS: usize = 100_000;

impl RateLimiter {
    pub fn new(burst: u32, window_seconds: u32) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(burst) / f64::from(window_seconds.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now` (microseconds). `Err(seconds)` says how long
    /// until the next attempt is allowed.
    pub fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_TRACKED_KEYS {
            let burst = self.burst;
            let per_second = self.per_second;
            buckets.retain(|_, (tokens, at)| *tokens + (now - *at) as f64 / 1e6 * per_second < burst);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let refilled = (*tokens + (now - *at).max(0) as f64 / 1e6 * self.per_second).min(self.burst);
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            *tokens = refilled;
            *at = now;
            Err(((1.0 - refilled) / self.per_second).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refills() {
        let limiter = RateLimiter::new(3, 60);
        for _ in 0..3 {
            assert!(limiter.check("ip", 0).is_ok());
        }
        assert_eq!(limiter.check("ip", 0), Err(20));
        assert!(limiter.check("other", 0).is_ok());
        assert!(limiter.check("ip", 21_000_000).is_ok());
    }
}
