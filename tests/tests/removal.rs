//! Removal is final: the attacks a security review reproduced on the old membership
//! rule (ties between concurrent ops broken by op id), each against a real relay on
//! 127.0.0.1 and clients with their own SQLite files.
//!
//! A removed admin, or a removed device restored from a copy of its profile folder,
//! signs ops after a head that predates its removal and retries with fresh keys. The
//! relay judges each op at its own head, so none gets in, however its id sorts.

use std::path::Path;
use std::sync::Arc;

use bastide_core::{Code, MemberInfo, Profile, Role};
use bastide_proto::membership::{Membership, Op, OpBody};
use bastide_proto::wire::{PushResult, Record, Refusal};
use bastide_proto::{DeviceKey, KeyId, MemberId, OpId};
use bastide_tests::{
    Client, TestRelay, create_space, event, invite_and_join, member_id, relay_membership, titles,
};

/// Fresh attempts per attack: each with new keys, hence a new op id.
const RETRIES: u32 = 50;

/// Pushes one op as `device`; its verdict.
async fn push_op(relay: &TestRelay, device: &DeviceKey, op: &Op) -> anyhow::Result<PushResult> {
    let addr = relay.relay_addr().parse()?;
    let connection = bastide_core::sync::RelayConnection::connect(&addr, device).await?;
    let mut results = connection.push(vec![Record::Op(op.to_bytes())]).await?;
    connection.close().await;
    results.pop().ok_or_else(|| anyhow::anyhow!("no verdict"))
}

fn refused(result: &PushResult) -> bool {
    matches!(result, PushResult::Refused { .. })
}

/// Copies a profile folder file by file, as a thief or a backup would.
fn copy_folder(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_folder(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Attack 1 of the review: admin M makes an admin invitation; admin A removes M, then
/// adds an event; a stranger joins with M's code, as admin, and reads that event.
/// Now the invitation died with M, and M's own stale ops never apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_admin_and_their_invitations_stay_out() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Alice").await?;
    let mallory = invite_and_join(&alice, space, Role::Admin, "Mallory").await?;
    let (code, _) = mallory.profile.invite(space, Role::Admin, 7).await?;
    mallory.profile.sync_once().await?;
    let before_removal = relay_membership(&relay, space).await?;

    alice.profile.sync_once().await?;
    let mallory_id = member_id(&alice, space, "Mallory").await?;
    alice.profile.remove_member(space, mallory_id).await?;
    alice
        .profile
        .add_event(space, event("Huis clos", "2026-12-10T18:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;

    // The stranger with Mallory's code is refused, and keeps nothing.
    let stranger = Client::new().await?;
    let error = stranger
        .profile
        .join(&code, MemberInfo::named("Complice"))
        .await
        .expect_err("an invitation of a removed admin must not open the space");
    assert_eq!(error.code(), Code::InviteDead, "{error}");
    assert!(stranger.profile.spaces().await?.is_empty());

    // Mallory, from her copy, signs after the head she knew, with fresh keys each
    // time: removing Alice, adding a puppet admin, inviting an accomplice.
    let mallory_key = mallory.device_key()?;
    let alice_id = member_id(&alice, space, "Alice").await?;
    let stale_heads: Vec<OpId> = before_removal.heads();
    for attempt in 0..RETRIES {
        let puppet = DeviceKey::generate();
        let invitation = DeviceKey::generate();
        let bodies = [
            OpBody::RemoveMember {
                member: alice_id,
                new_key: KeyId(1000 + attempt),
                shares: vec![],
            },
            OpBody::AddMember {
                member: MemberId::random(),
                info: MemberInfo::named("Pantin"),
                role: Role::Admin,
                device: puppet.device_id(),
                x25519: puppet.x25519_public(),
                shares: vec![],
            },
            OpBody::Invite {
                invitation: invitation.device_id(),
                x25519: invitation.x25519_public(),
                role: Role::Admin,
                member: None,
                expires: time::OffsetDateTime::now_utc().unix_timestamp() + 86_400,
                shares: vec![],
            },
        ];
        for body in bodies {
            let op = Op::sign(&mallory_key, space, stale_heads.clone(), body);
            let verdict = push_op(&relay, &mallory_key, &op).await?;
            assert!(refused(&verdict), "attempt {attempt}: {verdict:?}");
        }
    }
    let state = relay_membership(&relay, space).await?;
    assert!(state.rejected().is_empty(), "every stored op keeps its verdict");
    assert_eq!(state.role_of(&alice.device_key()?.device_id()), Some(Role::Admin));
    assert_eq!(state.role_of(&mallory_key.device_id()), None);
    assert_eq!(
        state.active_devices().count(),
        1,
        "nobody but Alice: no puppet, no accomplice"
    );
    assert!(state.invitations().values().all(|i| !i.open()));
    Ok(())
}

/// Attack 2 of the review: Ugo's laptop joined with `device add`; a copy of its folder
/// is kept; Alice removes the laptop and adds an event; the copy runs `device add`, a
/// new profile joins with that code and, after Alice's next syncs (which seal missing
/// keys to new devices), reads the event. Now the copy's ops are refused, fifty fresh
/// tries too, and the new profile never gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_copy_of_a_removed_device_brings_no_one_in() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Alice").await?;
    let ugo = invite_and_join(&alice, space, Role::Editor, "Ugo").await?;
    let (code, _) = ugo.profile.device_add().await?;
    ugo.profile.sync_once().await?;
    let laptop = Client::new().await?;
    laptop.profile.device_join(&code).await?;
    laptop.profile.sync_once().await?;
    let before_removal = relay_membership(&relay, space).await?;

    // The thief's copy of the laptop's folder, taken now.
    let copy_dir = tempfile::tempdir()?;
    copy_folder(&laptop.dir(), copy_dir.path())?;
    let laptop_key = laptop.device_key()?;
    drop(laptop);

    alice.profile.sync_once().await?;
    alice.profile.remove_device(space, laptop_key.device_id()).await?;
    alice
        .profile
        .add_event(space, event("Budget confidentiel", "2026-12-15T14:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;

    // (a) The copy makes a `device add` code for its owner; the relay refuses it.
    let copy = Arc::new(Profile::open(copy_dir.path(), laptop_key.clone()).await?);
    let (stolen_code, _) = copy.device_add().await?;
    let _ = copy.sync_once().await;
    let newcomer = Client::new().await?;
    let refused_join = newcomer.profile.device_join(&stolen_code).await;
    assert!(refused_join.is_err(), "the stolen copy's code must not work");
    for _ in 0..2 {
        alice.profile.sync_once().await?;
    }
    let _ = newcomer.profile.sync_once().await;
    assert!(
        titles(&newcomer, space).await.unwrap_or_default().is_empty(),
        "the newcomer reads nothing"
    );

    // Fifty fresh invitation keys after the old head: all refused.
    let ugo_id = member_id(&alice, space, "Ugo").await?;
    for attempt in 0..RETRIES {
        let invitation = DeviceKey::generate();
        let op = Op::sign(
            &laptop_key,
            space,
            before_removal.heads(),
            OpBody::Invite {
                invitation: invitation.device_id(),
                x25519: invitation.x25519_public(),
                role: Role::Editor,
                member: Some(ugo_id),
                expires: time::OffsetDateTime::now_utc().unix_timestamp() + 86_400,
                shares: vec![],
            },
        );
        let verdict = push_op(&relay, &laptop_key, &op).await?;
        assert!(refused(&verdict), "attempt {attempt}: {verdict:?}");
    }

    let state: Membership = relay_membership(&relay, space).await?;
    assert!(state.rejected().is_empty());
    assert_eq!(state.role_of(&laptop_key.device_id()), None);
    assert_eq!(
        state.active_devices().count(),
        2,
        "Alice's and Ugo's office computer only"
    );
    assert!(state.missing_keys().is_empty(), "no device waits for keys");
    Ok(())
}

/// The relay enforces the longest validity itself: a patched client's invitation for
/// a year is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_longer_than_ninety_days_is_refused_by_the_relay() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Alice").await?;
    alice.profile.sync_once().await?;
    let key = alice.device_key()?;
    let state = relay_membership(&relay, space).await?;
    let invitation = DeviceKey::generate();
    let year = Op::sign(
        &key,
        space,
        state.heads(),
        OpBody::Invite {
            invitation: invitation.device_id(),
            x25519: invitation.x25519_public(),
            role: Role::Editor,
            member: None,
            expires: time::OffsetDateTime::now_utc().unix_timestamp() + 365 * 86_400,
            shares: vec![],
        },
    );
    match push_op(&relay, &key, &year).await? {
        PushResult::Refused { refusal, .. } => assert_eq!(refusal, Refusal::NotAllowed),
        other => panic!("stored: {other:?}"),
    }
    let week = Op::sign(
        &key,
        space,
        state.heads(),
        OpBody::Invite {
            invitation: DeviceKey::generate().device_id(),
            x25519: invitation.x25519_public(),
            role: Role::Editor,
            member: None,
            expires: time::OffsetDateTime::now_utc().unix_timestamp() + 7 * 86_400,
            shares: vec![],
        },
    );
    assert!(!refused(&push_op(&relay, &key, &week).await?));
    Ok(())
}
