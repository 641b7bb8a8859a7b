//! Promotion gates: checks a promotion must pass besides the built-in rules
//! (same package family, pipeline target, active target, permissions).
//!
//! The promotion service asks every gate, in order, once its own rules
//! have passed and the source version is known; each gate's verdict is
//! written into the promotion's history — the `promoted` event when all
//! pass, a `promotion-refused` event on the source version when one
//! refuses, in which case nothing is copied. Real gates (vulnerabilities,
//! licences, approvals) plug in here.

use std::sync::Arc;

use async_trait::async_trait;
use gantry_store::{FeedRecord, GateVerdict, PackageRecord};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// The promotion a gate is asked about.
pub struct PromotionCandidate<'a> {
    /// Who promotes.
    pub caller: &'a Caller,
    /// The source feed.
    pub from: &'a FeedRecord,
    /// The target feed.
    pub to: &'a FeedRecord,
    /// The version to promote, as the source feed holds it.
    pub package: &'a PackageRecord,
    /// Why, as the caller wrote it.
    pub comments: &'a str,
}

/// A gate's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The promotion may go ahead; the reason is recorded.
    Passed(String),
    /// The promotion must not happen, for this reason (shown to the caller).
    Refused(String),
}

/// One check a promotion must pass.
#[async_trait]
pub trait PromotionGate: Send + Sync + 'static {
    /// The gate's name, as history records it.
    fn name(&self) -> &str;

    /// Decides on one promotion. An error (the gate could not decide)
    /// fails the promotion, as a refusal would, without copying anything.
    async fn check(&self, state: &AppState, candidate: &PromotionCandidate<'_>) -> ApiResult<Verdict>;
}

/// The gates a server runs, in order.
pub type PromotionGates = Arc<[Arc<dyn PromotionGate>]>;

/// Every gate's verdict on a promotion, in order; stops at the first
/// refusal (later gates are not asked). The flag says whether all passed.
pub async fn decide(
    state: &AppState,
    candidate: &PromotionCandidate<'_>,
) -> ApiResult<(Vec<GateVerdict>, bool)> {
    let mut verdicts = Vec::new();
    for gate in state.promotion_gates().iter() {
        let verdict = gate.check(state, candidate).await?;
        let (passed, reason) = match verdict {
            Verdict::Passed(reason) => (true, reason),
            Verdict::Refused(reason) => (false, reason),
        };
        verdicts.push(GateVerdict {
            gate: gate.name().to_owned(),
            passed,
            reason,
        });
        if !passed {
            return Ok((verdicts, false));
        }
    }
    Ok((verdicts, true))
}
