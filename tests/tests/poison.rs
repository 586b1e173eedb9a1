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
