//! A relay restored from an older backup: clients notice that it lost records (a
//! shorter log, or other records at numbers they applied), say so, go back to the
//! last record they share with it, and send again what they hold. Nothing any client
//! still has is lost.

use bastide_core::{MemberInfo, Role};
use bastide_tests::{Client, TestRelay, create_space, event, invite_and_join, titles};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_restored_from_yesterdays_backup_ends_with_everything_clients_hold() -> anyhow::Result<()> {
    let mut relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Pays — agents", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    alice
        .profile
        .add_event(space, event("A1", "2026-12-01T09:00:00+01:00"))
        .await?;
    bob.profile
        .add_event(space, event("B1", "2026-12-01T10:00:00+01:00"))
        .await?;
    for c in [&alice, &bob, &alice] {
        c.profile.sync_once().await?;
    }
    let yesterday = relay.back_up().await?;

    // The day after the backup: events, an edit, an invitation.
    let a2 = alice
        .profile
        .add_event(space, event("A2", "2026-12-02T09:00:00+01:00"))
        .await?;
    bob.profile
        .add_event(space, event("B2", "2026-12-02T10:00:00+01:00"))
        .await?;
    let (code, _) = alice.profile.invite(space, Role::Reader, 7).await?;
    for c in [&alice, &bob, &alice] {
        c.profile.sync_once().await?;
    }
    bob.profile
        .update_event(
            space,
            a2.id.parse()?,
            event("A2 (salle des fêtes)", "2026-12-02T09:00:00+01:00"),
        )
        .await?;
    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;

    // The disk dies; the operator restores last night's backup.
    relay.restore(yesterday.path()).await?;
    // Bob writes before anyone notices: his record takes a number Alice applied.
    bob.profile
        .add_event(space, event("B3", "2026-12-03T10:00:00+01:00"))
        .await?;
    let first = bob.profile.sync_once().await?;
    assert_eq!(first.relay_lost, 1, "Bob's app noticed: {first:?}");
    let second = alice.profile.sync_once().await?;
    assert_eq!(second.relay_lost, 1, "Alice's app noticed too: {second:?}");
    for c in [&bob, &alice, &bob] {
        c.profile.sync_once().await?;
    }

    let expected = vec!["A1", "A2 (salle des fêtes)", "B1", "B2", "B3"];
    for (who, c) in [("Alice", &alice), ("Bob", &bob)] {
        let mut seen = titles(c, space).await?;
        seen.sort();
        assert_eq!(seen, expected, "{who}");
        assert_eq!(c.profile.pending().await?, 0, "{who} has nothing left to send");
    }
    // The invitation made after the backup was sent again: it still opens the space,
    // and the newcomer reads everything from the relay alone.
    let carol = Client::new().await?;
    carol.profile.join(&code, MemberInfo::named("Carol")).await?;
    let mut seen = titles(&carol, space).await?;
    seen.sort();
    assert_eq!(seen, expected);
    // Once in step, no more alarms.
    assert_eq!(alice.profile.sync_once().await?.relay_lost, 0);
    Ok(())
}
