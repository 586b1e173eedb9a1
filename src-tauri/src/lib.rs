//! The Bastide desktop app: a thin Tauri shell. Commands call `bastide-core` and map
//! its errors to `{code, message}`; a background task keeps the profile in sync and
//! forwards status and changes to the UI as one tagged event.

mod commands;
mod daily;
mod keys;
mod logs;
mod startup;

use std::path::PathBuf;
use std::sync::Arc;

use bastide_core::Profile;
use bastide_core::live::{self, SyncStatus};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::watch;

pub use keys::KeyStore;

/// The event name the UI listens to.
pub const EVENT: &str = "bastide://event";

/// What the backend tells the UI without being asked.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum BackendEvent {
    /// The sync status changed.
    SyncStatus(SyncStatus),
    /// Items of a space changed, here or elsewhere.
    #[serde(rename_all = "camelCase")]
    ItemsChanged {
        /// Space id.
        space: String,
        /// Item ids.
        ids: Vec<String>,
    },
    /// The members or roles of a space changed, here or elsewhere.
    #[serde(rename_all = "camelCase")]
    MembersChanged {
        /// Space id.
        space: String,
    },
    /// A notification joined the in-app list.
    #[serde(rename_all = "camelCase")]
    NotificationsChanged {
        /// How many are unread.
        unread: u64,
    },
}

/// Facts about this installation the UI shows or pre-fills.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The profile folder.
    pub profile_dir: String,
    /// The relay to propose when creating a space (`BASTIDE_RELAY`).
    pub default_relay: Option<String>,
    /// This device's id.
    pub device_id: String,
    /// Where the device key is kept.
    pub key_store: KeyStore,
}

/// What the commands share.
pub struct AppState {
    profile: Arc<Profile>,
    status: watch::Receiver<SyncStatus>,
    info: AppInfo,
}

/// Starts the app.
pub fn run() {
    // First thing: the clock the startup time ("first paint" in the log) counts from.
    let startup = startup::Startup::now();
    let result = tauri::Builder::default()
        .manage(startup)
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            logs::init(app.path().app_log_dir().ok());
            let state = open(app.handle())?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_spaces,
            commands::create_space,
            commands::invite_code,
            commands::join_space,
            commands::space_members,
            commands::set_role,
            commands::remove_member,
            commands::remove_device,
            commands::list_invitations,
            commands::revoke_invitation,
            commands::device_add,
            commands::device_join,
            commands::list_events,
            commands::list_trash,
            commands::add_event,
            commands::update_event,
            commands::delete_event,
            commands::restore_event,
            commands::item_history,
            commands::list_cards,
            commands::search,
            commands::list_documents,
            commands::get_document,
            commands::add_document,
            commands::add_document_version,
            commands::describe_document,
            commands::submit_document,
            commands::decide_document,
            commands::save_document,
            commands::open_document,
            commands::list_topics,
            commands::create_topic,
            commands::topic_posts,
            commands::post_message,
            commands::follow_topic,
            commands::mark_topic_read,
            commands::add_card,
            commands::preview_card_import,
            commands::import_cards,
            commands::update_card,
            commands::pick_card_value,
            commands::set_card_deleted,
            commands::sync_status,
            commands::document_comments,
            commands::comment_document,
            commands::delete_comment,
            commands::document_trash,
            commands::set_document_deleted,
            commands::purge_document,
            commands::document_from_template,
            commands::list_notifications,
            commands::set_photo,
            commands::remove_photo,
            commands::photo,
            commands::mark_notifications_read,
            commands::set_space_muted,
            commands::space_muted,
            daily::list_resources,
            daily::add_resource,
            daily::update_resource,
            daily::set_resource_deleted,
            daily::list_booking_slots,
            daily::book,
            daily::get_booking,
            daily::move_booking,
            daily::decide_booking,
            daily::list_cantine_sites,
            daily::add_cantine_site,
            daily::update_cantine_site,
            daily::set_cantine_closed,
            daily::meal_month,
            daily::set_meal_count,
            daily::export_meals,
            daily::list_polls,
            daily::create_poll,
            daily::close_poll,
            daily::poll_results,
            daily::vote,
            daily::list_teams,
            daily::add_team,
            daily::update_team,
            daily::rota_week,
            daily::set_rota,
            daily::copy_previous_week,
            daily::export_rota,
            daily::list_rosters,
            daily::add_roster,
            daily::set_roster_slot,
            daily::request_swap,
            daily::answer_swap,
            daily::list_ads,
            daily::add_ad,
            daily::update_ad,
            daily::close_ad,
            daily::renew_ad,
            startup::first_paint,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the app stopped on an error");
        std::process::exit(1);
    }
}

/// Opens the profile and starts the background tasks.
fn open(app: &AppHandle) -> anyhow::Result<AppState> {
    let dir = match std::env::var_os("BASTIDE_PROFILE") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?.join("profile"),
    };
    std::fs::create_dir_all(&dir)?;
    let (key, key_store) = keys::load_device_key(&dir)?;
    let profile = Arc::new(tauri::async_runtime::block_on(Profile::open(&dir, key))?);
    tracing::info!(profile = %dir.display(), device = %profile.device_id(), "profile open");
    let info = AppInfo {
        profile_dir: dir.display().to_string(),
        default_relay: std::env::var("BASTIDE_RELAY").ok().filter(|r| !r.is_empty()),
        device_id: profile.device_id().to_string(),
        key_store,
    };

    let (status_tx, status) = watch::channel(SyncStatus::default());
    tauri::async_runtime::spawn(live::run(profile.clone(), status_tx, std::future::pending()));
    tauri::async_runtime::spawn(forward_status(app.clone(), status.clone()));
    tauri::async_runtime::spawn(forward_changes(app.clone(), profile.clone()));
    tauri::async_runtime::spawn(forward_members(app.clone(), profile.clone()));
    Ok(AppState {
        profile,
        status,
        info,
    })
}

async fn forward_status(app: AppHandle, mut status: watch::Receiver<SyncStatus>) {
    loop {
        let current = status.borrow_and_update().clone();
        if let Err(error) = app.emit(EVENT, BackendEvent::SyncStatus(current)) {
            tracing::warn!(%error, "cannot send the sync status to the window");
        }
        if status.changed().await.is_err() {
            return;
        }
    }
}

/// The module notices about sync itself are announced under.
const SYNC_MODULE: &str = "Synchronisation";

async fn forward_changes(app: AppHandle, profile: Arc<Profile>) {
    let me = profile.device_id();
    let mut changes = profile.subscribe();
    loop {
        let changed = match changes.recv().await {
            Ok(changed) => changed,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let ids = changed.items.iter().map(|i| i.id.to_string()).collect();
        let event = BackendEvent::ItemsChanged {
            space: changed.space.to_string(),
            ids,
        };
        if let Err(error) = app.emit(EVENT, event) {
            tracing::warn!(%error, "cannot send a change to the window");
        }
        // Said in the list and on the desktop: a member's change that is not shown, a
        // relay that lost changes (sent again).
        let mut notices: Vec<(bastide_core::ItemId, String)> = changed
            .set_aside
            .iter()
            .map(|note| (note.item, bastide_core::set_aside_sentence(&note.by, note.rule)))
            .collect();
        if changed.relay_lost {
            notices.push((
                bastide_core::ItemId([0; 16]),
                bastide_core::RELAY_LOST_SENTENCE.to_owned(),
            ));
        }
        for (item, body) in notices {
            let muted = profile
                .record_notification(changed.space, item, SYNC_MODULE, &body)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "cannot keep a notification in the list");
                    false
                });
            if !muted {
                notify(SYNC_MODULE, body);
            }
            let unread = profile.unread_notifications().await.unwrap_or(0);
            if let Err(error) = app.emit(EVENT, BackendEvent::NotificationsChanged { unread }) {
                tracing::warn!(%error, "cannot tell the window of a notification");
            }
        }
        if changed.remote {
            for item in changed.items.into_iter().filter(|i| i.author != me) {
                if let Some((summary, body)) = worth_notifying(&profile, changed.space, &item).await {
                    let muted = profile
                        .record_notification(changed.space, item.id, summary, &body)
                        .await
                        .unwrap_or_else(|error| {
                            tracing::warn!(%error, "cannot keep a notification in the list");
                            false
                        });
                    if !muted {
                        notify(summary, body);
                    }
                    let unread = profile.unread_notifications().await.unwrap_or(0);
                    if let Err(error) = app.emit(EVENT, BackendEvent::NotificationsChanged { unread }) {
                        tracing::warn!(%error, "cannot tell the window of a notification");
                    }
                }
            }
        }
    }
}

async fn forward_members(app: AppHandle, profile: Arc<Profile>) {
    let mut changes = profile.members_changed();
    loop {
        let space = match changes.recv().await {
            Ok(space) => space,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let event = BackendEvent::MembersChanged {
            space: space.to_string(),
        };
        if let Err(error) = app.emit(EVENT, event) {
            tracing::warn!(%error, "cannot send a membership change to the window");
        }
    }
}

/// What another member's change says on the desktop, if anything: forum posts only in
/// followed topics or when they mention this person; bookings when they collide with
/// one of this person's (or one of theirs is now in conflict); new polls; not every
/// meal count or ballot.
async fn worth_notifying(
    profile: &Profile,
    space: bastide_core::SpaceId,
    item: &bastide_core::ChangedItem,
) -> Option<(&'static str, String)> {
    use bastide_core::{board, bookings, cantine, comments, directory, documents, forum, planning, polls};
    let verb = if item.created { "a ajouté" } else { "a modifié" };
    let generic = format!("{} {verb} « {} »", item.by, item.title);
    match item.kind.as_str() {
        forum::POST => {
            let post = profile.forum_post(space, item.id).await.ok()?;
            let followed = match post.topic.parse() {
                Ok(topic) => profile.topic(space, topic).await.is_ok_and(|t| t.followed),
                Err(_) => false,
            };
            (post.mentions_me || followed).then_some(("Forum", generic))
        }
        bookings::BOOKING => booking_conflict(profile, space, item)
            .await
            .map(|body| ("Réservations", body)),
        polls::KIND => item.created.then_some(("Sondages", generic)),
        comments::KIND if item.created => comment_news(profile, space, item)
            .await
            .map(|body| ("Documents", body)),
        comments::KIND => None,
        planning::ROSTER => roster_news(profile, space, item)
            .await
            .map(|body| ("Gardes", body)),
        board::KIND => item.created.then_some(("Petites annonces", generic)),
        forum::TOPIC
        | bookings::RESOURCE
        | cantine::SITE
        | cantine::MONTH
        | polls::BALLOT
        | planning::TEAM
        | planning::WEEK => None,
        directory::KIND => Some(("Annuaire", generic)),
        documents::KIND => document_news(profile, space, item)
            .await
            .or_else(|| item.created.then_some(generic))
            .map(|body| ("Documents", body)),
        _ => Some(("Agenda", generic)),
    }
}

/// When a booking that arrived collides with one of this person's, or makes one of
/// theirs the later in conflict: what to say.
async fn booking_conflict(
    profile: &Profile,
    space: bastide_core::SpaceId,
    item: &bastide_core::ChangedItem,
) -> Option<String> {
    let hit = profile.my_booking_conflict(space, item.id).await.ok()??;
    let day = hit.start.get(..10).unwrap_or(&hit.start);
    Some(format!(
        "Conflit de réservation : « {} » le {day}, déjà réservé. Le gestionnaire de la ressource tranchera.",
        hit.resource_name
    ))
}

/// Whether this news is new in this run of the app (each is told once, not on every
/// later change to its item).
fn first_time(news: &str) -> bool {
    static TOLD: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut told = TOLD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let new = !told.iter().any(|t| t == news);
    if new {
        told.push(news.to_owned());
    }
    new
}

/// A document changed: it awaits this person's approval, or their version was
/// approved or refused.
async fn document_news(
    profile: &Profile,
    space: bastide_core::SpaceId,
    item: &bastide_core::ChangedItem,
) -> Option<String> {
    use bastide_core::Status;
    let doc = profile.document(space, item.id).await.ok()?;
    let me = profile.members(space).await.ok()?.into_iter().find(|m| m.is_me)?;
    let version = doc.versions.len();
    let mine = |device: &str| me.devices.iter().any(|d| d == device);
    match doc.status {
        Status::Awaiting
            if doc.validators.contains(&me.id)
                && !doc.decisions.iter().any(|d| d.valid && mine(&d.device))
                && first_time(&format!("awaiting {} {version}", doc.id)) =>
        {
            Some(format!("« {} » attend votre approbation", doc.title))
        }
        Status::Approved | Status::Refused
            if doc.versions.last().is_some_and(|v| mine(&v.added_by))
                && first_time(&format!("decided {} {version} {:?}", doc.id, doc.status)) =>
        {
            let refusal = doc.decisions.iter().find(|d| d.valid && !d.approved);
            Some(match refusal {
                Some(d) if d.comment.is_empty() => format!("« {} » a été refusé par {}", doc.title, d.author),
                Some(d) => format!("« {} » a été refusé par {} : {}", doc.title, d.author, d.comment),
                None => format!("« {} » a été approuvé", doc.title),
            })
        }
        _ => None,
    }
}

/// A comment on a document whose latest version this person added, or a reply to
/// one of their comments.
async fn comment_news(
    profile: &Profile,
    space: bastide_core::SpaceId,
    item: &bastide_core::ChangedItem,
) -> Option<String> {
    let me = profile.members(space).await.ok()?.into_iter().find(|m| m.is_me)?;
    let mine = |device: &str| me.devices.iter().any(|d| d == device);
    let comment = profile.comment(space, item.id).await.ok()?;
    let document = profile
        .document(space, comment.document.parse().ok()?)
        .await
        .ok()?;
    let answered = match comment.parent.parse() {
        Ok(parent) => profile.comment(space, parent).await.ok(),
        Err(_) => None,
    };
    let answers_me = answered.is_some_and(|c| mine(&c.author_device));
    if answers_me {
        return Some(format!(
            "{} a répondu à votre commentaire sur « {} »",
            item.by, document.title
        ));
    }
    document
        .versions
        .last()
        .is_some_and(|v| mine(&v.added_by))
        .then(|| format!("{} a commenté « {} »", item.by, document.title))
}

/// A roster changed: a swap asked of this person, or an answer to theirs.
async fn roster_news(
    profile: &Profile,
    space: bastide_core::SpaceId,
    item: &bastide_core::ChangedItem,
) -> Option<String> {
    let roster = profile.roster(space, item.id).await.ok()?;
    let me = profile
        .members(space)
        .await
        .ok()?
        .into_iter()
        .find(|m| m.is_me)?
        .id;
    let first_time = |id: &str, status: &str| first_time(&format!("swap {id} {status}"));
    let asked = roster
        .swaps
        .iter()
        .rev()
        .find(|s| s.to == me && s.status == "requested" && first_time(&s.id, &s.status));
    if let Some(swap) = asked {
        let day = swap.slot.get(..10).unwrap_or(&swap.slot);
        return Some(format!(
            "{} vous demande de prendre sa garde du {day} ({})",
            swap.from_name, roster.name
        ));
    }
    let answered = roster.swaps.iter().rev().find(|s| {
        s.from == me && (s.status == "accepted" || s.status == "refused") && first_time(&s.id, &s.status)
    })?;
    let verb = if answered.status == "accepted" {
        "a accepté"
    } else {
        "a refusé"
    };
    Some(format!(
        "{} {verb} votre demande d’échange ({})",
        answered.to_name, roster.name
    ))
}

/// A desktop notification.
fn notify(summary: &'static str, body: String) {
    // Showing talks to the session bus synchronously: keep it off the async threads.
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(error) = notify_rust::Notification::new()
            .appname("Bastide")
            .summary(summary)
            .body(&body)
            .show()
        {
            tracing::warn!(%error, "cannot show a desktop notification");
        }
    });
}
