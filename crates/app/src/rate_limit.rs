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

/// The network an address belongs to, for limits that a client with many addresses
/// should share: its /24 (IPv4) or /64 (IPv6, one customer's usual allocation).
pub fn network_of(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => address.to_string(),
    }
}

/// Sign-ups from the public page: each makes a business and mails whatever address was
/// typed, so they are limited per address, per network and per email address (ACC-4).
#[derive(Debug)]
pub struct SignupLimits {
    per_address: RateLimiter,
    per_network: RateLimiter,
    per_email: RateLimiter,
}

impl Default for SignupLimits {
    fn default() -> Self {
        SignupLimits {
            per_address: RateLimiter::new(5, 3600),
            per_network: RateLimiter::new(20, 3600),
            per_email: RateLimiter::new(3, 24 * 3600),
        }
    }
}

impl SignupLimits {
    /// Takes one sign-up for `address` and `email` at `now`; `Err(seconds)` to wait.
    pub fn check(&self, address: &str, email: &str, now: i64) -> Result<(), u64> {
        self.per_address.check(address, now)?;
        self.per_network.check(&network_of(address), now)?;
        self.per_email.check(email, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ups_are_limited_per_address_network_and_email() {
        let limits = SignupLimits::default();
        for n in 0..5 {
            assert!(limits.check("198.51.100.7", &format!("a{n}@x.example"), 0).is_ok());
        }
        assert!(limits.check("198.51.100.7", "new@x.example", 0).is_err(), "a sixth from one address");
        for n in 0..15 {
            assert!(limits.check(&format!("198.51.100.{}", 10 + n / 5), &format!("b{n}@x.example"), 0).is_ok());
        }
        assert!(limits.check("198.51.100.99", "c@x.example", 0).is_err(), "the network's twenty are used");
        for n in 0..3 {
            assert!(limits.check(&format!("203.0.{n}.1"), "same@x.example", 0).is_ok());
        }
        assert!(limits.check("192.0.2.1", "same@x.example", 0).is_err(), "a fourth mail to one address");
        assert_eq!(network_of("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    }

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
