//! Files of any size, chunk by chunk: encrypted on the way in (into the profile's
//! `blobs/` cache and the upload queue), uploaded before the entries that reference
//! them, fetched on demand and checked on the way out. Never a whole file in memory.

use std::path::{Path, PathBuf};

use bastide_proto::file::{CHUNK_SIZE, FileKey};
use bastide_proto::{SpaceId, wire::MAX_CHUNK};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::Error;
use crate::sync::RelayConnection;

/// Chunks asked about per request when uploading.
const ASK_BATCH: usize = 256;

/// Where a file's bytes are: what an item keeps of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRef {
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the plaintext (hex): what an approval signs.
    pub hash: String,
    /// The file key (hex); the item holding it is sealed under the space key.
    pub key: String,
    /// Chunk ids (hex), in order.
    pub chunks: Vec<String>,
}

/// Whether `text` is a hash or key as file references write them: 64 lowercase hex
/// characters. File references come from other members' items; each of their names
/// becomes a file name in the profile, so nothing else (a path, `..`) is accepted.
pub(crate) fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl FileRef {
    /// Refuses a reference whose hash, key or chunk ids are not 64 hex characters:
    /// one written by a patched client to reach a path outside the profile.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if is_hash(&self.hash) && is_hash(&self.key) && self.chunks.iter().all(|c| is_hash(c)) {
            Ok(())
        } else {
            Err(Error::InvalidInput(
                "a file reference with a malformed hash, key or chunk id".into(),
            ))
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn cache_path(profile_dir: &Path, id: &str) -> PathBuf {
    profile_dir.join("blobs").join(id)
}

/// Reads `path`, encrypts it chunk by chunk into the cache, and queues the chunks for
/// upload to `space`'s relay. On failure (the file unreadable half-way, the disk
/// full) the chunks written so far are removed and nothing is queued.
pub(crate) async fn import(
    conn: &mut SqliteConnection,
    profile_dir: &Path,
    space: SpaceId,
    path: &Path,
) -> Result<FileRef, Error> {
    let mut written = Vec::new();
    let result = async {
        let file = encrypt_into_cache(profile_dir, path, &mut written).await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        for id in &file.chunks {
            sqlx::query("INSERT OR IGNORE INTO chunk_uploads (space, id) VALUES (?, ?)")
                .bind(space.0.as_slice())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(file)
    }
    .await;
    if result.is_err() {
        discard_cached(profile_dir, &written).await;
    }
    result
}

/// Removes chunks from the cache (those of a file that was not kept). The chunks of
/// one file are its own: its key is new, so no other file has the same ciphertext.
pub(crate) async fn discard_cached(profile_dir: &Path, chunks: &[String]) {
    for id in chunks.iter().filter(|id| is_hash(id)) {
        let path = cache_path(profile_dir, id);
        if let Err(error) = tokio::fs::remove_file(&path).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(chunk = %id, %error, "cannot remove a chunk of a file not kept");
        }
    }
}

/// Removes a file added to the profile whose item could not be stored: its chunks
/// leave the cache and the upload queue.
pub(crate) async fn discard(pool: &sqlx::SqlitePool, profile_dir: &Path, space: SpaceId, file: &FileRef) {
    // Files first: they free the room the queue's DELETE may need on a full disk.
    discard_cached(profile_dir, &file.chunks).await;
    for id in &file.chunks {
        if let Err(error) = sqlx::query("DELETE FROM chunk_uploads WHERE space = ? AND id = ?")
            .bind(space.0.as_slice())
            .bind(id)
            .execute(pool)
            .await
        {
            tracing::warn!(chunk = %id, %error, "cannot unqueue a chunk of a file not kept");
        }
    }
}

/// Encrypts `path` chunk by chunk into the cache; `written` gets each chunk id as
/// soon as its file exists, so a caller can remove them if this fails half-way.
async fn encrypt_into_cache(
    profile_dir: &Path,
    path: &Path,
    written: &mut Vec<String>,
) -> Result<FileRef, Error> {
    let unreadable = |source| Error::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let mut file = tokio::fs::File::open(path).await.map_err(unreadable)?;
    let cache = profile_dir.join("blobs");
    tokio::fs::create_dir_all(&cache).await.map_err(io(&cache))?;
    let key = FileKey::generate();
    let mut hasher = blake3::Hasher::new();
    let mut chunks = Vec::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; CHUNK_SIZE];
    loop {
        let mut filled = 0;
        while filled < CHUNK_SIZE {
            let n = file.read(&mut buf[filled..]).await.map_err(unreadable)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 && !chunks.is_empty() {
            break;
        }
        let plain = &buf[..filled];
        hasher.update(plain);
        size += filled as u64;
        let (sealed, id) = key
            .seal(chunks.len() as u64, plain)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let id = hex::encode(id);
        let target = cache_path(profile_dir, &id);
        write_atomically(&target, &sealed).await?;
        written.push(id.clone());
        chunks.push(id);
        if filled < CHUNK_SIZE {
            break;
        }
    }
    Ok(FileRef {
        size,
        hash: hasher.finalize().to_hex().to_string(),
        key: hex::encode(key.0),
        chunks,
    })
}

/// Writes `bytes` aside, then renames: `target` is whole or absent, and nothing is
/// left behind when writing fails (a full disk).
async fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), Error> {
    let partial = target.with_extension(format!(
        "partial-{}",
        hex::encode(bastide_proto::random_bytes::<6>())
    ));
    let result = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // Only the owner reads the profile's files.
        #[cfg(unix)]
        options.mode(0o600);
        let mut out = options.open(&partial).await.map_err(io(&partial))?;
        out.write_all(bytes).await.map_err(io(&partial))?;
        out.sync_all().await.map_err(io(&partial))?;
        drop(out);
        tokio::fs::rename(&partial, target).await.map_err(io(target))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    result
}

/// Uploads `space`'s queued chunks the relay lacks; each leaves the queue once stored,
/// so an interrupted upload resumes where it stopped. Returns how many were sent.
pub(crate) async fn upload(
    pool: &sqlx::SqlitePool,
    profile_dir: &Path,
    connection: &RelayConnection,
    space: SpaceId,
) -> Result<usize, Error> {
    let mut sent = 0;
    loop {
        let queued: Vec<(String,)> = sqlx::query_as("SELECT id FROM chunk_uploads WHERE space = ? LIMIT ?")
            .bind(space.0.as_slice())
            .bind(ASK_BATCH as i64)
            .fetch_all(pool)
            .await?;
        if queued.is_empty() {
            return Ok(sent);
        }
        let ids: Vec<[u8; 32]> = queued
            .iter()
            .filter_map(|(id,)| hex::decode(id).ok()?.try_into().ok())
            .collect();
        let missing = connection.missing_chunks(space, ids.clone()).await?;
        for id in &missing {
            let path = cache_path(profile_dir, &hex::encode(id));
            let bytes = match tokio::fs::read(&path).await {
                Ok(bytes) => bytes,
                Err(error) => {
                    // The cache was emptied by hand: nothing left to send for it.
                    tracing::warn!(chunk = %hex::encode(id), %error, "queued chunk missing from the cache");
                    continue;
                }
            };
            match connection.put_chunk(space, *id, bytes).await {
                Ok(()) => sent += 1,
                // Refused for good (this device may no longer write here): keeping it
                // queued would stop every later sync of the space.
                Err(crate::sync::SyncError::Refused { message, .. }) => {
                    tracing::warn!(chunk = %hex::encode(id), %message, "relay refused a file chunk");
                }
                Err(other) => return Err(other.into()),
            }
        }
        for id in ids {
            sqlx::query("DELETE FROM chunk_uploads WHERE space = ? AND id = ?")
                .bind(space.0.as_slice())
                .bind(hex::encode(id))
                .execute(pool)
                .await?;
        }
    }
}

/// Writes the file `file` describes to `out`: chunks from the cache, or fetched with
/// `connect` (called at most once) and cached; each checked, the whole checked again
/// against its hash. Written aside and renamed, so `out` is never half a file.
pub(crate) async fn export<F, Fut>(
    profile_dir: &Path,
    space: SpaceId,
    file: &FileRef,
    out: &Path,
    connect: F,
) -> Result<(), Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<RelayConnection, Error>>,
{
    file.check()?;
    let key: [u8; 32] = hex::decode(&file.key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| Error::InvalidInput("corrupt file key".into()))?;
    let key = FileKey(key);
    let unwritable = |source| Error::FileUnwritable {
        path: out.to_path_buf(),
        source,
    };
    let partial = out.with_file_name(format!(
        ".{}.partial-{}",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("bastide"),
        hex::encode(bastide_proto::random_bytes::<6>())
    ));
    let mut writer = tokio::fs::File::create(&partial).await.map_err(unwritable)?;
    let result = async {
        let mut connection = None;
        let mut connect = Some(connect);
        let mut hasher = blake3::Hasher::new();
        for (index, id) in file.chunks.iter().enumerate() {
            let raw: [u8; 32] = hex::decode(id)
                .ok()
                .and_then(|k| k.try_into().ok())
                .ok_or_else(|| Error::InvalidInput("corrupt chunk id".into()))?;
            let cached = cache_path(profile_dir, id);
            let sealed = match tokio::fs::read(&cached).await {
                Ok(bytes) if blake3::hash(&bytes).as_bytes() == &raw => bytes,
                _ => {
                    if connection.is_none()
                        && let Some(connect) = connect.take()
                    {
                        connection = Some(connect().await?);
                    }
                    let Some(relay) = connection.as_ref() else {
                        return Err(Error::InvalidInput("no relay to fetch the file from".into()));
                    };
                    let bytes = relay.get_chunk(space, raw).await?;
                    if bytes.len() > MAX_CHUNK || blake3::hash(&bytes).as_bytes() != &raw {
                        return Err(Error::InvalidInput("the relay sent a damaged file chunk".into()));
                    }
                    if let Some(dir) = cached.parent() {
                        tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
                    }
                    write_atomically(&cached, &bytes).await?;
                    bytes
                }
            };
            let plain = key
                .open(index as u64, &sealed)
                .map_err(|_| Error::InvalidInput("a file chunk does not decrypt".into()))?;
            hasher.update(&plain);
            writer.write_all(&plain).await.map_err(unwritable)?;
        }
        if let Some(relay) = connection {
            relay.close().await;
        }
        if hasher.finalize().to_hex().as_str() != file.hash {
            return Err(Error::InvalidInput("the file does not match its hash".into()));
        }
        writer.sync_all().await.map_err(unwritable)?;
        tokio::fs::rename(&partial, out).await.map_err(unwritable)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
    }
    result
}
