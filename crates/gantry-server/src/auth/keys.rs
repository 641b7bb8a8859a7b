//! API key secrets: generation, hashing, and turning a stored key into a principal.

use gantry_core::{ApiKeyGrant, PackagePermission, Principal, SecurityModel, SystemApi};
use gantry_store::ApiKeyRecord;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The name history shows for actions of a system key.
pub const SYSTEM_USER: &str = "SYSTEM";

/// A new random key: 40 hex characters (160 bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored instead of the secret. Keys are long random strings, so a
/// fast hash is enough; a slow password hash would tax every request.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Checks a key a client chose itself.
pub fn validate_custom(secret: &str) -> Result<(), String> {
    if secret.len() < 16 || secret.len() > 256 {
        return Err("a custom API key must be 16 to 256 characters long".into());
    }
    if secret
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ':')
    {
        return Err("a custom API key must not contain spaces, control characters or ':'".into());
    }
    Ok(())
}

/// The principal a stored key stands for, or why it cannot be used. A
/// personal key is its user, and stops working when the user is disabled
/// or deleted.
pub fn principal(record: &ApiKeyRecord, now_millis: i64, model: &SecurityModel) -> Result<Principal, String> {
    if record.expires_at.is_some_and(|at| at <= now_millis) {
        return Err("The API key has expired.".into());
    }
    let grant = match record.key_type.as_str() {
        "personal" => {
            let user = record
                .user_name
                .as_deref()
                .and_then(|name| model.user(name))
                .filter(|u| !u.disabled)
                .ok_or_else(|| {
                    "The API key is not valid: its user is disabled or no longer exists.".to_owned()
                })?;
            return Ok(Principal::User {
                id: user.id,
                name: user.name.clone(),
                via_key: Some(record.id),
            });
        }
        "system" => ApiKeyGrant::System {
            apis: record
                .system_apis
                .iter()
                .filter_map(|a| a.parse::<SystemApi>().ok())
                .collect(),
        },
        "feed" => ApiKeyGrant::Feed {
            feed_key: record.feed_name.clone().unwrap_or_default().to_ascii_lowercase(),
            permissions: record
                .package_permissions
                .iter()
                .filter_map(|p| p.parse::<PackagePermission>().ok())
                .collect(),
        },
        other => {
            return Err(format!(
                "API keys of type '{other}' are not usable on this server."
            ))
        }
    };
    let user_name = match grant {
        ApiKeyGrant::System { .. } => SYSTEM_USER.to_owned(),
        ApiKeyGrant::Feed { .. } => record.user_name.clone().unwrap_or_else(|| SYSTEM_USER.to_owned()),
    };
    Ok(Principal::ApiKey {
        id: record.id,
        user_name,
        grant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key_type: &str, expires_at: Option<i64>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: 3,
            key_type: key_type.into(),
            display_name: String::new(),
            description: String::new(),
            system_apis: vec!["feeds".into()],
            package_permissions: vec!["view".into(), "promote".into()],
            feed_name: Some("Approved".into()),
            user_name: None,
            expires_at,
            created_at: 0,
        }
    }

    #[test]
    fn generated_keys_are_distinct_and_hash_stably() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 40);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn expired_keys_are_refused() {
        let model = SecurityModel::default();
        assert!(principal(&record("system", Some(100)), 100, &model).is_err());
        assert!(principal(&record("system", Some(101)), 100, &model).is_ok());
    }

    #[test]
    fn personal_keys_are_their_enabled_user() {
        let alice = |disabled| gantry_core::security::UserEntry {
            id: 7,
            name: "Alice".into(),
            disabled,
            groups: vec![],
        };
        let mut key = record("personal", None);
        key.user_name = Some("alice".into());
        let model = SecurityModel::new([alice(false)], []);
        assert_eq!(
            principal(&key, 0, &model),
            Ok(Principal::User {
                id: 7,
                name: "Alice".into(),
                via_key: Some(3)
            })
        );
        assert!(principal(&key, 0, &SecurityModel::new([alice(true)], [])).is_err());
        assert!(principal(&key, 0, &SecurityModel::default()).is_err());
    }

    #[test]
    fn feed_keys_bind_to_the_folded_feed_name() {
        let p = principal(&record("feed", None), 0, &SecurityModel::default()).expect("usable");
        let Principal::ApiKey {
            grant: ApiKeyGrant::Feed {
                feed_key,
                permissions,
            },
            ..
        } = p
        else {
            panic!("expected a feed key")
        };
        assert_eq!(feed_key, "approved");
        assert_eq!(permissions, [PackagePermission::View, PackagePermission::Promote]);
    }

    #[test]
    fn custom_keys_are_checked() {
        assert!(validate_custom("short").is_err());
        assert!(validate_custom("has a space in it!!").is_err());
        assert!(validate_custom("0123456789abcdefXYZ").is_ok());
    }
}
