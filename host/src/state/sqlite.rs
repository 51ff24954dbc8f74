//! The SQLite [`Store`]: one file, opened in WAL mode and migrated by a list
//! of steps numbered by `PRAGMA user_version`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{ActivityEntry, ActivityFilter, StateError, Store, StoredRecord, StoredServer, StoredTask};

/// The schema, one step per version: step `i` takes `user_version` from `i`
/// to `i + 1`. Append only; never edit a step that has shipped.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE servers (name TEXT PRIMARY KEY, body TEXT NOT NULL);
     CREATE TABLE disabled_plugins (name TEXT PRIMARY KEY);
     CREATE TABLE activity (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         at_ms INTEGER NOT NULL, kind TEXT NOT NULL, principal TEXT NOT NULL, session TEXT,
         transport TEXT NOT NULL, era TEXT NOT NULL, tool TEXT NOT NULL, provider TEXT NOT NULL,
         duration_us INTEGER NOT NULL, outcome TEXT NOT NULL, bytes_in INTEGER NOT NULL,
         bytes_out INTEGER NOT NULL, arguments_sha256 TEXT NOT NULL, arguments TEXT, error TEXT);
     CREATE INDEX activity_at ON activity (at_ms);",
    "CREATE TABLE tasks (id TEXT PRIMARY KEY, owner TEXT NOT NULL, task TEXT NOT NULL, ended_at_ms INTEGER);",
    "ALTER TABLE tasks ADD COLUMN tool TEXT NOT NULL DEFAULT '';",
    "CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, expires_at_ms INTEGER,
         PRIMARY KEY (kind, id));
     CREATE INDEX records_expiry ON records (expires_at_ms);",
];

/// How long a statement waits for a lock another process holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The state in a SQLite file.
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens `file` (creating it and its directory), checks that it is a
    /// database and brings its schema up to date. Any failure names the file.
    pub fn open(file: &Path) -> Result<SqliteStore, StateError> {
        let fail = |why: String| StateError::Open { file: file.to_path_buf(), why };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        let connection = Connection::open(file).map_err(|e| fail(e.to_string()))?;
        // It holds the env values of servers added through the admin API: owner only.
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(|e| fail(format!("cannot make it private: {e}")))?;
        let setup = || -> rusqlite::Result<()> {
            connection.busy_timeout(BUSY_TIMEOUT)?;
            connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            migrate(&connection)
        };
        setup().map_err(|e| fail(describe(&e, file)))?;
        Ok(SqliteStore { connection: Mutex::new(connection) })
    }

    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T, StateError> {
        let mut connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        work(&mut connection).map_err(|e| StateError::Query(e.to_string()))
    }
}

/// SQLite's error, with what it means for the operator.
fn describe(error: &rusqlite::Error, file: &Path) -> String {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            format!("{error} (the file is corrupt or not a SQLite database)")
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => format!(
            "{error} (another process holds a lock on it for more than {} s; is another portcullis using {}?)",
            BUSY_TIMEOUT.as_secs(),
            PathBuf::from(file).display()
        ),
        _ => error.to_string(),
    }
}

/// Runs the steps of [`MIGRATIONS`] the file has not had, in one transaction.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let run = || -> rusqlite::Result<()> {
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if !(0..=known).contains(&version) {
            let why = format!(
                "its schema version {version} is newer than this portcullis knows ({known}); upgrade portcullis"
            );
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(why),
            ));
        }
        for step in &MIGRATIONS[version as usize..] {
            connection.execute_batch(step)?;
        }
        connection.pragma_update(None, "user_version", known)
    };
    match run() {
        Ok(()) => connection.execute_batch("COMMIT"),
        Err(e) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

const ACTIVITY_COLUMNS: &str = "id, at_ms, kind, principal, session, transport, era, tool, provider, duration_us, \
     outcome, bytes_in, bytes_out, arguments_sha256, arguments, error";

/// A JSON column that does not parse.
fn bad_json(column: usize, error: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, error.into())
}

fn record_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    let body: String = row.get(2)?;
    Ok(StoredRecord {
        kind: row.get(0)?,
        id: row.get(1)?,
        body: serde_json::from_str(&body).map_err(|e| bad_json(2, e))?,
        expires_at_ms: row.get(3)?,
    })
}

fn activity_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityEntry> {
    Ok(ActivityEntry {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        kind: row.get(2)?,
        principal: row.get(3)?,
        session: row.get(4)?,
        transport: row.get(5)?,
        era: row.get(6)?,
        tool: row.get(7)?,
        provider: row.get(8)?,
        duration_us: row.get(9)?,
        outcome: row.get(10)?,
        bytes_in: row.get(11)?,
        bytes_out: row.get(12)?,
        arguments_sha256: row.get(13)?,
        arguments: row.get(14)?,
        error: row.get(15)?,
    })
}

impl Store for SqliteStore {
    fn servers(&self) -> Result<Vec<StoredServer>, StateError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT name, body FROM servers ORDER BY name")?;
            let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            rows.map(|row| {
                let (name, body) = row?;
                let body = serde_json::from_str(&body).map_err(|e| bad_json(1, e))?;
                Ok(StoredServer { name, body })
            })
            .collect()
        })
    }

    fn put_server(&self, server: &StoredServer) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO servers (name, body) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                params![server.name, server.body.to_string()],
            )
            .map(drop)
        })
    }

    fn delete_server(&self, name: &str) -> Result<bool, StateError> {
        self.with(|c| c.execute("DELETE FROM servers WHERE name = ?1", [name]).map(|n| n > 0))
    }

    fn disabled_plugins(&self) -> Result<Vec<String>, StateError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT name FROM disabled_plugins ORDER BY name")?;
            statement.query_map([], |row| row.get(0))?.collect()
        })
    }

    fn set_plugin_disabled(&self, name: &str, disabled: bool) -> Result<(), StateError> {
        let sql = match disabled {
            true => "INSERT OR IGNORE INTO disabled_plugins (name) VALUES (?1)",
            false => "DELETE FROM disabled_plugins WHERE name = ?1",
        };
        self.with(|c| c.execute(sql, [name]).map(drop))
    }

    fn append_activity(&self, entries: &[ActivityEntry]) -> Result<(), StateError> {
        self.with(|c| {
            let transaction = c.transaction()?;
            {
                let mut insert = transaction.prepare_cached(
                    "INSERT INTO activity (at_ms, kind, principal, session, transport, era, tool, provider, duration_us, \
                     outcome, bytes_in, bytes_out, arguments_sha256, arguments, error) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )?;
                for e in entries {
                    insert.execute(params![
                        e.at_ms,
                        e.kind,
                        e.principal,
                        e.session,
                        e.transport,
                        e.era,
                        e.tool,
                        e.provider,
                        e.duration_us,
                        e.outcome,
                        e.bytes_in,
                        e.bytes_out,
                        e.arguments_sha256,
                        e.arguments,
                        e.error
                    ])?;
                }
            }
            transaction.commit()
        })
    }

    fn activity(&self, filter: &ActivityFilter) -> Result<Vec<ActivityEntry>, StateError> {
        let mut conditions = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        for (column, value) in [
            ("tool", &filter.tool),
            ("principal", &filter.principal),
            ("session", &filter.session),
            ("outcome", &filter.outcome),
            ("transport", &filter.transport),
        ] {
            if let Some(value) = value {
                conditions.push(format!("{column} = ?"));
                values.push(value.clone().into());
            }
        }
        for (condition, value) in
            [("at_ms >= ?", filter.since_ms), ("at_ms < ?", filter.until_ms), ("id < ?", filter.cursor)]
        {
            if let Some(value) = value {
                conditions.push(condition.to_string());
                values.push(value.into());
            }
        }
        let filter_sql =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT {ACTIVITY_COLUMNS} FROM activity {filter_sql} ORDER BY id DESC LIMIT {}",
            filter.page_size()
        );
        self.with(|c| {
            let mut statement = c.prepare(&sql)?;
            statement.query_map(params_from_iter(values), activity_row)?.collect()
        })
    }

    fn prune_activity(&self, before_ms: i64, keep: u64) -> Result<u64, StateError> {
        self.with(|c| {
            let old = c.execute("DELETE FROM activity WHERE at_ms < ?1", [before_ms])?;
            let floor: Option<i64> = c
                .query_row(
                    "SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?1",
                    [keep.min(i64::MAX as u64) as i64],
                    |row| row.get(0),
                )
                .optional()?;
            let surplus = match floor {
                Some(id) => c.execute("DELETE FROM activity WHERE id <= ?1", [id])?,
                None => 0,
            };
            Ok((old + surplus) as u64)
        })
    }

    fn tasks(&self) -> Result<Vec<StoredTask>, StateError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT id, owner, task, ended_at_ms, tool FROM tasks ORDER BY id")?;
            let rows = statement.query_map([], |row| {
                let task: String = row.get(2)?;
                Ok(StoredTask {
                    id: row.get(0)?,
                    owner: row.get(1)?,
                    task: serde_json::from_str(&task).map_err(|e| bad_json(2, e))?,
                    ended_at_ms: row.get(3)?,
                    tool: row.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    fn put_task(&self, task: &StoredTask) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO tasks (id, owner, task, ended_at_ms, tool) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) \
                 DO UPDATE SET owner = excluded.owner, task = excluded.task, ended_at_ms = excluded.ended_at_ms, \
                 tool = excluded.tool",
                params![task.id, task.owner, task.task.to_string(), task.ended_at_ms, task.tool],
            )
            .map(drop)
        })
    }

    fn delete_tasks(&self, ids: &[String]) -> Result<(), StateError> {
        self.with(|c| {
            let transaction = c.transaction()?;
            for id in ids {
                transaction.execute("DELETE FROM tasks WHERE id = ?1", [id])?;
            }
            transaction.commit()
        })
    }

    fn put_record(&self, record: &StoredRecord) -> Result<(), StateError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO records (kind, id, body, expires_at_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, id) \
                 DO UPDATE SET body = excluded.body, expires_at_ms = excluded.expires_at_ms",
                params![record.kind, record.id, record.body.to_string(), record.expires_at_ms],
            )
            .map(drop)
        })
    }

    fn record(&self, kind: &str, id: &str, now_ms: i64) -> Result<Option<StoredRecord>, StateError> {
        self.with(|c| {
            c.query_row(
                "SELECT kind, id, body, expires_at_ms FROM records WHERE kind = ?1 AND id = ?2 \
                 AND (expires_at_ms IS NULL OR expires_at_ms > ?3)",
                params![kind, id, now_ms],
                record_row,
            )
            .optional()
        })
    }

    fn records(&self, kind: &str, now_ms: i64) -> Result<Vec<StoredRecord>, StateError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT kind, id, body, expires_at_ms FROM records WHERE kind = ?1 \
                 AND (expires_at_ms IS NULL OR expires_at_ms > ?2) ORDER BY id",
            )?;
            let rows = statement.query_map(params![kind, now_ms], record_row)?;
            rows.collect()
        })
    }

    fn delete_record(&self, kind: &str, id: &str) -> Result<bool, StateError> {
        self.with(|c| c.execute("DELETE FROM records WHERE kind = ?1 AND id = ?2", [kind, id]).map(|n| n > 0))
    }

    fn prune_records(&self, now_ms: i64) -> Result<u64, StateError> {
        self.with(|c| c.execute("DELETE FROM records WHERE expires_at_ms <= ?1", [now_ms]).map(|n| n as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_plugins_persist_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state").join("portcullis.db");
        let store = SqliteStore::open(&file).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600, "only its owner reads it");
        let server = StoredServer { name: "git".into(), body: serde_json::json!({"url": "https://x/mcp"}) };
        store.put_server(&server).unwrap();
        store.set_plugin_disabled("faulty", true).unwrap();
        drop(store);
        let store = SqliteStore::open(&file).unwrap();
        assert_eq!(store.servers().unwrap(), vec![server]);
        assert_eq!(store.disabled_plugins().unwrap(), vec!["faulty".to_string()]);
        assert!(store.delete_server("git").unwrap());
        assert!(!store.delete_server("git").unwrap());
    }

    #[test]
    fn records_expire_and_persist_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portcullis.db");
        let store = SqliteStore::open(&file).unwrap();
        let record = |id: &str, expires_at_ms| StoredRecord {
            kind: "client".into(),
            id: id.into(),
            body: serde_json::json!({"name": id}),
            expires_at_ms,
        };
        store.put_record(&record("a", None)).unwrap();
        store.put_record(&record("b", Some(100))).unwrap();
        drop(store);
        let store = SqliteStore::open(&file).unwrap();
        assert_eq!(store.record("client", "b", 99).unwrap(), Some(record("b", Some(100))));
        assert_eq!(store.record("client", "b", 100).unwrap(), None, "expired at its time");
        assert_eq!(store.record("code", "a", 0).unwrap(), None, "kinds are apart");
        assert_eq!(store.records("client", 100).unwrap(), vec![record("a", None)]);
        assert_eq!(store.prune_records(100).unwrap(), 1);
        assert!(store.delete_record("client", "a").unwrap());
        assert!(!store.delete_record("client", "a").unwrap());
    }

    #[test]
    fn activity_is_filtered_paged_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("portcullis.db")).unwrap();
        let entries: Vec<_> =
            (0..10).map(|i| ActivityEntry::sample(i, if i % 2 == 0 { "even" } else { "odd" })).collect();
        store.append_activity(&entries).unwrap();
        let page = store.activity(&ActivityFilter { tool: Some("even".into()), limit: Some(2), ..Default::default() });
        let page = page.unwrap();
        assert_eq!(page.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [8, 6]);
        let next = ActivityFilter { tool: Some("even".into()), cursor: Some(page[1].id), ..Default::default() };
        assert_eq!(store.activity(&next).unwrap().iter().map(|e| e.at_ms).collect::<Vec<_>>(), [4, 2, 0]);
        assert_eq!(store.prune_activity(2, 5).unwrap(), 5);
        let left = store.activity(&ActivityFilter::default()).unwrap();
        assert_eq!(left.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [9, 8, 7, 6, 5]);
    }

    #[test]
    fn tasks_persist_across_opens_until_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portcullis.db");
        let store = SqliteStore::open(&file).unwrap();
        let mut task = StoredTask {
            id: "t1".into(),
            owner: "key:alice".into(),
            task: serde_json::json!({"taskId": "t1", "status": "working"}),
            ended_at_ms: None,
            tool: "slow".into(),
        };
        store.put_task(&task).unwrap();
        task.task["status"] = "completed".into();
        task.ended_at_ms = Some(5);
        store.put_task(&task).unwrap();
        drop(store);
        let store = SqliteStore::open(&file).unwrap();
        assert_eq!(store.tasks().unwrap(), vec![task]);
        store.delete_tasks(&["t1".into(), "unknown".into()]).unwrap();
        assert!(store.tasks().unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portcullis.db");
        std::fs::write(&file, vec![0x5a; 8192]).unwrap();
        let error = SqliteStore::open(&file).err().expect("a corrupt file does not open").to_string();
        assert!(error.contains(&file.display().to_string()) && error.contains("corrupt"), "{error}");
    }
}
