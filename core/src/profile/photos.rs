//! Photos of directory cards and bookable resources: an image file encrypted like a
//! document's, its reference kept in the item under `photo`.

use std::path::Path;

use automerge::ROOT;
use automerge::transaction::Transactable;
use bastide_proto::{ItemId, RelayAddr, SpaceId};
use serde::Serialize;

use super::Profile;
use crate::error::Error;
use crate::files::{self, FileRef};
use crate::sync::RelayConnection;

/// Largest photo accepted.
const MAX_PHOTO: u64 = 5 * 1024 * 1024;

/// Item kinds that can have a photo.
const WITH_PHOTO: [&str; 2] = [crate::directory::KIND, crate::bookings::RESOURCE];

/// A photo's bytes and type, for the views.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Photo {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub mime: String,
    /// The image.
    pub bytes: Vec<u8>,
}

/// The image type of `bytes` from their first bytes, if one we show.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

impl Profile {
    async fn photo_kind(&self, space: SpaceId, id: ItemId) -> Result<&'static str, Error> {
        let row: Option<(String,)> = sqlx::query_as("SELECT kind FROM items WHERE id = ? AND space = ?")
            .bind(id.0.as_slice())
            .bind(space.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        let kind = row.ok_or_else(|| Error::ItemNotFound(id.to_string()))?.0;
        WITH_PHOTO
            .into_iter()
            .find(|k| *k == kind)
            .ok_or_else(|| Error::InvalidInput(format!("a {kind} has no photo")))
    }

    /// Sets the photo of a card or a resource from an image file (JPEG, PNG or WebP,
    /// at most 5 MiB).
    pub async fn set_photo(&self, space: SpaceId, id: ItemId, path: &Path) -> Result<(), Error> {
        let kind = self.photo_kind(space, id).await?;
        let unreadable = |source| Error::FileUnreadable {
            path: path.to_owned(),
            source,
        };
        let size = tokio::fs::metadata(path).await.map_err(unreadable)?.len();
        if size > MAX_PHOTO {
            return Err(Error::InvalidInput(format!(
                "a photo is at most {} MiB",
                MAX_PHOTO >> 20
            )));
        }
        let mut head = [0u8; 12];
        let read = {
            use tokio::io::AsyncReadExt;
            let mut file = tokio::fs::File::open(path).await.map_err(unreadable)?;
            file.read(&mut head).await.map_err(unreadable)?
        };
        if image_type(&head[..read]).is_none() {
            return Err(Error::InvalidInput("a photo is a JPEG, PNG or WebP image".into()));
        }
        let file = {
            let mut conn = self.pool.acquire().await?;
            files::import(&mut conn, &self.dir, space, path).await?
        };
        let json = crate::fields::to_json(&file)?;
        self.edit_item(space, id, kind, |doc, by, now| {
            doc.put(ROOT, "photo", json.as_str())?;
            crate::fields::stamp(doc, by, now)
        })
        .await
    }

    /// Removes the photo of a card or a resource.
    pub async fn remove_photo(&self, space: SpaceId, id: ItemId) -> Result<(), Error> {
        let kind = self.photo_kind(space, id).await?;
        self.edit_item(space, id, kind, |doc, by, now| {
            if crate::fields::get_str(doc, "photo").is_some_and(|p| !p.is_empty()) {
                doc.put(ROOT, "photo", "")?;
                crate::fields::stamp(doc, by, now)?;
            }
            Ok(())
        })
        .await
    }

    /// The photo of a card or a resource, fetched from the relay the first time.
    pub async fn photo(&self, space: SpaceId, id: ItemId) -> Result<Option<Photo>, Error> {
        let kind = self.photo_kind(space, id).await?;
        let Some(doc) = self.read_doc(space, id, kind).await? else {
            return Ok(None);
        };
        let Some(file) = crate::fields::get_str(&doc, "photo")
            .filter(|p| !p.is_empty())
            .and_then(|p| serde_json::from_str::<FileRef>(&p).ok())
        else {
            return Ok(None);
        };
        // The photo's file is named by its hash: never a path out of `photos/`.
        file.check()?;
        let dir = self.dir.join("photos");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
        let out = dir.join(&file.hash);
        if tokio::fs::metadata(&out).await.is_err() {
            let relay = self.space(space).await?.relay;
            let device = self.device.clone();
            files::export(&self.dir, space, &file, &out, || async move {
                let addr: RelayAddr = relay.parse()?;
                Ok(RelayConnection::connect(&addr, &device).await?)
            })
            .await?;
        }
        let bytes = tokio::fs::read(&out).await.map_err(|source| Error::Io {
            path: out.clone(),
            source,
        })?;
        let mime = image_type(&bytes)
            .unwrap_or("application/octet-stream")
            .to_owned();
        Ok(Some(Photo { mime, bytes }))
    }
}
