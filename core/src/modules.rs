//! The item kinds this build knows, and their projections: the one place that maps a
//! document's declared kind to the table the views read.

use automerge::AutoCommit;
use bastide_proto::{ItemId, SpaceId};
use sqlx::SqliteConnection;

use crate::error::Error;
use crate::{agenda, directory};

/// What a projection says of an item, for notifications and history.
#[derive(Debug)]
pub(crate) struct Projected {
    /// Its title (an event's title, a card's name).
    pub(crate) title: String,
    /// When the document says it was last changed.
    pub(crate) updated_at: String,
    /// Who the document says changed it last.
    pub(crate) updated_by: String,
}

/// The kind an item document declares, if any.
pub(crate) fn kind_of(doc: &AutoCommit) -> Option<String> {
    crate::fields::get_str(doc, "type")
}

/// When the document says it was last changed (RFC 3339, UTC), if it says.
pub(crate) fn updated_at(doc: &AutoCommit) -> Option<String> {
    crate::fields::get_str(doc, "updated_at")
}

/// Writes the item into its kind's projection; `None` for a kind this build does not
/// know (a newer client's), which stays stored and synced, just not shown.
pub(crate) async fn project(
    conn: &mut SqliteConnection,
    space: SpaceId,
    id: ItemId,
    kind: &str,
    doc: &AutoCommit,
) -> Result<Option<Projected>, Error> {
    Ok(match kind {
        agenda::KIND => {
            let event = agenda::read(doc, space, id);
            agenda::project(conn, space, id, &event).await?;
            Some(Projected {
                title: event.title,
                updated_at: event.updated_at,
                updated_by: event.updated_by,
            })
        }
        directory::KIND => {
            let card = directory::read(doc, space, id);
            directory::project(conn, space, id, &card).await?;
            Some(Projected {
                title: card.fields.name,
                updated_at: card.updated_at,
                updated_by: card.updated_by,
            })
        }
        _ => None,
    })
}

/// Empties every projection, before rebuilding them from the documents.
pub(crate) async fn clear(conn: &mut SqliteConnection) -> Result<(), Error> {
    sqlx::query("DELETE FROM events").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM contacts").execute(&mut *conn).await?;
    Ok(())
}
