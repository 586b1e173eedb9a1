//! The document base: adding files and versions, fetching them, and the approval
//! chain.

use std::path::Path;

use bastide_proto::membership::Role;
use bastide_proto::{ItemId, MemberId, RelayAddr, SpaceId};
use time::OffsetDateTime;

use super::Profile;
use crate::documents::{self, Document, Version};
use crate::error::Error;
use crate::files;
use crate::sync::RelayConnection;

/// The text of the file at `path` for search (none if it has none), read off the
/// async threads.
async fn extract_text(path: &Path) -> String {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || crate::extract::text_of(&path))
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

impl Profile {
    /// Encrypts `path` into the profile and makes it a version.
    async fn import_version(&self, space: SpaceId, path: &Path) -> Result<Version, Error> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("document")
            .to_owned();
        let mut conn = self.pool.acquire().await?;
        let file = files::import(&mut conn, &self.dir, space, path).await?;
        let openable = documents::opens_with_system(&name);
        Ok(Version {
            name,
            file,
            added_at: crate::fields::utc(OffsetDateTime::now_utc()),
            added_by: self.device_id().to_string(),
            openable,
        })
    }

    /// Adds a document from a file, in `folder`; its title is the file's name.
    pub async fn add_document(&self, space: SpaceId, path: &Path, folder: &str) -> Result<Document, Error> {
        self.writing_role(space).await?;
        let version = self.import_version(space, path).await?;
        let text = extract_text(path).await;
        let title = Path::new(&version.name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&version.name)
            .to_owned();
        let created = self
            .create_item(space, documents::KIND, |doc, by, now| {
                documents::create(doc, &title, folder, &version, by, now)?;
                documents::set_text(doc, &text)
            })
            .await;
        let id = self.keep_file_if(created, space, &version).await?;
        self.document(space, id).await
    }

    /// Passes `stored` on; if the item naming `version`'s file could not be stored (a
    /// full disk), the file's chunks leave the cache and the upload queue first.
    async fn keep_file_if<T>(
        &self,
        stored: Result<T, Error>,
        space: SpaceId,
        version: &Version,
    ) -> Result<T, Error> {
        if stored.is_err() {
            files::discard(&self.pool, &self.dir, space, &version.file).await;
        }
        stored
    }

    /// Adds a new version of a document; the old ones stay.
    pub async fn add_document_version(
        &self,
        space: SpaceId,
        id: ItemId,
        path: &Path,
    ) -> Result<Document, Error> {
        self.document(space, id).await?;
        self.writing_role(space).await?;
        let version = self.import_version(space, path).await?;
        let text = extract_text(path).await;
        let stored = self
            .edit_item(space, id, documents::KIND, |doc, by, now| {
                documents::add_version(doc, &version, by, now)?;
                documents::set_text(doc, &text)
            })
            .await;
        self.keep_file_if(stored, space, &version).await?;
        self.document(space, id).await
    }

    /// Comments on a document, or answers a comment (`parent`). Any member who writes.
    pub async fn comment_document(
        &self,
        space: SpaceId,
        document: ItemId,
        parent: Option<ItemId>,
        body: &str,
    ) -> Result<crate::Comment, Error> {
        let body = crate::comments::check_body(body)?;
        self.document(space, document).await?;
        if let Some(parent) = parent
            && self.comment(space, parent).await?.document != document.to_string()
        {
            return Err(Error::ItemNotFound(parent.to_string()));
        }
        let id = self
            .create_item(space, crate::comments::KIND, |doc, by, now| {
                crate::comments::write_new(doc, document, parent, &body, by, now)
            })
            .await?;
        self.comment(space, id).await
    }

    /// Moves a document to the trash, or back. Editors and above.
    pub async fn set_document_deleted(
        &self,
        space: SpaceId,
        id: ItemId,
        deleted: bool,
    ) -> Result<Document, Error> {
        self.writing_role(space).await?;
        self.edit_item(space, id, documents::KIND, |doc, by, now| {
            crate::fields::set_deleted(doc, deleted, by, now)
        })
        .await?;
        self.document(space, id).await
    }

    /// Empties a document in the trash for good: admins only. It leaves every list and
    /// the search index, and its file keys leave the document; its sealed history
    /// stays in the log.
    pub async fn purge_document(&self, space: SpaceId, id: ItemId) -> Result<(), Error> {
        if self.my_role(space).await? != Some(Role::Admin) {
            return Err(Error::NotAllowed("only admins purge the trash".into()));
        }
        if !self.document(space, id).await?.deleted {
            return Err(Error::InvalidInput(
                "only a document in the trash can be purged".into(),
            ));
        }
        self.edit_item(space, id, documents::KIND, documents::purge).await
    }

    /// A new document from a template (a document of the « Modèles » folder, or any):
    /// its latest version's file, under a new title, in `folder`. The file is not
    /// copied: both documents name the same encrypted chunks.
    pub async fn document_from_template(
        &self,
        space: SpaceId,
        template: ItemId,
        title: &str,
        folder: &str,
    ) -> Result<Document, Error> {
        self.writing_role(space).await?;
        let source = self.document(space, template).await?;
        let Some(latest) = source.versions.last() else {
            return Err(Error::InvalidInput("the template has no file".into()));
        };
        let text = self
            .read_doc(space, template, documents::KIND)
            .await?
            .map(|doc| documents::text(&doc))
            .unwrap_or_default();
        let version = Version {
            name: latest.name.clone(),
            file: latest.file.clone(),
            added_at: crate::fields::utc(OffsetDateTime::now_utc()),
            added_by: self.device_id().to_string(),
            openable: latest.openable,
        };
        let id = self
            .create_item(space, documents::KIND, |doc, by, now| {
                documents::create(doc, title, folder, &version, by, now)?;
                documents::set_text(doc, &text)
            })
            .await?;
        self.document(space, id).await
    }

    /// One comment.
    pub async fn comment(&self, space: SpaceId, id: ItemId) -> Result<crate::Comment, Error> {
        self.comments_matching(space, None, Some(id))
            .await?
            .pop()
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    /// Withdraws one of this member's comments (its replies stay).
    pub async fn delete_comment(&self, space: SpaceId, id: ItemId) -> Result<(), Error> {
        self.must_be_author_or_admin(space, id).await?;
        self.edit_item(space, id, crate::comments::KIND, |doc, by, now| {
            crate::fields::set_deleted(doc, true, by, now)
        })
        .await
    }

    /// The comments of a document, oldest first (replies name their parent), authors
    /// named.
    pub async fn document_comments(
        &self,
        space: SpaceId,
        document: ItemId,
    ) -> Result<Vec<crate::Comment>, Error> {
        self.comments_matching(space, Some(document), None).await
    }

    /// Comments of a document or one comment, with their authors named for this member.
    async fn comments_matching(
        &self,
        space: SpaceId,
        document: Option<ItemId>,
        only: Option<ItemId>,
    ) -> Result<Vec<crate::Comment>, Error> {
        let mut comments = {
            let mut conn = self.pool.acquire().await?;
            crate::comments::list(&mut conn, space, document, only).await?
        };
        let members = self.members_of(space).await?;
        let me = members.state.member_of(&self.device_id()).map(|(m, _)| m);
        for comment in &mut comments {
            if let Ok(device) = comment.author_device.parse::<bastide_proto::DeviceId>() {
                comment.author = members.state.name_of(&device).unwrap_or_default().to_owned();
                comment.mine = me.is_some() && members.state.member_of(&device).map(|(m, _)| m) == me;
            }
            if comment.deleted {
                comment.body.clear();
            }
        }
        Ok(comments)
    }

    /// Changes a document's title, folder, tags and description.
    pub async fn describe_document(
        &self,
        space: SpaceId,
        id: ItemId,
        title: &str,
        folder: &str,
        tags: &[String],
        description: &str,
    ) -> Result<Document, Error> {
        self.edit_item(space, id, documents::KIND, |doc, by, now| {
            documents::describe(doc, title, folder, tags, description, by, now)
        })
        .await?;
        self.document(space, id).await
    }

    /// Submits the latest version for approval by `validators` (all of the space's
    /// if empty).
    pub async fn submit_document(
        &self,
        space: SpaceId,
        id: ItemId,
        validators: &[MemberId],
    ) -> Result<Document, Error> {
        let members = self.members(space).await?;
        for v in validators {
            let known = members.iter().any(|m| {
                m.id == v.to_string() && !m.removed && matches!(m.role, Role::Validator | Role::Admin)
            });
            if !known {
                return Err(Error::InvalidInput(format!(
                    "{v} is not a validator of this space"
                )));
            }
        }
        self.edit_item(space, id, documents::KIND, |doc, by, now| {
            documents::submit(doc, validators, by, now)
        })
        .await?;
        self.document(space, id).await
    }

    /// Approves (or refuses, with a comment) the latest version, signed by this
    /// device. Validators (and admins) only.
    pub async fn decide_document(
        &self,
        space: SpaceId,
        id: ItemId,
        approved: bool,
        comment: &str,
    ) -> Result<Document, Error> {
        match self.my_role(space).await? {
            Some(Role::Validator | Role::Admin) => {}
            Some(role) => {
                return Err(Error::NotAllowed(format!("a {role} does not approve documents")));
            }
            None => return Err(Error::NotMember(space)),
        }
        let device = self.device.clone();
        self.edit_item(space, id, documents::KIND, |doc, by, now| {
            documents::decide(doc, (space, id), &device, approved, comment, by, now)
        })
        .await?;
        self.document(space, id).await
    }

    /// One document, its approval chain judged against the membership log.
    pub async fn document(&self, space: SpaceId, id: ItemId) -> Result<Document, Error> {
        let stored = {
            let mut conn = self.pool.acquire().await?;
            documents::get(&mut conn, space, id)
                .await?
                .ok_or_else(|| Error::ItemNotFound(id.to_string()))?
        };
        Ok(documents::judge(
            space,
            id,
            stored,
            &self.members_of(space).await?.state,
        ))
    }

    /// The documents of a space, by folder and title.
    pub async fn documents(&self, space: SpaceId) -> Result<Vec<Document>, Error> {
        self.documents_in(space, false).await
    }

    /// The documents in the trash.
    pub async fn document_trash(&self, space: SpaceId) -> Result<Vec<Document>, Error> {
        self.documents_in(space, true).await
    }

    async fn documents_in(&self, space: SpaceId, deleted: bool) -> Result<Vec<Document>, Error> {
        self.space(space).await?;
        let stored = {
            let mut conn = self.pool.acquire().await?;
            documents::list(&mut conn, space, deleted).await?
        };
        let members = self.members_of(space).await?;
        Ok(stored
            .into_iter()
            .map(|(id, s)| documents::judge(space, id, s, &members.state))
            .collect())
    }

    /// Writes a version's bytes (the latest if `version` is `None`) to `out`, fetching
    /// missing chunks from the relay.
    pub async fn save_document(
        &self,
        space: SpaceId,
        id: ItemId,
        version: Option<usize>,
        out: &Path,
    ) -> Result<(), Error> {
        let document = self.document(space, id).await?;
        let chosen = match version {
            Some(n) => document.versions.get(n),
            None => document.versions.last(),
        };
        let Some(chosen) = chosen else {
            return Err(Error::InvalidInput("no such version".into()));
        };
        let relay = self.space(space).await?.relay;
        let device = self.device.clone();
        files::export(&self.dir, space, &chosen.file, out, || async move {
            let addr: RelayAddr = relay.parse()?;
            Ok(RelayConnection::connect(&addr, &device).await?)
        })
        .await
    }

    /// Refuses early what the relay would refuse: readers and outsiders adding files.
    pub(super) async fn writing_role(&self, space: SpaceId) -> Result<(), Error> {
        super::membership::may_write(space, self.my_role(space).await?)
    }
}
