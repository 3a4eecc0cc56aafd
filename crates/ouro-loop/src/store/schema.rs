//! The store's schema and its migrations, tracked by SQLite's `user_version`.

use rusqlite::Connection;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE tasks (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    inputs           TEXT    NOT NULL DEFAULT '[]',
    tests            TEXT    NOT NULL DEFAULT '[]',
    priority         INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN
                     ('pending', 'in_progress', 'done', 'failed', 'rejected', 'cancelled')),
    error            TEXT,
    runs             INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    commit_sha       TEXT,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    finished_ms      INTEGER,
    lease_owner      TEXT,
    lease_expires_ms INTEGER,
    heartbeat_ms     INTEGER
);
CREATE INDEX tasks_queue ON tasks (status, priority DESC, created_ms, seq);
CREATE TABLE runs (
    task_id     TEXT    NOT NULL,
    run         INTEGER NOT NULL,
    owner       TEXT    NOT NULL,
    dir         TEXT    NOT NULL,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER,
    outcome     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    verdict     TEXT,
    PRIMARY KEY (task_id, run)
);
CREATE INDEX runs_recent ON runs (started_ms DESC);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], one migration per transaction.
/// Fails (without touching it) on a database newer than this build knows.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(MigrateError::TooNew { version });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Why [`migrate`] failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database was written by a newer ouro.
    #[error("schema version {version} is newer than this ouro knows ({SCHEMA_VERSION})")]
    TooNew {
        /// Its version.
        version: i64,
    },
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let mut conn = Connection::open_in_memory().expect("in-memory db");
        assert!(migrate(&mut conn).is_ok());
        assert!(migrate(&mut conn).is_ok(), "second run is a no-op");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        assert!(
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .is_ok()
        );
        assert!(matches!(
            migrate(&mut conn),
            Err(MigrateError::TooNew { .. })
        ));
    }
}
