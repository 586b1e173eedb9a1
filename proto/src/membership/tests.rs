//! Membership replay: roles, invitations, removals, forgeries, and convergence in any
//! delivery order.

use proptest::prelude::*;

use super::*;

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
}

/// Alice creates the space; Bob and Carol are added as editors.
fn start() -> (SpaceId, Person, Person, Person, Vec<Op>) {
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
            x25519: [0; 32],
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
                x25519: [1; 32],
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
        OpBody::RemoveMember { member: carol.member },
    );
    ops.push(remove.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&bob.device()), Some(Role::Editor));
    assert_eq!(state.role_of(&carol.device()), Some(Role::Editor));
    assert_eq!(
        state.rejected().get(&promote.id()).map(String::as_str),
        Some("author is not an admin")
    );
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
        OpBody::Revoke { key: bob.device() },
    );
    ops.push(forged.clone());
    ops.push(foreign.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(
        state.role_of(&bob.device()),
        Some(Role::Editor),
        "the forgery changes nothing"
    );
    assert!(
        state
            .rejected()
            .get(&forged.id())
            .is_some_and(|r| r.contains("signature"))
    );
    assert!(state.rejected().contains_key(&foreign.id()));
}

#[test]
fn an_invitation_is_used_once_and_a_revoked_one_not_at_all() {
    let (space, alice, _, _, mut ops) = start();
    let invite = DeviceKey::generate();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Invite {
            key: invite.device_id(),
            role: Role::Validator,
            expires: 0,
        },
    ));
    // The mayor redeems it while Alice is offline: nobody but the invitee signs.
    let mayor = Person::new();
    let redeem = |who: &Person, ops: &[Op]| {
        next(
            space,
            ops,
            &invite,
            OpBody::Redeem {
                member: who.member,
                info: MemberInfo::named("Maire"),
                device: who.device(),
                x25519: [3; 32],
            },
        )
    };
    ops.push(redeem(&mayor, &ops));
    let intruder = Person::new();
    let second = redeem(&intruder, &ops);
    ops.push(second.clone());
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&mayor.device()), Some(Role::Validator));
    assert_eq!(state.role_of(&intruder.device()), None, "a used code is refused");
    assert_eq!(
        state.rejected().get(&second.id()).map(String::as_str),
        Some("invitation already used")
    );

    let withdrawn = DeviceKey::generate();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Invite {
            key: withdrawn.device_id(),
            role: Role::Reader,
            expires: 0,
        },
    ));
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::Revoke {
            key: withdrawn.device_id(),
        },
    ));
    let late = Person::new();
    ops.push(next(
        space,
        &ops,
        &withdrawn,
        OpBody::Redeem {
            member: late.member,
            info: MemberInfo::named("X"),
            device: late.device(),
            x25519: [4; 32],
        },
    ));
    let state = Membership::replay(space, &ops);
    assert_eq!(state.role_of(&late.device()), None, "a revoked code is refused");
}

#[test]
fn removing_a_member_starts_a_new_epoch_and_keeps_their_history() {
    let (space, alice, bob, _, mut ops) = start();
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
            x25519: [5; 32],
        },
    ));
    assert_eq!(
        Membership::replay(space, &ops).role_of(&laptop.device_id()),
        Some(Role::Editor)
    );
    ops.push(next(
        space,
        &ops,
        &alice.key,
        OpBody::RemoveMember { member: bob.member },
    ));
    let state = Membership::replay(space, &ops);
    assert_eq!(state.epoch(), 1);
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
        },
    );
    ops.push(late.clone());
    assert!(
        Membership::replay(space, &ops)
            .rejected()
            .contains_key(&late.id())
    );
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
fn an_op_waits_for_its_parents() {
    let (space, alice, bob, _, mut ops) = start();
    ops.push(next(
        space,
        &ops,
        &alice.key,
        set_role(bob.member, Role::Validator),
    ));
    // Deliver everything but the second op (Bob's addition): the rest of the chain waits.
    let partial: Vec<Op> = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, op)| op.clone())
        .collect();
    let state = Membership::replay(space, &partial);
    assert_eq!(state.role_of(&bob.device()), None);
    assert!(state.rejected().is_empty(), "waiting is not rejecting");
    assert_eq!(
        Membership::replay(space, &ops).role_of(&bob.device()),
        Some(Role::Validator)
    );
}

proptest! {
    /// Alice and Bob, both admins, change roles while offline from each other (their
    /// ops share only the common past), even demoting each other. Every delivery
    /// order gives every replica (and the relay) the same membership.
    #[test]
    fn concurrent_admin_changes_converge_in_any_order(
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
        let mut all: Vec<Op> = common;
        for branch in &branches {
            all.extend(branch[ops.len()..].iter().cloned());
        }
        let reference = Membership::replay(space, &all);
        let mut shuffled = all.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let again = Membership::replay(space, &shuffled);
        prop_assert_eq!(&again, &reference);
        prop_assert!(reference.members().values().any(|m| m.role == Role::Admin), "always an admin left");
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Op::from_bytes(&bytes);
    }
}
