//! `portcullis activity`: the activity log as a table (newest first, as the
//! API pages it), and `--follow`, which asks every second for what is newer
//! than the last record it printed and prints it, oldest first.

use std::io::Write;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::client::{CliError, Client};
use super::table::{self, Table};
use super::{ActivityArgs, answer, first_line, now_ms};
use crate::state::display::{micros, utc};

/// How often `--follow` asks.
const POLL: Duration = Duration::from_secs(1);
/// The page `--follow` reads new records in.
const FOLLOW_PAGE: u32 = 100;

/// `GET /api/v1/activity`: one page, newest first.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Page {
    entries: Vec<Value>,
    next_cursor: Option<i64>,
}

/// What a table row shows of a record (`--json` has all of it).
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
struct Entry {
    id: i64,
    at_ms: i64,
    principal: String,
    transport: String,
    tool: String,
    provider: String,
    duration_us: i64,
    outcome: String,
    error: Option<String>,
}

const HEADER: [&str; 9] =
    ["ID", "TIME (UTC)", "PRINCIPAL", "TRANSPORT", "TOOL", "PROVIDER", "OUTCOME", "DURATION", "ERROR"];

/// `portcullis activity [filters] [--follow]`.
pub(super) async fn show(client: &Client, args: &ActivityArgs, json: bool) -> Result<String, CliError> {
    let filter = filter(args, now_ms())?;
    let mut query = filter.clone();
    if let Some(limit) = args.limit {
        query.push(("limit", limit.to_string()));
    }
    let body = client.get_query(&["activity"], &query).await?;
    let page: Page = client.parse(&body)?;
    if !args.follow {
        return answer(json, body, |_| {
            let entries = entries(client, &page.entries)?;
            if entries.is_empty() {
                return Ok("no activity\n".into());
            }
            if page.next_cursor.is_some() {
                eprintln!("portcullis: older records not shown; --limit shows more (up to 1000), --since fewer");
            }
            Ok(render(&entries, true))
        });
    }
    let mut last = page.entries.iter().filter_map(id).max().unwrap_or(0);
    let mut first = true;
    let mut batch = page.entries;
    loop {
        batch.reverse();
        if !batch.is_empty() {
            let out = match json {
                true => batch.iter().map(|e| format!("{e}\n")).collect(),
                false => render(&entries(client, &batch)?, std::mem::take(&mut first)),
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) ends the command as quietly as it would end `tail -f`.
            if stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                return Ok(String::new());
            }
        } else if first && !json {
            eprintln!("portcullis: no activity yet; waiting for some (Ctrl-C stops)");
            first = false;
            println!("{}", render(&[], true).trim_end());
        }
        tokio::time::sleep(POLL).await;
        batch = newer(client, &filter, last).await?;
        last = batch.iter().filter_map(id).max().unwrap_or(last);
    }
}

/// The records matching `filter` with an id above `last`, newest first:
/// the newest page, and older pages by cursor until one reaches `last`.
async fn newer(client: &Client, filter: &[(&'static str, String)], last: i64) -> Result<Vec<Value>, CliError> {
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let mut query = filter.to_vec();
        query.push(("limit", FOLLOW_PAGE.to_string()));
        if let Some(cursor) = cursor {
            query.push(("cursor", format!("{cursor}")));
        }
        let page: Page = client.parse(&client.get_query(&["activity"], &query).await?)?;
        let reached = page.entries.iter().any(|e| id(e).is_some_and(|id| id <= last));
        found.extend(page.entries.into_iter().filter(|e| id(e).is_some_and(|id| id > last)));
        match page.next_cursor {
            Some(next) if !reached => cursor = Some(next),
            _ => return Ok(found),
        }
    }
}

fn id(entry: &Value) -> Option<i64> {
    entry.get("id").and_then(Value::as_i64)
}

fn entries(client: &Client, values: &[Value]) -> Result<Vec<Entry>, CliError> {
    values.iter().map(|v| client.parse(&v.to_string())).collect()
}

/// The API's query for `args`' filters (without the page size).
fn filter(args: &ActivityArgs, now_ms: i64) -> Result<Vec<(&'static str, String)>, CliError> {
    let mut query = Vec::new();
    for (key, value) in [
        ("tool", &args.tool),
        ("principal", &args.principal),
        ("session", &args.session),
        ("outcome", &args.outcome),
        ("transport", &args.transport),
    ] {
        if let Some(value) = value {
            query.push((key, value.clone()));
        }
    }
    if let Some(since) = &args.since {
        query.push(("since_ms", since_ms(since, now_ms)?.to_string()));
    }
    Ok(query)
}

/// `--since`: a time ago (`30s`, `10m`, `2h`, `7d`), or milliseconds since the epoch.
fn since_ms(since: &str, now_ms: i64) -> Result<i64, CliError> {
    let wrong = || {
        CliError::Usage(format!(
            "--since takes a time ago such as 30s, 10m, 2h or 7d, or milliseconds since the epoch; `{}` is neither",
            table::clean(since)
        ))
    };
    if let Ok(ms) = since.parse::<i64>() {
        return Ok(ms);
    }
    let unit = since.chars().last().ok_or_else(wrong)?;
    let secs: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(wrong()),
    };
    let count: i64 = since[..since.len() - 1].parse().map_err(|_| wrong())?;
    count.checked_mul(secs * 1000).map(|ago| now_ms.saturating_sub(ago)).filter(|_| count >= 0).ok_or_else(wrong)
}

fn render(entries: &[Entry], header: bool) -> String {
    let mut table = Table::new(&HEADER);
    for e in entries {
        table.row([
            e.id.to_string(),
            utc(e.at_ms),
            e.principal.clone(),
            e.transport.clone(),
            e.tool.clone(),
            e.provider.clone(),
            e.outcome.clone(),
            micros(e.duration_us),
            e.error.as_deref().map(first_line).unwrap_or_default(),
        ]);
    }
    match header {
        true => table.render(),
        false => table.render().split_once('\n').map(|(_, rows)| rows.to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_ago_or_epoch_ms() {
        assert_eq!(since_ms("10m", 1_000_000).unwrap(), 400_000);
        assert_eq!(since_ms("1700000000000", 0).unwrap(), 1_700_000_000_000);
        for wrong in ["", "m", "ten", "5w", "-1h"] {
            let Err(e) = since_ms(wrong, 1_000_000) else { panic!("{wrong} was taken") };
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn records_render_as_rows_with_or_without_the_header() {
        let entry: Entry = serde_json::from_str(
            r#"{"id":7,"at_ms":0,"kind":"call","principal":"local","session":null,"transport":"stdio","era":"",
                "tool":"hello","provider":"hello","duration_us":1500,"outcome":"ok","bytes_in":2,"bytes_out":3,
                "arguments_sha256":"ab","arguments":null,"error":null}"#,
        )
        .unwrap();
        let with = render(std::slice::from_ref(&entry), true);
        assert!(
            with.starts_with(
                "ID  TIME (UTC)           PRINCIPAL  TRANSPORT  TOOL   PROVIDER  OUTCOME  DURATION  ERROR\n"
            ),
            "{with}"
        );
        assert_eq!(
            render(&[entry], false),
            "7   1970-01-01 00:00:00  local      stdio      hello  hello     ok       1.5ms\n"
        );
    }
}
