//! Planning and the board end to end: rosters, rotas and announcements on a real
//! relay, changed offline on several computers.

use bastide_core::{AdFilter, AdInput, MemberId, Role, Roster, SpaceId, TeamInput};
use bastide_tests::{Client, TestRelay, create_space, invite_and_join};

async fn sync(clients: &[&Client]) -> anyhow::Result<()> {
    for client in clients {
        client.profile.sync_once().await?;
    }
    Ok(())
}

async fn member(client: &Client, space: SpaceId, name: &str) -> anyhow::Result<MemberId> {
    let members = client.profile.members(space).await?;
    let found = members
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| anyhow::anyhow!("no member {name}"))?;
    Ok(found.id.parse()?)
}

/// Pairs of (key, value) every computer must agree on.
type Pairs = Vec<(String, String)>;

/// What every computer must agree on: who holds each slot, and each swap's status.
fn agreed(roster: &Roster) -> (Pairs, Pairs) {
    (
        roster
            .slots
            .iter()
            .map(|s| (s.start.clone(), s.member.clone()))
            .collect(),
        roster
            .swaps
            .iter()
            .map(|s| (s.id.clone(), s.status.clone()))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_accepted_offline_converges_on_every_computer() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Réseau santé", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    sync(&[&alice, &bob, &carol]).await?;
    let (bob_id, carol_id) = (
        member(&alice, space, "Bob").await?,
        member(&alice, space, "Carol").await?,
    );
    let roster = alice.profile.add_roster(space, "Garde infirmière").await?;
    let id = roster.id.parse()?;
    for (start, end) in [
        ("2027-01-15T19:00:00+01:00", "2027-01-16T07:00:00+01:00"),
        ("2027-01-16T19:00:00+01:00", "2027-01-17T07:00:00+01:00"),
    ] {
        alice
            .profile
            .set_roster_slot(space, id, start, end, bob_id)
            .await?;
    }
    sync(&[&alice, &bob, &carol]).await?;

    // Bob asks Carol to take Friday night; only Bob, who holds it, may ask.
    let friday = "2027-01-15T18:00:00.000000Z";
    assert!(
        carol
            .profile
            .request_swap(space, id, friday, bob_id)
            .await
            .is_err()
    );
    let asked = bob.profile.request_swap(space, id, friday, carol_id).await?;
    let swap = asked.swaps.last().map(|s| s.id.clone()).unwrap_or_default();
    sync(&[&bob, &carol]).await?;
    // Bob cannot accept for Carol.
    assert!(bob.profile.answer_swap(space, id, &swap, true).await.is_err());
    // Carol accepts offline; Alice, offline too, still sees Bob.
    carol.profile.answer_swap(space, id, &swap, true).await?;
    let on_alice = alice.profile.roster(space, id).await?;
    assert_eq!(on_alice.slots[0].name, "Bob");
    sync(&[&carol, &alice, &bob]).await?;

    let seen = agreed(&carol.profile.roster(space, id).await?);
    for client in [&alice, &bob] {
        assert_eq!(agreed(&client.profile.roster(space, id).await?), seen);
    }
    let roster = alice.profile.roster(space, id).await?;
    assert_eq!(roster.slots[0].name, "Carol", "Friday is Carol's");
    assert_eq!(roster.slots[1].name, "Bob", "Saturday stays Bob's");
    assert_eq!(roster.swaps[0].status, "accepted");

    // Saturday: Bob asks Carol again; offline, Carol accepts while Bob withdraws.
    let saturday = "2027-01-16T18:00:00.000000Z";
    let asked = bob.profile.request_swap(space, id, saturday, carol_id).await?;
    let second = asked.swaps.last().map(|s| s.id.clone()).unwrap_or_default();
    sync(&[&bob, &carol]).await?;
    carol.profile.answer_swap(space, id, &second, true).await?;
    bob.profile.answer_swap(space, id, &second, false).await?;
    sync(&[&carol, &bob, &alice, &carol]).await?;
    let seen = agreed(&alice.profile.roster(space, id).await?);
    for client in [&bob, &carol] {
        assert_eq!(
            agreed(&client.profile.roster(space, id).await?),
            seen,
            "whichever answer wins, it wins everywhere"
        );
    }
    let (slots, swaps) = seen;
    let status = &swaps[1].1;
    let holder = if status == "accepted" { carol_id } else { bob_id };
    assert_eq!(
        slots[1].1,
        holder.to_string(),
        "the holder follows the status that won"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotas_copy_a_week_and_the_board_shows_open_announcements() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Mairie", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carla = invite_and_join(&alice, space, Role::Editor, "Carla").await?;
    let team = alice
        .profile
        .add_team(
            space,
            TeamInput {
                name: "Accueil".into(),
                people: vec!["Anne".into(), "Bruno".into()],
                shifts: vec![],
            },
        )
        .await?;
    let team_id = team.id.parse()?;
    sync(&[&alice, &bob]).await?;
    // Offline, Alice and Bob fill the same week.
    alice
        .profile
        .set_rota(space, team_id, "2027-01-11", "Anne", "Matin", true)
        .await?;
    bob.profile
        .set_rota(space, team_id, "2027-01-12", "Bruno", "Après-midi", true)
        .await?;
    sync(&[&alice, &bob, &alice]).await?;
    let week = alice.profile.rota_week(space, team_id, "2027-01-13").await?;
    assert_eq!(week, bob.profile.rota_week(space, team_id, "2027-01-13").await?);
    assert_eq!(week.monday, "2027-01-11");
    assert_eq!(week.cells.len(), 2, "both halves of the week: {:?}", week.cells);
    let next = bob
        .profile
        .copy_previous_week(space, team_id, "2027-01-18")
        .await?;
    assert_eq!(next.cells["2027-01-18|Anne"], ["Matin"]);
    assert_eq!(next.cells["2027-01-19|Bruno"], ["Après-midi"]);
    assert!(
        bob.profile
            .set_rota(space, team_id, "2027-01-19", "Zoé", "Matin", true)
            .await
            .is_err()
    );

    let ad = bob
        .profile
        .add_ad(
            space,
            AdInput {
                category: "job".into(),
                title: "Saisonnier·ère à l’office de tourisme".into(),
                commune: "Saint-Cirq-Lapopie".into(),
                contact: "05 65 00 00 00".into(),
                ..AdInput::default()
            },
        )
        .await?;
    sync(&[&bob, &alice, &carla]).await?;
    let listed = alice.profile.ads(space, &AdFilter::default()).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].author, "Bob");
    assert!(!listed[0].mine);
    let id = ad.id.parse()?;
    let not_hers = carla.profile.close_ad(space, id).await;
    assert_eq!(
        not_hers.err().map(|e| e.code()),
        Some(bastide_core::Code::NotAllowed),
        "only its author or an admin closes an announcement"
    );
    bob.profile.close_ad(space, id).await?;
    sync(&[&bob, &alice]).await?;
    assert!(
        alice.profile.ads(space, &AdFilter::default()).await?.is_empty(),
        "closed ads leave the board"
    );
    let all = AdFilter {
        all: true,
        ..AdFilter::default()
    };
    assert_eq!(alice.profile.ads(space, &all).await?.len(), 1);
    bob.profile.renew_ad(space, id, Some(15)).await?;
    assert_eq!(
        bob.profile.ads(space, &AdFilter::default()).await?.len(),
        1,
        "renewed, it is back"
    );
    Ok(())
}
