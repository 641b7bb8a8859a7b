//! Building `WHERE` clauses from optional filters, with `$N` parameters that
//! both SQLite and PostgreSQL understand. Only the filters given become
//! conditions, so each query can use an index.

use std::fmt::Write as _;

use sqlx::any::AnyArguments;
use sqlx::Arguments;

use crate::metadata::FeedVisibility;
use crate::StoreResult;

/// A SQL statement being built, with its arguments.
pub struct Conditions {
    sql: String,
    args: AnyArguments<'static>,
}

impl Conditions {
    /// Starts from a statement that already has a `WHERE` clause.
    pub fn new(select_with_where: &str) -> Self {
        Self {
            sql: select_with_where.to_owned(),
            args: AnyArguments::default(),
        }
    }

    fn bind<T>(&mut self, value: T) -> StoreResult<String>
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.args.add(value).map_err(sqlx::Error::Encode)?;
        Ok(format!("${}", self.args.len()))
    }

    /// Adds `AND {column} = value` when a value is given.
    pub fn equals(&mut self, column: &str, value: Option<&String>) -> StoreResult<&mut Self> {
        if let Some(value) = value {
            let p = self.bind(value.clone())?;
            let _ = write!(self.sql, " AND {column} = {p}");
        }
        Ok(self)
    }

    /// Adds `AND {left} value` (`left` such as `at >=`) when a value is given.
    pub fn compare(&mut self, left: &str, value: Option<i64>) -> StoreResult<&mut Self> {
        if let Some(value) = value {
            let p = self.bind(value)?;
            let _ = write!(self.sql, " AND {left} {p}");
        }
        Ok(self)
    }

    /// Adds `AND ({column} IN (...) OR ...)`: any of `columns` is among `values`.
    pub fn any_in(&mut self, columns: &[&str], values: &[String]) -> StoreResult<&mut Self> {
        let mut placeholders = Vec::with_capacity(values.len());
        for value in values {
            placeholders.push(self.bind(value.clone())?);
        }
        let list = placeholders.join(", ");
        let alternatives: Vec<String> = columns.iter().map(|c| format!("{c} IN ({list})")).collect();
        let _ = write!(self.sql, " AND ({})", alternatives.join(" OR "));
        Ok(self)
    }

    /// Limits the rows to feeds the caller may view: every one of
    /// `columns` (case-folded feed names) must name a visible feed. Returns
    /// `false` when nothing can be visible, so the caller need not query.
    pub fn visible_feeds(&mut self, columns: &[&str], visibility: &FeedVisibility) -> StoreResult<bool> {
        let (values, negate) = match visibility {
            FeedVisibility::Every => return Ok(true),
            FeedVisibility::AllBut(hidden) if hidden.is_empty() => return Ok(true),
            FeedVisibility::Only(visible) if visible.is_empty() => return Ok(false),
            FeedVisibility::AllBut(hidden) => (hidden, " NOT"),
            FeedVisibility::Only(visible) => (visible, ""),
        };
        let mut placeholders = Vec::with_capacity(values.len());
        for value in values {
            placeholders.push(self.bind(value.clone())?);
        }
        let list = placeholders.join(", ");
        for column in columns {
            let _ = write!(self.sql, " AND {column}{negate} IN ({list})");
        }
        Ok(true)
    }

    /// Adds `AND {column} IN (...)` with the given numbers.
    pub fn number_in(&mut self, column: &str, values: &[i64]) -> StoreResult<&mut Self> {
        let mut placeholders = Vec::with_capacity(values.len());
        for value in values {
            placeholders.push(self.bind(*value)?);
        }
        let _ = write!(self.sql, " AND {column} IN ({})", placeholders.join(", "));
        Ok(self)
    }

    /// Adds `AND (LOWER({column}) LIKE '%text%' OR ...)` when a text is
    /// given: any of `columns` contains it, case-insensitively, with `%`
    /// and `_` in the text taken literally.
    pub fn contains(&mut self, columns: &[&str], text: Option<&str>) -> StoreResult<&mut Self> {
        if let Some(text) = text {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = self.bind(format!("%{escaped}%"))?;
            let alternatives: Vec<String> = columns
                .iter()
                .map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'"))
                .collect();
            let _ = write!(self.sql, " AND ({})", alternatives.join(" OR "));
        }
        Ok(self)
    }

    /// Appends text (an `ORDER BY`).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends `LIMIT value` when a value is given.
    pub fn limit(&mut self, value: Option<i64>) -> StoreResult<&mut Self> {
        if let Some(value) = value {
            let p = self.bind(value)?;
            let _ = write!(self.sql, " LIMIT {p}");
        }
        Ok(self)
    }

    /// Appends `OFFSET value`.
    pub fn offset(&mut self, value: i64) -> StoreResult<&mut Self> {
        let p = self.bind(value)?;
        let _ = write!(self.sql, " OFFSET {p}");
        Ok(self)
    }

    /// The statement and its arguments.
    pub fn finish(self) -> (String, AnyArguments<'static>) {
        (self.sql, self.args)
    }
}
