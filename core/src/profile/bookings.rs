//! Resources and bookings: the same write path as every item, with the booking rules
//! (who may book, conflicts known here, a manager's decisions) checked before writing.

use bastide_proto::membership::Role;
use bastide_proto::{DeviceId, ItemId, SpaceId};

use super::Profile;
use crate::bookings::{self, Booking, BookingInput, Resource, ResourceInput, Slot, SlotFilter};
use crate::error::Error;

/// A manager's decision on a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingDecision {
    /// The manager confirms a pending booking.
    Confirm,
    /// The manager refuses it.
    Refuse,
    /// Its author or a manager cancels it.
    Cancel,
    /// A manager accepts that it overlaps earlier bookings (divisible resources only).
    AcceptOverlap,
}

impl std::str::FromStr for BookingDecision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "confirm" => Ok(Self::Confirm),
            "refuse" => Ok(Self::Refuse),
            "cancel" => Ok(Self::Cancel),
            "accept_overlap" => Ok(Self::AcceptOverlap),
            other => Err(Error::InvalidInput(format!(
                "unknown decision {other:?} (confirm, refuse, cancel, accept_overlap)"
            ))),
        }
    }
}

impl Profile {
    /// Adds a resource; its creator's member manages it, with the admins.
    pub async fn add_resource(&self, space: SpaceId, input: ResourceInput) -> Result<Resource, Error> {
        let checked = input.check()?;
        let id = self
            .create_item(space, bookings::RESOURCE, |doc, by, now| {
                bookings::write_resource(doc, &checked, by, now)
            })
            .await?;
        self.resource(space, id).await
    }

    /// Changes a resource. Its manager or an admin.
    pub async fn update_resource(
        &self,
        space: SpaceId,
        id: ItemId,
        input: ResourceInput,
    ) -> Result<Resource, Error> {
        let checked = input.check()?;
        let current = self.resource(space, id).await?;
        self.must_manage(space, &current).await?;
        self.edit_item(space, id, bookings::RESOURCE, |doc, by, now| {
            bookings::write_resource(doc, &checked, by, now)
        })
        .await?;
        self.resource(space, id).await
    }

    /// Moves a resource to the trash, or back. Its manager or an admin.
    pub async fn set_resource_deleted(
        &self,
        space: SpaceId,
        id: ItemId,
        deleted: bool,
    ) -> Result<Resource, Error> {
        let current = self.resource(space, id).await?;
        self.must_manage(space, &current).await?;
        self.edit_item(space, id, bookings::RESOURCE, |doc, by, now| {
            crate::fields::set_deleted(doc, deleted, by, now)
        })
        .await?;
        self.resource(space, id).await
    }

    /// The resources of a space (or those in the trash), by name.
    pub async fn resources(&self, space: SpaceId, deleted: bool) -> Result<Vec<Resource>, Error> {
        self.space(space).await?;
        let mut resources = {
            let mut conn = self.pool.acquire().await?;
            bookings::resources(&mut conn, space, deleted).await?
        };
        let members = self.members_of(space).await?;
        for resource in &mut resources {
            resource.can_manage = self.manages_in(&members, resource);
        }
        Ok(resources)
    }

    /// One resource.
    pub async fn resource(&self, space: SpaceId, id: ItemId) -> Result<Resource, Error> {
        let mut resource = {
            let mut conn = self.pool.acquire().await?;
            bookings::resource(&mut conn, space, id)
                .await?
                .ok_or_else(|| Error::ItemNotFound(id.to_string()))?
        };
        resource.can_manage = self.manages(space, &resource).await?;
        Ok(resource)
    }

    /// Books a resource, once or weekly. Refused if the time overlaps a booking this
    /// computer knows, if the booking is longer than the resource allows, or if the
    /// member's role may not book it. Pending when a manager must confirm (unless the
    /// booker manages the resource).
    pub async fn book(&self, space: SpaceId, input: BookingInput) -> Result<Booking, Error> {
        let resource_id: ItemId = input.resource.trim().parse()?;
        let resource = self.resource(space, resource_id).await?;
        let role = self.my_role(space).await?;
        let needed: Role = resource.fields.book_role.parse()?;
        match role {
            None => return Err(Error::NotMember(space)),
            Some(role) if role < needed => {
                return Err(Error::NotAllowed(format!(
                    "only members with the role {needed} or above may book {}",
                    resource.fields.name
                )));
            }
            Some(_) => {}
        }
        let mut input = input;
        input.resource = resource_id.to_string();
        let checked = input.check(&resource)?;
        self.refuse_collision(resource_id, &checked, None).await?;
        let status = if resource.fields.confirm && !self.manages(space, &resource).await? {
            "pending"
        } else {
            "confirmed"
        };
        let id = self
            .create_item(space, bookings::BOOKING, |doc, by, now| {
                bookings::write_new_booking(doc, &checked, status, by, now)
            })
            .await?;
        self.booking(space, id).await
    }

    /// Moves a booking (new times, title or resource). Its author or a manager; the
    /// new times are checked like a new booking's.
    pub async fn move_booking(
        &self,
        space: SpaceId,
        id: ItemId,
        input: BookingInput,
    ) -> Result<Booking, Error> {
        let (current, author) = self.booking_and_author(space, id).await?;
        let old_resource = self.resource(space, current.fields.resource.parse()?).await?;
        self.must_own_or_manage(space, &author, &old_resource).await?;
        let resource_id: ItemId = input.resource.trim().parse()?;
        let resource = self.resource(space, resource_id).await?;
        let mut input = input;
        input.resource = resource_id.to_string();
        let checked = input.check(&resource)?;
        self.refuse_collision(resource_id, &checked, Some(id)).await?;
        self.edit_item(space, id, bookings::BOOKING, |doc, by, now| {
            bookings::write_booking_times(doc, &checked, by, now)
        })
        .await?;
        self.booking(space, id).await
    }

    /// A manager's (or, to cancel, the author's) decision on a booking.
    pub async fn decide_booking(
        &self,
        space: SpaceId,
        id: ItemId,
        decision: BookingDecision,
    ) -> Result<Booking, Error> {
        let (current, author) = self.booking_and_author(space, id).await?;
        let resource = self.resource(space, current.fields.resource.parse()?).await?;
        let (status, overlap_ok) = match decision {
            BookingDecision::Confirm => (Some("confirmed"), None),
            BookingDecision::Refuse => (Some("refused"), None),
            BookingDecision::Cancel => (Some("cancelled"), None),
            BookingDecision::AcceptOverlap => (None, Some(true)),
        };
        if decision == BookingDecision::Cancel {
            self.must_own_or_manage(space, &author, &resource).await?;
        } else {
            self.must_manage(space, &resource).await?;
        }
        if decision == BookingDecision::AcceptOverlap && !resource.fields.divisible {
            return Err(Error::InvalidInput(format!(
                "{} cannot be shared: move or cancel one of the bookings",
                resource.fields.name
            )));
        }
        self.edit_item(space, id, bookings::BOOKING, |doc, by, now| {
            bookings::write_decision(doc, status, overlap_ok, by, now)
        })
        .await?;
        self.booking(space, id).await
    }

    /// One booking.
    pub async fn booking(&self, space: SpaceId, id: ItemId) -> Result<Booking, Error> {
        Ok(self.booking_and_author(space, id).await?.0)
    }

    /// The occurrences of bookings in a range, with the status the conflict rule
    /// gives each, their authors named.
    pub async fn booking_slots(&self, space: SpaceId, filter: &SlotFilter) -> Result<Vec<Slot>, Error> {
        self.space(space).await?;
        let mut slots = {
            let mut conn = self.pool.acquire().await?;
            bookings::slots(&mut conn, space, filter).await?
        };
        let members = self.members_of(space).await?;
        let me = self.device_id().to_string();
        for slot in &mut slots {
            slot.mine = slot.author_device == me;
            if let Ok(device) = slot.author_device.parse::<DeviceId>() {
                slot.author = members.state.name_of(&device).unwrap_or_default().to_owned();
            }
        }
        Ok(slots)
    }

    /// When a booking that arrived collides with one of this member's, or makes one of
    /// theirs the later one in conflict: the occurrence in conflict (for the
    /// notification both authors get). `None` when this member is not involved.
    pub async fn my_booking_conflict(&self, space: SpaceId, booking: ItemId) -> Result<Option<Slot>, Error> {
        let found = self.booking(space, booking).await?;
        let filter = SlotFilter {
            resource: Some(found.fields.resource.clone()),
            ..SlotFilter::default()
        };
        let slots = self.booking_slots(space, &filter).await?;
        let id = booking.to_string();
        let mine: std::collections::HashSet<&str> =
            slots.iter().filter(|s| s.mine).map(|s| s.id.as_str()).collect();
        Ok(slots
            .iter()
            .find(|s| {
                s.status == "conflict"
                    && ((s.id == id && s.conflicts_with.iter().any(|w| mine.contains(w.as_str())))
                        || (s.mine && s.conflicts_with.contains(&id)))
            })
            .cloned())
    }

    async fn booking_and_author(&self, space: SpaceId, id: ItemId) -> Result<(Booking, Vec<u8>), Error> {
        let mut conn = self.pool.acquire().await?;
        bookings::booking(&mut conn, space, id)
            .await?
            .ok_or_else(|| Error::ItemNotFound(id.to_string()))
    }

    async fn refuse_collision(
        &self,
        resource: ItemId,
        checked: &bookings::CheckedBooking,
        except: Option<ItemId>,
    ) -> Result<(), Error> {
        let mut conn = self.pool.acquire().await?;
        match bookings::first_collision(&mut conn, resource, &checked.slots, except).await? {
            Some((at, with)) => Err(Error::BookingConflict {
                at: crate::fields::utc(at),
                with,
            }),
            None => Ok(()),
        }
    }

    /// Whether this profile manages `resource`: an admin, or the member who created it.
    async fn manages(&self, space: SpaceId, resource: &Resource) -> Result<bool, Error> {
        Ok(self.manages_in(&*self.members_of(space).await?, resource))
    }

    /// `manages`, with the membership already read.
    fn manages_in(&self, members: &crate::members::SpaceMembers, resource: &Resource) -> bool {
        let me = self.device_id();
        if members.state.role_of(&me) == Some(Role::Admin) {
            return true;
        }
        let my_member = members.state.member_of(&me).map(|(m, _)| m);
        let manager = resource
            .manager_device
            .parse::<DeviceId>()
            .ok()
            .and_then(|d| members.state.member_of(&d).map(|(m, _)| m));
        my_member.is_some() && my_member == manager
    }

    async fn must_manage(&self, space: SpaceId, resource: &Resource) -> Result<(), Error> {
        if self.manages(space, resource).await? {
            Ok(())
        } else {
            Err(Error::NotAllowed(format!(
                "only the manager of {} or an admin may do this",
                resource.fields.name
            )))
        }
    }

    async fn must_own_or_manage(
        &self,
        space: SpaceId,
        author: &[u8],
        resource: &Resource,
    ) -> Result<(), Error> {
        if self.is_same_member(space, author).await? {
            return Ok(());
        }
        self.must_manage(space, resource).await
    }
}
