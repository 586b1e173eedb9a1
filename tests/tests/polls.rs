//! Polls end to end: ballots through a real relay, which keeps one vote per member
//! and forwards them without their voter.

use bastide_core::{PollInput, PollResults, Role};
use bastide_proto::ballot::BallotRecord;
use bastide_proto::wire::Record;
use bastide_tests::{Client, TestRelay, create_space, invite_and_join, relay_records};

fn poll(question: &str, mode: &str, options: &[&str], anonymous: bool) -> PollInput {
    PollInput {
        question: question.into(),
        mode: mode.into(),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        anonymous,
        ..PollInput::default()
    }
}

async fn sync(clients: &[&Client]) -> anyhow::Result<()> {
    for client in clients {
        client.profile.sync_once().await?;
    }
    Ok(())
}

fn votes(results: &PollResults) -> Vec<(String, u32)> {
    results
        .options
        .iter()
        .map(|o| (o.option.clone(), o.votes))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_poll_counts_one_vote_per_member_and_stores_no_voter() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Agenda 21", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Reader, "Carol").await?;
    let created = alice
        .profile
        .create_poll(
            space,
            poll("Quel soir pour l’atelier ?", "single", &["Mardi", "Jeudi"], true),
        )
        .await?;
    let id = created.id.parse()?;
    sync(&[&alice, &bob, &carol]).await?;

    // Offline: Bob votes Mardi; Carol (a reader) votes Jeudi then changes to Mardi;
    // Alice, the author, votes Jeudi.
    bob.profile.vote(space, id, vec![0], "").await?;
    carol.profile.vote(space, id, vec![1], "").await?;
    carol.profile.sync_once().await?;
    carol.profile.vote(space, id, vec![0], "").await?;
    alice.profile.vote(space, id, vec![1], "").await?;
    sync(&[&alice, &bob, &carol, &alice, &bob]).await?;

    let seen = carol.profile.poll_results(space, id).await?;
    assert_eq!(
        seen.ballots, 3,
        "one vote per member: Carol's second replaced her first"
    );
    assert_eq!(votes(&seen), [("Mardi".to_owned(), 2), ("Jeudi".to_owned(), 1)]);
    for client in [&alice, &bob] {
        let results = client.profile.poll_results(space, id).await?;
        assert_eq!(votes(&results), votes(&seen));
        assert!(results.options.iter().all(|o| o.voters.is_empty()), "no names");
    }

    // What the relay stored: four ballots, no author, and a voter table without any
    // member's id.
    let members = alice.profile.members(space).await?;
    let ids: Vec<Vec<u8>> = members
        .iter()
        .flat_map(|m| {
            let mut ids = vec![hex::decode(&m.id).unwrap_or_default()];
            ids.extend(m.devices.iter().map(|d| hex::decode(d).unwrap_or_default()));
            ids
        })
        .collect();
    let contains = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    let ballots: Vec<BallotRecord> = relay_records(&relay)
        .await?
        .into_iter()
        .filter_map(|(_, r)| match r {
            Record::Ballot(bytes) => BallotRecord::from_bytes(&bytes).ok(),
            _ => None,
        })
        .collect();
    assert_eq!(ballots.len(), 4);
    assert_eq!(
        ballots.iter().filter(|b| b.replaces > 0).count(),
        1,
        "Carol's change names the ballot it replaces"
    );
    let db = relay.data_dir().join("relay.db");
    let mut conn =
        <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite:{}?mode=ro", db.display()))
            .await?;
    let authors: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT author FROM entries WHERE kind = 2")
        .fetch_all(&mut conn)
        .await?;
    assert!(
        authors.iter().all(|(a,)| a.is_empty()),
        "ballots are stored without author"
    );
    let voters: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT voter FROM ballots")
        .fetch_all(&mut conn)
        .await?;
    assert_eq!(voters.len(), 3);
    for (voter,) in &voters {
        assert!(ids.iter().all(|id| !contains(voter, id) && voter != id));
    }
    // What each member's computer holds, opened: no voter in any ballot, and no id
    // in their bytes.
    for client in [&alice, &bob, &carol] {
        let opened = client.profile.open_ballots(space, id).await?;
        assert_eq!(opened.len(), 4);
        for body in opened {
            assert!(body.voter.is_none(), "an anonymous ballot names nobody");
            let bytes = postcard::to_allocvec(&body)?;
            assert!(ids.iter().all(|id| !contains(&bytes, id)));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_cast_after_the_close_is_not_counted_and_one_cast_before_is() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Conseil", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    let created = alice
        .profile
        .create_poll(
            space,
            poll(
                "Quelles soirées vous conviennent ?",
                "dates",
                &["Lundi 18h", "Mercredi 18h", "Vendredi 18h"],
                false,
            ),
        )
        .await?;
    let id = created.id.parse()?;
    sync(&[&alice, &bob, &carol]).await?;

    // Bob votes offline; then Alice closes the poll; then Carol, who has not heard of
    // the close, votes.
    bob.profile.vote(space, id, vec![0, 2], "").await?;
    alice.profile.close_poll(space, id).await?;
    alice.profile.sync_once().await?;
    carol.profile.vote(space, id, vec![1], "").await?;
    sync(&[&carol, &bob, &alice, &carol]).await?;

    for client in [&alice, &bob, &carol] {
        let results = client.profile.poll_results(space, id).await?;
        assert!(!results.open && results.visible);
        assert_eq!(results.ballots, 1, "only Bob's vote, cast before the close");
        assert_eq!(results.late, 1, "Carol's, cast after, is not counted");
        assert_eq!(results.options[0].voters, ["Bob"], "a named poll says who");
        assert_eq!(results.options[1].votes, 0);
        assert_eq!(results.options[2].votes, 1);
    }
    let again = carol.profile.vote(space, id, vec![1], "").await;
    assert_eq!(
        again.err().map(|e| e.code()),
        Some(bastide_core::Code::PollClosed)
    );

    // The relay takes ballots from members only.
    let outsider = Client::new().await?;
    let raw = outsider.raw(&relay).await?;
    let refused = raw
        .cast_ballot(space, id, bastide_proto::KeyId(1), vec![0; 64])
        .await;
    assert!(refused.is_err(), "an outsider cannot vote");
    Ok(())
}

/// The relay cannot make a vote count twice: a ballot it copies (with other
/// `replaces` numbers), replays, or re-targets to another poll, inserted straight into
/// its SQLite file, counts once or not at all, in an anonymous and in a named poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_the_relay_copies_or_retargets_do_not_count_twice() -> anyhow::Result<()> {
    let mut relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Conseil", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let mut polls = Vec::new();
    for (question, anonymous) in [("Anonyme", true), ("Nominatif", false), ("Autre", false)] {
        let created = alice
            .profile
            .create_poll(space, poll(question, "single", &["Oui", "Non"], anonymous))
            .await?;
        polls.push(created.id.parse::<bastide_core::ItemId>()?);
    }
    sync(&[&alice, &bob]).await?;
    for poll in &polls[..2] {
        bob.profile.vote(space, *poll, vec![0], "").await?;
    }
    sync(&[&bob]).await?;
    // Bob changes his named vote: a chain of two ballots.
    bob.profile.vote(space, polls[1], vec![1], "").await?;
    sync(&[&bob]).await?;

    // The operator edits the relay's database: every ballot copied twice, once with
    // its `replaces` pointing nowhere (a head of its own) and once re-targeted to the
    // third poll.
    relay.stop().await;
    let url = format!("sqlite://{}", relay.data_dir().join("relay.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT space, bytes FROM entries WHERE kind = 2 ORDER BY seq")
            .fetch_all(&pool)
            .await?;
    assert_eq!(rows.len(), 3);
    for (space_bytes, bytes) in rows {
        let ballot = BallotRecord::from_bytes(&bytes)?;
        let copies = [
            BallotRecord {
                replaces: 999_999,
                ..ballot.clone()
            },
            BallotRecord {
                poll: polls[2],
                replaces: 999_999,
                ..ballot.clone()
            },
        ];
        for copy in copies {
            let (max,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM entries WHERE space = ?")
                .bind(&space_bytes)
                .fetch_one(&pool)
                .await?;
            let record = Record::Ballot(copy.to_bytes());
            sqlx::query(
                "INSERT INTO entries (space, seq, id, author, bytes, kind) VALUES (?, ?, ?, ?, ?, 2)",
            )
            .bind(&space_bytes)
            .bind(max + 1)
            .bind(record.id().0.as_slice())
            .bind(Vec::<u8>::new())
            .bind(record.bytes())
            .execute(&pool)
            .await?;
        }
    }
    pool.close().await;
    relay.restart().await?;

    alice.profile.close_poll(space, polls[0]).await?;
    alice.profile.close_poll(space, polls[1]).await?;
    alice.profile.close_poll(space, polls[2]).await?;
    sync(&[&alice]).await?;
    let anonymous = alice.profile.poll_results(space, polls[0]).await?;
    assert_eq!(votes(&anonymous), vec![("Oui".into(), 1), ("Non".into(), 0)]);
    let named = alice.profile.poll_results(space, polls[1]).await?;
    assert_eq!(
        votes(&named),
        vec![("Oui".into(), 0), ("Non".into(), 1)],
        "Bob's latest vote, once"
    );
    let other = alice.profile.poll_results(space, polls[2]).await?;
    assert_eq!(
        other.ballots, 0,
        "ballots moved to another poll do not open there"
    );
    Ok(())
}
