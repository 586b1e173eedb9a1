//! Membership replay: roles, invitations, removals, forgeries, and a log judged at its
//! head that no later op can rewrite.

use proptest::prelude::*;

use super::*;
use crate::entry::SpaceKey;

struct Person {
    key: DeviceKey,
    member: MemberId,
}

impl Person {
    fn new() -> Self {
        Self {
            key: DeviceKey::generate(),
            member: MemberId::random(),
        }
    }

    fn device(&self) -> DeviceId {
        self.key.device_id()
    }

    fn x25519(&self) -> [u8; 32] {
        self.key.x25519_public()
    }
}

/// The first key of every test space, as Alice made it.
const FIRST: KeyId = KeyId(1);

fn seal(space: SpaceId, key: KeyId, value: &SpaceKey, to: &DeviceKey) -> KeyShare {
    KeyShare::seal(space, key, value, to.device_id(), &to.x25519_public()).unwrap()
}

/// Alice creates the space with key `FIRST`; Bob and Carol are added as editors.
fn start() -> (SpaceId, Person, Person, Person, Vec<Op>) {
    start_with(&SpaceKey::generate())
}

fn start_with(first: &SpaceKey) -> (SpaceId, Person, Person, Person, Vec<Op>) {
    let space = SpaceId::random();
    let (alice, bob, carol) = (Person::new(), Person::new(), Person::new());
    let genesis = Op::sign(
        &alice.key,
        space,
        vec![],
        OpBody::Genesis {
            member: alice.member,
            info: MemberInfo::named("Alice"),
            device: alice.device(),
            x25519: alice.x25519(),
            new_key: FIRST,
            shares: vec![seal(space, FIRST, first, &alice.key)],
        },
    );
    let mut ops = vec![genesis];
    for (who, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        let heads = Membership::replay(space, &ops).heads();
        ops.push(Op::sign(
            &alice.key,
            space,
            heads,
            OpBody::AddMember {
                member: who.member,
                info: MemberInfo::named(name),
                role: Role::Editor,
                device: who.device(),
                x25519: who.x25519(),
                shares: vec![seal(space, FIRST, first, &who.key)],
            },
        ));
    }
    (space, alice, bob, carol, ops)
}

fn set_role(member: MemberId, role: Role) -> OpBody {
    OpBody::SetRole { member, role }
}

fn next(space: SpaceId, ops: &[Op], by: &DeviceKey, body: OpBody) -> Op {
    Op::sign(by, space, Membership::replay(space, ops).heads(), body)
}

#[test]
fn the_creator_is_admin_and_adds_members_with_roles() {
    let (space, alice, bob, _, ops) = start();
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&alice.device()), Some(Role::Admin));
    assert_eq!(state.role_of(&bob.device()), Some(Role::Editor));
    assert!(state.rejected().is_empty(), "{:?}", state.rejected());
    assert_eq!(state.heads().len(), 1);
}

#[test]
fn only_admins_change_membership() {
    let (space, _, bob, carol, mut ops) = start();
    // Bob, an editor, tries to promote himself and to remove Carol.
    let promote = next(space, &ops, &bob.key, set_role(bob.member, Role::Admin));
    ops.push(promote.clone());
    let remove = next(
        space,
        &ops,
        &bob.key,
        OpBody::RemoveMember {
            member: carol.member,
            new_key: KeyId(2),
            shares: vec![],
        },
    );
    ops.push(remove.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&bob.device()), Some(Role::Editor));
    assert_eq!(state.role_of(&carol.device()), Some(Role::Editor));
    assert_eq!(state.rejected().get(&promote.id()), Some(&Rejection::NotAdmin));
    assert!(state.rejected().contains_key(&remove.id()));
}

#[test]
fn a_forged_or_foreign_op_is_rejected() {
    let (space, alice, bob, _, mut ops) = start();
    // Bob signs an op but claims Alice wrote it.
    let mut forged = next(space, &ops, &bob.key, set_role(bob.member, Role::Admin));
    forged.unsigned.author = alice.device();
    let foreign = Op::sign(
        &alice.key,
        SpaceId::random(),
        vec![],
        OpBody::Revoke {
            invitation: bob.device(),
        },
    );
    ops.push(forged.clone());
    ops.push(foreign.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(
        state.role_of(&bob.device()),
        Some(Role::Editor),
        "the forgery changes nothing"
    );
    assert_eq!(state.rejected().get(&forged.id()), Some(&Rejection::BadSignature));
    assert_eq!(state.rejected().get(&foreign.id()), Some(&Rejection::OtherSpace));
}

fn invite(
    space: SpaceId,
    ops: &[Op],
    by: &DeviceKey,
    role: Role,
    member: Option<MemberId>,
) -> (DeviceKey, Op) {
    let key = DeviceKey::generate();
    let op = next(
        space,
        ops,
        by,
        OpBody::Invite {
            invitation: key.device_id(),
            x25519: key.x25519_public(),
            role,
            member,
            expires: 0,
            shares: vec![],
        },
    );
    (key, op)
}

fn redeem(space: SpaceId, ops: &[Op], invitation: &DeviceKey, who: &Person) -> Op {
    next(
        space,
        ops,
        invitation,
        OpBody::Redeem {
            member: who.member,
            info: MemberInfo::named("Maire"),
            device: who.device(),
            x25519: who.x25519(),
        },
    )
}

#[test]
fn an_invitation_is_used_once_and_a_revoked_one_not_at_all() {
    let first = SpaceKey::generate();
    let (space, alice, _, _, mut ops) = start_with(&first);
    let code = DeviceKey::generate();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Invite {
            invitation: code.device_id(),
            x25519: code.x25519_public(),
            role: Role::Validator,
            member: None,
            expires: 0,
            shares: vec![seal(space, FIRST, &first, &code)],
        },
    ));
    // The mayor redeems it while Alice is offline: nobody but the invitee signs.
    let mayor = Person::new();
    ops.push(redeem(space, &ops, &code, &mayor));
    let intruder = Person::new();
    let second = redeem(space, &ops, &code, &intruder);
    ops.push(second.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&mayor.device()), Some(Role::Validator));
    assert!(
        state.has_key(&mayor.device(), FIRST),
        "the share sealed to the invitation is the mayor's"
    );
    let share = state.shares_to(&code.device_id()).next().unwrap();
    assert_eq!(share.open(space, &code).unwrap(), first);
    assert_eq!(state.role_of(&intruder.device()), None, "a used code is refused");
    assert_eq!(
        state.rejected().get(&second.id()),
        Some(&Rejection::InvitationUsed)
    );

    let (withdrawn, op) = invite(space, &ops, &alice.key, Role::Reader, None);
    ops.push(op);
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Revoke {
            invitation: withdrawn.device_id(),
        },
    ));
    let late = Person::new();
    let refused = redeem(space, &ops, &withdrawn, &late);
    ops.push(refused.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&late.device()), None, "a revoked code is refused");
    assert_eq!(
        state.rejected().get(&refused.id()),
        Some(&Rejection::InvitationRevoked)
    );
}

#[test]
fn a_member_invites_a_second_device_of_their_own_only() {
    let (space, _, bob, carol, mut ops) = start();
    let (code, op) = invite(space, &ops, &bob.key, Role::Admin, Some(bob.member));
    ops.push(op);
    let laptop = Person {
        key: DeviceKey::generate(),
        member: bob.member,
    };
    ops.push(redeem(space, &ops, &code, &laptop));
    let state = Membership::replay(space, &ops);
    assert_eq!(
        state.role_of(&laptop.device()),
        Some(Role::Editor),
        "the device takes its member's role, not the one written in the invitation"
    );
    assert_eq!(state.members()[&bob.member].devices.len(), 2);
    assert_eq!(state.members().len(), 3, "no new member");

    // Carol, an editor, cannot invite a device for Bob, nor a new person.
    let (_, for_bob) = invite(space, &ops, &carol.key, Role::Editor, Some(bob.member));
    let (_, person) = invite(space, &ops, &carol.key, Role::Editor, None);
    ops.extend([for_bob.clone(), person.clone()]);
    let state = Membership::replay(space, &ops);
    assert_eq!(state.rejected().get(&for_bob.id()), Some(&Rejection::NotAdmin));
    assert_eq!(state.rejected().get(&person.id()), Some(&Rejection::NotAdmin));
}

#[test]
fn removing_a_member_brings_a_new_key_they_never_get_and_keeps_their_history() {
    let first = SpaceKey::generate();
    let (space, alice, bob, carol, mut ops) = start_with(&first);
    assert_eq!(Membership::replay(space, &ops).epoch(), 0);
    // Bob adds his laptop, then is removed.
    let laptop = DeviceKey::generate();
    ops.push(next(
        space,
        &ops,
        &bob.key,
        OpBody::AddDevice {
            member: bob.member,
            device: laptop.device_id(),
            x25519: laptop.x25519_public(),
            shares: vec![seal(space, FIRST, &first, &laptop)],
        },
    ));
    assert_eq!(
        Membership::replay(space, &ops).role_of(&laptop.device_id()),
        Some(Role::Editor)
    );
    let second = SpaceKey::generate();
    // A removal that tries to hand the new key to the removed laptop is refused.
    let leaky = next(
        space,
        &ops,
        &alice.key,
        OpBody::RemoveMember {
            member: bob.member,
            new_key: KeyId(2),
            shares: vec![seal(space, KeyId(2), &second, &laptop)],
        },
    );
    assert_eq!(
        Membership::replay(space, &[ops.clone(), vec![leaky.clone()]].concat())
            .rejected()
            .get(&leaky.id()),
        Some(&Rejection::ShareRecipient)
    );
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::RemoveMember {
            member: bob.member,
            new_key: KeyId(2),
            shares: vec![
                seal(space, KeyId(2), &second, &alice.key),
                seal(space, KeyId(2), &second, &carol.key),
            ],
        },
    ));
    let state = Membership::replay(space, &ops);
    assert_eq!(state.epoch(), 1);
    assert_eq!(state.current_key(), Some(KeyId(2)));
    assert!(state.has_key(&carol.device(), KeyId(2)));
    assert!(!state.has_key(&laptop.device_id(), KeyId(2)));
    assert!(state.missing_keys().is_empty());
    assert!(!state.current_key_exposed());
    assert_eq!(state.role_of(&bob.device()), None);
    assert_eq!(
        state.role_of(&laptop.device_id()),
        None,
        "every device of a removed member goes"
    );
    assert_eq!(
        state.members()[&bob.member].info.name,
        "Bob",
        "who wrote what stays known"
    );
    // Bob, removed, can no longer act.
    let late = next(
        space,
        &ops,
        &bob.key,
        OpBody::AddDevice {
            member: bob.member,
            device: DeviceKey::generate().device_id(),
            x25519: [6; 32],
            shares: vec![],
        },
    );
    ops.push(late.clone());
    assert_eq!(
        Membership::replay(space, &ops).rejected().get(&late.id()),
        Some(&Rejection::NotMember)
    );
}

#[test]
fn shares_of_unknown_keys_or_reused_key_ids_are_refused() {
    let (space, alice, bob, _, mut ops) = start();
    let stray = next(
        space,
        &ops,
        &alice.key,
        OpBody::Share {
            shares: vec![seal(space, KeyId(9), &SpaceKey::generate(), &bob.key)],
        },
    );
    let reused = next(
        space,
        &ops,
        &alice.key,
        OpBody::Rekey {
            new_key: FIRST,
            shares: vec![],
        },
    );
    ops.extend([stray.clone(), reused.clone()]);
    let state = Membership::replay(space, &ops);
    assert_eq!(state.rejected().get(&stray.id()), Some(&Rejection::UnknownKey));
    assert_eq!(state.rejected().get(&reused.id()), Some(&Rejection::KeyExists));
}

/// Two admins, offline from each other: one removes Carol, the other adds Dan. After
/// both sync, Dan lacks the new key and Carol holds the old one; with two concurrent
/// removals, a removed device can even hold the current key. Replay says so, and an
/// admin's `Share` and `Rekey` heal it.
#[test]
fn concurrent_removals_and_additions_are_healed() {
    let first = SpaceKey::generate();
    let (space, alice, bob, carol, mut ops) = start_with(&first);
    ops.push(next(space, &ops, &alice.key, set_role(bob.member, Role::Admin)));
    let common = ops.clone();
    let k2 = SpaceKey::generate();
    let remove_carol = next(
        space,
        &common,
        &alice.key,
        OpBody::RemoveMember {
            member: carol.member,
            new_key: KeyId(2),
            shares: vec![
                seal(space, KeyId(2), &k2, &alice.key),
                seal(space, KeyId(2), &k2, &bob.key),
            ],
        },
    );
    let dan = Person::new();
    let add_dan = next(
        space,
        &common,
        &bob.key,
        OpBody::AddMember {
            member: dan.member,
            info: MemberInfo::named("Dan"),
            role: Role::Editor,
            device: dan.device(),
            x25519: dan.x25519(),
            shares: vec![seal(space, FIRST, &first, &dan.key)],
        },
    );
    // Bob, also offline, removes Carol's device too, sealing his own new key to
    // everyone he still sees: Dan, whom he just added, included.
    let k3 = SpaceKey::generate();
    let bob_removes_carol = next(
        space,
        &[common.clone(), vec![add_dan.clone()]].concat(),
        &bob.key,
        OpBody::RemoveDevice {
            device: carol.device(),
            new_key: KeyId(3),
            shares: vec![
                seal(space, KeyId(3), &k3, &alice.key),
                seal(space, KeyId(3), &k3, &bob.key),
                seal(space, KeyId(3), &k3, &dan.key),
            ],
        },
    );
    ops.extend([remove_carol, add_dan, bob_removes_carol.clone()]);
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&carol.device()), None);
    // Whatever the order, Dan, added next to Alice's removal, lacks Alice's key 2.
    assert!(!state.has_key(&dan.device(), KeyId(2)));
    let missing = state.missing_keys();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].0, dan.device());

    let heal = next(
        space,
        &ops,
        &alice.key,
        OpBody::Share {
            shares: missing[0]
                .1
                .iter()
                .map(|k| seal(space, *k, if *k == KeyId(2) { &k2 } else { &k3 }, &dan.key))
                .collect(),
        },
    );
    ops.push(heal);
    let state = Membership::replay(space, &ops);
    assert!(state.missing_keys().is_empty());
    assert!(!state.current_key_exposed());
}

#[test]
fn a_current_key_reaching_a_removed_device_is_replaced() {
    let (space, alice, bob, carol, mut ops) = start();
    ops.push(next(space, &ops, &alice.key, set_role(bob.member, Role::Admin)));
    let dan = Person::new();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::AddMember {
            member: dan.member,
            info: MemberInfo::named("Dan"),
            role: Role::Reader,
            device: dan.device(),
            x25519: dan.x25519(),
            shares: vec![],
        },
    ));
    let with_dan = ops.clone();
    // Offline from each other, Alice removes Dan and Bob removes Carol; each seals a
    // new key to everyone they still see, so each key reaches the other's removed
    // member.
    let k = |n| (KeyId(n), SpaceKey::generate());
    let (id_a, key_a) = k(10);
    let (id_b, key_b) = k(11);
    let alice_removes_dan = next(
        space,
        &with_dan,
        &alice.key,
        OpBody::RemoveMember {
            member: dan.member,
            new_key: id_a,
            shares: [&alice.key, &bob.key, &carol.key]
                .iter()
                .map(|d| seal(space, id_a, &key_a, d))
                .collect(),
        },
    );
    let bob_removes_carol = next(
        space,
        &with_dan,
        &bob.key,
        OpBody::RemoveMember {
            member: carol.member,
            new_key: id_b,
            shares: [&alice.key, &bob.key, &dan.key]
                .iter()
                .map(|d| seal(space, id_b, &key_b, d))
                .collect(),
        },
    );
    ops.extend([alice_removes_dan.clone(), bob_removes_carol.clone()]);
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&dan.device()), None);
    assert_eq!(state.role_of(&carol.device()), None);
    assert!(state.applied().contains(&alice_removes_dan.id()));
    assert!(state.applied().contains(&bob_removes_carol.id()));
    // Whichever came last, its key reached the other's removed member.
    assert!(state.current_key_exposed());
    let (id_c, key_c) = k(12);
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Rekey {
            new_key: id_c,
            shares: [&alice.key, &bob.key]
                .iter()
                .map(|d| seal(space, id_c, &key_c, d))
                .collect(),
        },
    ));
    let state = Membership::replay(space, &ops);
    assert_eq!(state.current_key(), Some(id_c));
    assert!(!state.current_key_exposed());
}

#[test]
fn the_last_admin_cannot_be_demoted_or_removed() {
    let (space, alice, _, _, mut ops) = start();
    let demote = next(space, &ops, &alice.key, set_role(alice.member, Role::Reader));
    ops.push(demote.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&alice.device()), Some(Role::Admin));
    assert!(state.rejected().contains_key(&demote.id()));
}

#[test]
fn ops_round_trip_and_garbage_is_refused() {
    let (_, _, _, _, ops) = start();
    for op in &ops {
        assert_eq!(Op::from_bytes(&op.to_bytes()).as_ref(), Ok(op));
    }
    assert!(matches!(Op::from_bytes(&[0xff; 10]), Err(OpError::Malformed(_))));
    assert!(matches!(
        Op::from_bytes(&vec![0; MAX_OP_LEN + 1]),
        Err(OpError::TooLarge(_))
    ));
}

#[test]
fn an_op_after_a_missing_parent_is_rejected() {
    let (space, alice, bob, _, mut ops) = start();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        set_role(bob.member, Role::Validator),
    ));
    // A log without the second op (Bob's addition): Carol's addition names it.
    let partial: Vec<Op> = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, op)| op.clone())
        .collect();
    let state = Membership::replay(space, &partial);
    assert_eq!(state.role_of(&bob.device()), None);
    assert_eq!(
        state.rejected().get(&ops[2].id()),
        Some(&Rejection::UnknownParent)
    );
    assert_eq!(
        Membership::replay(space, &ops).role_of(&bob.device()),
        Some(Role::Validator)
    );
}

#[test]
fn an_op_seen_twice_counts_once_and_keeps_its_verdict() {
    let (space, alice, bob, _, mut ops) = start();
    let promote = next(space, &ops, &alice.key, set_role(bob.member, Role::Admin));
    ops.push(promote.clone());
    let mut state = Membership::replay(space, &ops);
    let before = state.clone();
    assert_eq!(state.push(&promote), Ok(()));
    assert_eq!(state, before);
}

/// Bob, an admin, is removed by Alice. From a copy of his profile made before, he signs
/// ops whose parents predate his removal, with fresh keys each time, as if he had made
/// them offline: removing Alice, adding a puppet admin, inviting an admin. Whatever
/// their ids, none applies after the removal, and none changes a stored verdict.
#[test]
fn a_removed_admin_never_gets_back_in_whatever_the_op_id() {
    let first = SpaceKey::generate();
    let (space, alice, bob, carol, mut ops) = start_with(&first);
    ops.push(next(space, &ops, &alice.key, set_role(bob.member, Role::Admin)));
    let before_removal = ops.clone();
    let k2 = SpaceKey::generate();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::RemoveMember {
            member: bob.member,
            new_key: KeyId(2),
            shares: vec![
                seal(space, KeyId(2), &k2, &alice.key),
                seal(space, KeyId(2), &k2, &carol.key),
            ],
        },
    ));
    let log = Membership::replay(space, &ops);
    for attempt in 0..50u32 {
        let puppet = Person::new();
        let bodies = [
            OpBody::RemoveMember {
                member: alice.member,
                new_key: KeyId(100 + attempt),
                shares: vec![],
            },
            OpBody::AddMember {
                member: puppet.member,
                info: MemberInfo::named("Puppet"),
                role: Role::Admin,
                device: puppet.device(),
                x25519: puppet.x25519(),
                shares: vec![seal(space, FIRST, &first, &puppet.key)],
            },
            invite(space, &before_removal, &bob.key, Role::Admin, None)
                .1
                .body()
                .clone(),
        ];
        for body in bodies {
            let stale = next(space, &before_removal, &bob.key, body);
            assert_eq!(log.judge(&stale), Err(Rejection::NotMember), "attempt {attempt}");
            let mut replayed = ops.clone();
            replayed.push(stale.clone());
            let state = Membership::replay(space, &replayed);
            assert_eq!(state.rejected().get(&stale.id()), Some(&Rejection::NotMember));
            assert_eq!(state.role_of(&alice.device()), Some(Role::Admin));
            assert_eq!(state.role_of(&puppet.device()), None);
            assert_eq!(state.applied(), log.applied(), "no stored verdict flips");
        }
    }
}

/// An invitation lives no longer than its inviter's right to invite: removing the
/// inviting device, or its member, or demoting an admin kills their open invitations,
/// and no key is sealed to a dead one.
#[test]
fn invitations_die_with_their_inviter() {
    let first = SpaceKey::generate();
    let (space, alice, bob, carol, mut ops) = start_with(&first);
    ops.push(next(space, &ops, &alice.key, set_role(bob.member, Role::Admin)));
    ops.push(next(space, &ops, &alice.key, set_role(carol.member, Role::Admin)));
    let (bobs_code, bobs_invite) = invite(space, &ops, &bob.key, Role::Admin, None);
    ops.push(bobs_invite);
    let (carols_code, carols_invite) = invite(space, &ops, &carol.key, Role::Editor, None);
    ops.push(carols_invite);
    let (carols_device_code, carols_device_invite) =
        invite(space, &ops, &carol.key, Role::Editor, Some(carol.member));
    ops.push(carols_device_invite);
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::RemoveMember {
            member: bob.member,
            new_key: KeyId(2),
            shares: vec![],
        },
    ));
    ops.push(next(
        space,
        &ops,
        &alice.key,
        set_role(carol.member, Role::Editor),
    ));
    let state = Membership::replay(space, &ops);
    let open = |code: &DeviceKey| state.invitations()[&code.device_id()].open();
    assert!(!open(&bobs_code), "a removed admin's invitation dies");
    assert!(
        !open(&carols_code),
        "a demoted admin's invitation of a new person dies"
    );
    assert!(open(&carols_device_code), "her own next device stays invited");
    let stranger = Person::new();
    let try_redeem = redeem(space, &ops, &bobs_code, &stranger);
    assert_eq!(state.judge(&try_redeem), Err(Rejection::InviterRemoved));

    // An offline admin who sealed the current key to the dead invitation exposes it:
    // replay says so, and an admin replaces the key.
    let k3 = SpaceKey::generate();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Rekey {
            new_key: KeyId(3),
            shares: vec![
                seal(space, KeyId(3), &k3, &alice.key),
                seal(space, KeyId(3), &k3, &bobs_code),
            ],
        },
    ));
    assert!(Membership::replay(space, &ops).current_key_exposed());
}

proptest! {
    /// Alice and Bob, both admins, change roles while offline from each other (their
    /// ops share only the common past), even demoting each other. Their ops reach a
    /// relay in any interleaving; the relay stores an op only if it applies at its
    /// head. Replaying the stored log then applies every stored op (no verdict is ever
    /// flipped), the relay's incremental state is the replay's, and an admin is left.
    #[test]
    fn a_log_judged_at_its_head_keeps_every_verdict(
        choices in proptest::collection::vec((0u8..2, 0u8..4, 0u8..4), 1..8),
        seed in any::<u64>(),
    ) {
        let (space, alice, bob, carol, mut ops) = start();
        ops.push(next(space, &ops, &alice.key, set_role(bob.member, Role::Admin)));
        let common = ops.clone();
        let roles = [Role::Reader, Role::Editor, Role::Validator, Role::Admin];
        let people = [(&alice, alice.member), (&bob, bob.member), (&carol, carol.member)];
        // Each admin builds on their own branch only.
        let mut branches = [common.clone(), common.clone()];
        for (who, target, role) in choices {
            let author = if who == 0 { &alice } else { &bob };
            let branch = &mut branches[who as usize];
            let member = people[(target % 3) as usize].1;
            let op = next(space, branch, &author.key, OpBody::SetRole { member, role: roles[role as usize] });
            branch.push(op);
        }
        let mut queues: Vec<std::collections::VecDeque<Op>> = branches
            .iter()
            .map(|b| b[ops.len()..].iter().cloned().collect())
            .collect();
        let mut relay = Membership::replay(space, &common);
        let mut log = common;
        let mut s = seed | 1;
        while queues.iter().any(|q| !q.is_empty()) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            let pick = (s % 2) as usize;
            let Some(op) = queues[pick].pop_front().or_else(|| queues[1 - pick].pop_front()) else { break };
            if relay.judge(&op).is_ok() {
                prop_assert_eq!(relay.push(&op), Ok(()));
                log.push(op);
            }
        }
        let replayed = Membership::replay(space, &log);
        prop_assert!(replayed.rejected().is_empty(), "a stored op lost its verdict");
        prop_assert_eq!(&replayed, &relay);
        prop_assert!(replayed.members().values().any(|m| m.role == Role::Admin), "always an admin left");
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Op::from_bytes(&bytes);
    }
}
