//! Printing results: aligned tables for people, JSON for scripts.

use serde_json::Value;

/// A table: a header row and rows of cells.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, each column as wide as its widest cell.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<String>| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    text.push_str(cell);
                } else {
                    let pad = widths
                        .get(i)
                        .copied()
                        .unwrap_or(0)
                        .saturating_sub(cell.chars().count());
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad + 2));
                }
            }
            text.trim_end().to_owned()
        };
        let mut out = line(self.headers.iter().map(|h| (*h).to_owned()).collect());
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.clone()));
            out.push('\n');
        }
        out
    }
}

/// Prints a table, or `(none)` under its header when it is empty.
pub fn print_table(table: &Table) {
    print!("{}", table.render());
    if table.rows.is_empty() {
        println!("(none)");
    }
}

/// Prints JSON for scripts, pretty.
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// Prints `value` for scripts with `--json`, else `message` for people:
/// what a command that changes something reports.
pub fn report(json: bool, value: &Value, message: &str) {
    if json {
        print_json(value);
    } else {
        println!("{message}");
    }
}

/// A JSON field as display text ("" when absent or null).
pub fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A JSON list field as comma-separated text.
pub fn joined(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().map_or_else(|| item.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_their_widest_cell() {
        let mut table = Table::new(&["NAME", "URL"]);
        table.row(vec!["Default".into(), "http://a".into()]);
        table.row(vec!["x".into(), "http://bb".into()]);
        assert_eq!(
            table.render(),
            "NAME     URL\nDefault  http://a\nx        http://bb\n"
        );
    }
}
