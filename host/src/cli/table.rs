//! Plain-text tables for people: a header row and aligned columns, two
//! spaces apart, the last column unpadded. Cells come from the host and
//! its clients (a client's name, a server's stderr), so control characters
//! are escaped rather than sent to the terminal.

use std::fmt::Write;

/// A table under construction.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column names.
    pub fn new(header: &[&'static str]) -> Table {
        Table { header: header.to_vec(), rows: Vec::new() }
    }

    /// Adds a row; missing cells are empty, extra ones dropped.
    pub fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        let mut row: Vec<String> = cells.into_iter().map(|c| clean(&c)).take(self.header.len()).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines, each ending in a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let header = self.header.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<width$}  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Key-value lines (`status`'s summary), the keys aligned.
pub fn pairs(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    pairs.iter().map(|(k, v)| format!("{k:<width$}  {}\n", clean(v))).collect()
}

/// `text` with control characters (escape sequences, newlines) escaped, so
/// what a host or client sent cannot move the cursor or recolour the terminal.
pub fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\t' => "    ".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// A list joined with `, `, or `-` when empty.
pub fn list(items: &[String]) -> String {
    if items.is_empty() { "-".into() } else { items.join(", ") }
}

/// A duration in seconds as people read it: `42s`, `3m 5s`, `2h 10m`, `4d 1h`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match () {
        _ if d > 0 => format!("{d}d {h}h"),
        _ if h > 0 => format!("{h}h {m}m"),
        _ if m > 0 => format!("{m}m {s}s"),
        _ => format!("{s}s"),
    }
}

/// How long ago `ms` (since the epoch) was, from `now_ms`.
pub fn ago(ms: i64, now_ms: i64) -> String {
    format!("{} ago", duration(u64::try_from(now_ms.saturating_sub(ms)).unwrap_or(0) / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_the_last_is_not_padded() {
        let mut table = Table::new(&["NAME", "STATE", "REASON"]);
        table.row(["fixture".into(), "running".into(), String::new()]);
        table.row(["a".into(), "failed".into(), "exited with 1".into()]);
        assert_eq!(table.render(), "NAME     STATE    REASON\nfixture  running\na        failed   exited with 1\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut table = Table::new(&["CLIENT"]);
        table.row(["evil\u{1b}[2J\nclient".into()]);
        assert_eq!(table.render(), "CLIENT\nevil\\u{1b}[2J\\nclient\n");
        assert_eq!(clean("plain text"), "plain text");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(185), "3m 5s");
        assert_eq!(duration(7800), "2h 10m");
        assert_eq!(duration(90_000), "1d 1h");
        assert_eq!(ago(1_000, 61_000), "1m 0s ago");
        assert_eq!(ago(5_000, 1_000), "0s ago", "a clock behind the host's is not negative");
    }

    #[test]
    fn pairs_align_their_keys() {
        assert_eq!(pairs(&[("status", "ok".into()), ("servers", "1".into())]), "status   ok\nservers  1\n");
    }
}
