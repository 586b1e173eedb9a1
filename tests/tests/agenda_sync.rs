//! The agenda end to end: a real relay on 127.0.0.1 and clients with their own SQLite
//! files, online, offline, and back.

use bastide_core::{Code, Event, MemberInfo, Role, SpaceId};
use bastide_proto::wire::{PushResult, Record};
use bastide_proto::{DeviceKey, Entry, SpaceKey};
use bastide_tests::{Client, TestRelay, event, wait_for};

async fn titles(client: &Client, space: SpaceId) -> anyhow::Result<Vec<String>> {
    Ok(client
        .profile
        .events(space)
        .await?
        .into_iter()
        .map(|e| e.title)
        .collect())
}

/// Alice creates a space and Bob joins it with her invitation code.
async fn alice_and_bob(relay: &TestRelay) -> anyhow::Result<(Client, Client, SpaceId)> {
    let alice = Client::new().await?;
    let space = alice
        .profile
        .create_space("Pays — agents", relay.relay_addr())
        .await?;
    let (code, _) = alice.profile.invite(space.id.parse()?, Role::Editor, 7).await?;
    alice.profile.sync_once().await?;
    let bob = Client::new().await?;
    let joined = bob.profile.join(&code, MemberInfo::named("Bob")).await?;
    assert_eq!(joined, space, "Bob joins the very space Alice created");
    Ok((alice, bob, space.id.parse()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_created_on_a_appears_on_b() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (mut alice, mut bob, space) = alice_and_bob(&relay).await?;
    alice.go_live();
    bob.go_live();
    bob.wait_status("Bob online", |s| s.online).await?;

    // Alice adds an event; Bob's live sync brings it without him doing anything.
    let added = alice
        .profile
        .add_event(space, event("Conseil communautaire", "2026-12-01T18:00:00+01:00"))
        .await?;
    let seen: Event = wait_for("the event on Bob's side", || async {
        Ok(bob
            .profile
            .events(space)
            .await?
            .into_iter()
            .find(|e| e.id == added.id))
    })
    .await?;
    assert_eq!(seen.title, "Conseil communautaire");
    assert_eq!(seen.start, added.start);
    assert_eq!(
        seen.updated_by,
        alice.profile.display_name(),
        "Bob sees who wrote it"
    );

    // Bob edits the place; Alice sees it.
    let mut change = event(&seen.title, &seen.start);
    change.place = "Salle des fêtes".into();
    bob.profile.update_event(space, seen.id.parse()?, change).await?;
    wait_for("Bob's place on Alice's side", || async {
        Ok(alice
            .profile
            .events(space)
            .await?
            .first()
            .filter(|e| e.place == "Salle des fêtes")
            .cloned())
    })
    .await?;

    // Alice deletes it: it leaves Bob's agenda for his trash, and can come back.
    alice.profile.delete_event(space, added.id.parse()?).await?;
    wait_for("the event in Bob's trash", || async {
        Ok(bob.profile.trash(space).await?.first().cloned())
    })
    .await?;
    assert!(
        bob.profile.events(space).await?.is_empty(),
        "a deleted event leaves the agenda"
    );
    bob.profile.restore_event(space, added.id.parse()?).await?;
    wait_for("the event restored on Alice's side", || async {
        Ok(alice.profile.events(space).await?.first().cloned())
    })
    .await?;

    alice
        .wait_status("Alice's outbox empty", |s| s.pending == 0)
        .await?;
    alice.stop_live().await;
    bob.stop_live().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_while_the_relay_is_down_converge_after_it_restarts() -> anyhow::Result<()> {
    let mut relay = TestRelay::start().await?;
    let (mut alice, mut bob, space) = alice_and_bob(&relay).await?;
    let shared = alice
        .profile
        .add_event(space, event("Réunion tourisme", "2026-12-03T10:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    assert_eq!(titles(&bob, space).await?, vec!["Réunion tourisme"]);

    alice.go_live();
    bob.go_live();
    bob.wait_status("Bob online", |s| s.online).await?;
    alice.wait_status("Alice online", |s| s.online).await?;

    // The line goes down.
    relay.stop().await;
    alice.wait_status("Alice offline", |s| !s.online).await?;
    bob.wait_status("Bob offline", |s| !s.online).await?;

    // Both keep working: the same event edited on both sides, plus new events.
    let id = shared.id.parse()?;
    let mut on_alice = event("Réunion tourisme et culture", &shared.start);
    on_alice.place = shared.place.clone();
    alice.profile.update_event(space, id, on_alice).await?;
    let mut on_bob = event("Réunion tourisme", &shared.start);
    on_bob.place = "Office de tourisme".into();
    on_bob.description = "Ordre du jour : saison 2027".into();
    bob.profile.update_event(space, id, on_bob).await?;
    alice
        .profile
        .add_event(space, event("Marché de Noël", "2026-12-12T09:00:00+01:00"))
        .await?;
    bob.profile
        .add_event(space, event("Vœux du président", "2027-01-08T18:30:00+01:00"))
        .await?;
    alice
        .wait_status("Alice's pending edits counted", |s| s.pending == 2)
        .await?;
    bob.wait_status("Bob's pending edits counted", |s| s.pending == 2)
        .await?;

    // The relay comes back on the same data folder; both reconnect by themselves.
    relay.restart().await?;
    alice
        .wait_status("Alice caught up", |s| s.online && s.pending == 0)
        .await?;
    bob.wait_status("Bob caught up", |s| s.online && s.pending == 0)
        .await?;
    let converged = wait_for("both agendas equal with four edits merged", || async {
        let a = alice.profile.events(space).await?;
        let b = bob.profile.events(space).await?;
        Ok((a == b
            && a.len() == 3
            && a.iter()
                .any(|e| e.place == "Office de tourisme" && e.title.ends_with("et culture")))
        .then_some(a))
    })
    .await?;
    let merged = converged
        .iter()
        .find(|e| e.id == shared.id)
        .ok_or_else(|| anyhow::anyhow!("shared event lost"))?;
    assert_eq!(
        merged.title, "Réunion tourisme et culture",
        "Alice's title edit survives"
    );
    assert_eq!(merged.place, "Office de tourisme", "Bob's place edit survives");
    assert_eq!(
        merged.description, "Ordre du jour : saison 2027",
        "Bob's description survives"
    );
    let all: Vec<&str> = converged.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        all,
        vec![
            "Réunion tourisme et culture",
            "Marché de Noël",
            "Vœux du président"
        ],
        "no event lost, in date order"
    );

    alice.stop_live().await;
    bob.stop_live().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_entry_pushed_twice_is_stored_once() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, _bob, space) = alice_and_bob(&relay).await?;
    alice
        .profile
        .add_event(space, event("Permanence", "2026-12-02T09:00:00+01:00"))
        .await?;
    let report = alice.profile.sync_once().await?;
    assert_eq!(report.pushed, 1);

    // Replay the stored entry verbatim on a fresh connection, twice.
    let stored = sqlx_entries(&relay).await?;
    assert_eq!(stored.len(), 1);
    let device_key = bastide_core::device::load_or_create_file_key(&alice.dir())?;
    let addr = relay.relay_addr().parse()?;
    let connection = bastide_core::sync::RelayConnection::connect(&addr, &device_key).await?;
    let (seq, bytes) = stored[0].clone();
    let results = connection
        .push(vec![Record::Entry(bytes.clone()), Record::Entry(bytes)])
        .await?;
    for result in &results {
        assert!(
            matches!(result, PushResult::Stored { seq: s, .. } if *s == seq),
            "a duplicate gets the original sequence {seq}: {result:?}"
        );
    }
    connection.close().await;
    assert_eq!(
        sqlx_entries(&relay).await?.len(),
        1,
        "the relay's log holds the entry once"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_cannot_read_and_a_wrong_key_opens_nothing() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, _bob, space) = alice_and_bob(&relay).await?;
    let title = "Délibération confidentielle sur le budget";
    alice
        .profile
        .add_event(space, event(title, "2026-12-04T14:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;

    let db = relay.database_bytes()?;
    assert!(!db.is_empty());
    assert!(
        !db.windows("confidentielle".len())
            .any(|w| w == "confidentielle".as_bytes()),
        "the relay's database must hold no plaintext title"
    );

    // The stored entries open with the space key and with nothing else.
    let stored = sqlx_entries(&relay).await?;
    let entry = Entry::from_bytes(&stored[0].1)?;
    assert!(
        entry.open(&SpaceKey::generate()).is_err(),
        "a wrong key opens nothing"
    );

    // Mallory forges an invitation for the space with a key of her own: the relay
    // refuses her, and nothing is stored in her profile.
    let (code, _) = alice.profile.invite(space, Role::Editor, 7).await?;
    let mut invitation = bastide_core::invite::Invitation::decode(&code, time::OffsetDateTime::now_utc())?;
    invitation.secret = DeviceKey::generate().secret();
    let mallory = Client::new().await?;
    let refused = mallory
        .profile
        .join(&invitation.encode(), MemberInfo::named("Mallory"))
        .await
        .expect_err("a wrong key must not get in");
    assert_eq!(refused.code(), Code::InviteUnknown);
    assert!(
        mallory.profile.spaces().await?.is_empty(),
        "nothing stored half-way"
    );

    // And a device that never entered the space cannot subscribe to it.
    let stranger = DeviceKey::generate();
    let connection =
        bastide_core::sync::RelayConnection::connect(&relay.relay_addr().parse()?, &stranger).await?;
    let mut subscription = connection.subscribe(space, 0).await?;
    assert!(
        subscription.next().await.is_err(),
        "a stranger receives no entries"
    );
    connection.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_nothing_is_stored() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, _bob, space) = alice_and_bob(&relay).await?;

    let mut backwards = event("Conseil", "2026-12-01T18:00:00+01:00");
    backwards.end = "2026-12-01T17:00:00+01:00".into();
    assert_eq!(
        alice
            .profile
            .add_event(space, backwards)
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::EndBeforeStart)
    );
    assert_eq!(
        alice
            .profile
            .add_event(space, event("   ", "2026-12-01T18:00:00+01:00"))
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::EmptyTitle)
    );
    assert!(
        alice.profile.events(space).await?.is_empty(),
        "refused events are not stored"
    );
    assert_eq!(alice.profile.pending().await?, 0, "nor queued for the relay");

    // Invitations: garbage, then an expired one.
    let carol = Client::new().await?;
    assert_eq!(
        carol
            .profile
            .join("BSTD1-garbage", MemberInfo::named("Carol"))
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::InvalidInvitation)
    );
    let (code, _) = alice.profile.invite(space, Role::Editor, 7).await?;
    let mut invitation = bastide_core::invite::Invitation::decode(&code, time::OffsetDateTime::now_utc())?;
    invitation.expires = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    assert_eq!(
        carol
            .profile
            .join(&invitation.encode(), MemberInfo::named("Carol"))
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::ExpiredInvitation)
    );

    // A relay that is not there, and one with another certificate than the pinned one.
    let mut gone: bastide_proto::RelayAddr = relay.relay_addr().parse()?;
    gone.port = free_udp_port()?;
    assert_eq!(
        carol
            .profile
            .create_space("Tourisme", &gone.to_string())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::RelayUnreachable)
    );
    let mut impostor: bastide_proto::RelayAddr = relay.relay_addr().parse()?;
    impostor.fingerprint = [0x42; 32];
    assert_eq!(
        carol
            .profile
            .create_space("Tourisme", &impostor.to_string())
            .await
            .map_err(|e| e.code())
            .err(),
        Some(Code::CertificateMismatch)
    );
    assert!(
        carol.profile.spaces().await?.is_empty(),
        "no space stored after any refusal"
    );
    Ok(())
}

/// A UDP port nothing listens on (bound, then released).
fn free_udp_port() -> anyhow::Result<u16> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    Ok(socket.local_addr()?.port())
}

/// The sealed entries (not the membership ops) in the relay's log, with their
/// sequence numbers, read straight from its SQLite file.
async fn sqlx_entries(relay: &TestRelay) -> anyhow::Result<Vec<(u64, Vec<u8>)>> {
    Ok(bastide_tests::relay_records(relay)
        .await?
        .into_iter()
        .filter_map(|(seq, record)| match record {
            Record::Entry(bytes) => Some((seq, bytes)),
            Record::Op(_) | Record::Ballot(_) => None,
        })
        .collect())
}
