//! `GET /ui/activity/stream`: the activity log as it grows, over SSE, for
//! the activity page (`dashboard.js` puts each row on top).
//!
//! Each new record is an `entry` event whose id is the record's id and whose
//! data is its rendered table row. The stream polls the store every
//! [`POLL`] for records above the last id it sent (starting from `after`,
//! or from `Last-Event-ID` when the browser reconnects), with the page's
//! filters. It ends when the host shuts down (the transport's
//! `close_streams`) or the session ends. More than [`BATCH`] records in one
//! poll are shown as their newest [`BATCH`]; the page's `Older` link has
//! the rest.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt, stream};

use super::Dashboard;
use super::pages::Visit;
use super::pages::activity::{Filters, row};

/// How often the store is asked for new records.
pub const POLL: Duration = Duration::from_secs(1);
/// At most this many records per poll (more arrive on the next polls).
pub const BATCH: u32 = 200;

/// Where a stream is.
struct Cursor {
    ui: Arc<Dashboard>,
    session: String,
    filters: Filters,
    last: i64,
}

/// `GET /ui/activity/stream?after=<id>&<filters>`.
pub async fn stream(
    Visit { ui, session }: Visit,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let last = resumed.or(filters.after).unwrap_or(0);
    let close = ui.close.clone();
    let cursor = Cursor { ui, session: session.id, filters: Filters { cursor: None, after: None, ..filters }, last };
    let events = stream::unfold(cursor, |mut cursor| async move {
        let batch = next_batch(&mut cursor).await?;
        Some((stream::iter(batch), cursor))
    })
    .flatten()
    .take_until(close.cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// Waits for the next records and renders them, oldest first; `None` once
/// the session has ended.
async fn next_batch(cursor: &mut Cursor) -> Option<Vec<Result<Event, Infallible>>> {
    loop {
        tokio::time::sleep(POLL).await;
        if !cursor.ui.sessions.is_live(&cursor.session) {
            return None;
        }
        let filter = cursor.filters.to_filter(BATCH);
        let Ok(page) = cursor.ui.admin.activity(filter).await else { continue };
        let mut fresh: Vec<_> = page.entries.into_iter().filter(|e| e.id > cursor.last).collect();
        if fresh.is_empty() {
            continue;
        }
        fresh.reverse();
        cursor.last = fresh.last().map_or(cursor.last, |e| e.id);
        let events =
            fresh.iter().map(|e| Ok(Event::default().event("entry").id(e.id.to_string()).data(row(e).into_string())));
        return Some(events.collect());
    }
}
