//! Store errors.

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (the text says which).
    #[error("{0}")]
    Conflict(String),
    /// The row to change does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The blob store failed.
    #[error("blob store error: {0}")]
    Blob(#[from] object_store::Error),
    /// A local file operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The configuration names a store Gantry cannot open.
    #[error("{0}")]
    Config(String),
    /// The caller asked for something the store's interface does not allow
    /// (a bug in the caller, not in the request it serves).
    #[error("invalid store request: {0}")]
    Invalid(String),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;
