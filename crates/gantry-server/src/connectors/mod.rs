//! Connectors: feeds that proxy an upstream registry.
//!
//! A feed lists connectors in order. Reading a package merges the feed's
//! own versions with what each connector's upstream offers (the feed's own
//! win, then the first connector's); a remote version is stored into the
//! feed on its first download (see [`fetch`]), after which it is served
//! like any other, even with the upstream down. An upstream failure never
//! fails a read: the feed serves what it has, and the connector is marked
//! unhealthy.

pub mod fetch;

pub mod remote;

pub mod upstream;
pub mod view;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::{BoxFuture, Shared};
use gantry_store::{ConnectorRecord, PackageKey, PackageRecord};

use upstream::Connector;

/// The outcome of fetching a remote version into a feed, shared by every
/// request that waited for it.
pub type FetchOutcome = Result<PackageRecord, crate::error::ApiError>;

/// A fetch in progress, joined by concurrent requests for the same version.
pub(crate) type InFlight = Shared<BoxFuture<'static, FetchOutcome>>;

/// Every connector this node has used, and the fetches under way.
pub struct Connectors {
    clients: upstream::Clients,
    by_id: Mutex<HashMap<i64, Arc<Connector>>>,
    in_flight: Mutex<HashMap<(i64, PackageKey), InFlight>>,
    by_type: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Default for Connectors {
    fn default() -> Self {
        Self {
            clients: upstream::Clients::default(),
            by_id: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            by_type: Mutex::new(HashMap::new()),
        }
    }
}

impl Connectors {
    /// The run-time connector for a stored one. It is kept while the stored
    /// settings stay the same, so its metadata cache lives on; a change of
    /// settings starts it afresh.
    pub fn get(&self, record: ConnectorRecord) -> Arc<Connector> {
        let Ok(mut by_id) = self.by_id.lock() else {
            return Arc::new(Connector::new(record, self.clients.clone()));
        };
        if let Some(existing) = by_id.get(&record.id) {
            if existing.record.settings == record.settings {
                return Arc::clone(existing);
            }
        }
        let connector = Arc::new(Connector::new(record, self.clients.clone()));
        by_id.insert(connector.record.id, Arc::clone(&connector));
        connector
    }

    /// The health this node last saw for a connector, if it used it.
    pub fn known_health(&self, id: i64) -> Option<gantry_store::ConnectorHealth> {
        self.by_id.lock().ok()?.get(&id).map(|c| c.health())
    }

    /// Forgets a deleted connector.
    pub fn forget(&self, id: i64) {
        if let Ok(mut by_id) = self.by_id.lock() {
            by_id.remove(&id);
        }
    }

    pub(crate) fn in_flight(&self) -> &Mutex<HashMap<(i64, PackageKey), InFlight>> {
        &self.in_flight
    }

    /// This node's one `T`, made on first use: what a package type keeps
    /// beside its connectors (Docker: the image fetches under way).
    pub(crate) fn shared<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let fresh = || Arc::new(T::default());
        let Ok(mut by_type) = self.by_type.lock() else {
            return fresh();
        };
        let entry = by_type
            .entry(TypeId::of::<T>())
            .or_insert_with(|| fresh() as Arc<dyn Any + Send + Sync>);
        Arc::clone(entry).downcast::<T>().unwrap_or_else(|_| fresh())
    }
}
