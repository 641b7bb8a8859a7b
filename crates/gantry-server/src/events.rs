//! The internal event bus: what happened, for whoever listens (webhooks,
//! the web UI, metrics). Delivery is best effort and in-process: a listener
//! that falls behind misses events rather than slowing requests down; the
//! database, not the bus, is the record.

use gantry_store::{DeploymentRecord, PromotionRecord};
use tokio::sync::broadcast;

/// Something that happened to a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A version was promoted (`copied` is false when the target already held it).
    Promoted {
        /// The promotion record.
        promotion: PromotionRecord,
        /// Whether rows were copied into the target.
        copied: bool,
    },
    /// A deployment was recorded.
    Deployed {
        /// The record.
        deployment: DeploymentRecord,
    },
}

/// How many events a slow listener may lag behind before it misses some.
const CAPACITY: usize = 1024;

/// The sending side of the bus.
#[derive(Clone, Debug)]
pub struct EventBus(broadcast::Sender<Event>);

impl EventBus {
    /// A bus with no listener yet.
    pub fn new() -> Self {
        Self(broadcast::channel(CAPACITY).0)
    }

    /// Publishes an event; having no listener is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.0.send(event);
    }

    /// A new listener, receiving events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
