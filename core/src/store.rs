//! Opening a profile's SQLite database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::Error;

/// The database file inside a profile folder.
pub const DB_FILE: &str = "bastide.db";

/// Opens (creating and migrating if needed) the profile database in `dir`.
pub(crate) async fn open(dir: &Path) -> Result<SqlitePool, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(dir.join(DB_FILE))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts;
        // what was lost is still in the relay or is re-typed. FULL costs an fsync per edit.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
