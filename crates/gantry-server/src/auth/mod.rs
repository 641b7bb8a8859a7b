//! Authentication (who is calling) and the one authorization point (may they).
//!
//! Every endpoint takes a [`Caller`] and asks [`AppState::authorize`]; no
//! handler decides on permissions its own way. The decision itself is
//! [`gantry_core::SecurityModel::decide`], on the node's cached model.

pub mod cache;
pub mod client_address;
pub mod credentials;
pub mod keys;
pub mod passwords;
pub mod throttle;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use gantry_core::{Attribute, Decision, Principal, SecurityModel};
use gantry_store::time::now_millis;
use gantry_store::{FeedRecord, TokenHolder};

use crate::error::{ApiError, INSUFFICIENT_KEY};
use crate::state::AppState;
use credentials::{Credential, Presented};
use throttle::Refusal;

/// The text for a user name and password that do not sign in: the same
/// whether the user is unknown, disabled or the password is wrong.
pub const BAD_SIGN_IN: &str = "Invalid user name or password.";

/// The text for a signed-in user who may not do what they asked.
pub const INSUFFICIENT_USER: &str = "The user does not have the proper permissions to perform this action.";

/// The authenticated caller of a request, with the permission model their
/// request is decided on.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who it is.
    pub principal: Principal,
    /// When the API key the request came with expires, if it does: keys
    /// made with it may not outlive it.
    pub key_expires_at: Option<i64>,
    model: Arc<SecurityModel>,
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
        Caller::authenticate(state, Presented::from_parts(parts)?).await
    }
}

impl Caller {
    /// Turns credentials (or their absence) into a caller. Unknown, expired
    /// or disabled credentials and wrong passwords are refused with 403;
    /// repeated wrong passwords with 429 for a while.
    pub async fn authenticate(state: &AppState, presented: Presented) -> Result<Self, ApiError> {
        let model = state.security().model(state.meta()).await?;
        let mut key_expires_at = None;
        let principal = match presented.credential {
            None => Principal::Anonymous,
            Some(Credential::ApiKey(secret)) => {
                let record = state.meta().find_api_key(&keys::hash(&secret)).await?;
                let record = record.ok_or_else(|| ApiError::forbidden(INSUFFICIENT_KEY))?;
                key_expires_at = record.expires_at;
                keys::principal(&record, now_millis(), &model).map_err(ApiError::forbidden)?
            }
            Some(Credential::UserPassword { user, password }) => {
                sign_in(state, &user, &password, presented.address).await?
            }
            Some(Credential::RegistryToken(token)) => {
                let holder = state
                    .meta()
                    .find_registry_token(&keys::hash(&token), now_millis())
                    .await?
                    .ok_or_else(|| {
                        ApiError::new(
                            axum::http::StatusCode::UNAUTHORIZED,
                            "The registry token has expired or was revoked; ask the token endpoint for a new one.",
                        )
                    })?;
                match holder {
                    TokenHolder::Anonymous => Principal::Anonymous,
                    TokenHolder::ApiKey(hash) => {
                        let record = state.meta().find_api_key(&hash).await?;
                        let record = record.ok_or_else(|| ApiError::forbidden(INSUFFICIENT_KEY))?;
                        key_expires_at = record.expires_at;
                        keys::principal(&record, now_millis(), &model).map_err(ApiError::forbidden)?
                    }
                    TokenHolder::User { id, name, .. } => Principal::User {
                        id,
                        name,
                        via_key: None,
                    },
                }
            }
        };
        Ok(Self {
            principal,
            key_expires_at,
            model,
        })
    }
}

impl Caller {
    /// A caller already authenticated another way (a web UI session), with
    /// the node's current permission model.
    pub async fn for_principal(state: &AppState, principal: Principal) -> Result<Self, ApiError> {
        let model = state.security().model(state.meta()).await?;
        Ok(Self {
            principal,
            key_expires_at: None,
            model,
        })
    }

    /// Checks a user name and password the way every sign-in does
    /// (throttled, same time for unknown users) and returns the user.
    pub async fn sign_in(
        state: &AppState,
        user: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<Self, ApiError> {
        let principal = sign_in(state, user, password, address).await?;
        Self::for_principal(state, principal).await
    }
}

/// How long a sign-in waits for its turn among the checks in flight for
/// the same user name or address before it is refused.
const SIGN_IN_QUEUE: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks a user name and password, throttling repeated failures.
async fn sign_in(
    state: &AppState,
    user: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<Principal, ApiError> {
    let found = state.meta().find_user(&user.to_ascii_lowercase()).await?;
    let known_right = |found: &Option<(gantry_store::metadata::UserRecord, String)>| {
        found.as_ref().is_some_and(|(record, hash)| {
            !record.disabled && state.passwords().recently_verified(hash, password)
        })
    };
    // A client sending the same right password on many parallel requests
    // (npm and NuGet restores do) waits for the first check to finish
    // rather than being refused; guesses wait in the same line, and are
    // counted before any is judged.
    let queued_until = tokio::time::Instant::now() + SIGN_IN_QUEUE;
    let attempt = loop {
        if let Some((record, _)) = found.as_ref().filter(|_| known_right(&found)) {
            return Ok(Principal::User {
                id: record.id,
                name: record.name.clone(),
                via_key: None,
            });
        }
        match state.throttle().admit(user, address) {
            Ok(attempt) => break attempt,
            Err(Refusal::Busy) if tokio::time::Instant::now() < queued_until => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(Refusal::Busy) => return Err(ApiError::too_many_attempts(std::time::Duration::from_secs(1))),
            Err(Refusal::HeldBack(wait)) => return Err(ApiError::too_many_attempts(wait)),
        }
    };
    let signed_in = match &found {
        Some((record, hash)) if !record.disabled => state.passwords().verify(hash, password).await,
        _ => {
            // Spend the same time as a real check, so that timing does not
            // tell which user names exist.
            passwords::verify_off_thread(dummy_hash(), password).await;
            false
        }
    };
    match found {
        Some((record, _)) if signed_in => {
            attempt.succeeded();
            Ok(Principal::User {
                id: record.id,
                name: record.name,
                via_key: None,
            })
        }
        _ => {
            // The attempt was counted as failed when it was admitted.
            drop(attempt);
            tracing::info!(address = ?address, "failed sign-in");
            Err(ApiError::forbidden(BAD_SIGN_IN))
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| passwords::hash("not the password of anyone").unwrap_or_default())
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
        match caller
            .model
            .decide(&caller.principal, attribute, feed_key.as_deref())
        {
            Decision::Allow => Ok(()),
            Decision::Challenge => Err(ApiError::challenge()),
            Decision::Forbid => Err(ApiError::forbidden(match caller.principal {
                Principal::User { via_key: None, .. } => INSUFFICIENT_USER,
                _ => INSUFFICIENT_KEY,
            })),
        }
    }

    /// Like [`AppState::authorize`], as a yes or no.
    pub fn may(&self, caller: &Caller, attribute: Attribute, feed: Option<&FeedRecord>) -> bool {
        self.authorize(caller, attribute, feed).is_ok()
    }
}
