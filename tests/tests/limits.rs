//! A relay that cannot be exhausted: admission tokens for creating spaces, a quota of
//! bytes per space (entries and files), a rate of entries per device. Over a limit
//! the client gets a clear refusal, nothing of the request is stored, and what the
//! user wrote stays on their computer until it fits.

use std::time::Duration;

use bastide_core::{Code, MemberInfo, Role};
use bastide_proto::wire::{ErrorCode, Limit, PushResult, Record};
use bastide_proto::{Entry, EntryKind, ItemId, SpaceKey};
use bastide_relay::{Limits, Tokens};
use bastide_tests::{Client, TestRelay, create_space, event, invite_and_join, relay_membership, titles};

fn closed() -> Limits {
    Limits {
        open_creation: false,
        ..Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_space_on_a_closed_relay_needs_a_token_that_is_spent() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(closed()).await?;
    let tokens = Tokens::open(relay.data_dir()).await?;
    let issued = tokens
        .create("Mairie de Saint-Julien", 1, Duration::from_secs(86_400))
        .await?;
    let claire = Client::new().await?;
    let me = || MemberInfo::named("Claire");

    // No token: refused, and nothing is kept on the computer.
    let refused = claire
        .profile
        .create_space_admitted("Élus", relay.relay_addr(), me(), None)
        .await
        .expect_err("a closed relay wants a token");
    assert_eq!(refused.code(), Code::TokenRequired);
    // A wrong one, or one that is not even a token.
    for wrong in ["0000-0000-0000-0000-0000-0000-0000-0000", "bonjour"] {
        let refused = claire
            .profile
            .create_space_admitted("Élus", relay.relay_addr(), me(), Some(wrong))
            .await
            .expect_err("an unknown token opens nothing");
        assert_eq!(refused.code(), Code::TokenRefused, "{wrong}");
    }
    assert!(claire.profile.spaces().await?.is_empty());

    // The right one, typed in capitals: the space exists, and the token is spent.
    let created = claire
        .profile
        .create_space_admitted(
            "Élus",
            relay.relay_addr(),
            me(),
            Some(&issued.token.to_uppercase()),
        )
        .await?;
    assert_eq!(claire.profile.spaces().await?.len(), 1);
    let again = claire
        .profile
        .create_space_admitted("Bureau", relay.relay_addr(), me(), Some(&issued.token))
        .await
        .expect_err("a one-use token is used up");
    assert_eq!(again.code(), Code::TokenRefused);
    assert_eq!(tokens.list().await?[0].uses_left, 0);

    // A stranger's key authenticates but may do nothing in the space.
    let stranger = Client::new().await?;
    let raw = stranger.raw(&relay).await?;
    let space = created.id.parse()?;
    match raw.subscribe(space, 0).await?.next().await {
        Err(bastide_core::sync::SyncError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Forbidden),
        other => panic!("a stranger read a space: {other:?}"),
    }
    raw.close().await;

    // Members join and write without any token.
    let (code, _) = claire.profile.invite(space, Role::Editor, 7).await?;
    claire.profile.sync_once().await?;
    let ugo = Client::new().await?;
    ugo.profile.join(&code, MemberInfo::named("Ugo")).await?;
    ugo.profile
        .add_event(space, event("Conseil", "2026-12-15T18:30:00+01:00"))
        .await?;
    ugo.profile.sync_once().await?;
    claire.profile.sync_once().await?;
    assert_eq!(titles(&claire, space).await?, vec!["Conseil"]);
    tokens.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_space_refuses_more_but_keeps_it_on_the_computer_until_the_quota_is_raised()
-> anyhow::Result<()> {
    let mut relay = TestRelay::start_with(Limits {
        space_bytes: 24 * 1024,
        open_creation: true,
        ..Limits::default()
    })
    .await?;
    let (claire, space) = create_space(&relay, "Élus", "Claire").await?;
    let bob = invite_and_join(&claire, space, Role::Reader, "Bob").await?;
    let mut titles_written = Vec::new();
    let mut full = None;
    for i in 0..200 {
        let title = format!("Réunion {i:03} —{}", " ordre du jour".repeat(8));
        claire
            .profile
            .add_event(space, event(&title, "2026-12-15T18:30:00+01:00"))
            .await?;
        titles_written.push(title);
        if let Err(error) = claire.profile.sync_once().await {
            full = Some(error);
            break;
        }
    }
    let full = full.ok_or_else(|| anyhow::anyhow!("200 events fit in 24 KiB"))?;
    assert_eq!(full.code(), Code::RelayFull, "{full}");
    assert!(
        claire.profile.pending().await? > 0,
        "what did not fit waits on the computer"
    );

    // Nothing over the quota reached the relay.
    let used: usize = relay_log_bytes(&relay, space).await?;
    assert!(used <= 24 * 1024, "the log holds {used} bytes, over the quota");

    // The operator raises the quota: everything goes through, nothing was lost.
    relay.set_limits(Limits {
        open_creation: true,
        ..Limits::default()
    });
    relay.restart().await?;
    claire.profile.sync_once().await?;
    assert_eq!(claire.profile.pending().await?, 0);
    bob.profile.sync_once().await?;
    let mut seen = titles(&bob, space).await?;
    seen.sort();
    titles_written.sort();
    assert_eq!(seen, titles_written);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_flood_stops_at_the_space_quota() -> anyhow::Result<()> {
    let quota = 3 * 1024 * 1024;
    let relay = TestRelay::start_with(Limits {
        space_bytes: quota,
        open_creation: true,
        ..Limits::default()
    })
    .await?;
    let (claire, space) = create_space(&relay, "Élus", "Claire").await?;
    let mallory = invite_and_join(&claire, space, Role::Editor, "Mallory").await?;
    let raw = mallory.raw(&relay).await?;
    let mut stored = 0u64;
    let mut refusal = None;
    for i in 0u32..64 {
        let mut chunk = vec![0u8; 512 * 1024];
        chunk[..4].copy_from_slice(&i.to_be_bytes());
        let id = *blake3::hash(&chunk).as_bytes();
        match raw.put_chunk(space, id, chunk).await {
            Ok(()) => stored += 512 * 1024,
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    raw.close().await;
    match refusal {
        Some(bastide_core::sync::SyncError::Refused { code, .. }) => {
            assert_eq!(code, ErrorCode::OverLimit(Limit::SpaceBytes));
        }
        other => panic!("a flood of files was not stopped: {other:?}"),
    }
    assert!(
        stored <= quota,
        "{stored} bytes of chunks stored over a {quota} quota"
    );
    let on_disk = dir_bytes(&relay.data_dir().join("blobs").join(space.to_string()))?;
    assert_eq!(on_disk, stored, "what was refused was not written");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_its_rate_is_refused_and_nothing_of_its_push_is_stored() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(Limits {
        entries_per_second: 1,
        entries_burst: 20,
        open_creation: true,
        ..Limits::default()
    })
    .await?;
    let (claire, space) = create_space(&relay, "Élus", "Claire").await?;
    let mallory = invite_and_join(&claire, space, Role::Editor, "Mallory").await?;
    let key = relay_membership(&relay, space)
        .await?
        .current_key()
        .ok_or_else(|| anyhow::anyhow!("a key"))?;
    let device = mallory.device_key()?;
    let batch = || -> anyhow::Result<Vec<Record>> {
        (0..20)
            .map(|_| {
                let entry = Entry::seal(
                    &device,
                    space,
                    ItemId::random(),
                    EntryKind::Change,
                    key,
                    &SpaceKey::generate(),
                    b"flood",
                )?;
                Ok(Record::Entry(entry.to_bytes()))
            })
            .collect()
    };
    let raw = mallory.raw(&relay).await?;
    // Mallory's join spent one record of her burst: 19 of 20 pass at once, the last
    // within the second the relay waits rather than refuse.
    let first = raw.push(batch()?).await?;
    assert!(first.iter().all(|r| matches!(r, PushResult::Stored { .. })));
    let before = relay_log_bytes(&relay, space).await?;
    match raw.push(batch()?).await {
        Err(bastide_core::sync::SyncError::Refused { code, message }) => {
            assert_eq!(code, ErrorCode::OverLimit(Limit::EntriesPerSecond), "{message}");
        }
        other => panic!("a flood of entries was not refused: {other:?}"),
    }
    assert_eq!(
        relay_log_bytes(&relay, space).await?,
        before,
        "nothing of it stored"
    );
    raw.close().await;

    // Others are not slowed by Mallory's rate.
    claire
        .profile
        .add_event(space, event("Conseil", "2026-12-15T18:30:00+01:00"))
        .await?;
    claire.profile.sync_once().await?;
    Ok(())
}

/// Bytes of the records in `space`'s log, read from the relay's database.
async fn relay_log_bytes(relay: &TestRelay, space: bastide_core::SpaceId) -> anyhow::Result<usize> {
    let url = format!("sqlite://{}?mode=ro", relay.data_dir().join("relay.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let (bytes,): (i64,) =
        sqlx::query_as("SELECT COALESCE(SUM(length(bytes)), 0) FROM entries WHERE space = ?")
            .bind(space.0.as_slice())
            .fetch_one(&pool)
            .await?;
    pool.close().await;
    Ok(usize::try_from(bytes)?)
}

fn dir_bytes(dir: &std::path::Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for file in std::fs::read_dir(dir)? {
        total += file?.metadata()?.len();
    }
    Ok(total)
}

/// A token is spent only on a space the relay keeps: a creation refused for a limit
/// leaves it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_the_relay_refuses_spends_no_token() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(Limits {
        space_bytes: 64,
        ..closed()
    })
    .await?;
    let tokens = Tokens::open(relay.data_dir()).await?;
    let issued = tokens.create("Mairie", 1, Duration::from_secs(86_400)).await?;
    let claire = Client::new().await?;
    let refused = claire
        .profile
        .create_space_admitted(
            "Élus",
            relay.relay_addr(),
            MemberInfo::named("Claire"),
            Some(&issued.token),
        )
        .await
        .expect_err("a genesis is larger than 64 bytes");
    assert_eq!(refused.code(), Code::RelayFull);
    assert_eq!(tokens.list().await?[0].uses_left, 1, "the token is whole");
    tokens.close().await;
    Ok(())
}
