//! Bookings and meal counts end to end: several computers on a real relay, booking
//! and counting offline, then converging.

use bastide_core::{BookingInput, Resource, ResourceInput, Role, Slot, SlotFilter, SpaceId};
use bastide_tests::{Client, TestRelay, create_space, invite_and_join};

fn booking(resource: &Resource, title: &str, start: &str, end: &str, until: &str) -> BookingInput {
    BookingInput {
        resource: resource.id.clone(),
        title: title.into(),
        start: start.into(),
        end: end.into(),
        repeat_until: until.into(),
    }
}

/// Every occurrence as (booking, occurrence, status), without what differs per
/// computer (`mine`).
async fn statuses(
    client: &Client,
    space: SpaceId,
) -> anyhow::Result<Vec<(String, u32, String, Vec<String>)>> {
    let slots: Vec<Slot> = client
        .profile
        .booking_slots(space, &SlotFilter::default())
        .await?;
    Ok(slots
        .into_iter()
        .map(|s| (s.id, s.occurrence, s.status, s.conflicts_with))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_booking_that_collides_once_is_in_conflict_on_that_date_only_everywhere()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Mairie", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Reader, "Carol").await?;
    let hall = alice
        .profile
        .add_resource(
            space,
            ResourceInput {
                name: "Salle des fêtes".into(),
                capacity: 120,
                ..ResourceInput::default()
            },
        )
        .await?;
    for client in [&alice, &bob, &carol] {
        client.profile.sync_once().await?;
    }

    // Offline: Bob books one Tuesday evening; Alice, later, books every Tuesday
    // afternoon into the evening from January to March.
    let once = bob
        .profile
        .book(
            space,
            booking(
                &hall,
                "Assemblée du comité des fêtes",
                "2027-02-09T17:00:00+01:00",
                "2027-02-09T19:00:00+01:00",
                "",
            ),
        )
        .await?;
    let weekly = alice
        .profile
        .book(
            space,
            booking(
                &hall,
                "Atelier mémoire",
                "2027-01-05T16:00:00+01:00",
                "2027-01-05T18:00:00+01:00",
                "2027-03-30",
            ),
        )
        .await?;
    // Carol is a reader: booking needs a writing role.
    let refused = carol
        .profile
        .book(
            space,
            booking(
                &hall,
                "Goûter",
                "2027-01-06T16:00:00+01:00",
                "2027-01-06T17:00:00+01:00",
                "",
            ),
        )
        .await;
    assert!(refused.is_err(), "a reader cannot book");
    for client in [&alice, &bob, &carol, &alice] {
        client.profile.sync_once().await?;
    }

    let seen = statuses(&carol, space).await?;
    assert_eq!(statuses(&alice, space).await?, seen, "Alice sees what Carol sees");
    assert_eq!(statuses(&bob, space).await?, seen, "Bob sees what Carol sees");
    assert_eq!(
        seen.iter().filter(|s| s.0 == weekly.id).count(),
        13,
        "13 Tuesdays"
    );
    let conflicts: Vec<_> = seen.iter().filter(|s| s.2 == "conflict").collect();
    assert_eq!(conflicts.len(), 1, "{seen:?}");
    let (id, occurrence, _, with) = conflicts[0];
    assert_eq!(
        (id, *occurrence),
        (&weekly.id, 5),
        "9 February is the 6th Tuesday"
    );
    assert_eq!(with, &vec![once.id.clone()]);
    assert!(seen.iter().any(|s| s.0 == once.id && s.2 == "confirmed"));

    // Alice moves her whole series an hour earlier: no conflict left, everywhere.
    alice
        .profile
        .move_booking(
            space,
            weekly.id.parse()?,
            booking(
                &hall,
                "Atelier mémoire",
                "2027-01-05T15:00:00+01:00",
                "2027-01-05T17:00:00+01:00",
                "2027-03-30",
            ),
        )
        .await?;
    for client in [&alice, &bob, &carol] {
        client.profile.sync_once().await?;
    }
    for client in [&alice, &bob, &carol] {
        let all = statuses(client, space).await?;
        assert!(all.iter().all(|s| s.2 == "confirmed"), "{all:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_authors_of_overlapping_offline_bookings_hear_of_the_conflict_and_others_do_not()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Mairie", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    let room = alice
        .profile
        .add_resource(
            space,
            ResourceInput {
                name: "Salle du conseil".into(),
                ..ResourceInput::default()
            },
        )
        .await?;
    for client in [&alice, &bob, &carol] {
        client.profile.sync_once().await?;
    }
    let first = alice
        .profile
        .book(
            space,
            booking(
                &room,
                "CCAS",
                "2027-01-12T14:00:00+01:00",
                "2027-01-12T16:00:00+01:00",
                "",
            ),
        )
        .await?;
    let later = bob
        .profile
        .book(
            space,
            booking(
                &room,
                "Club photo",
                "2027-01-12T15:00:00+01:00",
                "2027-01-12T17:00:00+01:00",
                "",
            ),
        )
        .await?;
    let apart = carol
        .profile
        .book(
            space,
            booking(
                &room,
                "Permanence",
                "2027-01-13T09:00:00+01:00",
                "2027-01-13T10:00:00+01:00",
                "",
            ),
        )
        .await?;
    for client in [&alice, &bob, &carol, &alice] {
        client.profile.sync_once().await?;
    }
    // Alice hears of Bob's booking arriving; Bob of Alice's (his is the one in conflict).
    let on_alice = alice
        .profile
        .my_booking_conflict(space, later.id.parse()?)
        .await?;
    assert_eq!(on_alice.map(|s| s.id), Some(later.id.clone()));
    let on_bob = bob.profile.my_booking_conflict(space, first.id.parse()?).await?;
    assert_eq!(on_bob.map(|s| (s.id, s.mine)), Some((later.id.clone(), true)));
    // Carol is not involved, and her own booking collides with nothing.
    assert!(
        carol
            .profile
            .my_booking_conflict(space, later.id.parse()?)
            .await?
            .is_none()
    );
    assert!(
        carol
            .profile
            .my_booking_conflict(space, first.id.parse()?)
            .await?
            .is_none()
    );
    assert!(
        alice
            .profile
            .my_booking_conflict(space, apart.id.parse()?)
            .await?
            .is_none()
    );
    Ok(())
}
