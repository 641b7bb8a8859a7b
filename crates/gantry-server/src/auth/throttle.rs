//! Slowing down password guessing.
//!
//! Sign-in attempts are counted per user name and per client address. An
//! attempt is counted as a failure *before* its password is checked, and
//! only a success takes it back: so a burst of parallel guesses is counted
//! in full before any of them is judged, and the wait applies to all but
//! the first few. Checks in flight at once are also bounded per user name
//! and per address. After a few failures further attempts are refused for a
//! while, the wait doubling with each failure. A user name's wait is capped
//! at [`USER_MAX_WAIT`], so an attacker cannot lock a real user out for
//! long; an address's wait grows to [`ADDRESS_MAX_WAIT`]. Counts are kept
//! per node (a restart or another node starts afresh).

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
/// Password checks of one user name at once (a browser and a script).
pub const USER_MAX_IN_FLIGHT: u32 = 2;
/// Password checks from one address at once.
pub const ADDRESS_MAX_IN_FLIGHT: u32 = 8;
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_mins(30);
/// Entries kept before old ones are pruned.
const CAPACITY: usize = 50_000;

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    in_flight: u32,
    last_failure: Instant,
    blocked_until: Option<Instant>,
}

/// Sign-in attempt counts by user name and address.
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

/// The limits of one counted key.
struct Limits {
    free: u32,
    max_wait: Duration,
    max_in_flight: u32,
}

const USER_LIMITS: Limits = Limits {
    free: USER_FREE_FAILURES,
    max_wait: USER_MAX_WAIT,
    max_in_flight: USER_MAX_IN_FLIGHT,
};

const ADDRESS_LIMITS: Limits = Limits {
    free: ADDRESS_FREE_FAILURES,
    max_wait: ADDRESS_MAX_WAIT,
    max_in_flight: ADDRESS_MAX_IN_FLIGHT,
};

/// Why an attempt was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many checks of this user name or address are in flight: try
    /// again as soon as one ends.
    Busy,
    /// Held back by earlier failures for this long.
    HeldBack(Duration),
}

/// An admitted sign-in attempt: counted as failed until [`Attempt::succeeded`];
/// its place among the checks in flight is given back when it is dropped.
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: Vec<(String, &'static Limits)>,
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits one sign-in attempt for `user` from `address`, or refuses it:
    /// while either is held back by earlier failures, or already has as
    /// many checks in flight as allowed. An admitted attempt is counted as
    /// a failure at once.
    pub fn admit(&self, user: &str, address: Option<IpAddr>) -> Result<Attempt<'_>, Refusal> {
        let now = Instant::now();
        let mut keys: Vec<(String, &'static Limits)> = vec![(user_key(user), &USER_LIMITS)];
        keys.extend(address.map(|a| (address_key(a), &ADDRESS_LIMITS)));
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.in_flight > 0 || now.duration_since(e.last_failure) < FORGET_AFTER);
        }
        // Decide on every key before counting on any.
        let mut held_back = None;
        let mut busy = false;
        for (key, limits) in &keys {
            let Some(entry) = entries.get(key) else { continue };
            let blocked = entry
                .blocked_until
                .filter(|until| *until > now)
                .map(|until| until - now);
            held_back = held_back.max(blocked);
            busy |= entry.in_flight >= limits.max_in_flight;
        }
        if let Some(wait) = held_back {
            return Err(Refusal::HeldBack(wait));
        }
        if busy {
            return Err(Refusal::Busy);
        }
        for (key, limits) in &keys {
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                in_flight: 0,
                last_failure: now,
                blocked_until: None,
            });
            if now.duration_since(entry.last_failure) > FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.in_flight = entry.in_flight.saturating_add(1);
            entry.last_failure = now;
            entry.blocked_until = wait(entry.failures, limits.free, limits.max_wait).map(|w| now + w);
        }
        drop(entries);
        Ok(Attempt { throttle: self, keys })
    }
}

impl Attempt<'_> {
    /// The password was right: the user name's failures are cleared, and
    /// this attempt no longer counts against the address.
    pub fn succeeded(self) {
        let now = Instant::now();
        let mut entries = self.throttle.lock();
        for (index, (key, limits)) in self.keys.iter().enumerate() {
            if let Some(entry) = entries.get_mut(key) {
                entry.failures = if index == 0 {
                    0
                } else {
                    entry.failures.saturating_sub(1)
                };
                entry.blocked_until = wait(entry.failures, limits.free, limits.max_wait).map(|w| now + w);
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut entries = self.throttle.lock();
        for (key, _) in &self.keys {
            if let Some(entry) = entries.get_mut(key) {
                entry.in_flight = entry.in_flight.saturating_sub(1);
            }
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

    fn fail(throttle: &LoginThrottle, user: &str, address: Option<IpAddr>) {
        drop(throttle.admit(user, address).expect("admitted"));
    }

    #[test]
    fn a_user_is_held_back_briefly_and_a_success_clears_it() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [127, 0, 0, 9].into();
        for _ in 0..USER_FREE_FAILURES - 1 {
            fail(&throttle, "Alice", Some(address));
        }
        let last = throttle
            .admit("alice", Some(address))
            .expect("the fifth is still admitted");
        // Counted before it is judged: the next is held back already.
        let Err(Refusal::HeldBack(held)) = throttle.admit("ALICE", None) else {
            panic!("held back")
        };
        assert!(held <= Duration::from_secs(1));
        // Another user from elsewhere is not affected.
        assert!(throttle.admit("bob", Some([127, 0, 0, 10].into())).is_ok());
        last.succeeded();
        assert!(throttle.admit("alice", Some(address)).is_ok());
    }

    #[test]
    fn parallel_guesses_are_counted_before_any_is_judged() {
        let throttle = LoginThrottle::default();
        let mut admitted = Vec::new();
        let mut refused = 0;
        for i in 0..120u8 {
            match throttle.admit("alice", Some([127, 0, 1, i].into())) {
                Ok(attempt) => admitted.push(attempt),
                Err(refusal) => {
                    assert_eq!(refusal, Refusal::Busy);
                    refused += 1;
                }
            }
        }
        assert_eq!(admitted.len(), USER_MAX_IN_FLIGHT as usize, "in flight at once");
        assert_eq!(refused, 120 - USER_MAX_IN_FLIGHT as usize);
        admitted.clear();
        let mut judged = USER_MAX_IN_FLIGHT;
        while throttle.admit("alice", None).map(drop).is_ok() {
            judged += 1;
        }
        assert_eq!(
            judged, USER_FREE_FAILURES,
            "no more than the free failures are ever checked"
        );
    }

    #[test]
    fn an_address_guessing_many_names_is_held_back() {
        let throttle = LoginThrottle::default();
        let address: IpAddr = [127, 0, 0, 7].into();
        for i in 0..ADDRESS_FREE_FAILURES {
            fail(&throttle, &format!("user{i}"), Some(address));
        }
        assert!(throttle.admit("someone-new", Some(address)).is_err());
        assert!(throttle.admit("someone-new", Some([127, 0, 0, 8].into())).is_ok());
    }
}
