//! Entries that cannot poison a space: whatever the relay stores, it can serve, so no
//! single entry breaks the catch-up of a space for its members.

use bastide_core::{Role, SpaceId};
use bastide_proto::wire::{MAX_RECORD_LEN, PushResult, Record, Refusal};
use bastide_proto::{DeviceKey, Entry, EntryKind, ItemId, KeyId, SpaceKey};
use bastide_tests::{TestRelay, create_space, event, invite_and_join, relay_membership, titles};

/// An entry by `device` whose encoding is exactly `len` bytes (sealed under a key the
/// relay knows by id, with content nobody opens).
fn entry_of_len(device: &DeviceKey, space: SpaceId, key: KeyId, len: usize) -> anyhow::Result<Record> {
    let key_value = SpaceKey::generate();
    let seal = |body: usize| -> anyhow::Result<Vec<u8>> {
        let entry = Entry::seal(
            device,
            space,
            ItemId::random(),
            EntryKind::Change,
            key,
            &key_value,
            &vec![7u8; body],
        )?;
        Ok(entry.to_bytes())
    };
    // The overhead grows by a byte or two where a length prefix does: adjust.
    let mut body = len.saturating_sub(seal(0)?.len());
    for _ in 0..8 {
        let bytes = seal(body)?;
        match bytes.len().cmp(&len) {
            std::cmp::Ordering::Equal => return Ok(Record::Entry(bytes)),
            std::cmp::Ordering::Greater => body -= bytes.len() - len,
            std::cmp::Ordering::Less => body += len - bytes.len(),
        }
    }
    anyhow::bail!("no entry of exactly {len} bytes")
}

/// At the boundary: an entry of the largest size the relay stores is stored and then
/// served to every member, whose catch-up goes on past it; one byte more is refused
/// at push, with nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_stored_entry_is_still_served_and_one_byte_more_is_refused() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Alice").await?;
    let mallory = invite_and_join(&alice, space, Role::Editor, "Mallory").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let key = relay_membership(&relay, space)
        .await?
        .current_key()
        .ok_or_else(|| anyhow::anyhow!("a key"))?;
    let device = mallory.device_key()?;
    let raw = mallory.raw(&relay).await?;

    let over = entry_of_len(&device, space, key, MAX_RECORD_LEN + 1)?;
    match raw.push(vec![over]).await?.as_slice() {
        [PushResult::Refused { refusal, .. }] => assert_eq!(*refusal, Refusal::Malformed),
        other => panic!("an over-size entry was not refused: {other:?}"),
    }
    let largest = entry_of_len(&device, space, key, MAX_RECORD_LEN)?;
    assert!(matches!(
        raw.push(vec![largest]).await?.as_slice(),
        [PushResult::Stored { .. }]
    ));
    raw.close().await;

    alice
        .profile
        .add_event(
            space,
            event("Après le gros changement", "2026-12-10T18:00:00+01:00"),
        )
        .await?;
    alice.profile.sync_once().await?;
    // Bob catches up past the largest entry (which does not open for him) to the event.
    bob.profile.sync_once().await?;
    assert_eq!(titles(&bob, space).await?, vec!["Après le gros changement"]);
    // And a newcomer replays the whole log from the start.
    let carol = invite_and_join(&alice, space, Role::Reader, "Carol").await?;
    assert_eq!(titles(&carol, space).await?, vec!["Après le gros changement"]);
    Ok(())
}

/// A change whose compressed chunk inflates to a gigabyte, and one Automerge cannot
/// read, pushed by a member with a patched client: every other member sets both
/// aside (keeps them, says so, goes on past them) and nothing else is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inflating_or_unreadable_change_is_set_aside_and_the_space_goes_on() -> anyhow::Result<()> {
    use std::io::Write as _;

    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Alice").await?;
    // Mallory's invitation, kept: its key opens the space key sealed to it.
    let (code, _) = alice.profile.invite(space, Role::Editor, 7).await?;
    alice.profile.sync_once().await?;
    let mallory = bastide_tests::Client::new().await?;
    mallory
        .profile
        .join(&code, bastide_core::MemberInfo::named("Mallory"))
        .await?;
    let invitation = bastide_core::invite::Invitation::decode(&code, time::OffsetDateTime::now_utc())?;
    let invitation = DeviceKey::from_secret(&invitation.secret);
    let bob = invite_and_join(&alice, space, Role::Reader, "Bob").await?;
    let council = alice
        .profile
        .add_event(space, event("Conseil", "2026-12-15T18:30:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;
    mallory.profile.sync_once().await?;

    // Mallory seals with the real space key, as her client can.
    let device = mallory.device_key()?;
    let state = relay_membership(&relay, space).await?;
    let key_id = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
    let key = state
        .shares_to(&invitation.device_id())
        .find(|s| s.key == key_id)
        .ok_or_else(|| anyhow::anyhow!("the share sealed to Mallory's invitation"))?
        .open(space, &invitation)?;
    let seal = |item: ItemId, body: &[u8]| -> anyhow::Result<Record> {
        let entry = Entry::seal(&device, space, item, EntryKind::Change, key_id, &key, body)?;
        Ok(Record::Entry(entry.to_bytes()))
    };
    // A compressed Automerge chunk (type 2) of a gigabyte of zeros: 1 MiB on the wire.
    let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        deflated.write_all(&zeros)?;
    }
    let deflated = deflated.finish()?;
    let mut bomb = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = deflated.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            bomb.push(byte);
            break;
        }
        bomb.push(byte | 0x80);
    }
    bomb.extend(&deflated);
    // An ordinary-looking change whose checksum is wrong: Automerge refuses it.
    let mut doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "title", "Intrus")?;
    let mut unreadable = doc.save_after(&[]);
    unreadable[4] ^= 0xff;
    let council_id: ItemId = council.id.parse()?;
    let raw = mallory.raw(&relay).await?;
    let pushed = raw
        .push(vec![
            seal(council_id, &bomb)?,
            seal(ItemId::random(), &unreadable)?,
        ])
        .await?;
    assert!(
        pushed.iter().all(|r| matches!(r, PushResult::Stored { .. })),
        "{pushed:?}"
    );
    raw.close().await;

    // After them, an ordinary change.
    alice
        .profile
        .add_event(space, event("Après", "2026-12-16T18:30:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;
    for member in [&alice, &bob] {
        member.profile.sync_once().await?;
        let mut seen = titles(member, space).await?;
        seen.sort();
        assert_eq!(seen, vec!["Après", "Conseil"]);
        let set_aside = member.profile.set_aside(space).await?;
        assert_eq!(set_aside.len(), 2, "{set_aside:?}");
        for entry in &set_aside {
            assert_eq!(entry.by, "Mallory");
            assert_eq!(
                entry.sentence(),
                "Un changement illisible de Mallory a été mis de côté."
            );
        }
    }
    // A newcomer replaying the whole log goes past them too.
    let carol = invite_and_join(&alice, space, Role::Reader, "Carol").await?;
    let mut seen = titles(&carol, space).await?;
    seen.sort();
    assert_eq!(seen, vec!["Après", "Conseil"]);
    assert_eq!(carol.profile.set_aside(space).await?.len(), 2);
    Ok(())
}
