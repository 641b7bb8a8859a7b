//! What every request handler shares.

use std::sync::Arc;

use gantry_store::{BlobStore, MetadataStore};

use crate::auth::cache::SecurityCache;
use crate::auth::client_address::TrustedProxies;
use crate::auth::passwords::VerifiedPasswords;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::connectors::Connectors;
use crate::events::EventBus;
use crate::services::documents::DocumentCache;
use crate::services::gates::PromotionGates;

/// The server's shared state: configuration and stores. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    meta: Arc<dyn MetadataStore>,
    blobs: BlobStore,
    events: EventBus,
    security: SecurityCache,
    passwords: VerifiedPasswords,
    throttle: LoginThrottle,
    trusted_proxies: TrustedProxies,
    documents: DocumentCache,
    connectors: Connectors,
    promotion_gates: PromotionGates,
}

impl AppState {
    /// Bundles the configuration and the stores.
    pub fn new(config: Config, meta: Arc<dyn MetadataStore>, blobs: BlobStore) -> Self {
        // Checked when the configuration was loaded; a hand-built one with a
        // bad entry trusts no proxy rather than the wrong ones.
        let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "trusting no reverse proxy");
            TrustedProxies::default()
        });
        Self(Arc::new(Inner {
            config,
            meta,
            blobs,
            events: EventBus::new(),
            security: SecurityCache::default(),
            passwords: VerifiedPasswords::default(),
            throttle: LoginThrottle::default(),
            trusted_proxies,
            documents: DocumentCache::default(),
            connectors: Connectors::default(),
            promotion_gates: Arc::new([]),
        }))
    }

    /// The same state with `gates` run on every promotion, in order (the
    /// server starts with none). Call before the state is shared.
    #[must_use]
    pub fn with_promotion_gates(self, gates: PromotionGates) -> Self {
        match Arc::try_unwrap(self.0) {
            Ok(mut inner) => {
                inner.promotion_gates = gates;
                Self(Arc::new(inner))
            }
            Err(shared) => {
                tracing::error!("promotion gates set on a state already shared; ignored");
                Self(shared)
            }
        }
    }

    /// The promotion gates, in the order they are asked.
    pub fn promotion_gates(&self) -> &PromotionGates {
        &self.0.promotion_gates
    }

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The metadata store.
    pub fn meta(&self) -> &dyn MetadataStore {
        self.0.meta.as_ref()
    }

    /// A shared handle on the metadata store, for background tasks.
    pub fn meta_handle(&self) -> Arc<dyn MetadataStore> {
        Arc::clone(&self.0.meta)
    }

    /// The blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.0.blobs
    }

    /// This node's permission model.
    pub fn security(&self) -> &SecurityCache {
        &self.0.security
    }

    /// Recently verified passwords.
    pub fn passwords(&self) -> &VerifiedPasswords {
        &self.0.passwords
    }

    /// Failed sign-in counts.
    pub fn throttle(&self) -> &LoginThrottle {
        &self.0.throttle
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.0.trusted_proxies
    }

    /// Rendered protocol documents, by feed revision.
    pub fn documents(&self) -> &DocumentCache {
        &self.0.documents
    }

    /// The connectors this node has used, and their fetches under way.
    pub fn connectors(&self) -> &Connectors {
        &self.0.connectors
    }

    /// The internal event bus.
    pub fn events(&self) -> &EventBus {
        &self.0.events
    }
}
