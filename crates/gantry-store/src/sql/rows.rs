//! Reading columns the same way from both backends.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{StoreError, StoreResult};

/// A boolean column: SQLite may hand it back as an integer.
pub fn get_bool(row: &AnyRow, column: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// A JSON array of strings kept in a text column.
pub fn get_string_list(row: &AnyRow, column: &str) -> StoreResult<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A JSON document kept in a text column.
pub fn get_json(row: &AnyRow, column: &str) -> StoreResult<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Encodes a list of strings for a text column.
pub fn string_list(values: &[String]) -> String {
    serde_json::Value::from(values.to_vec()).to_string()
}
