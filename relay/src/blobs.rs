//! Encrypted file chunks, one file each under `blobs/<space>/<chunk id>`. The relay
//! checks that a chunk's id is the BLAKE3 hash of its bytes; it cannot read them.

use std::path::{Path, PathBuf};

use bastide_proto::SpaceId;
use tokio::io::AsyncWriteExt;

/// The chunk store.
#[derive(Clone, Debug)]
pub(crate) struct Blobs {
    dir: PathBuf,
}

/// A chunk could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BlobError {
    /// Its id is not the hash of its bytes.
    #[error("chunk id does not match its content")]
    Mismatch,
    /// The disk failed.
    #[error("chunk store: {0}")]
    Io(#[from] std::io::Error),
}

impl Blobs {
    /// The store in `data_dir/blobs`.
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("blobs"),
        }
    }

    fn path(&self, space: &SpaceId, id: &[u8; 32]) -> PathBuf {
        self.dir.join(space.to_string()).join(hex::encode(id))
    }

    /// Whether the chunk is stored.
    pub(crate) async fn has(&self, space: &SpaceId, id: &[u8; 32]) -> bool {
        tokio::fs::try_exists(self.path(space, id)).await.unwrap_or(false)
    }

    /// Bytes of every chunk stored for `space`.
    pub(crate) async fn bytes(&self, space: &SpaceId) -> std::io::Result<u64> {
        let mut dir = match tokio::fs::read_dir(self.dir.join(space.to_string())).await {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut total = 0;
        while let Some(file) = dir.next_entry().await? {
            total += file.metadata().await?.len();
        }
        Ok(total)
    }

    /// Stores a chunk durably (written aside, synced, then renamed into place).
    /// Whether it was new.
    pub(crate) async fn put(&self, space: &SpaceId, id: &[u8; 32], bytes: &[u8]) -> Result<bool, BlobError> {
        if blake3::hash(bytes).as_bytes() != id {
            return Err(BlobError::Mismatch);
        }
        let path = self.path(space, id);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(false);
        }
        let dir = self.dir.join(space.to_string());
        tokio::fs::create_dir_all(&dir).await?;
        let partial = dir.join(format!(
            "{}.partial-{}",
            hex::encode(id),
            hex::encode(bastide_proto::random_bytes::<8>())
        ));
        let mut file = tokio::fs::File::create(&partial).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&partial, &path).await?;
        Ok(true)
    }

    /// A stored chunk, if any.
    pub(crate) async fn get(&self, space: &SpaceId, id: &[u8; 32]) -> Result<Option<Vec<u8>>, BlobError> {
        match tokio::fs::read(self.path(space, id)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
