//! The directory end to end: cards on a real relay, edited offline on several
//! computers.

use bastide_core::{Card, CardFilter, CardInput, Code, Role, SpaceId};
use bastide_tests::{Client, TestRelay, create_space, invite_and_join};

async fn only_card(client: &Client, space: SpaceId) -> anyhow::Result<Card> {
    let mut cards = client.profile.cards(space, &CardFilter::default()).await?;
    anyhow::ensure!(cards.len() == 1, "one card expected, got {}", cards.len());
    Ok(cards.remove(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_card_edits_show_both_values_until_one_is_picked() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Santé", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Editor, "Carol").await?;
    let reader = invite_and_join(&alice, space, Role::Reader, "Lecteur").await?;
    let card = alice
        .profile
        .add_card(
            space,
            CardInput {
                name: "Cabinet infirmier".into(),
                kind: "organisation".into(),
                discipline: "Soins infirmiers".into(),
                phone: "05 65 00 00 00".into(),
                ..CardInput::default()
            },
        )
        .await?;
    let id = card.id.parse()?;
    for client in [&alice, &bob, &carol, &reader] {
        client.profile.sync_once().await?;
    }

    // Offline, Alice and Bob each change the phone; Bob also sets the commune.
    let mut on_alice = only_card(&alice, space).await?.fields;
    on_alice.phone = "05 65 11 11 11".into();
    alice.profile.update_card(space, id, on_alice).await?;
    let mut on_bob = only_card(&bob, space).await?.fields;
    on_bob.phone = "05 65 22 22 22".into();
    on_bob.commune = "Cajarc".into();
    bob.profile.update_card(space, id, on_bob).await?;
    for client in [&alice, &bob, &carol, &alice, &bob] {
        client.profile.sync_once().await?;
    }

    let seen = only_card(&carol, space).await?;
    for (who, client) in [("Alice", &alice), ("Bob", &bob)] {
        assert_eq!(
            only_card(client, space).await?,
            seen,
            "{who} sees what Carol sees"
        );
    }
    assert_eq!(
        seen.fields.commune, "Cajarc",
        "a field changed on one side only merges"
    );
    assert_eq!(seen.conflicts.len(), 1, "{:?}", seen.conflicts);
    let phone = &seen.conflicts[0];
    assert_eq!(phone.field, "phone");
    let mut values: Vec<(String, String)> = phone
        .values
        .iter()
        .map(|v| (v.value.clone(), v.author.clone()))
        .collect();
    values.sort();
    assert_eq!(
        values,
        vec![
            ("05 65 11 11 11".to_owned(), "Alice".to_owned()),
            ("05 65 22 22 22".to_owned(), "Bob".to_owned())
        ],
        "both values, with who set them"
    );
    assert_eq!(
        seen.fields.phone, phone.values[0].value,
        "the card shows the first"
    );

    // Carol settles it; everyone ends with her choice.
    carol
        .profile
        .pick_card_value(space, id, "phone", "05 65 22 22 22")
        .await?;
    for client in [&carol, &alice, &bob] {
        client.profile.sync_once().await?;
    }
    for client in [&alice, &bob, &carol] {
        let card = only_card(client, space).await?;
        assert!(card.conflicts.is_empty());
        assert_eq!(card.fields.phone, "05 65 22 22 22");
    }

    // Filters, and a reader's refusal.
    let filter = CardFilter {
        discipline: Some("Soins infirmiers".into()),
        ..CardFilter::default()
    };
    assert_eq!(alice.profile.cards(space, &filter).await?.len(), 1);
    let none = CardFilter {
        commune: Some("Figeac".into()),
        ..CardFilter::default()
    };
    assert!(alice.profile.cards(space, &none).await?.is_empty());
    let refused = reader
        .profile
        .add_card(
            space,
            CardInput {
                name: "Intrus".into(),
                ..CardInput::default()
            },
        )
        .await
        .expect_err("a reader adds no card");
    assert_eq!(refused.code(), Code::NotAllowed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_photo_reaches_other_members_and_only_images_are_taken() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Santé", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Reader, "Bob").await?;
    let card = alice
        .profile
        .add_card(
            space,
            CardInput {
                name: "Dr Anne Roux".into(),
                kind: "person".into(),
                ..CardInput::default()
            },
        )
        .await?;
    let id = card.id.parse()?;
    let dir = tempfile::tempdir()?;
    let png = dir.path().join("anne.png");
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.extend((0..50_000u32).map(|n| (n % 251) as u8));
    std::fs::write(&png, &image)?;
    let text = dir.path().join("cv.txt");
    std::fs::write(&text, "pas une image")?;
    let refused = alice.profile.set_photo(space, id, &text).await;
    assert_eq!(refused.err().map(|e| e.code()), Some(Code::InvalidInput));
    let missing = alice
        .profile
        .set_photo(space, id, &dir.path().join("absente.jpg"))
        .await;
    assert_eq!(missing.err().map(|e| e.code()), Some(Code::FileUnreadable));
    alice.profile.set_photo(space, id, &png).await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    let photo = bob.profile.photo(space, id).await?.expect("the card has a photo");
    assert_eq!(photo.mime, "image/png");
    assert_eq!(photo.bytes, image, "the same bytes, fetched from the relay");
    alice.profile.remove_photo(space, id).await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    assert!(bob.profile.photo(space, id).await?.is_none());
    Ok(())
}
