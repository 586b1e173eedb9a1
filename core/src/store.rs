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

/// Opens (creating and migrating if needed) the profile database in `dir`. The folder
/// is made (or made again, for a profile from an older version) private to its owner:
/// mode 0700, so nothing inside is reachable by other users of the computer, and the
/// database 0600 (SQLite gives its journal files the database's mode).
pub(crate) async fn open(dir: &Path) -> Result<SqlitePool, Error> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    let db = dir.join(DB_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(failed(dir))?;
        // Made 0600 before SQLite first opens it, then kept so.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&db)
            .map_err(failed(&db))?;
        for name in [
            DB_FILE.to_owned(),
            format!("{DB_FILE}-wal"),
            format!("{DB_FILE}-shm"),
        ] {
            let file = dir.join(name);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(&file)(e)),
                _ => {}
            }
        }
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(&db)
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
