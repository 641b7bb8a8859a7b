//! Authentication (who is calling) and the one authorization point (may they).
//!
//! Every endpoint takes a [`Caller`] and asks [`AppState::authorize`]; no
//! handler decides on permissions its own way.

pub mod credentials;
pub mod keys;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gantry_core::{decide, AnonymousPolicy, Attribute, Decision, Principal};
use gantry_store::time::now_millis;
use gantry_store::FeedRecord;

use crate::error::{ApiError, INSUFFICIENT_KEY};
use crate::state::AppState;
use credentials::Credential;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who it is.
    pub principal: Principal,
}

impl Caller {
    /// The name recorded in history for this caller's actions.
    pub fn user_name(&self) -> &str {
        self.principal.user_name()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential =
            credentials::find(&parts.headers, parts.uri.query()).map_err(|e| ApiError::bad_request(e.0))?;
        Caller::authenticate(state, credential).await
    }
}

impl Caller {
    /// Turns credentials (or their absence) into a caller; unknown or
    /// expired credentials are refused with 403.
    pub async fn authenticate(state: &AppState, credential: Option<Credential>) -> Result<Self, ApiError> {
        let principal = match credential {
            None => Principal::Anonymous,
            Some(Credential::ApiKey(secret)) => {
                let record = state.meta().find_api_key(&keys::hash(&secret)).await?;
                let record = record.ok_or_else(|| ApiError::forbidden(INSUFFICIENT_KEY))?;
                keys::principal(&record, now_millis()).map_err(ApiError::forbidden)?
            }
            Some(Credential::UserPassword { .. }) => {
                // User accounts arrive with the security model; until then a
                // user name and password can only be wrong.
                return Err(ApiError::forbidden("Invalid user name or password."));
            }
        };
        Ok(Self { principal })
    }
}

impl AppState {
    /// The authorization point: may `caller` act with `attribute` on `feed`
    /// (or server-wide when `None`)? Answers 401 or 403 when not.
    pub fn authorize(
        &self,
        caller: &Caller,
        attribute: Attribute,
        feed: Option<&FeedRecord>,
    ) -> Result<(), ApiError> {
        let feed_key = feed.map(|f| f.settings.name.to_ascii_lowercase());
        let policy = AnonymousPolicy {
            may_view: self.config().anonymous_read,
        };
        match decide(&caller.principal, attribute, feed_key.as_deref(), policy) {
            Decision::Allow => Ok(()),
            Decision::Challenge => Err(ApiError::challenge()),
            Decision::Forbid => Err(ApiError::forbidden(INSUFFICIENT_KEY)),
        }
    }

    /// Like [`AppState::authorize`], as a yes or no.
    pub fn may(&self, caller: &Caller, attribute: Attribute, feed: Option<&FeedRecord>) -> bool {
        self.authorize(caller, attribute, feed).is_ok()
    }
}
