//! Daily services on several offline computers: bookings in conflict, meal counts.

use super::*;

fn booking(resource: &crate::Resource, title: &str, start: &str, end: &str) -> crate::BookingInput {
    crate::BookingInput {
        resource: resource.id.clone(),
        title: title.into(),
        start: start.into(),
        end: end.into(),
        repeat_until: String::new(),
    }
}

#[tokio::test]
async fn overlapping_offline_bookings_mark_the_later_one_in_conflict_everywhere() {
    let (space, _, all) = replicas(2).await;
    let (a, b) = (&all[0].1, &all[1].1);
    let mut seq = 2;
    let room = a
        .add_resource(
            space,
            crate::ResourceInput {
                name: "Salle du conseil".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    // Offline: each books an overlapping time (B's made later).
    let first = a
        .book(
            space,
            booking(
                &room,
                "CCAS",
                "2027-01-12T14:00:00+01:00",
                "2027-01-12T16:00:00+01:00",
            ),
        )
        .await
        .unwrap();
    let second = b
        .book(
            space,
            booking(
                &room,
                "Club photo",
                "2027-01-12T15:00:00+01:00",
                "2027-01-12T17:00:00+01:00",
            ),
        )
        .await
        .unwrap();
    assert!(first.created_at < second.created_at);
    // Known here: a third overlapping booking is refused, and nothing is stored.
    let refused = a
        .book(
            space,
            booking(
                &room,
                "Doublon",
                "2027-01-12T15:30:00+01:00",
                "2027-01-12T15:45:00+01:00",
            ),
        )
        .await;
    assert!(
        matches!(refused, Err(Error::BookingConflict { .. })),
        "{refused:?}"
    );
    exchange(&all, space, &mut seq).await;
    for (_, p) in &all {
        let slots = p
            .booking_slots(space, &crate::SlotFilter::default())
            .await
            .unwrap();
        assert_eq!(slots.len(), 2, "the refused booking was not stored");
        let conflicted: Vec<_> = slots.iter().filter(|s| s.status == "conflict").collect();
        assert_eq!(conflicted.len(), 1);
        assert_eq!(
            conflicted[0].id, second.id,
            "the later booking is the one in conflict"
        );
        assert_eq!(conflicted[0].conflicts_with, vec![first.id.clone()]);
    }
    // The later author cancels: the earlier one is clear.
    b.decide_booking(space, second.id.parse().unwrap(), BookingDecision::Cancel)
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    let slots = a
        .booking_slots(space, &crate::SlotFilter::default())
        .await
        .unwrap();
    let statuses: Vec<&str> = slots.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(statuses, ["confirmed", "cancelled"]);
}

#[tokio::test]
async fn a_weekly_booking_is_in_conflict_on_the_colliding_date_only() {
    let (space, _, all) = replicas(2).await;
    let (a, b) = (&all[0].1, &all[1].1);
    let mut seq = 2;
    let room = a
        .add_resource(
            space,
            crate::ResourceInput {
                name: "Salle polyvalente".into(),
                divisible: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    let once = a
        .book(
            space,
            booking(
                &room,
                "Loto",
                "2027-02-02T15:00:00+01:00",
                "2027-02-02T18:00:00+01:00",
            ),
        )
        .await
        .unwrap();
    let mut weekly = booking(
        &room,
        "Gym douce",
        "2027-01-12T14:00:00+01:00",
        "2027-01-12T16:00:00+01:00",
    );
    weekly.repeat_until = "2027-03-02".into();
    let weekly = b.book(space, weekly).await.unwrap();
    exchange(&all, space, &mut seq).await;
    let slots = b
        .booking_slots(space, &crate::SlotFilter::default())
        .await
        .unwrap();
    let of_weekly: Vec<_> = slots.iter().filter(|s| s.id == weekly.id).collect();
    assert_eq!(of_weekly.len(), 8, "every Tuesday from 12 January to 2 March");
    let conflicted: Vec<(&str, u32)> = slots
        .iter()
        .filter(|s| s.status == "conflict")
        .map(|s| (s.start.as_str(), s.occurrence))
        .collect();
    assert_eq!(conflicted, [("2027-02-02T13:00:00.000000Z", 3)]);
    assert!(slots.iter().any(|s| s.id == once.id && s.status == "confirmed"));
    // A filtered month shows the same.
    let february = crate::SlotFilter {
        from: Some("2027-02-01T00:00:00+01:00".into()),
        to: Some("2027-03-01T00:00:00+01:00".into()),
        ..Default::default()
    };
    let in_february = b.booking_slots(space, &february).await.unwrap();
    assert_eq!(in_february.iter().filter(|s| s.status == "conflict").count(), 1);
    assert_eq!(in_february.len(), 5);
    // B is not the manager; A (who created the room, an admin) accepts both.
    let id: ItemId = weekly.id.parse().unwrap();
    assert!(matches!(
        b.decide_booking(space, id, BookingDecision::AcceptOverlap).await,
        Err(Error::NotAllowed(_))
    ));
    a.decide_booking(space, id, BookingDecision::AcceptOverlap)
        .await
        .unwrap();
    let slots = a
        .booking_slots(space, &crate::SlotFilter::default())
        .await
        .unwrap();
    assert!(slots.iter().all(|s| s.status == "confirmed"), "{slots:?}");
}

#[tokio::test]
async fn bookings_wait_for_a_manager_when_the_resource_says_so() {
    let (space, _, all) = replicas(2).await;
    let (a, b) = (&all[0].1, &all[1].1);
    let mut seq = 2;
    let van = a
        .add_resource(
            space,
            crate::ResourceInput {
                name: "Minibus".into(),
                kind: "vehicle".into(),
                confirm: true,
                max_minutes: 8 * 60,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    let too_long = b
        .book(
            space,
            booking(
                &van,
                "Sortie",
                "2027-01-12T08:00:00+01:00",
                "2027-01-12T18:00:00+01:00",
            ),
        )
        .await;
    assert!(matches!(
        too_long,
        Err(Error::BookingTooLong { max_minutes: 480 })
    ));
    let asked = b
        .book(
            space,
            booking(
                &van,
                "Sortie",
                "2027-01-12T08:00:00+01:00",
                "2027-01-12T12:00:00+01:00",
            ),
        )
        .await
        .unwrap();
    assert_eq!(asked.status, "pending");
    let id: ItemId = asked.id.parse().unwrap();
    assert!(matches!(
        b.decide_booking(space, id, BookingDecision::Confirm).await,
        Err(Error::NotAllowed(_))
    ));
    exchange(&all, space, &mut seq).await;
    let confirmed = a
        .decide_booking(space, id, BookingDecision::Confirm)
        .await
        .unwrap();
    assert_eq!(confirmed.status, "confirmed");
    exchange(&all, space, &mut seq).await;
    assert_eq!(b.booking(space, id).await.unwrap().status, "confirmed");
}

#[tokio::test]
async fn meal_counts_entered_offline_on_two_computers_show_both_until_one_is_chosen() {
    let (space, _, all) = replicas(2).await;
    let (a, b) = (&all[0].1, &all[1].1);
    let mut seq = 2;
    let site = a
        .add_cantine_site(
            space,
            crate::SiteInput {
                name: "École des Tilleuls".into(),
                categories: vec![],
            },
        )
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    let id: ItemId = site.id.parse().unwrap();
    // Both start January's sheet offline: the same item on both computers.
    a.set_meal_count(space, id, "2027-01-12", "maternelle", 24)
        .await
        .unwrap();
    a.set_meal_count(space, id, "2027-01-12", "adulte", 3)
        .await
        .unwrap();
    b.set_meal_count(space, id, "2027-01-12", "maternelle", 25)
        .await
        .unwrap();
    b.set_meal_count(space, id, "2027-01-13", "élémentaire", 40)
        .await
        .unwrap();
    assert!(matches!(
        b.set_meal_count(space, id, "2027-01-13", "élémentaire", -2).await,
        Err(Error::InvalidCount(_))
    ));
    assert!(matches!(
        b.set_meal_count(space, id, "2027-01-13", "élémentaire", 20_000)
            .await,
        Err(Error::InvalidCount(_))
    ));
    exchange(&all, space, &mut seq).await;
    let sheets = [
        a.meal_month(space, id, "2027-01").await.unwrap(),
        b.meal_month(space, id, "2027-01").await.unwrap(),
    ];
    assert_eq!(sheets[0], sheets[1], "both computers show the same sheet");
    let sheet = &sheets[0];
    assert_eq!(sheet.conflicts, 1);
    let cell = &sheet.days[11].cells["maternelle"];
    assert_eq!(sheet.days[11].date, "2027-01-12");
    let mut values: Vec<(u32, &str)> = cell.values.iter().map(|v| (v.count, v.author.as_str())).collect();
    values.sort();
    assert_eq!(values, [(24, "Replica 0"), (25, "Replica 1")]);
    // Counted once: the shown value, not both.
    let shown = cell.count.unwrap();
    assert_eq!(sheet.totals["maternelle"], shown);
    assert_eq!(sheet.total, shown + 3 + 40);
    assert_eq!(sheet.days[0].closed, "holiday");
    assert_eq!(sheet.days[1].closed, "weekend");
    // B picks 24 (not the value it entered); the export carries it.
    b.set_meal_count(space, id, "2027-01-12", "maternelle", 24)
        .await
        .unwrap();
    exchange(&all, space, &mut seq).await;
    let settled = a.meal_month(space, id, "2027-01").await.unwrap();
    assert_eq!(settled.conflicts, 0);
    let out = all[0].0.path().join("janvier.csv");
    a.export_meals(space, id, "2027-01", crate::ExportFormat::Csv, &out)
        .await
        .unwrap();
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains("2027-01-12;24;;3;27\r\n"), "{csv}");
    assert!(csv.contains("Total;24;40;3;67\r\n"), "{csv}");
}
