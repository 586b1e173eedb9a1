//! Errors of the core API, with the stable codes the UI branches on.

use bastide_proto::membership::{Rejection, UnknownRole};
use bastide_proto::wire::{ErrorCode, Limit, Refusal};
use bastide_proto::{EntryError, IdError, RelayAddrError};
use serde::Serialize;

/// What the UI needs to know about an error to say it in French. Only the cases the UI
/// branches on; the rest is `Internal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// An event title is empty.
    EmptyTitle,
    /// An event ends before it starts.
    EndBeforeStart,
    /// A date is not RFC 3339.
    InvalidDate,
    /// The invitation code cannot be read.
    InvalidInvitation,
    /// The invitation code has expired.
    ExpiredInvitation,
    /// This profile already belongs to the space.
    AlreadyMember,
    /// The invitation was used already.
    InviteUsed,
    /// The invitation was withdrawn.
    InviteRevoked,
    /// The invitation died with its inviter's removal.
    InviteDead,
    /// The relay does not know the invitation (not published yet, or never).
    InviteUnknown,
    /// The member's role does not allow the action.
    NotAllowed,
    /// This device is not (or no longer) a member of the space.
    NotMember,
    /// The action would leave the space without an admin.
    LastAdmin,
    /// A file to add cannot be read.
    FileUnreadable,
    /// A file cannot be written where asked.
    FileUnwritable,
    /// A file of this type is not opened from the app, only saved.
    CannotOpen,
    /// The disk (of the profile, or where a file was to be written) is full.
    DiskFull,
    /// A file to import is not a table or address book Bastide can read, or some of
    /// its lines are wrong; nothing was imported.
    MalformedImport,
    /// The time asked is already booked (as far as this computer knows).
    BookingConflict,
    /// The booking is longer than its resource allows.
    BookingTooLong,
    /// A meal count is negative, absurd or not a number.
    InvalidCount,
    /// A poll needs options to choose from.
    PollNoOption,
    /// The poll is closed (or not open yet).
    PollClosed,
    /// The relay cannot be reached.
    RelayUnreachable,
    /// The relay presented another certificate than the pinned one.
    CertificateMismatch,
    /// The relay refused the request.
    RelayRefused,
    /// The relay is busy (too many connections, requests or changes at once): the
    /// request will be tried again.
    RelayBusy,
    /// The space holds as much as its relay allows.
    RelayFull,
    /// Creating a space on this relay needs an admission token.
    TokenRequired,
    /// The admission token given is unknown, used up, revoked or expired.
    TokenRefused,
    /// No such space or item.
    NotFound,
    /// Some other input is wrong.
    InvalidInput,
    /// A bug or a broken disk.
    Internal,
}

/// An operation of the core API failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An event needs a title.
    #[error("the title is empty")]
    EmptyTitle,
    /// An event must not end before it starts.
    #[error("the end ({end}) is before the start ({start})")]
    EndBeforeStart {
        /// The start given.
        start: String,
        /// The end given.
        end: String,
    },
    /// A date could not be parsed.
    #[error("invalid date {text:?}: {source}")]
    InvalidDate {
        /// The text given.
        text: String,
        /// The parse error.
        source: time::error::Parse,
    },
    /// The invitation code is malformed.
    #[error("invalid invitation code: {0}")]
    InvalidInvitation(&'static str),
    /// The invitation code is past its expiry date.
    #[error("the invitation code expired on {0}")]
    ExpiredInvitation(String),
    /// The profile already belongs to the space.
    #[error("already a member of space {0}")]
    AlreadyMember(bastide_proto::SpaceId),
    /// The membership log does not allow the change (checked here, before sending).
    #[error("membership change refused: {0}")]
    Membership(#[from] Rejection),
    /// The relay refused a record for good.
    #[error("the relay refused: {reason}")]
    Refused {
        /// Why, as the relay classes it.
        refusal: Refusal,
        /// Why, in English.
        reason: String,
    },
    /// The member's role does not allow it.
    #[error("{0}")]
    NotAllowed(String),
    /// This device is not, or no longer, in the space.
    #[error("this device is not a member of space {0}")]
    NotMember(bastide_proto::SpaceId),
    /// A role name could not be read.
    #[error(transparent)]
    Role(#[from] UnknownRole),
    /// A file to add cannot be read.
    #[error("cannot read {path}: {source}")]
    FileUnreadable {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file cannot be written where asked (folder missing, disk full, forbidden name).
    #[error("cannot write {path}: {source}")]
    FileUnwritable {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file to import cannot be read as a whole: every problem found, with its line
    /// (at most [`crate::import::MAX_PROBLEMS`]); nothing was imported.
    #[error("cannot import: {}{}", first_problems(problems), more_problems(problems.len(), *total))]
    MalformedImport {
        /// The problems, in the order of the file.
        problems: Vec<crate::import::ImportProblem>,
        /// How many there were in all.
        total: usize,
    },
    /// The time asked overlaps a booking this computer knows.
    #[error("already booked on {at} ({with})")]
    BookingConflict {
        /// The start of the occurrence that collides.
        at: String,
        /// The title of the booking holding the time.
        with: String,
    },
    /// The booking is longer than its resource allows.
    #[error("bookings of this resource last at most {max_minutes} minutes")]
    BookingTooLong {
        /// The longest allowed.
        max_minutes: u32,
    },
    /// A meal count is negative, absurd or not a number.
    #[error("invalid meal count: {0}")]
    InvalidCount(String),
    /// A poll needs options.
    #[error("a poll needs at least one option")]
    PollNoOption,
    /// The poll does not take votes now.
    #[error("the poll is closed")]
    PollClosed,
    /// No such space.
    #[error("no space {0} in this profile")]
    SpaceNotFound(String),
    /// No such item.
    #[error("no item {0} in this space")]
    ItemNotFound(String),
    /// The profile has several spaces and none was chosen.
    #[error("this profile has {0} spaces: choose one with --space")]
    SpaceAmbiguous(usize),
    /// An id could not be parsed.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A relay address could not be parsed.
    #[error(transparent)]
    RelayAddr(#[from] RelayAddrError),
    /// Other invalid input.
    #[error("{0}")]
    InvalidInput(String),
    /// Talking to the relay failed.
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// The local database failed.
    #[error("local database: {0}")]
    Db(#[from] sqlx::Error),
    /// The local database could not be migrated.
    #[error("local database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// An item document is corrupt or could not be changed.
    #[error("item document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// An entry could not be sealed or opened.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// A file of the profile could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl Code {
    /// Every code, for checks that the UI knows them all.
    pub const ALL: [Code; 33] = [
        Code::EmptyTitle,
        Code::EndBeforeStart,
        Code::InvalidDate,
        Code::InvalidInvitation,
        Code::ExpiredInvitation,
        Code::AlreadyMember,
        Code::InviteUsed,
        Code::InviteRevoked,
        Code::InviteDead,
        Code::InviteUnknown,
        Code::NotAllowed,
        Code::NotMember,
        Code::LastAdmin,
        Code::FileUnreadable,
        Code::FileUnwritable,
        Code::CannotOpen,
        Code::DiskFull,
        Code::MalformedImport,
        Code::BookingConflict,
        Code::BookingTooLong,
        Code::InvalidCount,
        Code::PollNoOption,
        Code::PollClosed,
        Code::RelayUnreachable,
        Code::CertificateMismatch,
        Code::RelayRefused,
        Code::RelayBusy,
        Code::RelayFull,
        Code::TokenRequired,
        Code::TokenRefused,
        Code::NotFound,
        Code::InvalidInput,
        Code::Internal,
    ];
}

impl Error {
    /// The code the UI branches on.
    pub fn code(&self) -> Code {
        use crate::sync::SyncError as S;
        if self.is_disk_full() {
            return Code::DiskFull;
        }
        match self {
            Self::EmptyTitle => Code::EmptyTitle,
            Self::EndBeforeStart { .. } => Code::EndBeforeStart,
            Self::InvalidDate { .. } => Code::InvalidDate,
            Self::InvalidInvitation(_) => Code::InvalidInvitation,
            Self::ExpiredInvitation(_) => Code::ExpiredInvitation,
            Self::AlreadyMember(_) => Code::AlreadyMember,
            Self::Membership(rejection) => rejection_code(*rejection),
            Self::Refused { refusal, .. } => match refusal {
                Refusal::Membership(rejection) => rejection_code(*rejection),
                Refusal::InvitationExpired => Code::ExpiredInvitation,
                Refusal::NotMember => Code::NotMember,
                Refusal::NotAllowed => Code::NotAllowed,
                _ => Code::RelayRefused,
            },
            Self::NotAllowed(_) => Code::NotAllowed,
            Self::NotMember(_) => Code::NotMember,
            Self::FileUnreadable { .. } => Code::FileUnreadable,
            Self::FileUnwritable { .. } => Code::FileUnwritable,
            Self::MalformedImport { .. } => Code::MalformedImport,
            Self::BookingConflict { .. } => Code::BookingConflict,
            Self::BookingTooLong { .. } => Code::BookingTooLong,
            Self::InvalidCount(_) => Code::InvalidCount,
            Self::PollNoOption => Code::PollNoOption,
            Self::PollClosed => Code::PollClosed,
            Self::SpaceNotFound(_) | Self::ItemNotFound(_) => Code::NotFound,
            Self::SpaceAmbiguous(_)
            | Self::Id(_)
            | Self::RelayAddr(_)
            | Self::InvalidInput(_)
            | Self::Role(_) => Code::InvalidInput,
            Self::Sync(S::CertificateMismatch { .. }) => Code::CertificateMismatch,
            Self::Sync(S::Refused { code, .. }) => match code {
                ErrorCode::OverLimit(Limit::SpaceBytes) => Code::RelayFull,
                ErrorCode::OverLimit(_) => Code::RelayBusy,
                ErrorCode::TokenRequired => Code::TokenRequired,
                ErrorCode::TokenRefused => Code::TokenRefused,
                _ => Code::RelayRefused,
            },
            Self::Sync(_) => Code::RelayUnreachable,
            Self::Db(_) | Self::Migrate(_) | Self::Automerge(_) | Self::Entry(_) | Self::Io { .. } => {
                Code::Internal
            }
        }
    }
}

impl Error {
    /// Whether the disk ran out of room: SQLite's SQLITE_FULL, or a file write that
    /// failed with ENOSPC (or EDQUOT, a quota reached), wherever the error came from.
    pub fn is_disk_full(&self) -> bool {
        fn io_full(error: &std::io::Error) -> bool {
            matches!(
                error.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        }
        match self {
            Self::Io { source, .. } | Self::FileUnwritable { source, .. } => io_full(source),
            Self::Db(sqlx::Error::Io(source)) => io_full(source),
            // SQLITE_FULL is 13; extended codes keep it in their low byte.
            Self::Db(sqlx::Error::Database(db)) => db
                .code()
                .and_then(|c| c.parse::<u32>().ok())
                .is_some_and(|c| c & 0xff == 13),
            _ => false,
        }
    }
}

/// The first few problems of an import, for the one-line message.
fn first_problems(problems: &[crate::import::ImportProblem]) -> String {
    problems
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn more_problems(shown: usize, total: usize) -> String {
    let listed = shown.min(3);
    if total > listed {
        format!(" (and {} more)", total - listed)
    } else {
        String::new()
    }
}

fn rejection_code(rejection: Rejection) -> Code {
    match rejection {
        Rejection::NotAdmin => Code::NotAllowed,
        Rejection::NotMember => Code::NotMember,
        Rejection::LastAdmin => Code::LastAdmin,
        Rejection::InvitationUsed => Code::InviteUsed,
        Rejection::InvitationRevoked => Code::InviteRevoked,
        Rejection::InviterRemoved => Code::InviteDead,
        Rejection::NoSuchInvitation => Code::InviteUnknown,
        Rejection::NoSuchMember | Rejection::NoSuchDevice => Code::NotFound,
        _ => Code::RelayRefused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI keeps its own list of codes, each with a French sentence: a code it
    /// does not list would reach the user as "unexpected error".
    /// Fails to compile when a code is added without adding it to [`Code::ALL`].
    #[allow(dead_code)]
    fn all_is_complete(code: Code) -> usize {
        match code {
            Code::EmptyTitle
            | Code::EndBeforeStart
            | Code::InvalidDate
            | Code::InvalidInvitation
            | Code::ExpiredInvitation
            | Code::AlreadyMember
            | Code::InviteUsed
            | Code::InviteRevoked
            | Code::InviteDead
            | Code::InviteUnknown
            | Code::NotAllowed
            | Code::NotMember
            | Code::LastAdmin
            | Code::FileUnreadable
            | Code::FileUnwritable
            | Code::CannotOpen
            | Code::DiskFull
            | Code::MalformedImport
            | Code::BookingConflict
            | Code::BookingTooLong
            | Code::InvalidCount
            | Code::PollNoOption
            | Code::PollClosed
            | Code::RelayUnreachable
            | Code::CertificateMismatch
            | Code::RelayRefused
            | Code::RelayBusy
            | Code::RelayFull
            | Code::TokenRequired
            | Code::TokenRefused
            | Code::NotFound
            | Code::InvalidInput
            | Code::Internal => Code::ALL.len(),
        }
    }

    #[test]
    fn the_ui_knows_every_error_code() {
        let types = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/types.ts"))
            .expect("ui/src/lib/types.ts is readable");
        let errors = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/errors.ts"))
            .expect("ui/src/lib/errors.ts is readable");
        for code in Code::ALL {
            let name = serde_json::to_value(code).unwrap();
            let name = name.as_str().unwrap();
            assert!(
                types.contains(&format!("'{name}'")),
                "ERROR_CODES in types.ts lacks {name}"
            );
            assert!(
                errors.contains(&format!("{name}:")),
                "errors.ts has no sentence for {name}"
            );
        }
    }
}
