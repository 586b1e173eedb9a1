//! Profile tests without a relay: spaces are inserted directly and entries are
//! delivered by hand, in any order.

use proptest::prelude::*;

use super::*;

const RELAY: &str = "quic://127.0.0.1:9#0000000000000000000000000000000000000000000000000000000000000000";

/// The key every test space starts with.
const FIRST: KeyId = KeyId(1);

/// `n` profiles in one space, without a relay: the first created it and added the
/// others as editors; every profile holds that membership log as the relay's first
/// records. Entries delivered by hand then start at sequence `n + 1`.
async fn replicas(n: usize) -> (SpaceId, SpaceKey, Vec<(tempfile::TempDir, Profile)>) {
    use bastide_proto::membership::{MemberInfo, OpBody, Role};
    let space = SpaceId::random();
    let key = SpaceKey::generate();
    let devices: Vec<DeviceKey> = (0..n).map(|_| DeviceKey::generate()).collect();
    let member_ids: Vec<MemberId> = (0..n).map(|_| MemberId::random()).collect();
    let share = |d: &DeviceKey| {
        bastide_proto::KeyShare::seal(space, FIRST, &key, d.device_id(), &d.x25519_public()).unwrap()
    };
    let mut ops = vec![bastide_proto::membership::Op::sign(
        &devices[0],
        space,
        vec![],
        OpBody::Genesis {
            member: member_ids[0],
            info: MemberInfo::named("Replica 0"),
            device: devices[0].device_id(),
            x25519: devices[0].x25519_public(),
            new_key: FIRST,
            shares: vec![share(&devices[0])],
        },
    )];
    for i in 1..n {
        let parents = vec![ops[i - 1].id()];
        ops.push(bastide_proto::membership::Op::sign(
            &devices[0],
            space,
            parents,
            OpBody::AddMember {
                member: member_ids[i],
                info: MemberInfo::named(&format!("Replica {i}")),
                role: Role::Editor,
                device: devices[i].device_id(),
                x25519: devices[i].x25519_public(),
                shares: vec![share(&devices[i])],
            },
        ));
    }
    let mut out = Vec::new();
    for (i, device) in devices.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::open(dir.path(), device).await.unwrap();
        let mut conn = profile.pool.acquire().await.unwrap();
        Profile::insert_space(
            &mut conn,
            space,
            "Pays — agents",
            &RELAY.parse().unwrap(),
            member_ids[i],
        )
        .await
        .unwrap();
        for (seq, op) in ops.iter().enumerate() {
            members::store_op(&mut conn, space, op, Some(seq as u64 + 1))
                .await
                .unwrap();
        }
        sqlx::query("UPDATE spaces SET cursor = ?")
            .bind(n as i64)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        out.push((dir, profile));
    }
    (space, key, out)
}

async fn replica() -> (SpaceId, tempfile::TempDir, Profile) {
    let (space, _, mut all) = replicas(1).await;
    let (dir, profile) = all.remove(0);
    (space, dir, profile)
}

fn entry(seq: u64, bytes: Vec<u8>) -> LogEntry {
    LogEntry {
        seq,
        record: Record::Entry(bytes),
    }
}

fn input(title: &str) -> EventInput {
    EventInput {
        title: title.into(),
        start: "2026-12-01T18:00:00+01:00".into(),
        end: "2026-12-01T20:00:00+01:00".into(),
        ..Default::default()
    }
}

/// Takes everything in a replica's outbox, as the relay would.
async fn drain(profile: &Profile, space: SpaceId) -> Vec<Vec<u8>> {
    let batch = profile.outbox_batch(space).await.unwrap();
    sqlx::query("DELETE FROM outbox")
        .execute(&profile.pool)
        .await
        .unwrap();
    batch.into_iter().map(|r| r.bytes().to_vec()).collect()
}

#[tokio::test]
async fn events_are_created_edited_trashed_and_restored() {
    let (space, _dir, p) = replica().await;
    let added = p.add_event(space, input("Conseil communautaire")).await.unwrap();
    assert_eq!(p.events(space).await.unwrap(), vec![added.clone()]);
    assert_eq!(p.pending().await.unwrap(), 1, "the edit waits in the outbox");

    let mut change = input("Conseil communautaire");
    change.place = "Salle des fêtes".into();
    let id: ItemId = added.id.parse().unwrap();
    let edited = p.update_event(space, id, change.clone()).await.unwrap();
    assert_eq!(edited.place, "Salle des fêtes");
    assert_eq!(p.pending().await.unwrap(), 2);
    // Saving the same values again changes nothing and sends nothing.
    p.update_event(space, id, change).await.unwrap();
    assert_eq!(p.pending().await.unwrap(), 2, "a no-op edit makes no entry");

    p.delete_event(space, id).await.unwrap();
    assert!(p.events(space).await.unwrap().is_empty());
    assert_eq!(
        p.trash(space).await.unwrap().len(),
        1,
        "deleting moves to the trash"
    );
    p.restore_event(space, id).await.unwrap();
    assert_eq!(p.events(space).await.unwrap().len(), 1);
    assert!(p.trash(space).await.unwrap().is_empty());

    let missing = p
        .update_event(space, ItemId::random(), input("x"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), crate::Code::NotFound);
}

#[tokio::test]
async fn the_projection_rebuilt_from_documents_equals_the_live_one() {
    let (space, _dir, p) = replica().await;
    for n in 0..20 {
        let e = p
            .add_event(space, input(&format!("Événement {n}")))
            .await
            .unwrap();
        if n % 3 == 0 {
            p.delete_event(space, e.id.parse().unwrap()).await.unwrap();
        }
    }
    let live = (p.events(space).await.unwrap(), p.trash(space).await.unwrap());
    assert_eq!(p.rebuild_projections().await.unwrap(), 20);
    let rebuilt = (p.events(space).await.unwrap(), p.trash(space).await.unwrap());
    assert_eq!(live, rebuilt);
    assert_eq!(live.0.len() + live.1.len(), 20);
}

#[derive(Clone, Debug)]
enum Op {
    Title(String),
    Place(String),
    Description(String),
    Delete,
    Restore,
    Add(String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        "[a-zé ]{0,12}".prop_map(Op::Title),
        "[a-z]{0,8}".prop_map(Op::Place),
        "[a-z ]{0,20}".prop_map(Op::Description),
        Just(Op::Delete),
        Just(Op::Restore),
        "[a-z]{1,8}".prop_map(Op::Add),
    ]
}

async fn apply_op(p: &Profile, space: SpaceId, id: ItemId, op: &Op) {
    let mut current = p.event(space, id).await.unwrap();
    let edit = |e: &Event| EventInput {
        title: e.title.clone(),
        start: e.start.clone(),
        end: e.end.clone(),
        all_day: e.all_day,
        place: e.place.clone(),
        theme: e.theme.clone(),
        description: e.description.clone(),
    };
    match op {
        Op::Title(t) => {
            // An empty title is refused by design; keep the op meaningful.
            current.title = format!("T{t}");
            p.update_event(space, id, edit(&current)).await.unwrap();
        }
        Op::Place(place) => {
            current.place = place.clone();
            p.update_event(space, id, edit(&current)).await.unwrap();
        }
        Op::Description(d) => {
            current.description = d.clone();
            p.update_event(space, id, edit(&current)).await.unwrap();
        }
        Op::Delete => {
            p.delete_event(space, id).await.unwrap();
        }
        Op::Restore => {
            p.restore_event(space, id).await.unwrap();
        }
        Op::Add(title) => {
            p.add_event(space, input(title)).await.unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Three replicas edit the same event concurrently (offline); each then receives
    /// the others' entries in its own random order, one at a time. All three end with
    /// the same agenda, equal to a projection rebuilt from the documents.
    #[test]
    fn concurrent_edits_converge_in_any_delivery_order(
        ops in proptest::collection::vec(proptest::collection::vec(op(), 1..6), 3),
        orders in proptest::collection::vec(any::<u64>(), 3),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (space, _, replicas) = replicas(3).await;
            // Replica 0 creates the event and everyone receives it first.
            let created = replicas[0].1.add_event(space, input("Conseil")).await.unwrap();
            let id: ItemId = created.id.parse().unwrap();
            let genesis = drain(&replicas[0].1, space).await;
            for (_, p) in &replicas[1..] {
                let log: Vec<LogEntry> = genesis.iter().map(|b| entry(4, b.clone())).collect();
                p.apply_remote(space, &log).await.unwrap();
            }
            // Everyone edits offline.
            let mut produced: Vec<Vec<Vec<u8>>> = Vec::new();
            for ((_, p), ops) in replicas.iter().zip(&ops) {
                for op in ops {
                    apply_op(p, space, id, op).await;
                }
                produced.push(drain(p, space).await);
            }
            // Each replica receives the others' entries in a shuffled order.
            for (i, (_, p)) in replicas.iter().enumerate() {
                let mut incoming: Vec<Vec<u8>> = produced
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, e)| e.clone())
                    .collect();
                shuffle(&mut incoming, orders[i]);
                for (n, bytes) in incoming.into_iter().enumerate() {
                    let seq = 5 + n as u64;
                    p.apply_remote(space, &[entry(seq, bytes)]).await.unwrap();
                }
            }
            let views: Vec<(Vec<Event>, Vec<Event>)> = {
                let mut v = Vec::new();
                for (_, p) in &replicas {
                    v.push((p.events(space).await.unwrap(), p.trash(space).await.unwrap()));
                }
                v
            };
            assert_eq!(views[0], views[1], "replicas 0 and 1 diverged");
            assert_eq!(views[1], views[2], "replicas 1 and 2 diverged");
            let adds = ops.iter().flatten().filter(|o| matches!(o, Op::Add(_))).count();
            assert_eq!(views[0].0.len() + views[0].1.len(), 1 + adds, "no event lost or duplicated");
            let (_, p) = &replicas[2];
            p.rebuild_projections().await.unwrap();
            assert_eq!((p.events(space).await.unwrap(), p.trash(space).await.unwrap()), views[2].clone());
        });
    }
}

/// A deterministic Fisher-Yates shuffle from a seed (xorshift).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[tokio::test]
async fn a_long_edited_item_is_compacted_and_reads_back_the_same_after_reopening() {
    let (space, dir, p) = replica().await;
    let device = p.device.clone();
    let id: ItemId = p.add_event(space, input("v0")).await.unwrap().id.parse().unwrap();
    for n in 1..=100 {
        p.update_event(space, id, input(&format!("v{n}"))).await.unwrap();
    }
    let before = p.event(space, id).await.unwrap();
    let (increments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM item_changes")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert!(
        increments < 32,
        "100 edits leave fewer increments than the compaction threshold ({increments})"
    );
    p.close().await;

    // A fresh process: no cached document, only the snapshot and its increments.
    let again = Profile::open(dir.path(), device).await.unwrap();
    again.rebuild_projections().await.unwrap();
    assert_eq!(again.event(space, id).await.unwrap(), before);
    let edited = again.update_event(space, id, input("v101")).await.unwrap();
    assert_eq!(edited.title, "v101", "the reloaded document takes new edits");
}

#[tokio::test]
async fn an_unreadable_change_in_a_batch_does_not_stop_the_others() {
    let (space, key, all) = replicas(3).await;
    let [(_a, alice), (_b, bob), (_c, carol)] = <[_; 3]>::try_from(all).ok().unwrap();
    let event = alice.add_event(space, input("Conseil")).await.unwrap();
    let id: ItemId = event.id.parse().unwrap();
    let mut changed = input("Conseil communautaire");
    changed.place = "Mairie".into();
    alice.update_event(space, id, changed).await.unwrap();
    let mut entries = drain(&alice, space).await;
    // A member's buggy client sends garbage for the same item, between the two.
    let garbage = Entry::seal(
        &carol.device,
        space,
        id,
        EntryKind::Change,
        FIRST,
        &key,
        b"not automerge",
    )
    .unwrap();
    entries.insert(1, garbage.to_bytes());
    let log: Vec<LogEntry> = entries
        .into_iter()
        .enumerate()
        .map(|(n, bytes)| entry(n as u64 + 4, bytes))
        .collect();
    bob.apply_remote(space, &log).await.unwrap();
    let seen = bob.event(space, id).await.unwrap();
    assert_eq!(
        (seen.title.as_str(), seen.place.as_str()),
        ("Conseil communautaire", "Mairie"),
        "the changes after the garbage apply too"
    );
    assert_eq!(
        bob.cursor(space).await.unwrap(),
        6,
        "the cursor passes the bad entry too"
    );
}

fn op_record(seq: u64, op: &bastide_proto::membership::Op) -> LogEntry {
    LogEntry {
        seq,
        record: Record::Op(op.to_bytes()),
    }
}

/// A client judges each entry by the membership the log describes just before it, as
/// the relay did: an editor demoted at seq 5 wrote validly at 4, not at 6. Entries from
/// outsiders and forged ops change nothing.
#[tokio::test]
async fn remote_entries_are_judged_by_the_log_before_them() {
    use bastide_proto::membership::{Op, OpBody, Role};
    let (space, key, all) = replicas(3).await;
    let [(_a, alice), (_b, bob), (_c, carol)] = <[_; 3]>::try_from(all).ok().unwrap();
    let bob_member = alice
        .members(space)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "Replica 1")
        .unwrap()
        .id
        .parse()
        .unwrap();

    bob.add_event(space, input("Avant")).await.unwrap();
    let before = drain(&bob, space).await;
    alice.set_role(space, bob_member, Role::Reader).await.unwrap();
    let demotion = drain(&alice, space).await;
    // Bob, not yet told, writes again; the relay would refuse it, a forger replays it.
    bob.add_event(space, input("Après")).await.unwrap();
    let after = drain(&bob, space).await;
    let stranger = DeviceKey::generate();
    // A device outside the space that somehow has the space key (a former member's
    // copy): its entry opens, but its author could not write.
    let outsider_change = {
        let mut doc = AutoCommit::new();
        agenda::write(
            &mut doc,
            &input("Intrus").check().unwrap(),
            "Intrus",
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        Entry::seal(
            &stranger,
            space,
            ItemId::random(),
            EntryKind::Change,
            FIRST,
            &key,
            &doc.save(),
        )
        .unwrap()
        .to_bytes()
    };
    let mut forged = Op::sign(
        &bob.device,
        space,
        vec![],
        OpBody::SetRole {
            member: bob_member,
            role: Role::Admin,
        },
    )
    .to_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 1;

    let log = vec![
        entry(4, before[0].clone()),
        LogEntry {
            seq: 5,
            record: Record::Op(demotion[0].clone()),
        },
        entry(6, after[0].clone()),
        entry(7, outsider_change),
        LogEntry {
            seq: 8,
            record: Record::Op(forged),
        },
    ];
    carol.apply_remote(space, &log).await.unwrap();
    let titles: Vec<String> = carol
        .events(space)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(titles, vec!["Avant"], "only the entry Bob could write is applied");
    let roles: Vec<(String, Role)> = carol
        .members(space)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.name, m.role))
        .collect();
    assert!(roles.contains(&("Replica 1".into(), Role::Reader)), "{roles:?}");
    assert_eq!(carol.cursor(space).await.unwrap(), 8);
}

/// An entry sealed under a key this device does not hold yet waits, and is applied
/// when a share of that key arrives.
#[tokio::test]
async fn an_entry_under_a_key_not_yet_shared_waits_for_it() {
    use bastide_proto::membership::{Op, OpBody};
    let (space, _, all) = replicas(3).await;
    let [(_a, alice), (_b, bob), (_c, carol)] = <[_; 3]>::try_from(all).ok().unwrap();
    let seal = |key_id, key: &SpaceKey, to: &Profile| {
        bastide_proto::KeyShare::seal(space, key_id, key, to.device_id(), &to.device.x25519_public()).unwrap()
    };
    // Alice replaces the key, sharing it with Bob and herself only (as an admin who
    // had not yet seen Carol join would).
    let (second, second_key) = (KeyId(2), SpaceKey::generate());
    let known = alice.members_of(space).await.unwrap().state.heads();
    let rekey = Op::sign(
        &alice.device,
        space,
        known,
        OpBody::Rekey {
            new_key: second,
            shares: vec![seal(second, &second_key, &alice), seal(second, &second_key, &bob)],
        },
    );
    alice.apply_remote(space, &[op_record(4, &rekey)]).await.unwrap();
    alice
        .add_event(space, input("Sous la nouvelle clé"))
        .await
        .unwrap();
    let written = drain(&alice, space).await;
    assert_eq!(Entry::from_bytes(&written[0]).unwrap().header.key, second);

    carol
        .apply_remote(space, &[op_record(4, &rekey), entry(5, written[0].clone())])
        .await
        .unwrap();
    assert!(
        carol.events(space).await.unwrap().is_empty(),
        "Carol cannot open it yet"
    );
    let share = Op::sign(
        &alice.device,
        space,
        vec![rekey.id()],
        OpBody::Share {
            shares: vec![seal(second, &second_key, &carol)],
        },
    );
    carol.apply_remote(space, &[op_record(6, &share)]).await.unwrap();
    let titles: Vec<String> = carol
        .events(space)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(titles, vec!["Sous la nouvelle clé"]);
}

#[tokio::test]
async fn search_finds_events_cards_and_posts_accents_folded() {
    let (space, _dir, p) = replica().await;
    let mut council = input("Délibération du conseil communautaire");
    council.description = "Budget de l'école de Saint-Cirq".into();
    let event = p.add_event(space, council).await.unwrap();
    p.add_card(
        space,
        crate::CardInput {
            name: "Dr Anne Roux".into(),
            organisation: "Maison de santé de Cajarc".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let topic = p
        .create_topic(space, "Fête de l'été", "Réunion des bénévoles jeudi")
        .await
        .unwrap();

    let kinds = |hits: Vec<crate::Hit>| hits.into_iter().map(|h| h.kind).collect::<Vec<_>>();
    assert_eq!(
        kinds(p.search(None, "deliberation").await.unwrap()),
        vec![agenda::KIND]
    );
    assert_eq!(
        kinds(p.search(Some(space), "ECOLE saint").await.unwrap()),
        vec![agenda::KIND]
    );
    assert_eq!(
        kinds(p.search(None, "sante cajarc").await.unwrap()),
        vec![crate::directory::KIND]
    );
    let hits = p.search(None, "benevol").await.unwrap();
    assert_eq!(
        kinds(hits.clone()),
        vec![crate::forum::POST],
        "a word's start finds it"
    );
    assert!(hits[0].snippet.contains("«bénévoles»"), "{}", hits[0].snippet);
    assert_eq!(hits[0].title, format!("Re : {}", topic.title));
    assert!(
        p.search(None, "\"unbalanced OR (").await.unwrap().is_empty(),
        "no syntax error"
    );

    p.delete_event(space, event.id.parse().unwrap()).await.unwrap();
    assert!(
        p.search(None, "deliberation").await.unwrap().is_empty(),
        "the trash is not searched"
    );
    p.rebuild_projections().await.unwrap();
    assert_eq!(
        kinds(p.search(None, "cajarc").await.unwrap()),
        vec![crate::directory::KIND]
    );
}

/// A decision signed by a device that is not a validator, or whose signature does
/// not hold, is shown but does not count.
#[tokio::test]
async fn approvals_by_non_validators_or_with_bad_signatures_do_not_count() {
    let (space, _, all) = replicas(2).await;
    let [(dir, alice), (_b, bob)] = <[_; 2]>::try_from(all).ok().unwrap();
    let file = dir.path().join("Délibération 12.odt");
    std::fs::write(&file, b"Le conseil approuve le budget.").unwrap();
    let doc = alice.add_document(space, &file, "Délibérations").await.unwrap();
    let id: ItemId = doc.id.parse().unwrap();
    alice.submit_document(space, id, &[]).await.unwrap();
    // Bob, an editor, signs an approval anyway (as a modified client would).
    let device = bob.device.clone();
    let entries = drain(&alice, space).await;
    let log: Vec<LogEntry> = entries
        .into_iter()
        .enumerate()
        .map(|(n, b)| entry(n as u64 + 3, b))
        .collect();
    bob.apply_remote(space, &log).await.unwrap();
    bob.edit_item(space, id, crate::documents::KIND, |d, by, now| {
        crate::documents::decide(d, (space, id), &device, true, "", by, now)
    })
    .await
    .unwrap();
    let seen = bob.document(space, id).await.unwrap();
    assert_eq!(seen.decisions.len(), 1);
    assert!(!seen.decisions[0].valid, "an editor's approval is invalid");
    assert_eq!(seen.status, crate::Status::Awaiting);
    let by_alice = crate::documents::judge(
        space,
        id,
        {
            let mut conn = bob.pool.acquire().await.unwrap();
            let mut stored = crate::documents::get(&mut conn, space, id)
                .await
                .unwrap()
                .unwrap();
            // Alice is an admin (may validate), but this signature is not hers.
            let hash = stored.versions[0].file.hash.clone();
            let forged = stored.decisions.get_mut(&hash).unwrap();
            let (_, json) = forged.pop_first().unwrap();
            forged.insert(alice.device_id().to_string(), json);
            stored
        },
        &bob.members_of(space).await.unwrap().state,
    );
    assert!(
        !by_alice.decisions[0].valid,
        "a signature that is not the signer's is invalid"
    );
}

/// Delivers every replica's outbox to all of them, in one sequence from `seq`.
async fn exchange(all: &[(tempfile::TempDir, Profile)], space: SpaceId, seq: &mut u64) {
    let mut log = Vec::new();
    for (_, p) in all {
        for bytes in drain(p, space).await {
            *seq += 1;
            log.push(entry(*seq, bytes));
        }
    }
    for (_, p) in all {
        p.apply_remote(space, &log).await.unwrap();
    }
}

#[tokio::test]
async fn notifications_are_listed_newest_first_and_muting_is_per_space() {
    let (space, _dir, profile) = replica().await;
    let item = ItemId::random();
    assert!(
        !profile
            .record_notification(space, item, "Agenda", "A a ajouté « X »")
            .await
            .unwrap()
    );
    profile.set_space_muted(space, true).await.unwrap();
    assert!(
        profile
            .record_notification(space, item, "Forum", "B vous cite")
            .await
            .unwrap()
    );
    let listed = profile.notifications(10).await.unwrap();
    let bodies: Vec<&str> = listed.iter().map(|n| n.body.as_str()).collect();
    assert_eq!(bodies, ["B vous cite", "A a ajouté « X »"]);
    assert_eq!(profile.unread_notifications().await.unwrap(), 2);
    assert!(listed.iter().all(|n| !n.read));
    profile.mark_notifications_read(Some(listed[1].id)).await.unwrap();
    let read: Vec<bool> = profile
        .notifications(10)
        .await
        .unwrap()
        .iter()
        .map(|n| n.read)
        .collect();
    assert_eq!(read, [false, true]);
    profile.set_space_muted(space, false).await.unwrap();
    assert!(!profile.space_muted(space).await.unwrap());
}

#[tokio::test]
async fn an_import_stores_every_card_or_none() {
    let (space, _, all) = replicas(2).await;
    let (a, b) = (&all[0].1, &all[1].1);
    let files = tempfile::tempdir().unwrap();
    let existing = a
        .add_card(
            space,
            crate::CardInput {
                name: "Dr Anne Roux".into(),
                organisation: "Maison de santé de Cajarc".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pending_before = a.pending().await.unwrap();

    // One bad line among good ones: nothing is stored, and the line is named.
    let bad = files.path().join("annuaire.csv");
    std::fs::write(
        &bad,
        "Nom;Organisme;Statut\nDr Paul Petit;Cabinet de Limogne;titulaire\nDr Marc Grand;;interne\n",
    )
    .unwrap();
    let preview = a.preview_card_import(space, &bad).await.unwrap();
    assert_eq!((preview.cards, preview.problem_count), (1, 1), "{preview:?}");
    assert_eq!(preview.problems[0].line, 3);
    match a.import_cards(space, &bad).await {
        Err(Error::MalformedImport { problems, total }) => {
            assert_eq!(total, 1);
            assert_eq!(problems[0].line, 3);
        }
        other => panic!("a malformed file was imported: {other:?}"),
    }
    let names = |cards: Vec<crate::Card>| cards.into_iter().map(|c| c.fields.name).collect::<Vec<_>>();
    assert_eq!(
        names(a.cards(space, &Default::default()).await.unwrap()),
        vec!["Dr Anne Roux"]
    );
    assert_eq!(
        a.pending().await.unwrap(),
        pending_before,
        "nothing queued for the relay"
    );

    // The corrected file: every card in one go, the one already there left out.
    let good = files.path().join("annuaire-corrigé.csv");
    std::fs::write(
        &good,
        "Nom;Organisme;Statut\nDr Paul Petit;Cabinet de Limogne;titulaire\nDr Marc Grand;;\ndr anne roux;MAISON DE SANTE DE CAJARC;\n",
    )
    .unwrap();
    let report = a.import_cards(space, &good).await.unwrap();
    assert_eq!((report.added, report.duplicates), (2, 1));
    assert_eq!(
        names(a.cards(space, &Default::default()).await.unwrap()),
        vec!["Dr Anne Roux", "Dr Marc Grand", "Dr Paul Petit"]
    );
    assert_eq!(a.pending().await.unwrap(), pending_before + 2);
    assert!(
        a.card(space, existing.id.parse().unwrap())
            .await
            .unwrap()
            .conflicts
            .is_empty(),
        "the card already there is untouched"
    );
    let again = a.import_cards(space, &good).await.unwrap();
    assert_eq!(
        (again.added, again.duplicates),
        (0, 3),
        "importing twice adds nothing"
    );

    // The other computer gets them as ordinary cards.
    let mut seq = 2;
    exchange(&all, space, &mut seq).await;
    assert_eq!(
        names(b.cards(space, &Default::default()).await.unwrap()),
        vec!["Dr Anne Roux", "Dr Marc Grand", "Dr Paul Petit"]
    );

    // A file that cannot be read, and one that is no table at all.
    let missing = files.path().join("absent.csv");
    assert_eq!(
        a.import_cards(space, &missing).await.unwrap_err().code(),
        crate::Code::FileUnreadable
    );
    let picture = files.path().join("photo.csv");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    assert_eq!(
        a.import_cards(space, &picture).await.unwrap_err().code(),
        crate::Code::MalformedImport
    );
}

mod daily;
mod files;
