//! Forums end to end: replies written offline on three computers converge in the
//! same order everywhere.

use bastide_core::{Post, Role, SpaceId};
use bastide_tests::{Client, TestRelay, create_space, invite_and_join};

async fn thread(client: &Client, space: SpaceId, topic: &str) -> anyhow::Result<Vec<Post>> {
    Ok(client.profile.topic_posts(space, topic.parse()?).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_from_three_offline_clients_converge_in_the_same_order() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Culture", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob Durand").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    let topic = alice
        .profile
        .create_topic(space, "Festival d'été", "Qui s'occupe des affiches ?")
        .await?;
    let first = thread(&alice, space, &topic.id).await?.remove(0);
    for client in [&alice, &bob, &carol] {
        client.profile.sync_once().await?;
    }

    // Offline, everyone answers the first post, twice; Carol quotes it and mentions Bob.
    let first_id = first.id.parse()?;
    let topic_id = topic.id.parse()?;
    for (client, name) in [(&alice, "Alice"), (&bob, "Bob"), (&carol, "Carol")] {
        for n in 1..=2 {
            let text = if name == "Carol" && n == 1 {
                "Je peux demander à @Bob Durand, il a l'imprimante.".to_owned()
            } else {
                format!("Réponse {n} de {name}")
            };
            let quote = (name == "Carol" && n == 1).then_some((first_id, "les affiches"));
            client
                .profile
                .post(space, topic_id, &text, Some(first_id), quote)
                .await?;
        }
    }
    for _ in 0..2 {
        for client in [&alice, &bob, &carol] {
            client.profile.sync_once().await?;
        }
    }

    let reference = thread(&alice, space, &topic.id).await?;
    assert_eq!(reference.len(), 7, "the first post and six replies");
    let order = |posts: &[Post]| posts.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    for (who, client) in [("Bob", &bob), ("Carol", &carol)] {
        assert_eq!(
            order(&thread(client, space, &topic.id).await?),
            order(&reference),
            "{who} has the same order as Alice"
        );
    }
    let times: Vec<&str> = reference.iter().map(|p| p.created_at.as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "in the order they were written");

    // Authors come from the signed entries; the mention and the quote travel.
    let on_bob = thread(&bob, space, &topic.id).await?;
    let mention = on_bob
        .iter()
        .find(|p| p.body.contains("@Bob Durand"))
        .ok_or_else(|| anyhow::anyhow!("Carol's post arrived"))?;
    assert_eq!(mention.author, "Carol");
    assert!(mention.mentions_me, "Bob is mentioned");
    assert_eq!(
        mention.quote.as_ref().map(|q| q.excerpt.as_str()),
        Some("les affiches")
    );
    assert_eq!(mention.parent, first.id);
    assert!(on_bob.iter().all(|p| p.author != "Carol" || !p.mine));

    // Unread markers are per computer.
    let listed = bob.profile.topics(space).await?;
    assert_eq!(listed[0].unread, 5, "everything but Bob's own two replies");
    bob.profile.mark_topic_read(space, topic_id).await?;
    assert_eq!(bob.profile.topics(space).await?[0].unread, 0);
    assert_eq!(carol.profile.topics(space).await?[0].unread, 5);
    Ok(())
}
