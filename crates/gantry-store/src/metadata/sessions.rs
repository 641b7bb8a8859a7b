//! Web UI sign-in sessions.

/// A session to store at sign-in.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// SHA-256 (hex) of the token in the cookie; the token itself is never stored.
    pub token_hash: String,
    /// The signed-in user.
    pub user_id: i64,
    /// The user's `password_changed_at` at sign-in: a later change ends the session.
    pub password_changed_at: i64,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    /// When the session ends, in Unix milliseconds.
    pub expires_at: i64,
}

/// A stored session that is still valid: not expired, its user enabled, and
/// the password unchanged since sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The signed-in user's id.
    pub user_id: i64,
    /// The signed-in user's name.
    pub user_name: String,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    /// When the session started, in Unix milliseconds.
    pub created_at: i64,
    /// When the session ends, in Unix milliseconds.
    pub expires_at: i64,
}
