//! The directory's cards: the same write path as every item (one transaction for the
//! change, its outbox entry and the projection).

use std::collections::HashSet;
use std::path::Path;

use bastide_proto::{ItemId, SpaceId};
use serde::Serialize;

use super::Profile;
use crate::directory::{self, Card, CardFilter, CardInput};
use crate::error::Error;
use crate::import::{self, ImportFormat, ImportProblem, MAX_PROBLEMS};

/// How many cards of a file the preview shows.
const SAMPLE: usize = 5;

/// What importing a file would do, without doing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardImportPreview {
    /// What kind of file it is, when that could be told.
    pub format: Option<ImportFormat>,
    /// Cards that would be added.
    pub cards: usize,
    /// Cards left out because the directory (or the file, further up) has them: same
    /// name and organisation, accents and case aside.
    pub duplicates: usize,
    /// The first cards that would be added.
    pub sample: Vec<CardInput>,
    /// Columns or properties that have no field in a card, left out.
    pub ignored: Vec<String>,
    /// What stops the import, with lines (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<ImportProblem>,
    /// How many problems there are in all.
    pub problem_count: usize,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardImport {
    /// Cards added.
    pub added: usize,
    /// Cards left out as already there.
    pub duplicates: usize,
    /// The new cards' ids.
    pub ids: Vec<String>,
}

/// Two cards are the same person when name and organisation fold alike.
fn same_card_key(card: &CardInput) -> (String, String) {
    (import::fold(&card.name), import::fold(&card.organisation))
}

impl Profile {
    /// Adds a card.
    pub async fn add_card(&self, space: SpaceId, input: CardInput) -> Result<Card, Error> {
        let checked = input.check()?;
        let id = self
            .create_item(space, directory::KIND, |doc, by, now| {
                directory::write(doc, &checked, by, now)
            })
            .await?;
        self.card(space, id).await
    }

    /// Changes a card: fields that differ from what it shows are written.
    pub async fn update_card(&self, space: SpaceId, id: ItemId, input: CardInput) -> Result<Card, Error> {
        let checked = input.check()?;
        self.edit_item(space, id, directory::KIND, |doc, by, now| {
            directory::write(doc, &checked, by, now)
        })
        .await?;
        self.card(space, id).await
    }

    /// Settles a field edited concurrently: `value` replaces every value it had.
    pub async fn pick_card_value(
        &self,
        space: SpaceId,
        id: ItemId,
        field: &str,
        value: &str,
    ) -> Result<Card, Error> {
        self.edit_item(space, id, directory::KIND, |doc, by, now| {
            directory::pick(doc, field, value, by, now)
        })
        .await?;
        self.card(space, id).await
    }

    /// Moves a card to the trash, or back.
    pub async fn set_card_deleted(&self, space: SpaceId, id: ItemId, deleted: bool) -> Result<Card, Error> {
        self.edit_item(space, id, directory::KIND, |doc, by, now| {
            crate::fields::set_deleted(doc, deleted, by, now)
        })
        .await?;
        self.card(space, id).await
    }

    /// Reads a CSV table or vCard address book and says what importing it would do.
    pub async fn preview_card_import(&self, space: SpaceId, path: &Path) -> Result<CardImportPreview, Error> {
        let (parsed, cards, duplicates) = self.read_card_import(space, path).await?;
        let problem_count = parsed.problems.len();
        let mut problems = parsed.problems;
        problems.truncate(MAX_PROBLEMS);
        Ok(CardImportPreview {
            format: parsed.format,
            cards: cards.len(),
            duplicates,
            sample: cards.into_iter().take(SAMPLE).collect(),
            ignored: parsed.ignored,
            problems,
            problem_count,
        })
    }

    /// Imports the cards of a CSV table or vCard address book: all of them in one
    /// transaction, or, if any line is wrong, none ([`Error::MalformedImport`] lists
    /// the lines). Cards the directory already has are left out.
    pub async fn import_cards(&self, space: SpaceId, path: &Path) -> Result<CardImport, Error> {
        self.writing_role(space).await?;
        let (parsed, cards, duplicates) = self.read_card_import(space, path).await?;
        if !parsed.problems.is_empty() {
            let total = parsed.problems.len();
            let mut problems = parsed.problems;
            problems.truncate(MAX_PROBLEMS);
            return Err(Error::MalformedImport { problems, total });
        }
        let ids = self
            .create_items(space, directory::KIND, &cards, |doc, card, by, now| {
                directory::write(doc, card, by, now)
            })
            .await?;
        tracing::info!(space = %space, added = ids.len(), duplicates, "cards imported");
        Ok(CardImport {
            added: ids.len(),
            duplicates,
            ids: ids.iter().map(ToString::to_string).collect(),
        })
    }

    /// The file read, the cards to add, and how many were left out as duplicates.
    async fn read_card_import(
        &self,
        space: SpaceId,
        path: &Path,
    ) -> Result<(import::Parsed, Vec<CardInput>, usize), Error> {
        self.space(space).await?;
        let unreadable = |source| Error::FileUnreadable {
            path: path.to_path_buf(),
            source,
        };
        let size = tokio::fs::metadata(path).await.map_err(unreadable)?.len();
        // A huge file is not read at all: its size says enough.
        let parsed = if size > import::MAX_IMPORT_BYTES as u64 {
            import::too_large()
        } else {
            let bytes = tokio::fs::read(path).await.map_err(unreadable)?;
            tokio::task::spawn_blocking(move || import::parse(&bytes))
                .await
                .map_err(|e| Error::InvalidInput(format!("reading the file failed: {e}")))?
        };
        let mut seen: HashSet<(String, String)> = self
            .cards(space, &CardFilter::default())
            .await?
            .iter()
            .map(|card| same_card_key(&card.fields))
            .collect();
        let mut cards = Vec::with_capacity(parsed.cards.len());
        let mut duplicates = 0;
        for (_, card) in &parsed.cards {
            if seen.insert(same_card_key(card)) {
                cards.push(card.clone());
            } else {
                duplicates += 1;
            }
        }
        Ok((parsed, cards, duplicates))
    }

    /// The cards of a space, by name, filtered; authors of concurrent values named.
    pub async fn cards(&self, space: SpaceId, filter: &CardFilter) -> Result<Vec<Card>, Error> {
        self.space(space).await?;
        let mut cards = {
            let mut conn = self.pool.acquire().await?;
            directory::list(&mut conn, space, filter).await?
        };
        self.name_conflict_authors(space, &mut cards).await?;
        Ok(cards)
    }

    /// One card.
    pub async fn card(&self, space: SpaceId, id: ItemId) -> Result<Card, Error> {
        let card = {
            let mut conn = self.pool.acquire().await?;
            directory::get(&mut conn, space, id)
                .await?
                .ok_or_else(|| Error::ItemNotFound(id.to_string()))?
        };
        let mut one = [card];
        self.name_conflict_authors(space, &mut one).await?;
        let [card] = one;
        Ok(card)
    }

    /// Names the authors of concurrent values (reading the membership only if some
    /// card has any).
    async fn name_conflict_authors(&self, space: SpaceId, cards: &mut [Card]) -> Result<(), Error> {
        if cards.iter().all(|c| c.conflicts.is_empty()) {
            return Ok(());
        }
        let members = self.members_of(space).await?;
        for card in cards {
            directory::name_authors(card, |d| members.state.name_of(d).map(str::to_owned));
        }
        Ok(())
    }
}
