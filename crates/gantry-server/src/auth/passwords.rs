//! User passwords: argon2id hashes, and a cache of recent successful checks.
//!
//! Package clients send basic auth on every request (npm, NuGet, pip), and
//! an argon2id check costs tens of milliseconds by design. A successful
//! check is remembered for a while, keyed by the stored hash and a digest of
//! the password given, so it needs no invalidation: a new password means a
//! new stored hash, which no remembered entry matches.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

/// How long a successful check is remembered.
const REMEMBER: Duration = Duration::from_mins(10);
/// The most checks remembered; the oldest half goes when full.
const CAPACITY: usize = 10_000;

/// The rules a new password must meet.
pub fn validate(password: &str) -> Result<(), String> {
    if password.chars().count() < 8 {
        return Err("a password must be at least 8 characters long".into());
    }
    if password.len() > 1024 {
        return Err("a password must be at most 1024 bytes long".into());
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt (a PHC string).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Checks a password against a stored PHC string; false for a malformed hash.
pub fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`verify`] on a blocking thread: the check is a deliberate CPU cost that
/// must not stall the async workers.
pub async fn verify_off_thread(stored: &str, password: &str) -> bool {
    let (stored, password) = (stored.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || verify(&stored, &password))
        .await
        .unwrap_or(false)
}

/// Successful password checks, remembered for a while.
#[derive(Default)]
pub struct VerifiedPasswords {
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl VerifiedPasswords {
    fn key(stored: &str, password: &str) -> [u8; 32] {
        let mut digest = Sha256::new();
        digest.update(stored.as_bytes());
        digest.update([0]);
        digest.update(password.as_bytes());
        digest.finalize().into()
    }

    /// Checks `password` against `stored`, from memory when it passed recently.
    pub async fn verify(&self, stored: &str, password: &str) -> bool {
        let key = Self::key(stored, password);
        if self.remembered(&key) {
            return true;
        }
        let ok = verify_off_thread(stored, password).await;
        if ok {
            self.remember(key);
        }
        ok
    }

    /// Whether `password` passed against `stored` recently: then it is
    /// known right, and needs neither argon2 nor the guessing throttle.
    pub fn recently_verified(&self, stored: &str, password: &str) -> bool {
        self.remembered(&Self::key(stored, password))
    }

    fn remembered(&self, key: &[u8; 32]) -> bool {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).is_some_and(|at| at.elapsed() < REMEMBER)
    }

    fn remember(&self, key: [u8; 32]) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, at| at.elapsed() < REMEMBER / 2);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse").expect("hash");
        let b = hash("correct horse").expect("hash");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify(&a, "correct horse"));
        assert!(!verify(&a, "wrong horse"));
        assert!(!verify("not a hash", "correct horse"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(validate("short").is_err());
        assert!(validate("long enough").is_ok());
    }

    #[tokio::test]
    async fn remembered_checks_follow_the_stored_hash() {
        let cache = VerifiedPasswords::default();
        let stored = hash("first password").expect("hash");
        assert!(cache.verify(&stored, "first password").await);
        assert!(cache.remembered(&VerifiedPasswords::key(&stored, "first password")));
        assert!(!cache.verify(&stored, "other password").await);
        let changed = hash("second password").expect("hash");
        assert!(!cache.verify(&changed, "first password").await);
    }
}
