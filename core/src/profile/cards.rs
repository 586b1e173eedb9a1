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
            crate::fields::set_deleted(doc, deleted, by, now)
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
