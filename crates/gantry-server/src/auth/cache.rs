//! Each node's copy of the permission model, and how it stays current.
//!
//! Deciding must not cost a database round trip, so every node keeps a
//! [`SecurityModel`] built from the store. Every security change raises a
//! version number in the same transaction. The node that made the change
//! marks its copy stale at once; every node also reads the version once a
//! second ([`WATCH_INTERVAL`]) and marks its copy stale when it moved, so a
//! change made on another node applies within about a second. A stale copy
//! is rebuilt by the next request that needs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use gantry_core::security::{Attribute, AttributeSet, Rule, Scope, Subject, UserEntry};
use gantry_core::SecurityModel;
use gantry_store::metadata::{PermissionSubject, SecuritySnapshot};
use gantry_store::{MetadataStore, StoreResult};

/// How often each node compares its model's version with the store's.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

struct Loaded {
    version: i64,
    model: Arc<SecurityModel>,
}

/// A node's permission model, rebuilt when the store's changes.
pub struct SecurityCache {
    loaded: RwLock<Arc<Loaded>>,
    stale: AtomicBool,
    rebuilding: tokio::sync::Mutex<()>,
}

impl Default for SecurityCache {
    fn default() -> Self {
        Self {
            loaded: RwLock::new(Arc::new(Loaded {
                version: -1,
                model: Arc::new(SecurityModel::default()),
            })),
            stale: AtomicBool::new(true),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }
}

impl SecurityCache {
    fn current(&self) -> Arc<Loaded> {
        Arc::clone(
            &self
                .loaded
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The current model, rebuilt first if it is stale.
    pub async fn model(&self, meta: &dyn MetadataStore) -> StoreResult<Arc<SecurityModel>> {
        if !self.stale.load(Ordering::Acquire) {
            return Ok(Arc::clone(&self.current().model));
        }
        let _one_at_a_time = self.rebuilding.lock().await;
        if !self.stale.load(Ordering::Acquire) {
            return Ok(Arc::clone(&self.current().model));
        }
        // Clear the flag before reading: a change committed during the read
        // marks it again, and the next request rebuilds once more.
        self.stale.store(false, Ordering::Release);
        let snapshot = match meta.security_snapshot().await {
            Ok(snapshot) => snapshot,
            Err(e) => {
                self.stale.store(true, Ordering::Release);
                return Err(e);
            }
        };
        let loaded = Arc::new(Loaded {
            version: snapshot.version,
            model: Arc::new(build(&snapshot)),
        });
        *self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&loaded);
        tracing::debug!(version = loaded.version, "permission model rebuilt");
        Ok(Arc::clone(&loaded.model))
    }

    /// Marks the model stale (after a change made on this node).
    pub fn invalidate(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Compares the model's version with the store's; marks it stale when
    /// they differ. Run every [`WATCH_INTERVAL`].
    pub async fn check(&self, meta: &dyn MetadataStore) {
        match meta.security_version().await {
            Ok(version) if version != self.current().version => self.invalidate(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the security version"),
        }
    }
}

/// Builds the decision model from what the store holds.
pub fn build(snapshot: &SecuritySnapshot) -> SecurityModel {
    let users = snapshot.users.iter().map(|u| UserEntry {
        id: u.id,
        name: u.name.clone(),
        disabled: u.disabled,
        groups: u.groups.iter().map(|g| g.to_ascii_lowercase()).collect(),
    });
    let rules = snapshot.permissions.iter().filter_map(|p| {
        let subject = match &p.subject {
            PermissionSubject::User(name) => Subject::User(name.to_ascii_lowercase()),
            PermissionSubject::Group(name) => Subject::Group(name.to_ascii_lowercase()),
            PermissionSubject::Virtual(name) => Subject::virtual_named(name)?,
        };
        // An attribute id this version does not know grants nothing.
        let attributes = p
            .attributes
            .iter()
            .filter_map(|a| a.parse::<Attribute>().ok())
            .fold(AttributeSet::EMPTY, |set, a| set.union(AttributeSet::of(&[a])));
        let scope = p
            .feed
            .as_ref()
            .map_or(Scope::AllFeeds, |f| Scope::Feed(f.to_ascii_lowercase()));
        Some(Rule {
            subject,
            attributes,
            scope,
            deny: p.deny,
        })
    });
    SecurityModel::new(users, rules)
}
