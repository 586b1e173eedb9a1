//! Continuous sync for the desktop app: one connection per relay, kept open, pushing
//! each local edit as it commits and applying others' entries as they arrive; on any
//! failure, offline status and reconnection with backoff. Local work never waits on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bastide_proto::wire::RelayMsg;
use bastide_proto::{RelayAddr, SpaceId};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::{Code, Error};
use crate::profile::Profile;
use crate::sync::{RelayConnection, Subscription, SyncError};

/// First wait before reconnecting; doubled after each failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts: short enough that a line coming back
/// is noticed within seconds, long enough not to hammer a relay that is down.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// What the status bar shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Connected to every relay of the profile's spaces.
    pub online: bool,
    /// Local changes not yet acknowledged by a relay.
    pub pending: u64,
    /// What went wrong if the last attempt failed, as an error [`Code`] the UI
    /// translates (`relay_unreachable`, `certificate_mismatch`, ...).
    pub last_error: Option<Code>,
    /// The technical detail of that error, in English.
    pub last_error_detail: Option<String>,
    /// When the profile last caught up with a relay, RFC 3339.
    pub last_sync: Option<String>,
}

#[derive(Default)]
struct RelayState {
    online: bool,
    error: Option<(Code, String)>,
}

/// Collects each relay's state into one [`SyncStatus`].
struct Board {
    profile: Arc<Profile>,
    relays: Mutex<HashMap<String, RelayState>>,
    last_sync: Mutex<Option<String>>,
    status: watch::Sender<SyncStatus>,
}

impl Board {
    fn set(&self, relay: &str, online: bool, error: Option<(Code, String)>) {
        let mut relays = self
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        relays.insert(relay.to_owned(), RelayState { online, error });
    }

    fn synced(&self) {
        let now = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        *self
            .last_sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = now;
    }

    async fn publish(&self) {
        let pending = self.profile.pending().await.unwrap_or(0);
        let (online, last_error) = {
            let relays = self
                .relays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let online = !relays.is_empty() && relays.values().all(|r| r.online);
            (online, relays.values().find_map(|r| r.error.clone()))
        };
        let (last_error, last_error_detail) = last_error.unzip();
        let last_sync = self
            .last_sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        self.status.send_if_modified(|s| {
            let next = SyncStatus {
                online,
                pending,
                last_error,
                last_error_detail,
                last_sync,
            };
            let changed = *s != next;
            *s = next;
            changed
        });
    }
}

/// Syncs `profile` until `stop` resolves, publishing the status on `status`.
pub async fn run(profile: Arc<Profile>, status: watch::Sender<SyncStatus>, stop: impl Future<Output = ()>) {
    let board = Arc::new(Board {
        profile: profile.clone(),
        relays: Mutex::new(HashMap::new()),
        last_sync: Mutex::new(None),
        status,
    });
    let mut spaces_changed = profile.spaces_changed();
    let mut outbox_changed = profile.outbox_changed();
    tokio::pin!(stop);
    loop {
        spaces_changed.borrow_and_update();
        let groups = match profile.spaces_by_relay().await {
            Ok(groups) => groups,
            Err(error) => {
                tracing::error!(%error, "cannot read spaces; sync stopped");
                return;
            }
        };
        board
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        board.publish().await;
        let mut relays = JoinSet::new();
        for (relay, spaces) in groups {
            relays.spawn(relay_loop(board.clone(), relay, spaces));
        }
        loop {
            tokio::select! {
                () = &mut stop => {
                    relays.abort_all();
                    return;
                }
                changed = spaces_changed.changed() => {
                    if changed.is_err() { return; }
                    break;
                }
                // Keep the pending count fresh while offline too.
                changed = outbox_changed.changed() => {
                    if changed.is_err() { return; }
                    board.publish().await;
                }
            }
        }
        relays.abort_all();
        while relays.join_next().await.is_some() {}
    }
}

async fn relay_loop(board: Arc<Board>, relay: String, spaces: Vec<SpaceId>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let (error, permanent) = match relay_session(&board, &relay, &spaces).await {
            Ok(()) => ((Code::RelayUnreachable, "connection closed".to_owned()), false),
            Err(error) => {
                let permanent = matches!(&error, Error::Sync(e) if !e.is_transient());
                ((error.code(), error.to_string()), permanent)
            }
        };
        tracing::info!(%relay, error = %error.1, "offline");
        let was_online = board
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&relay)
            .is_some_and(|r| r.online);
        if was_online {
            backoff = MIN_BACKOFF;
        }
        board.set(&relay, false, Some(error));
        board.publish().await;
        if permanent {
            // A refusal or a certificate mismatch will not fix itself in seconds.
            backoff = MAX_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn relay_session(board: &Arc<Board>, relay: &str, spaces: &[SpaceId]) -> Result<(), Error> {
    let profile = &board.profile;
    let addr: RelayAddr = relay.parse()?;
    let connection = Arc::new(RelayConnection::connect(&addr, &profile.device).await?);
    let mut outbox_changed = profile.outbox_changed();
    // A relay restored from an older backup: go back and send again first. Every
    // space at once, so a slow line pays one round trip, not one per space.
    let mut checks = JoinSet::new();
    for space in spaces {
        let (profile, connection, space) = (profile.clone(), connection.clone(), *space);
        checks.spawn(async move { profile.check_relay_log(&connection, space).await });
    }
    while let Some(checked) = checks.join_next().await {
        checked.map_err(|join| Error::InvalidInput(format!("relay log check failed: {join}")))??;
    }
    let mut readers = JoinSet::new();
    for space in spaces {
        let subscription = connection
            .subscribe(*space, profile.cursor(*space).await?)
            .await?;
        readers.spawn(read_loop(board.clone(), *space, subscription));
    }
    board.set(relay, true, None);
    board.publish().await;
    loop {
        outbox_changed.borrow_and_update();
        for space in spaces {
            let pushed = profile.push_space(&connection, *space).await?;
            if let Some((_, refusal, reason)) = pushed.refused.into_iter().find(|(op, _, _)| *op) {
                // A membership change made here was refused: say so until the next one.
                let error = Error::Refused { refusal, reason };
                board.set(relay, true, Some((error.code(), error.to_string())));
            }
        }
        board.publish().await;
        tokio::select! {
            changed = outbox_changed.changed() => {
                if changed.is_err() { return Ok(()); }
            }
            ended = readers.join_next() => {
                return match ended {
                    Some(Ok(result)) => result,
                    Some(Err(join)) => Err(Error::InvalidInput(format!("sync reader failed: {join}"))),
                    None => Ok(()),
                };
            }
            lost = connection.closed() => return Err(SyncError::Connection(lost).into()),
        }
    }
}

async fn read_loop(board: Arc<Board>, space: SpaceId, mut subscription: Subscription) -> Result<(), Error> {
    let mut caught_up = false;
    loop {
        match subscription
            .next()
            .await
            .map_err(|e| crate::profile::not_member(space, e))?
        {
            Some(RelayMsg::Entries { entries }) => {
                board.profile.apply_remote(space, &entries).await?;
                if caught_up {
                    // Repairs only once the whole log is in: a partial view would see
                    // problems other admins have already fixed.
                    board.profile.reseal_stranded(space).await?;
                    board.profile.heal(space).await?;
                }
                board.synced();
                board.publish().await;
            }
            Some(RelayMsg::CaughtUp { .. }) => {
                caught_up = true;
                board.profile.reseal_stranded(space).await?;
                board.profile.heal(space).await?;
                board.synced();
                board.publish().await;
            }
            Some(other) => {
                return Err(SyncError::Protocol(format!("unexpected {other:?} on a subscription")).into());
            }
            None => return Ok(()),
        }
    }
}
