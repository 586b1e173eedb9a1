//! Per-item rules hold on every computer, not only in the author's client: a change
//! made with a patched client (written straight into the item's Automerge document,
//! sealed with the space key and pushed raw) is refused by every other member and
//! shown refused in the item's history.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use bastide_core::polls::PollInput;
use bastide_core::{AdInput, BookingInput, MemberInfo, ResourceInput, Role, SpaceId};
use bastide_proto::wire::{PushResult, Record};
use bastide_proto::{DeviceKey, Entry, EntryKind, ItemId, KeyId, SpaceKey};
use bastide_tests::{Client, TestRelay, create_space, relay_membership};

/// A member whose space key the test holds, to forge changes as them.
struct Forger {
    client: Client,
    device: DeviceKey,
    key: (KeyId, SpaceKey),
}

impl Forger {
    /// `admin` invites a newcomer; the invitation's key opens the space key.
    async fn join(
        relay: &TestRelay,
        admin: &Client,
        space: SpaceId,
        role: Role,
        name: &str,
    ) -> anyhow::Result<Self> {
        let (code, _) = admin.profile.invite(space, role, 7).await?;
        admin.profile.sync_once().await?;
        let client = Client::new().await?;
        client.profile.join(&code, MemberInfo::named(name)).await?;
        let invitation = bastide_core::invite::Invitation::decode(&code, time::OffsetDateTime::now_utc())?;
        let invitation = DeviceKey::from_secret(&invitation.secret);
        let state = relay_membership(relay, space).await?;
        let key_id = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
        let key = state
            .shares_to(&invitation.device_id())
            .find(|s| s.key == key_id)
            .ok_or_else(|| anyhow::anyhow!("the share sealed to the invitation"))?
            .open(space, &invitation)?;
        let device = client.device_key()?;
        Ok(Self {
            client,
            device,
            key: (key_id, key),
        })
    }

    /// Writes `edit` straight into item `id` as this member's computer holds it, and
    /// pushes the change raw: what a patched client would do.
    async fn forge(
        &self,
        relay: &TestRelay,
        space: SpaceId,
        id: ItemId,
        edit: impl FnOnce(&mut AutoCommit) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.client.profile.sync_once().await?;
        let mut doc = item_doc(&self.client, id).await?;
        let heads = doc.get_heads();
        edit(&mut doc)?;
        let body = doc.save_after(&heads);
        let entry = Entry::seal(
            &self.device,
            space,
            id,
            EntryKind::Change,
            self.key.0,
            &self.key.1,
            &body,
        )?;
        let raw = self.client.raw(relay).await?;
        let pushed = raw.push(vec![Record::Entry(entry.to_bytes())]).await?;
        raw.close().await;
        anyhow::ensure!(
            matches!(pushed.as_slice(), [PushResult::Stored { .. }]),
            "the relay took the forged change: it cannot read it {pushed:?}"
        );
        Ok(())
    }
}

/// Item `id`'s document as `client`'s SQLite file holds it.
async fn item_doc(client: &Client, id: ItemId) -> anyhow::Result<AutoCommit> {
    let url = format!("sqlite://{}", client.dir().join(bastide_core::DB_FILE).display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let (snapshot,): (Vec<u8>,) = sqlx::query_as("SELECT doc FROM items WHERE id = ?")
        .bind(id.0.as_slice())
        .fetch_one(&pool)
        .await?;
    let mut doc = AutoCommit::load(&snapshot)?;
    let changes: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM item_changes WHERE item = ? ORDER BY ord")
            .bind(id.0.as_slice())
            .fetch_all(&pool)
            .await?;
    for (bytes,) in changes {
        doc.load_incremental(&bytes)?;
    }
    pool.close().await;
    Ok(doc)
}

async fn sync(clients: &[&Client]) -> anyhow::Result<()> {
    for client in clients {
        client.profile.sync_once().await?;
    }
    Ok(())
}

/// The last history line of item `id` for `client` says it was refused.
async fn refused_in_history(client: &Client, space: SpaceId, id: ItemId, by: &str) -> anyhow::Result<()> {
    let history = client.profile.history(space, id).await?;
    let refused: Vec<_> = history.iter().filter(|h| h.refused.is_some()).collect();
    anyhow::ensure!(
        refused.len() == 1 && refused[0].author == by,
        "expected one refused change by {by}: {history:?}"
    );
    let set_aside = client.profile.set_aside(space).await?;
    anyhow::ensure!(
        set_aside.iter().any(|e| e.item == id.to_string()
            && e.sentence()
                == format!(
                    "Une modification de {by} a été refusée : elle ne respecte pas les règles de l’élément."
                )),
        "not announced: {set_aside:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_is_closed_only_by_its_author_and_its_options_never_change_after_a_vote() -> anyhow::Result<()>
{
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Alice").await?;
    let mallory = Forger::join(&relay, &alice, space, Role::Editor, "Mallory").await?;
    let alice_forger_key = alice.device_key()?;
    let bob = bastide_tests::invite_and_join(&alice, space, Role::Reader, "Bob").await?;
    let poll = alice
        .profile
        .create_poll(
            space,
            PollInput {
                question: "Date du repas des aînés ?".into(),
                mode: "single".into(),
                options: vec!["Samedi".into(), "Dimanche".into()],
                anonymous: false,
                ..PollInput::default()
            },
        )
        .await?;
    let id: ItemId = poll.id.parse()?;
    sync(&[&alice, &bob, &mallory.client]).await?;

    // Mallory closes Alice's poll.
    mallory
        .forge(&relay, space, id, |doc| {
            doc.put(ROOT, "closed_at", "2026-12-04T10:00:00Z")?;
            Ok(())
        })
        .await?;
    sync(&[&alice, &bob]).await?;
    for client in [&alice, &bob] {
        assert_eq!(client.profile.poll(space, id).await?.closed_at, "", "still open");
        refused_in_history(client, space, id, "Mallory").await?;
    }

    // Bob votes; then Alice herself, with a patched client, relabels an option.
    bob.profile.vote(space, id, vec![1], "").await?;
    sync(&[&bob, &alice]).await?;
    let alice_forger = Forger {
        device: alice_forger_key,
        key: mallory.key.clone(),
        client: alice,
    };
    alice_forger
        .forge(&relay, space, id, |doc| {
            doc.put(ROOT, "options", r#"["Samedi","Lundi"]"#)?;
            Ok(())
        })
        .await?;
    sync(&[&bob]).await?;
    assert_eq!(
        bob.profile.poll(space, id).await?.fields.options,
        vec!["Samedi", "Dimanche"],
        "a vote for Dimanche stays a vote for Dimanche"
    );
    // The author may still close it.
    alice_forger.client.profile.close_poll(space, id).await?;
    sync(&[&alice_forger.client, &bob]).await?;
    assert_ne!(bob.profile.poll(space, id).await?.closed_at, "");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_is_changed_only_by_its_author_and_a_booking_decided_only_by_the_manager()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Alice").await?;
    let mallory = Forger::join(&relay, &alice, space, Role::Editor, "Mallory").await?;
    let bob = Forger::join(&relay, &alice, space, Role::Editor, "Bob").await?;

    let ad = bob
        .client
        .profile
        .add_ad(
            space,
            AdInput {
                category: "job".into(),
                title: "Agent d’accueil (H/F)".into(),
                ..AdInput::default()
            },
        )
        .await?;
    let ad_id: ItemId = ad.id.parse()?;
    let room = alice
        .profile
        .add_resource(
            space,
            ResourceInput {
                name: "Salle du conseil".into(),
                capacity: 30,
                confirm: true,
                ..ResourceInput::default()
            },
        )
        .await?;
    sync(&[&alice, &bob.client]).await?;
    let booking = bob
        .client
        .profile
        .book(
            space,
            BookingInput {
                resource: room.id.clone(),
                title: "Réunion du club".into(),
                start: "2026-12-10T18:00:00+01:00".into(),
                end: "2026-12-10T20:00:00+01:00".into(),
                repeat_until: String::new(),
            },
        )
        .await?;
    let booking_id: ItemId = booking.id.parse()?;
    assert_eq!(booking.status, "pending");
    sync(&[&bob.client, &alice, &mallory.client]).await?;

    // Mallory rewrites Bob's notice and confirms Bob's booking in Alice's room.
    mallory
        .forge(&relay, space, ad_id, |doc| {
            doc.put(ROOT, "title", "Annonce retirée")?;
            Ok(())
        })
        .await?;
    mallory
        .forge(&relay, space, booking_id, |doc| {
            doc.put(ROOT, "status", "confirmed")?;
            Ok(())
        })
        .await?;
    sync(&[&alice, &bob.client]).await?;
    for client in [&alice, &bob.client] {
        assert_eq!(
            client.profile.ad(space, ad_id).await?.fields.title,
            "Agent d’accueil (H/F)"
        );
        assert_eq!(client.profile.booking(space, booking_id).await?.status, "pending");
        refused_in_history(client, space, ad_id, "Mallory").await?;
    }

    // Mallory moves Bob's booking to another evening: refused too.
    mallory
        .forge(&relay, space, booking_id, |doc| {
            doc.put(ROOT, "start", "2026-12-11T18:00:00+01:00")?;
            doc.put(ROOT, "end", "2026-12-11T20:00:00+01:00")?;
            Ok(())
        })
        .await?;
    sync(&[&alice]).await?;
    assert_eq!(
        alice.profile.booking(space, booking_id).await?.fields.start,
        "2026-12-10T18:00:00+01:00"
    );
    // Bob moves it himself: that goes through.
    bob.client
        .profile
        .move_booking(
            space,
            booking_id,
            BookingInput {
                resource: room.id.clone(),
                title: "Réunion du club".into(),
                start: "2026-12-12T18:00:00+01:00".into(),
                end: "2026-12-12T20:00:00+01:00".into(),
                repeat_until: String::new(),
            },
        )
        .await?;
    sync(&[&bob.client, &alice]).await?;
    assert_eq!(
        alice.profile.booking(space, booking_id).await?.fields.start,
        "2026-12-12T18:00:00+01:00"
    );

    // Bob, the booking's author, may cancel it, even with his own hands on the bytes.
    bob.forge(&relay, space, booking_id, |doc| {
        doc.put(ROOT, "status", "cancelled")?;
        Ok(())
    })
    .await?;
    sync(&[&alice]).await?;
    assert_eq!(
        alice.profile.booking(space, booking_id).await?.status,
        "cancelled"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_on_a_document_is_written_only_by_the_deciding_device() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Alice").await?;
    let mallory = Forger::join(&relay, &alice, space, Role::Editor, "Mallory").await?;
    let files = tempfile::tempdir()?;
    let path = files.path().join("Budget 2027.txt");
    std::fs::write(&path, "Budget primitif 2027")?;
    let doc = alice.profile.add_document(space, &path, "Finances").await?;
    let id: ItemId = doc.id.parse()?;
    let hash = doc.versions[0].file.hash.clone();
    sync(&[&alice, &mallory.client]).await?;

    // Mallory erases what a validator would decide, in Alice's name.
    let alice_device = alice.profile.device_id().to_string();
    mallory
        .forge(&relay, space, id, |d| {
            let decisions = d.put_object(ROOT, "decisions", automerge::ObjType::Map)?;
            d.put(&decisions, format!("{hash}/{alice_device}").as_str(), "{}")?;
            Ok(())
        })
        .await?;
    sync(&[&alice]).await?;
    assert!(alice.profile.document(space, id).await?.decisions.is_empty());
    refused_in_history(&alice, space, id, "Mallory").await?;
    Ok(())
}

/// Readers comment on documents, and do nothing else: the relay refuses their other
/// entries, and a "comment" of theirs aimed at anything but a comment of their own is
/// refused by every other member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_comments_and_can_do_nothing_else() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Consultation — PLUi", "Alice").await?;
    let rita = Forger::join(&relay, &alice, space, Role::Reader, "Rita").await?;
    let files = tempfile::tempdir()?;
    let path = files.path().join("Projet de PLUi.txt");
    std::fs::write(&path, "Zonage des hameaux")?;
    let doc = alice.profile.add_document(space, &path, "Urbanisme").await?;
    let doc_id: ItemId = doc.id.parse()?;
    let event = alice
        .profile
        .add_event(
            space,
            bastide_tests::event("Réunion publique", "2026-12-15T18:30:00+01:00"),
        )
        .await?;
    let event_id: ItemId = event.id.parse()?;
    sync(&[&alice, &rita.client]).await?;

    // A text file another member added opens with the system's application here too.
    assert!(rita.client.profile.document(space, doc_id).await?.versions[0].openable);

    // Rita comments; Alice reads it; Rita withdraws it, and that reaches Alice too.
    let comment = rita
        .client
        .profile
        .comment_document(space, doc_id, None, "La zone 3 empiète sur le captage.")
        .await?;
    sync(&[&rita.client, &alice]).await?;
    let seen = alice.profile.document_comments(space, doc_id).await?;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].author.as_str(), seen[0].body.as_str()),
        ("Rita", "La zone 3 empiète sur le captage.")
    );
    rita.client
        .profile
        .delete_comment(space, comment.id.parse()?)
        .await?;
    sync(&[&rita.client, &alice]).await?;
    assert!(alice.profile.document_comments(space, doc_id).await?[0].deleted);

    // Her client refuses to edit the event; a patched one's change is refused by the relay.
    let refused = rita
        .client
        .profile
        .update_event(
            space,
            event_id,
            bastide_tests::event("Annulée", "2026-12-15T18:30:00+01:00"),
        )
        .await
        .expect_err("a reader does not edit events");
    assert_eq!(refused.code(), bastide_core::Code::NotAllowed);
    let mut doc = item_doc(&rita.client, event_id).await?;
    let heads = doc.get_heads();
    doc.put(ROOT, "title", "Annulée")?;
    let body = doc.save_after(&heads);
    let raw = rita.client.raw(&relay).await?;
    let as_change = Entry::seal(
        &rita.device,
        space,
        event_id,
        EntryKind::Change,
        rita.key.0,
        &rita.key.1,
        &body,
    )?;
    match raw
        .push(vec![Record::Entry(as_change.to_bytes())])
        .await?
        .as_slice()
    {
        [PushResult::Refused { refusal, .. }] => {
            assert_eq!(*refusal, bastide_proto::wire::Refusal::NotAllowed)
        }
        other => panic!("the relay stored a reader's change: {other:?}"),
    }
    // Dressed as a comment, the relay stores it (it cannot read it); members refuse it.
    let as_comment = Entry::seal(
        &rita.device,
        space,
        event_id,
        EntryKind::Comment,
        rita.key.0,
        &rita.key.1,
        &body,
    )?;
    assert!(matches!(
        raw.push(vec![Record::Entry(as_comment.to_bytes())])
            .await?
            .as_slice(),
        [PushResult::Stored { .. }]
    ));
    raw.close().await;
    sync(&[&alice]).await?;
    assert_eq!(alice.profile.events(space).await?[0].title, "Réunion publique");
    refused_in_history(&alice, space, event_id, "Rita").await?;
    Ok(())
}
