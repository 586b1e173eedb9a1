//! Profile tests without a relay: spaces are inserted directly and entries are
//! delivered by hand, in any order.

use proptest::prelude::*;

use super::*;

const RELAY: &str = "quic://127.0.0.1:9#0000000000000000000000000000000000000000000000000000000000000000";

async fn replica(space: SpaceId, key: &SpaceKey) -> (tempfile::TempDir, Profile) {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::open(dir.path(), DeviceKey::generate()).await.unwrap();
    profile
        .insert_space(space, "Pays — agents", &RELAY.parse().unwrap(), key, 0)
        .await
        .unwrap();
    (dir, profile)
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
    batch
}

#[tokio::test]
async fn events_are_created_edited_trashed_and_restored() {
    let space = SpaceId::random();
    let (_dir, p) = replica(space, &SpaceKey::generate()).await;
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
    let space = SpaceId::random();
    let (_dir, p) = replica(space, &SpaceKey::generate()).await;
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
            let space = SpaceId::random();
            let key = SpaceKey::generate();
            let mut replicas = Vec::new();
            for _ in 0..3 {
                replicas.push(replica(space, &key).await);
            }
            // Replica 0 creates the event and everyone receives it first.
            let created = replicas[0].1.add_event(space, input("Conseil")).await.unwrap();
            let id: ItemId = created.id.parse().unwrap();
            let genesis = drain(&replicas[0].1, space).await;
            for (_, p) in &replicas[1..] {
                let log: Vec<LogEntry> = genesis.iter().map(|b| LogEntry { seq: 1, bytes: b.clone() }).collect();
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
                    let seq = 2 + n as u64;
                    p.apply_remote(space, &[LogEntry { seq, bytes }]).await.unwrap();
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
    let space = SpaceId::random();
    let key = SpaceKey::generate();
    let dir = tempfile::tempdir().unwrap();
    let device = DeviceKey::generate();
    let p = Profile::open(dir.path(), device.clone()).await.unwrap();
    p.insert_space(space, "Pays — agents", &RELAY.parse().unwrap(), &key, 0)
        .await
        .unwrap();
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
    let space = SpaceId::random();
    let key = SpaceKey::generate();
    let (_a, alice) = replica(space, &key).await;
    let (_b, bob) = replica(space, &key).await;
    let event = alice.add_event(space, input("Conseil")).await.unwrap();
    let id: ItemId = event.id.parse().unwrap();
    let mut changed = input("Conseil communautaire");
    changed.place = "Mairie".into();
    alice.update_event(space, id, changed).await.unwrap();
    let mut entries = drain(&alice, space).await;
    // A member's buggy client sends garbage for the same item, between the two.
    let buggy = DeviceKey::generate();
    let garbage = Entry::seal(&buggy, space, id, EntryKind::Change, 0, &key, b"not automerge").unwrap();
    entries.insert(1, garbage.to_bytes());
    let log: Vec<LogEntry> = entries
        .into_iter()
        .enumerate()
        .map(|(n, bytes)| LogEntry {
            seq: n as u64 + 1,
            bytes,
        })
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
        3,
        "the cursor passes the bad entry too"
    );
}
