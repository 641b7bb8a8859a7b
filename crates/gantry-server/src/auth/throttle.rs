//! Slowing down password guessing.
//!
//! Failed sign-ins are counted per user name and per client address. After
//! a few failures further attempts are refused for a while, the wait
//! doubling with each failure. A user name's wait is capped at
//! [`USER_MAX_WAIT`], so an attacker cannot lock a real user out for long;
//! an address's wait grows to [`ADDRESS_MAX_WAIT`]. A success clears both.
//! Counts are kept per node (a restart or another node starts afresh).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed for a user name before waits begin.
pub const USER_FREE_FAILURES: u32 = 5;
/// Failures allowed from an address before waits begin.
pub const ADDRESS_FREE_FAILURES: u32 = 10;
/// The longest a user name is held back.
pub const USER_MAX_WAIT: Duration = Duration::from_secs(30);
/// The longest an address is held back.
pub const ADDRESS_MAX_WAIT: Duration = Duration::from_mins(15);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_mins(30);
/// Entries kept before old ones are pruned.
const CAPACITY: usize = 50_000;

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Option<Instant>,
}

/// Failed sign-in counts by user name and address.
#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

fn user_key(user: &str) -> String {
    format!("user:{}", user.to_ascii_lowercase())
}

fn address_key(address: IpAddr) -> String {
    format!("addr:{address}")
}

fn wait(failures: u32, free: u32, max: Duration) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    let secs = 1u64.checked_shl(over).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(max))
}

impl LoginThrottle {
    /// How long the caller must wait before trying again, if at all.
    pub fn retry_after(&self, user: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut keys = vec![user_key(user)];
        keys.extend(address.map(address_key));
        keys.iter()
            .filter_map(|k| entries.get(k))
            .filter_map(|e| e.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, user: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| now.duration_since(e.last_failure) < FORGET_AFTER);
        }
        let mut count = |key: String, free: u32, max: Duration| {
            let entry = entries.entry(key).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: None,
            });
            if now.duration_since(entry.last_failure) > FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            entry.blocked_until = wait(entry.failures, free, max).map(|w| now + w);
        };
        count(user_key(user), USER_FREE_FAILURES, USER_MAX_WAIT);
        if let Some(address) = address {
            count(address_key(address), ADDRESS_FREE_FAILURES, ADDRESS_MAX_WAIT);
        }
    }

    /// Clears the counts after a successful sign-in.
    pub fn succeeded(&self, user: &str, address: Option<IpAddr>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.remove(&user_key(user));
        if let Some(address) = address {
            entries.remove(&address_key(address));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double() {
        assert_eq!(wait(5, 5, USER_MAX_WAIT), Some(Duration::from_secs(1)));
        assert_eq!(wait(7, 5, USER_MAX_WAIT), Some(Duration::from_secs(4)));
        assert_eq!(wait(4, 5, USER_MAX_WAIT), None);
        assert_eq!(wait(60, 5, USER_MAX_WAIT), Some(USER_MAX_WAIT));
        assert_eq!(wait(200, 10, ADDRESS_MAX_WAIT), Some(ADDRESS_MAX_WAIT));
    }

    #[test]
    fn a_user_is_held_back_briefly_and_a_success_clears_it() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [127, 0, 0, 9].into();
        for _ in 0..USER_FREE_FAILURES - 1 {
            throttle.failed("Alice", Some(address));
        }
        assert_eq!(throttle.retry_after("alice", Some(address)), None);
        throttle.failed("alice", Some(address));
        let held = throttle.retry_after("ALICE", None).expect("held back");
        assert!(held <= Duration::from_secs(1));
        // Another user from elsewhere is not affected.
        assert_eq!(throttle.retry_after("bob", Some([127, 0, 0, 10].into())), None);
        throttle.succeeded("alice", Some(address));
        assert_eq!(throttle.retry_after("alice", Some(address)), None);
    }

    #[test]
    fn an_address_guessing_many_names_is_held_back() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [127, 0, 0, 7].into();
        for i in 0..ADDRESS_FREE_FAILURES {
            throttle.failed(&format!("user{i}"), Some(address));
        }
        assert!(throttle.retry_after("someone-new", Some(address)).is_some());
        assert_eq!(
            throttle.retry_after("someone-new", Some([127, 0, 0, 8].into())),
            None
        );
    }
}
