//! Bastide core: everything the app does, headless.
//!
//! A [`Profile`] is one person's device: a folder with a SQLite database holding the
//! spaces it belongs to, one Automerge document per item, the projections the views
//! read, and an outbox of sealed entries for the relay. Every local edit commits the
//! Automerge change, the outbox entry and the projection in one transaction.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bastide_core::Error> {
//! use bastide_core::{EventInput, Profile};
//! let dir = std::path::Path::new("/tmp/alice");
//! let key = bastide_core::device::load_or_create_file_key(dir)?;
//! let alice = Profile::open(dir, key).await?;
//! let space = alice.create_space("Pays — agents", "quic://127.0.0.1:4433#…").await?;
//! alice.add_event(space.id.parse()?, EventInput {
//!     title: "Conseil communautaire".into(),
//!     start: "2026-12-01T18:00:00+01:00".into(),
//!     end: "2026-12-01T20:00:00+01:00".into(),
//!     ..Default::default()
//! }).await?;
//! alice.sync_once().await?;
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod agenda;
pub mod board;
pub mod bookings;
pub mod cantine;
pub mod comments;
pub mod device;
pub mod directory;
pub mod documents;
mod error;
mod export;
pub mod extract;
mod fields;
pub mod files;
pub mod forum;
pub mod guard;
pub mod import;
pub mod invite;
mod items;
pub mod live;
mod members;
mod modules;
pub mod planning;
pub mod polls;
mod profile;
mod rules;
pub mod search;
mod store;
pub mod sync;

pub use agenda::{Event, EventInput};
pub use board::{Ad, AdFilter, AdInput};
pub use bookings::{Booking, BookingInput, Resource, ResourceInput, Slot, SlotFilter};
pub use cantine::{ExportFormat, MealCell, MealDay, MealMonth, MealValue, Site, SiteInput};
pub use comments::Comment;
pub use directory::{Card, CardFilter, CardInput};
pub use documents::{Decision, Document, Status, Version};
pub use error::{Code, Error};
pub use files::FileRef;
pub use forum::{Post, Quote, Topic};
pub use import::{ImportFormat, ImportProblem, Problem as ImportProblemKind};
pub use members::{InvitationView, MemberView};
pub use planning::{Roster, RosterSlot, RotaWeek, Swap, Team, TeamInput};
pub use polls::{OptionResult, Poll, PollInput, PollResults};
pub use profile::{
    BookingDecision, CardImport, CardImportPreview, Changed, ChangedItem, HistoryEntry, Notification,
    OpOutcome, Photo, Profile, RELAY_LOST_SENTENCE, SetAsideEntry, SetAsideNote, SpaceInfo, SyncReport,
    set_aside_sentence,
};
pub use search::Hit;
pub use store::DB_FILE;

pub use bastide_proto::membership::{MemberInfo, Role};
pub use bastide_proto::{DeviceId, DeviceKey, IdError, ItemId, MemberId, OpId, SpaceId};
