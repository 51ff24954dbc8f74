//! How results read: compact tables, sizes, times and ids for the text the
//! model reads, and the JSON shapes structured results share.

use serde_json::{Map, Value, json};

/// `count` things: `one` or `many` after the number (`1 image`, `3 images`).
pub fn count(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A listing: `No <many>.`, or `<n> <many>:` and a table of `rows` under
/// `headers`, one line per object.
pub fn listing(one: &str, many: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return format!("No {many}.");
    }
    format!("{}:\n{}", count(rows.len(), one, many), table(headers, rows))
}

/// `rows` under `headers`, each column padded to its widest cell and two
/// spaces apart, without trailing spaces.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut line = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.trim_end().to_string()
    };
    let mut lines = vec![line(headers.to_vec())];
    lines.extend(rows.iter().map(|row| line(row.iter().map(String::as_str).collect())));
    lines.join("\n")
}

/// A size in bytes with SI units, as `docker` prints them: `512 B`, `1.5 kB`, `117 MB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    if value < 100.0 { format!("{value:.1} {unit}") } else { format!("{value:.0} {unit}") }
}

/// A time in seconds since the Unix epoch as RFC 3339 in UTC (`2026-01-02T15:04:05Z`).
pub fn time(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3_600, rem % 3_600 / 60, rem % 60)
}

/// The (year, month, day) of the day `days` after 1970-01-01, in the
/// proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// An engine id as `docker` shows it: without `sha256:`, its first 12 characters.
pub fn short_id(id: &str) -> String {
    id.strip_prefix("sha256:").unwrap_or(id).chars().take(12).collect()
}

/// `items` joined by `, `, or `-` when there are none (a table cell).
pub fn cell_list(items: &[String]) -> String {
    if items.is_empty() { "-".into() } else { items.join(", ") }
}

/// `yes` or `no`.
pub fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.into()
}

/// Labels as a JSON object of name → value.
pub fn labels_json(labels: &[(String, String)]) -> Value {
    Value::Object(labels.iter().map(|(name, value)| (name.clone(), Value::from(value.as_str()))).collect())
}

/// The schema of a `labels` field of a structured result.
pub fn labels_schema() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}, "description": "Its labels, as name → value."})
}

/// An engine description (the JSON text an inspect call returns) pretty
/// printed, and as a JSON object for structured content: itself when it is
/// an object, else under `value`. `None` when the text is not JSON.
pub fn description(text: &str) -> Option<(String, Value)> {
    let value: Value = serde_json::from_str(text).ok()?;
    let pretty = serde_json::to_string_pretty(&value).ok()?;
    let structured = match value {
        Value::Object(_) => value,
        other => Value::Object(Map::from_iter([("value".to_string(), other)])),
    };
    Some((pretty, structured))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let rows = vec![
            vec!["web".to_string(), "running".into(), "x".into()],
            vec!["db-primary".into(), "exited".into(), "".into()],
        ];
        assert_eq!(
            table(&["NAME", "STATE", "PORTS"], &rows),
            "NAME        STATE    PORTS\nweb         running  x\ndb-primary  exited"
        );
        assert_eq!(listing("image", "images", &["ID"], &[]), "No images.");
        assert_eq!(listing("image", "images", &["ID"], &[vec!["a".into()]]), "1 image:\nID\na");
        assert_eq!(count(2, "image", "images"), "2 images");
    }

    #[test]
    fn sizes_use_si_units() {
        for (n, text) in [
            (0, "0 B"),
            (999, "999 B"),
            (1_000, "1.0 kB"),
            (1_536, "1.5 kB"),
            (117_000_000, "117 MB"),
            (2_100_000_000, "2.1 GB"),
            (u64::MAX, "18.4 EB"),
        ] {
            assert_eq!(bytes(n), text, "{n}");
        }
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(time(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn ids_are_shortened_as_docker_shows_them() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }

    #[test]
    fn descriptions_are_pretty_printed_and_objects() {
        let (text, value) = description(r#"{"Id":"x","State":{"Status":"running"}}"#).unwrap();
        assert_eq!(text, "{\n  \"Id\": \"x\",\n  \"State\": {\n    \"Status\": \"running\"\n  }\n}");
        assert_eq!(value["State"]["Status"], "running");
        assert_eq!(description("[1]").unwrap().1, json!({"value": [1]}));
        assert!(description("not json").is_none());
        assert_eq!(labels_json(&[("a".into(), "1".into())]), json!({"a": "1"}));
    }
}
