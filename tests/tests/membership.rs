//! Spaces, members and roles end to end: a real relay on 127.0.0.1 and three or more
//! clients with their own SQLite files. What the relay refuses, clients never see.

use std::collections::BTreeMap;

use bastide_core::invite::{Invitation, InvitedSpace};
use bastide_core::{Code, MemberInfo, Role, SpaceId};
use bastide_proto::membership::{Op, OpBody, Rejection};
use bastide_proto::wire::{PushResult, Record, Refusal};
use bastide_proto::{DeviceKey, Entry, EntryKind, ItemId, KeyId, SpaceKey};
use bastide_tests::{
    Client, TestRelay, create_space, event, invite_and_join, member_id, relay_membership, relay_records,
    titles, wait_for,
};

/// Members as (name, role, removed), by name: what every replica must agree on.
async fn roster(client: &Client, space: SpaceId) -> anyhow::Result<Vec<(String, Role, bool)>> {
    let mut list: Vec<(String, Role, bool)> = client
        .profile
        .members(space)
        .await?
        .into_iter()
        .map(|m| (m.name, m.role, m.removed))
        .collect();
    list.sort();
    Ok(list)
}

/// An entry sealed by `device` under `key_id` (with a key the relay cannot check).
fn entry_by(device: &DeviceKey, space: SpaceId, key_id: KeyId) -> anyhow::Result<Record> {
    let entry = Entry::seal(
        device,
        space,
        ItemId::random(),
        EntryKind::Change,
        key_id,
        &SpaceKey::generate(),
        b"forged",
    )?;
    Ok(Record::Entry(entry.to_bytes()))
}

fn refusal(results: &[PushResult]) -> Option<Refusal> {
    match results {
        [PushResult::Refused { refusal, .. }] => Some(*refusal),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomers_join_and_read_while_the_admin_is_offline() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Admin").await?;
    alice
        .profile
        .add_event(space, event("Conseil municipal", "2026-12-01T18:00:00+01:00"))
        .await?;
    let (bob_code, _) = alice.profile.invite(space, Role::Validator, 7).await?;
    let (carol_code, _) = alice.profile.invite(space, Role::Reader, 3).await?;
    alice.profile.sync_once().await?;
    // Alice's computer is off from here on.
    alice.profile.close().await;
    drop(alice);

    let bob = Client::new().await?;
    let bob_info = MemberInfo {
        name: "Bernard Martin".into(),
        organisation: "Mairie de Saint-Cirq".into(),
        function: "Maire".into(),
    };
    bob.profile.join(&bob_code, bob_info.clone()).await?;
    let carol = Client::new().await?;
    carol
        .profile
        .join(&carol_code, MemberInfo::named("Carole Dupuy"))
        .await?;
    for (who, client) in [("Bob", &bob), ("Carol", &carol)] {
        assert_eq!(
            titles(client, space).await?,
            vec!["Conseil municipal"],
            "{who} reads what was written before they joined"
        );
    }

    // Bob, a validator, writes; Carol reads it.
    bob.profile
        .add_event(space, event("Commission finances", "2026-12-03T14:00:00+01:00"))
        .await?;
    bob.profile.sync_once().await?;
    carol.profile.sync_once().await?;
    assert_eq!(
        titles(&carol, space).await?,
        vec!["Commission finances", "Conseil municipal"]
    );
    // Who wrote it comes from the signed entry and the membership log.
    let commission = carol
        .profile
        .events(space)
        .await?
        .into_iter()
        .find(|e| e.title == "Commission finances")
        .ok_or_else(|| anyhow::anyhow!("listed"))?;
    let history = carol.profile.history(space, commission.id.parse()?).await?;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].author, "Bernard Martin");
    assert_eq!(history[0].device, bob.device_key()?.device_id().to_string());
    assert!(!history[0].mine);

    let members = carol.profile.members(space).await?;
    assert_eq!(members.len(), 3);
    let bob_seen = members
        .iter()
        .find(|m| m.name == "Bernard Martin")
        .ok_or_else(|| anyhow::anyhow!("Bob is listed"))?;
    assert_eq!(
        (
            bob_seen.role,
            bob_seen.organisation.as_str(),
            bob_seen.function.as_str()
        ),
        (Role::Validator, "Mairie de Saint-Cirq", "Maire")
    );
    assert_eq!(bob_seen.devices.len(), 1);
    let me = members
        .iter()
        .find(|m| m.is_me)
        .ok_or_else(|| anyhow::anyhow!("Carol is listed as herself"))?;
    assert_eq!((me.name.as_str(), me.role), ("Carole Dupuy", Role::Reader));
    assert!(
        members.iter().any(|m| m.role == Role::Admin && !m.is_me),
        "the creator is admin"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_expired_or_revoked_code_is_refused() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Tourisme", "Admin").await?;
    let (code, _) = alice.profile.invite(space, Role::Editor, 7).await?;
    alice.profile.sync_once().await?;
    let bob = Client::new().await?;
    bob.profile.join(&code, MemberInfo::named("Bob")).await?;

    // The same code again.
    let carol = Client::new().await?;
    let used = carol
        .profile
        .join(&code, MemberInfo::named("Carol"))
        .await
        .expect_err("a used code is refused");
    assert_eq!(used.code(), Code::InviteUsed, "{used}");
    assert!(
        carol.profile.spaces().await?.is_empty(),
        "nothing stored half-way"
    );

    // A revoked one.
    let (withdrawn, _) = alice.profile.invite(space, Role::Reader, 7).await?;
    let withdrawn_id = Invitation::decode(&withdrawn, time::OffsetDateTime::now_utc())?
        .key()
        .device_id();
    let listed = alice.profile.invitations(space).await?;
    assert!(
        listed
            .iter()
            .any(|i| i.id == withdrawn_id.to_string() && !i.used && !i.revoked),
        "the new invitation is listed as open: {listed:?}"
    );
    alice.profile.revoke(space, withdrawn_id).await?;
    alice.profile.sync_once().await?;
    let revoked = carol
        .profile
        .join(&withdrawn, MemberInfo::named("Carol"))
        .await
        .expect_err("a revoked code is refused");
    assert_eq!(revoked.code(), Code::InviteRevoked, "{revoked}");

    // One the relay's clock finds expired, even if the code says otherwise: an
    // invitation published with a past expiry, and a code claiming a later one.
    let alice_key = alice.device_key()?;
    let secret = DeviceKey::generate();
    let before = relay_membership(&relay, space).await?;
    let stale = Op::sign(
        &alice_key,
        space,
        before.heads(),
        OpBody::Invite {
            invitation: secret.device_id(),
            x25519: secret.x25519_public(),
            role: Role::Editor,
            member: None,
            expires: time::OffsetDateTime::now_utc().unix_timestamp() - 60,
            shares: vec![],
        },
    );
    let raw = alice.raw(&relay).await?;
    let pushed = raw.push(vec![Record::Op(stale.to_bytes())]).await?;
    assert!(matches!(pushed[..], [PushResult::Stored { .. }]), "{pushed:?}");
    raw.close().await;
    let forged = Invitation {
        secret: secret.secret(),
        role: Role::Editor,
        expires: time::OffsetDateTime::now_utc().unix_timestamp() + 3600,
        spaces: vec![InvitedSpace {
            relay: relay.relay_addr().to_owned(),
            space,
            name: "Tourisme".into(),
            op: stale.id(),
            member: None,
        }],
    }
    .encode();
    let expired = carol
        .profile
        .join(&forged, MemberInfo::named("Carol"))
        .await
        .expect_err("an expired invitation is refused by the relay");
    assert_eq!(expired.code(), Code::ExpiredInvitation, "{expired}");
    assert!(carol.profile.spaces().await?.is_empty());

    let state = relay_membership(&relay, space).await?;
    assert_eq!(state.members().len(), 2, "only Alice and Bob got in");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_cannot_push_an_event() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Santé", "Admin").await?;
    let _bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let reader = invite_and_join(&alice, space, Role::Reader, "Lecteur").await?;

    let refused = reader
        .profile
        .add_event(space, event("Garde", "2026-12-05T08:00:00+01:00"))
        .await
        .expect_err("a reader cannot add an event");
    assert_eq!(refused.code(), Code::NotAllowed, "{refused}");
    assert_eq!(reader.profile.pending().await?, 0, "nothing queued");

    // Past the app: the relay refuses the entry itself.
    let key_id = relay_membership(&relay, space)
        .await?
        .current_key()
        .ok_or_else(|| anyhow::anyhow!("the space has a key"))?;
    let raw = reader.raw(&relay).await?;
    let results = raw
        .push(vec![entry_by(&reader.device_key()?, space, key_id)?])
        .await?;
    assert_eq!(refusal(&results), Some(Refusal::NotAllowed), "{results:?}");
    raw.close().await;
    assert!(
        relay_records(&relay)
            .await?
            .iter()
            .all(|(_, r)| !matches!(r, Record::Entry(_))),
        "no entry stored"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_cannot_push_and_cannot_decrypt_what_follows() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Santé", "Admin").await?;
    // Bob joins with a code we keep, to know every key he could ever open.
    let (bob_code, _) = alice.profile.invite(space, Role::Editor, 7).await?;
    alice.profile.sync_once().await?;
    let mut bob = Client::new().await?;
    bob.profile.join(&bob_code, MemberInfo::named("Bob")).await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;

    bob.profile
        .add_event(space, event("Proposition de Bob", "2026-12-02T10:00:00+01:00"))
        .await?;
    bob.profile.sync_once().await?;
    bob.go_live();
    bob.wait_status("Bob online", |s| s.online).await?;

    let bob_member = member_id(&alice, space, "Bob").await?;
    alice.profile.sync_once().await?;
    alice.profile.remove_member(space, bob_member).await?;
    alice
        .profile
        .add_event(
            space,
            event("Après le départ de Bob", "2026-12-09T10:00:00+01:00"),
        )
        .await?;
    alice.profile.sync_once().await?;

    // Bob's open subscription ends: the relay sends him nothing more.
    bob.wait_status("Bob told he is out", |s| s.last_error == Some(Code::NotMember))
        .await?;
    bob.stop_live().await;
    assert!(
        !titles(&bob, space)
            .await?
            .contains(&"Après le départ de Bob".to_owned()),
        "nothing written after the removal reaches Bob"
    );
    let sync = bob.profile.sync_once().await.expect_err("Bob's sync is refused");
    assert_eq!(sync.code(), Code::NotMember, "{sync}");

    // Bob's device, past the app: its pushes and subscriptions are refused.
    let raw = bob.raw(&relay).await?;
    let state = relay_membership(&relay, space).await?;
    let current = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
    let results = raw
        .push(vec![entry_by(&bob.device_key()?, space, current)?])
        .await?;
    assert_eq!(refusal(&results), Some(Refusal::NotMember), "{results:?}");
    let mut subscription = raw.subscribe(space, 0).await?;
    assert!(
        subscription.next().await.is_err(),
        "a removed device receives no bytes at all"
    );
    raw.close().await;

    // And had it received the new entry, it could not open it: every key Bob could
    // ever open (sealed to his device or to his invitation) is older.
    let invitation = Invitation::decode(&bob_code, time::OffsetDateTime::now_utc())?.key();
    let bob_device = bob.device_key()?;
    let mut bob_keys = BTreeMap::new();
    for holder in [&bob_device, &invitation] {
        for share in state.shares_to(&holder.device_id()) {
            bob_keys.insert(share.key, share.open(space, holder)?);
        }
    }
    assert!(!bob_keys.is_empty(), "Bob had keys while a member");
    assert!(!bob_keys.contains_key(&current), "the new key never reached Bob");
    let after: Vec<Entry> = relay_records(&relay)
        .await?
        .into_iter()
        .filter_map(|(_, r)| match r {
            Record::Entry(bytes) => Entry::from_bytes(&bytes).ok(),
            Record::Op(_) | Record::Ballot(_) => None,
        })
        .filter(|e| e.header.key == current)
        .collect();
    assert!(!after.is_empty(), "Alice wrote under the new key");
    for entry in &after {
        for key in bob_keys.values() {
            assert!(entry.open(key).is_err(), "Bob's keys open nothing new");
        }
    }

    // Bob's earlier contribution stays, and so does his name.
    carol.profile.sync_once().await?;
    assert_eq!(
        titles(&carol, space).await?,
        vec!["Après le départ de Bob", "Proposition de Bob"]
    );
    let gone = carol
        .profile
        .members(space)
        .await?
        .into_iter()
        .find(|m| m.name == "Bob")
        .ok_or_else(|| anyhow::anyhow!("Bob stays listed"))?;
    assert!(gone.removed && gone.devices.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgeries_replays_and_strangers_are_refused_by_the_relay() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Admin").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let _carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    alice
        .profile
        .add_event(space, event("Conseil", "2026-12-01T18:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    let before = relay_records(&relay).await?;
    let state = relay_membership(&relay, space).await?;
    let (alice_key, bob_key) = (alice.device_key()?, bob.device_key()?);
    let (bob_member, _) = state
        .member_of(&bob_key.device_id())
        .ok_or_else(|| anyhow::anyhow!("Bob is a member"))?;

    // A membership op not signed by an admin: Bob promotes himself.
    let raw_bob = bob.raw(&relay).await?;
    let promote = Op::sign(
        &bob_key,
        space,
        state.heads(),
        OpBody::SetRole {
            member: bob_member,
            role: Role::Admin,
        },
    );
    let results = raw_bob.push(vec![Record::Op(promote.to_bytes())]).await?;
    assert_eq!(
        refusal(&results),
        Some(Refusal::Membership(Rejection::NotAdmin)),
        "{results:?}"
    );

    // Forged signatures: an admin's op and an entry, each with one bit changed.
    let raw_alice = alice.raw(&relay).await?;
    let mut op = Op::sign(
        &alice_key,
        space,
        state.heads(),
        OpBody::SetRole {
            member: bob_member,
            role: Role::Reader,
        },
    )
    .to_bytes();
    let last = op.len() - 1;
    op[last] ^= 1;
    let results = raw_alice.push(vec![Record::Op(op)]).await?;
    assert_eq!(refusal(&results), Some(Refusal::BadSignature), "{results:?}");
    let stored_entry = before
        .iter()
        .find_map(|(_, r)| match r {
            Record::Entry(bytes) => Some(bytes.clone()),
            Record::Op(_) | Record::Ballot(_) => None,
        })
        .ok_or_else(|| anyhow::anyhow!("Alice's entry is stored"))?;
    let mut tampered = stored_entry.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    let results = raw_alice.push(vec![Record::Entry(tampered)]).await?;
    assert_eq!(refusal(&results), Some(Refusal::BadSignature), "{results:?}");

    // A replayed entry: Bob pushes Alice's.
    let results = raw_bob.push(vec![Record::Entry(stored_entry)]).await?;
    assert_eq!(refusal(&results), Some(Refusal::NotAuthor), "{results:?}");

    // A device in no space: its entry and its attempt to add itself.
    let stranger = Client::new().await?;
    let stranger_key = stranger.device_key()?;
    let raw_stranger = stranger.raw(&relay).await?;
    let key_id = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
    let results = raw_stranger
        .push(vec![entry_by(&stranger_key, space, key_id)?])
        .await?;
    assert_eq!(refusal(&results), Some(Refusal::NotMember), "{results:?}");
    let self_added = Op::sign(
        &stranger_key,
        space,
        state.heads(),
        OpBody::AddMember {
            member: bastide_core::MemberId([9; 16]),
            info: MemberInfo::named("Mallory"),
            role: Role::Admin,
            device: stranger_key.device_id(),
            x25519: stranger_key.x25519_public(),
            shares: vec![],
        },
    );
    let results = raw_stranger.push(vec![Record::Op(self_added.to_bytes())]).await?;
    assert_eq!(
        refusal(&results),
        Some(Refusal::Membership(Rejection::NotMember)),
        "{results:?}"
    );
    let mut subscription = raw_stranger.subscribe(space, 0).await?;
    assert!(subscription.next().await.is_err(), "a stranger reads nothing");
    for raw in [raw_alice, raw_bob, raw_stranger] {
        raw.close().await;
    }

    assert_eq!(
        relay_records(&relay).await?,
        before,
        "the relay stored none of it"
    );
    // Clients see the same membership and agenda as before.
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    assert_eq!(roster(&alice, space).await?, roster(&bob, space).await?);
    assert_eq!(
        bob.profile.my_role(space).await?,
        Some(Role::Editor),
        "Bob is still an editor"
    );
    assert_eq!(titles(&bob, space).await?, vec!["Conseil"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_changing_roles_offline_converge_on_every_client_and_the_relay() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Admin").await?;
    let bob = invite_and_join(&alice, space, Role::Admin, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    let dan = invite_and_join(&alice, space, Role::Editor, "Dan").await?;
    for client in [&alice, &bob, &carol, &dan] {
        client.profile.sync_once().await?;
    }
    let a: bastide_core::MemberId = alice
        .profile
        .members(space)
        .await?
        .into_iter()
        .find(|m| m.is_me)
        .ok_or_else(|| anyhow::anyhow!("Alice is listed"))?
        .id
        .parse()?;
    let (b, c, d) = (
        member_id(&alice, space, "Bob").await?,
        member_id(&alice, space, "Carol").await?,
        member_id(&alice, space, "Dan").await?,
    );

    // Offline from each other, they disagree about everyone, each other included.
    alice.profile.set_role(space, c, Role::Validator).await?;
    alice.profile.set_role(space, d, Role::Reader).await?;
    alice.profile.set_role(space, b, Role::Editor).await?;
    bob.profile.set_role(space, c, Role::Reader).await?;
    bob.profile.set_role(space, d, Role::Validator).await?;
    bob.profile.set_role(space, a, Role::Reader).await?;

    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;
    for _ in 0..2 {
        for client in [&alice, &bob, &carol, &dan] {
            client.profile.sync_once().await?;
        }
    }

    let reference = roster(&alice, space).await?;
    for (who, client) in [("Bob", &bob), ("Carol", &carol), ("Dan", &dan)] {
        assert_eq!(roster(client, space).await?, reference, "{who} agrees with Alice");
    }
    let on_relay = relay_membership(&relay, space).await?;
    let mut relay_roster: Vec<(String, Role, bool)> = on_relay
        .members()
        .values()
        .map(|m| (m.info.name.clone(), m.role, m.removed))
        .collect();
    relay_roster.sort();
    assert_eq!(relay_roster, reference, "and so does the relay");
    assert_eq!(
        reference
            .iter()
            .filter(|(_, role, _)| *role == Role::Admin)
            .count(),
        1,
        "exactly one of the two demotions won: {reference:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_joins_every_space_and_a_lost_one_is_removed() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (pc, elus) = create_space(&relay, "Élus", "Admin").await?;
    let tourisme: SpaceId = pc
        .profile
        .create_space("Tourisme", relay.relay_addr())
        .await?
        .id
        .parse()?;
    let other = invite_and_join(&pc, tourisme, Role::Editor, "Office de tourisme").await?;
    pc.profile
        .add_event(elus, event("Conseil", "2026-12-01T18:00:00+01:00"))
        .await?;
    pc.profile
        .add_event(tourisme, event("Marché de Noël", "2026-12-12T09:00:00+01:00"))
        .await?;
    pc.profile.sync_once().await?;

    // Each space has its own key.
    let (k1, k2) = (
        relay_membership(&relay, elus).await?,
        relay_membership(&relay, tourisme).await?,
    );
    assert!(k1.keys().iter().all(|k| !k2.keys().contains(k)));

    let (code, _) = pc.profile.device_add().await?;
    pc.profile.sync_once().await?;
    let laptop = Client::new().await?;
    let joined = laptop.profile.device_join(&code).await?;
    assert_eq!(joined.len(), 2, "the laptop joins both spaces");
    assert_eq!(titles(&laptop, elus).await?, vec!["Conseil"]);
    assert_eq!(titles(&laptop, tourisme).await?, vec!["Marché de Noël"]);
    let again = Client::new()
        .await?
        .profile
        .device_join(&code)
        .await
        .expect_err("a device code works once");
    assert_eq!(again.code(), Code::InviteUsed, "{again}");

    // Same person, two devices; the laptop writes as them.
    pc.profile.sync_once().await?;
    let me = pc
        .profile
        .members(elus)
        .await?
        .into_iter()
        .find(|m| m.is_me)
        .ok_or_else(|| anyhow::anyhow!("listed"))?;
    assert_eq!((me.role, me.devices.len()), (Role::Admin, 2));
    assert_eq!(pc.profile.members(elus).await?.len(), 1, "no new member");
    laptop
        .profile
        .add_event(elus, event("Bureau", "2026-12-04T18:00:00+01:00"))
        .await?;
    laptop.profile.sync_once().await?;
    pc.profile.sync_once().await?;
    assert_eq!(titles(&pc, elus).await?, vec!["Bureau", "Conseil"]);

    // The laptop is lost: removed from Élus only.
    let laptop_device = laptop.device_key()?.device_id();
    pc.profile.remove_device(elus, laptop_device).await?;
    pc.profile.sync_once().await?;
    other
        .profile
        .add_event(tourisme, event("Randonnée", "2026-12-13T09:00:00+01:00"))
        .await?;
    other.profile.sync_once().await?;
    let refused = laptop.profile.sync_once().await.expect_err("Élus is refused");
    assert_eq!(refused.code(), Code::NotMember);
    let seen = wait_for("Tourisme still syncing on the laptop", || async {
        let _ = laptop.profile.sync_once().await;
        Ok(titles(&laptop, tourisme)
            .await?
            .contains(&"Randonnée".to_owned())
            .then_some(()))
    })
    .await;
    seen?;
    Ok(())
}

/// Alice, offline, removes Carol and seals a new key to everyone she knows; meanwhile
/// Bob, the other admin, brings Dan in. Once both are back, Dan lacks Alice's new key:
/// an admin's client notices on its next sync and shares it, and Dan reads what Alice
/// wrote under it, nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_missed_during_concurrent_changes_reaches_the_newcomer() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Admin").await?;
    let bob = invite_and_join(&alice, space, Role::Admin, "Bob").await?;
    let _carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    alice.profile.sync_once().await?;
    let carol_member = member_id(&alice, space, "Carol").await?;

    // Alice, offline: removes Carol, writes under the new key.
    alice.profile.remove_member(space, carol_member).await?;
    alice
        .profile
        .add_event(
            space,
            event("Après le départ de Carol", "2026-12-10T10:00:00+01:00"),
        )
        .await?;
    // Bob, online: invites Dan, who joins at once.
    bob.profile.sync_once().await?;
    let dan = invite_and_join(&bob, space, Role::Editor, "Dan").await?;

    // Alice comes back: her removal and entry reach the relay; Dan cannot open it yet.
    alice.profile.sync_once().await?;
    dan.profile.sync_once().await?;
    let state = relay_membership(&relay, space).await?;
    let dan_device = dan.device_key()?.device_id();
    let current = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
    if !state.has_key(&dan_device, current) {
        assert!(
            titles(&dan, space).await?.is_empty(),
            "the entry waits for its key"
        );
    }

    // Any admin's next sync repairs it; Dan's next sync reads the entry.
    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;
    dan.profile.sync_once().await?;
    let state = relay_membership(&relay, space).await?;
    assert!(state.missing_keys().is_empty(), "{:?}", state.missing_keys());
    assert!(!state.current_key_exposed());
    assert_eq!(titles(&dan, space).await?, vec!["Après le départ de Carol"]);
    Ok(())
}

/// Both admins remove Carol while offline, and each writes under the key their
/// removal brought. Replay keeps one removal (whichever orders first) and rejects the
/// other, with its key. Nothing is lost either way: entries already stored under the
/// rejected key still open (its shares stay readable), and those the relay refused
/// are sealed again under the surviving key once their author has caught up. Carol
/// gets none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_sealed_under_a_rejected_key_are_not_lost() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Admin").await?;
    let bob = invite_and_join(&alice, space, Role::Admin, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    let carol_member = member_id(&alice, space, "Carol").await?;

    alice.profile.remove_member(space, carol_member).await?;
    alice
        .profile
        .add_event(space, event("Note d'Alice", "2026-12-10T09:00:00+01:00"))
        .await?;
    bob.profile.remove_member(space, carol_member).await?;
    bob.profile
        .add_event(space, event("Note de Bob", "2026-12-11T09:00:00+01:00"))
        .await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;

    let both = vec!["Note d'Alice", "Note de Bob"];
    assert_eq!(titles(&alice, space).await?, both, "Alice has both notes");
    assert_eq!(titles(&bob, space).await?, both, "Bob has both notes");
    assert_eq!(alice.profile.pending().await?, 0);
    assert_eq!(bob.profile.pending().await?, 0);
    let state = relay_membership(&relay, space).await?;
    assert_eq!(state.keys().len(), 2, "one removal brought the surviving key");
    let carol_device = carol.device_key()?.device_id();
    let notes: Vec<Entry> = relay_records(&relay)
        .await?
        .into_iter()
        .filter_map(|(_, r)| match r {
            Record::Entry(bytes) => Entry::from_bytes(&bytes).ok(),
            Record::Op(_) | Record::Ballot(_) => None,
        })
        .collect();
    let first_key = state.keys()[0];
    for note in notes.iter().filter(|n| n.header.key != first_key) {
        assert!(
            state
                .readable_shares_to(&carol_device)
                .all(|s| s.key != note.header.key),
            "sealed under a key Carol never got"
        );
    }
    assert_eq!(
        notes.iter().filter(|n| n.header.key != first_key).count(),
        notes.len(),
        "no note is under the key Carol holds"
    );
    let sync = carol.profile.sync_once().await.expect_err("Carol is out");
    assert_eq!(sync.code(), Code::NotMember);
    assert!(titles(&carol, space).await?.is_empty());
    Ok(())
}
