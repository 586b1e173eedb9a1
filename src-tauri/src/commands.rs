//! Tauri commands: one call into core each, errors as `{code, message}`.

use std::path::Path;

use bastide_core::live::SyncStatus;
use bastide_core::{
    Card, CardFilter, CardImport, CardImportPreview, CardInput, Code, Document, Event, EventInput,
    HistoryEntry, Hit, InvitationView, ItemId, MemberInfo, MemberView, Post, Quote, Role, SpaceId, SpaceInfo,
    Topic,
};
use serde::ser::SerializeStruct;
use tauri::State;
use tracing::instrument;

use crate::{AppInfo, AppState};

/// An error as the UI receives it: a stable code to branch on, and an English detail.
#[derive(Debug)]
pub(crate) struct IpcError {
    code: Code,
    message: String,
}

impl From<bastide_core::Error> for IpcError {
    fn from(error: bastide_core::Error) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl From<bastide_core::IdError> for IpcError {
    fn from(error: bastide_core::IdError) -> Self {
        Self {
            code: Code::InvalidInput,
            message: error.to_string(),
        }
    }
}

impl serde::Serialize for IpcError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("IpcError", 2)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("message", &self.message)?;
        s.end()
    }
}

pub(crate) type Result<T> = std::result::Result<T, IpcError>;

pub(crate) fn space_id(space: &str) -> Result<SpaceId> {
    Ok(space.parse()?)
}

pub(crate) fn item_id(id: &str) -> Result<ItemId> {
    Ok(id.parse()?)
}

#[tauri::command]
pub(crate) fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info.clone()
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_spaces(state: State<'_, AppState>) -> Result<Vec<SpaceInfo>> {
    Ok(state.profile.spaces().await?)
}

#[tauri::command]
#[instrument(skip(state, token), err(level = "info", Debug))]
pub(crate) async fn create_space(
    state: State<'_, AppState>,
    name: String,
    relay: String,
    me: MemberInfo,
    token: Option<String>,
) -> Result<SpaceInfo> {
    Ok(state
        .profile
        .create_space_admitted(&name, &relay, me, token.as_deref())
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn invite_code(
    state: State<'_, AppState>,
    space: String,
    role: Role,
    expires_days: i64,
) -> Result<String> {
    let (code, _) = state
        .profile
        .invite(space_id(&space)?, role, expires_days)
        .await?;
    Ok(code)
}

#[tauri::command]
#[instrument(skip(state, code), err(level = "info", Debug))]
pub(crate) async fn join_space(
    state: State<'_, AppState>,
    code: String,
    name: String,
    organisation: String,
    function: String,
) -> Result<SpaceInfo> {
    let info = MemberInfo {
        name,
        organisation,
        function,
    };
    Ok(state.profile.join(&code, info).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn space_members(state: State<'_, AppState>, space: String) -> Result<Vec<MemberView>> {
    Ok(state.profile.members(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_role(
    state: State<'_, AppState>,
    space: String,
    member: String,
    role: Role,
) -> Result<()> {
    state
        .profile
        .set_role(space_id(&space)?, member.parse()?, role)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn remove_member(state: State<'_, AppState>, space: String, member: String) -> Result<()> {
    state
        .profile
        .remove_member(space_id(&space)?, member.parse()?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn remove_device(state: State<'_, AppState>, space: String, device: String) -> Result<()> {
    state
        .profile
        .remove_device(space_id(&space)?, device.parse()?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_invitations(
    state: State<'_, AppState>,
    space: String,
) -> Result<Vec<InvitationView>> {
    Ok(state.profile.invitations(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn revoke_invitation(
    state: State<'_, AppState>,
    space: String,
    invitation: String,
) -> Result<()> {
    state
        .profile
        .revoke(space_id(&space)?, invitation.parse()?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn device_add(state: State<'_, AppState>) -> Result<String> {
    let (code, _) = state.profile.device_add().await?;
    Ok(code)
}

#[tauri::command]
#[instrument(skip(state, code), err(level = "info", Debug))]
pub(crate) async fn device_join(state: State<'_, AppState>, code: String) -> Result<Vec<SpaceInfo>> {
    Ok(state.profile.device_join(&code).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_events(state: State<'_, AppState>, space: String) -> Result<Vec<Event>> {
    Ok(state.profile.events(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_trash(state: State<'_, AppState>, space: String) -> Result<Vec<Event>> {
    Ok(state.profile.trash(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_event(state: State<'_, AppState>, space: String, event: EventInput) -> Result<Event> {
    Ok(state.profile.add_event(space_id(&space)?, event).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_event(
    state: State<'_, AppState>,
    space: String,
    id: String,
    event: EventInput,
) -> Result<Event> {
    Ok(state
        .profile
        .update_event(space_id(&space)?, item_id(&id)?, event)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn delete_event(state: State<'_, AppState>, space: String, id: String) -> Result<()> {
    state
        .profile
        .delete_event(space_id(&space)?, item_id(&id)?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn restore_event(state: State<'_, AppState>, space: String, id: String) -> Result<()> {
    state
        .profile
        .restore_event(space_id(&space)?, item_id(&id)?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_cards(
    state: State<'_, AppState>,
    space: String,
    filter: CardFilter,
) -> Result<Vec<Card>> {
    Ok(state.profile.cards(space_id(&space)?, &filter).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_card(state: State<'_, AppState>, space: String, card: CardInput) -> Result<Card> {
    Ok(state.profile.add_card(space_id(&space)?, card).await?)
}

/// What importing the CSV or vCard file at `path` would add, and what is wrong in it.
#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn preview_card_import(
    state: State<'_, AppState>,
    space: String,
    path: String,
) -> Result<CardImportPreview> {
    Ok(state
        .profile
        .preview_card_import(space_id(&space)?, Path::new(&path))
        .await?)
}

/// Imports the cards of the file at `path`: all of them, or none.
#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn import_cards(
    state: State<'_, AppState>,
    space: String,
    path: String,
) -> Result<CardImport> {
    Ok(state
        .profile
        .import_cards(space_id(&space)?, Path::new(&path))
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn update_card(
    state: State<'_, AppState>,
    space: String,
    id: String,
    card: CardInput,
) -> Result<Card> {
    Ok(state
        .profile
        .update_card(space_id(&space)?, item_id(&id)?, card)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn pick_card_value(
    state: State<'_, AppState>,
    space: String,
    id: String,
    field: String,
    value: String,
) -> Result<Card> {
    Ok(state
        .profile
        .pick_card_value(space_id(&space)?, item_id(&id)?, &field, &value)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_card_deleted(
    state: State<'_, AppState>,
    space: String,
    id: String,
    deleted: bool,
) -> Result<Card> {
    Ok(state
        .profile
        .set_card_deleted(space_id(&space)?, item_id(&id)?, deleted)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_topics(state: State<'_, AppState>, space: String) -> Result<Vec<Topic>> {
    Ok(state.profile.topics(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state, body), err(level = "info", Debug))]
pub(crate) async fn create_topic(
    state: State<'_, AppState>,
    space: String,
    title: String,
    body: String,
) -> Result<Topic> {
    Ok(state
        .profile
        .create_topic(space_id(&space)?, &title, &body)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn topic_posts(
    state: State<'_, AppState>,
    space: String,
    topic: String,
) -> Result<Vec<Post>> {
    Ok(state
        .profile
        .topic_posts(space_id(&space)?, item_id(&topic)?)
        .await?)
}

#[tauri::command]
#[instrument(skip(state, body), err(level = "info", Debug))]
pub(crate) async fn post_message(
    state: State<'_, AppState>,
    space: String,
    topic: String,
    body: String,
    parent: Option<String>,
    quote: Option<Quote>,
) -> Result<Post> {
    let parent = parent.as_deref().map(item_id).transpose()?;
    let quoted = match &quote {
        Some(q) => Some((item_id(&q.post)?, q.excerpt.as_str())),
        None => None,
    };
    Ok(state
        .profile
        .post(space_id(&space)?, item_id(&topic)?, &body, parent, quoted)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn follow_topic(
    state: State<'_, AppState>,
    space: String,
    topic: String,
    follow: bool,
) -> Result<()> {
    state
        .profile
        .follow_topic(space_id(&space)?, item_id(&topic)?, follow)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn mark_topic_read(state: State<'_, AppState>, space: String, topic: String) -> Result<()> {
    state
        .profile
        .mark_topic_read(space_id(&space)?, item_id(&topic)?)
        .await?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_documents(state: State<'_, AppState>, space: String) -> Result<Vec<Document>> {
    Ok(state.profile.documents(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn get_document(state: State<'_, AppState>, space: String, id: String) -> Result<Document> {
    Ok(state.profile.document(space_id(&space)?, item_id(&id)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_document(
    state: State<'_, AppState>,
    space: String,
    path: String,
    folder: String,
) -> Result<Document> {
    Ok(state
        .profile
        .add_document(space_id(&space)?, Path::new(&path), &folder)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn add_document_version(
    state: State<'_, AppState>,
    space: String,
    id: String,
    path: String,
) -> Result<Document> {
    Ok(state
        .profile
        .add_document_version(space_id(&space)?, item_id(&id)?, Path::new(&path))
        .await?)
}

#[tauri::command]
#[instrument(skip(state, description), err(level = "info", Debug))]
pub(crate) async fn describe_document(
    state: State<'_, AppState>,
    space: String,
    id: String,
    title: String,
    folder: String,
    tags: Vec<String>,
    description: String,
) -> Result<Document> {
    Ok(state
        .profile
        .describe_document(
            space_id(&space)?,
            item_id(&id)?,
            &title,
            &folder,
            &tags,
            &description,
        )
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn submit_document(
    state: State<'_, AppState>,
    space: String,
    id: String,
    validators: Vec<String>,
) -> Result<Document> {
    let validators = validators
        .iter()
        .map(|v| v.parse())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(state
        .profile
        .submit_document(space_id(&space)?, item_id(&id)?, &validators)
        .await?)
}

#[tauri::command]
#[instrument(skip(state, comment), err(level = "info", Debug))]
pub(crate) async fn decide_document(
    state: State<'_, AppState>,
    space: String,
    id: String,
    approved: bool,
    comment: String,
) -> Result<Document> {
    Ok(state
        .profile
        .decide_document(space_id(&space)?, item_id(&id)?, approved, &comment)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn save_document(
    state: State<'_, AppState>,
    space: String,
    id: String,
    version: Option<usize>,
    out: String,
) -> Result<()> {
    state
        .profile
        .save_document(space_id(&space)?, item_id(&id)?, version, Path::new(&out))
        .await?;
    Ok(())
}

/// Writes a version into the profile's `exports/` folder and opens it with the
/// system's application for its type.
#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn open_document(
    state: State<'_, AppState>,
    space: String,
    id: String,
    version: Option<usize>,
) -> Result<()> {
    let (space, id) = (space_id(&space)?, item_id(&id)?);
    let document = state.profile.document(space, id).await?;
    let index = version.unwrap_or(document.versions.len().saturating_sub(1));
    let Some(chosen) = document.versions.get(index) else {
        return Err(IpcError {
            code: Code::NotFound,
            message: format!("no version {index}"),
        });
    };
    // The name comes from another member: only known document types are handed to
    // the system, under a plain file name.
    if !bastide_core::documents::opens_with_system(&chosen.name) {
        return Err(IpcError {
            code: Code::CannotOpen,
            message: format!("{:?} is not a type the app opens", chosen.name),
        });
    }
    let name = bastide_core::documents::safe_file_name(&chosen.name);
    let dir = state
        .profile
        .dir()
        .join("exports")
        .join(format!("{id}-v{}", index + 1));
    std::fs::create_dir_all(&dir).map_err(|e| IpcError {
        code: Code::FileUnwritable,
        message: e.to_string(),
    })?;
    let out = dir.join(name);
    state.profile.save_document(space, id, Some(index), &out).await?;
    tauri_plugin_opener::open_path(&out, None::<&str>).map_err(|e| IpcError {
        code: Code::Internal,
        message: format!("no application opens {}: {e}", out.display()),
    })?;
    Ok(())
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn search(
    state: State<'_, AppState>,
    space: Option<String>,
    text: String,
) -> Result<Vec<Hit>> {
    let space = space.as_deref().map(space_id).transpose()?;
    Ok(state.profile.search(space, &text).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn item_history(
    state: State<'_, AppState>,
    space: String,
    id: String,
) -> Result<Vec<HistoryEntry>> {
    Ok(state.profile.history(space_id(&space)?, item_id(&id)?).await?)
}

#[tauri::command]
pub(crate) fn sync_status(state: State<'_, AppState>) -> SyncStatus {
    state.status.borrow().clone()
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn document_comments(
    state: State<'_, AppState>,
    space: String,
    document: String,
) -> Result<Vec<bastide_core::Comment>> {
    Ok(state
        .profile
        .document_comments(space_id(&space)?, item_id(&document)?)
        .await?)
}

#[tauri::command]
#[instrument(skip(state, body), err(level = "info", Debug))]
pub(crate) async fn comment_document(
    state: State<'_, AppState>,
    space: String,
    document: String,
    parent: Option<String>,
    body: String,
) -> Result<bastide_core::Comment> {
    let parent = parent.as_deref().map(item_id).transpose()?;
    Ok(state
        .profile
        .comment_document(space_id(&space)?, item_id(&document)?, parent, &body)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn delete_comment(state: State<'_, AppState>, space: String, id: String) -> Result<()> {
    Ok(state
        .profile
        .delete_comment(space_id(&space)?, item_id(&id)?)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn document_trash(state: State<'_, AppState>, space: String) -> Result<Vec<Document>> {
    Ok(state.profile.document_trash(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_document_deleted(
    state: State<'_, AppState>,
    space: String,
    id: String,
    deleted: bool,
) -> Result<Document> {
    Ok(state
        .profile
        .set_document_deleted(space_id(&space)?, item_id(&id)?, deleted)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn purge_document(state: State<'_, AppState>, space: String, id: String) -> Result<()> {
    Ok(state
        .profile
        .purge_document(space_id(&space)?, item_id(&id)?)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn document_from_template(
    state: State<'_, AppState>,
    space: String,
    template: String,
    title: String,
    folder: String,
) -> Result<Document> {
    Ok(state
        .profile
        .document_from_template(space_id(&space)?, item_id(&template)?, &title, &folder)
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn list_notifications(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> Result<Vec<bastide_core::Notification>> {
    Ok(state.profile.notifications(limit.unwrap_or(100)).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn mark_notifications_read(state: State<'_, AppState>, up_to: Option<i64>) -> Result<()> {
    Ok(state.profile.mark_notifications_read(up_to).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_space_muted(state: State<'_, AppState>, space: String, muted: bool) -> Result<()> {
    Ok(state.profile.set_space_muted(space_id(&space)?, muted).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn space_muted(state: State<'_, AppState>, space: String) -> Result<bool> {
    Ok(state.profile.space_muted(space_id(&space)?).await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn set_photo(
    state: State<'_, AppState>,
    space: String,
    id: String,
    path: String,
) -> Result<()> {
    Ok(state
        .profile
        .set_photo(space_id(&space)?, item_id(&id)?, Path::new(&path))
        .await?)
}

#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn remove_photo(state: State<'_, AppState>, space: String, id: String) -> Result<()> {
    Ok(state
        .profile
        .remove_photo(space_id(&space)?, item_id(&id)?)
        .await?)
}

/// The photo as a `data:` URL the window can show, or `None`.
#[tauri::command]
#[instrument(skip(state), err(level = "info", Debug))]
pub(crate) async fn photo(state: State<'_, AppState>, space: String, id: String) -> Result<Option<String>> {
    let photo = state.profile.photo(space_id(&space)?, item_id(&id)?).await?;
    Ok(photo.map(|p| {
        format!(
            "data:{};base64,{}",
            p.mime,
            data_encoding::BASE64.encode(&p.bytes)
        )
    }))
}
