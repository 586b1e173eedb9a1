//! The directory's cards: the same write path as every item (one transaction for the
//! change, its outbox entry and the projection).

use bastide_proto::{ItemId, SpaceId};

use super::Profile;
use crate::directory::{self, Card, CardFilter, CardInput};
use crate::error::Error;

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
            directory::set_deleted(doc, deleted, by, now)
        })
        .await?;
        self.card(space, id).await
    }

    /// The cards of a space, by name, filtered; authors of concurrent values named.
    pub async fn cards(&self, space: SpaceId, filter: &CardFilter) -> Result<Vec<Card>, Error> {
        self.space(space).await?;
        let mut cards = {
            let mut conn = self.pool.acquire().await?;
            directory::list(&mut conn, space, filter).await?
        };
        if cards.iter().any(|c| !c.conflicts.is_empty()) {
            let members = {
                let _write = self.write.lock().await;
                self.members_locked(space).await?
            };
            for card in &mut cards {
                directory::name_authors(card, |d| {
                    members.state.member_of(d).map(|(_, m)| m.info.name.clone())
                });
            }
        }
        Ok(cards)
    }

    /// One card.
    pub async fn card(&self, space: SpaceId, id: ItemId) -> Result<Card, Error> {
        let mut card = {
            let mut conn = self.pool.acquire().await?;
            directory::get(&mut conn, space, id)
                .await?
                .ok_or_else(|| Error::ItemNotFound(id.to_string()))?
        };
        if !card.conflicts.is_empty() {
            let members = {
                let _write = self.write.lock().await;
                self.members_locked(space).await?
            };
            directory::name_authors(&mut card, |d| {
                members.state.member_of(d).map(|(_, m)| m.info.name.clone())
            });
        }
        Ok(card)
    }
}
