//! The item kinds this build knows, and their projections: the one place that maps a
//! document's declared kind to the table the views read.

use automerge::AutoCommit;
use bastide_proto::{ItemId, SpaceId};
use sqlx::SqliteConnection;

use crate::error::Error;
use crate::{
    agenda, board, bookings, cantine, comments, directory, documents, forum, planning, polls, search,
};

/// What a projection says of an item, for notifications and history.
#[derive(Debug)]
pub(crate) struct Projected {
    /// Its title (an event's title, a card's name).
    pub(crate) title: String,
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
            let body = [event.place.as_str(), &event.theme, &event.description].join("\n");
            let (title, body) = if event.deleted {
                ("", "")
            } else {
                (event.title.as_str(), body.as_str())
            };
            search::index(conn, space, id, kind, title, body).await?;
            Some(Projected {
                title: event.title,
                updated_by: event.updated_by,
            })
        }
        directory::KIND => {
            let card = directory::read(doc, space, id);
            directory::project(conn, space, id, &card).await?;
            let f = &card.fields;
            let body = [
                &f.organisation,
                &f.function,
                &f.commune,
                &f.discipline,
                &f.specialties,
                &f.email,
                &f.notes,
            ]
            .map(String::as_str)
            .join("\n");
            let (title, body) = if card.deleted {
                ("", "")
            } else {
                (f.name.as_str(), body.as_str())
            };
            search::index(conn, space, id, kind, title, body).await?;
            Some(Projected {
                title: card.fields.name,
                updated_by: card.updated_by,
            })
        }
        documents::KIND => {
            let stored = documents::read(doc);
            documents::project(conn, space, id, &stored).await?;
            let names: Vec<&str> = stored.versions.iter().map(|v| v.name.as_str()).collect();
            let body = [
                stored.folder.as_str(),
                &stored.tags.join(" "),
                &stored.description,
                &names.join(" "),
                &documents::text(doc),
            ]
            .join("\n");
            let (title, body) = if stored.deleted || stored.purged {
                ("", "")
            } else {
                (stored.title.as_str(), body.as_str())
            };
            search::index(conn, space, id, kind, title, body).await?;
            Some(Projected {
                title: stored.title,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        forum::TOPIC | forum::POST => {
            let author = first_author(conn, id).await?;
            let projected = forum::project(conn, space, id, kind, doc, &author).await?;
            let deleted = crate::fields::get_bool(doc, "deleted").unwrap_or(false);
            let text = |k| crate::fields::get_str(doc, k).unwrap_or_default();
            let (title, body) = match (deleted, kind) {
                (true, _) => (String::new(), String::new()),
                (false, forum::TOPIC) => (text("title"), String::new()),
                (false, _) => (projected.title.clone(), text("body")),
            };
            search::index(conn, space, id, kind, &title, &body).await?;
            Some(projected)
        }
        bookings::RESOURCE => {
            let author = first_author(conn, id).await?;
            let resource = bookings::read_resource(doc, space, id, &author);
            bookings::project_resource(conn, space, id, &resource).await?;
            let (title, body) = if resource.deleted {
                ("", String::new())
            } else {
                let f = &resource.fields;
                (f.name.as_str(), [f.location.as_str(), &f.description].join("\n"))
            };
            search::index(conn, space, id, kind, title, &body).await?;
            Some(Projected {
                title: resource.fields.name,
                updated_by: resource.updated_by,
            })
        }
        bookings::BOOKING => {
            let author = first_author(conn, id).await?;
            let booking = bookings::read_booking(doc, space, id);
            bookings::project_booking(conn, space, id, &booking, &author).await?;
            Some(Projected {
                title: booking.fields.title,
                updated_by: booking.updated_by,
            })
        }
        cantine::SITE => {
            let site = cantine::read_site(doc, space, id);
            cantine::project_site(conn, space, id, &site).await?;
            let title = if site.deleted { "" } else { site.name.as_str() };
            search::index(conn, space, id, kind, title, &site.categories.join(" ")).await?;
            Some(Projected {
                title: site.name,
                updated_by: site.updated_by,
            })
        }
        comments::KIND => {
            let author = first_author(conn, id).await?;
            let comment = comments::project(conn, space, id, doc, &author).await?;
            let document: Option<(String,)> = match comment.document.parse::<ItemId>() {
                Ok(d) => {
                    sqlx::query_as("SELECT title FROM documents WHERE item = ?")
                        .bind(d.0.as_slice())
                        .fetch_optional(&mut *conn)
                        .await?
                }
                Err(_) => None,
            };
            let title = document.map(|(t,)| t).unwrap_or_default();
            let (indexed, body) = if comment.deleted {
                (String::new(), String::new())
            } else {
                (title.clone(), comment.body.clone())
            };
            search::index(conn, space, id, kind, &indexed, &body).await?;
            Some(Projected {
                title,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        board::KIND => {
            let author = first_author(conn, id).await?;
            let ad = board::read(doc, space, id, &author);
            board::project(conn, space, id, &ad).await?;
            let f = &ad.fields;
            let body = [f.description.as_str(), &f.commune, &f.contact].join("\n");
            search::index(conn, space, id, kind, &f.title, &body).await?;
            Some(Projected {
                title: ad.fields.title,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        planning::TEAM | planning::ROSTER => {
            let name = crate::fields::get_str(doc, "name").unwrap_or_default();
            let deleted = crate::fields::get_bool(doc, "deleted").unwrap_or(false);
            planning::project(conn, space, id, kind, &name, deleted).await?;
            Some(Projected {
                title: name,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        planning::WEEK => Some(Projected {
            title: crate::fields::get_str(doc, "monday").unwrap_or_default(),
            updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
        }),
        polls::KIND => {
            let poll = polls::read(doc, space, id);
            polls::project(conn, space, id, &poll).await?;
            let title = if poll.deleted {
                ""
            } else {
                poll.fields.question.as_str()
            };
            let body = [poll.fields.description.as_str(), &poll.fields.options.join(" ")].join("\n");
            search::index(conn, space, id, kind, title, &body).await?;
            Some(Projected {
                title: poll.fields.question,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        cantine::MONTH => {
            let month = cantine::project_month(conn, id, doc).await?;
            Some(Projected {
                title: month,
                updated_by: crate::fields::get_str(doc, "updated_by").unwrap_or_default(),
            })
        }
        _ => None,
    })
}

/// The device that signed an item's first change (empty while unknown).
pub(crate) async fn first_author(conn: &mut SqliteConnection, id: ItemId) -> Result<Vec<u8>, Error> {
    let first: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT author FROM item_history WHERE item = ? ORDER BY ord LIMIT 1")
            .bind(id.0.as_slice())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(first.map(|(a,)| a).unwrap_or_default())
}

/// Empties every projection, before rebuilding them from the documents.
pub(crate) async fn clear(conn: &mut SqliteConnection) -> Result<(), Error> {
    sqlx::query("DELETE FROM events").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM contacts").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM forum_topics")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM forum_posts").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM documents").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM booking_slots")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM bookings").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM resources").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM meal_counts").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM polls").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM board_ads").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM planning").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM doc_comments")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM cantine_sites")
        .execute(&mut *conn)
        .await?;
    search::clear(conn).await?;
    Ok(())
}
