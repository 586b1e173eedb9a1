//! Files on the user's computer: references that name paths, the profile's modes.

use super::*;

#[tokio::test]
async fn a_photo_reference_naming_a_path_is_refused_and_writes_nothing() {
    use automerge::ROOT;
    use automerge::transaction::Transactable;

    let (space, dir, p) = replica().await;
    let card = p
        .add_card(
            space,
            crate::CardInput {
                name: "Dr Anne Roux".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id: ItemId = card.id.parse().unwrap();
    // What a patched client could write: a hash that walks out of `photos/`.
    let hex = "ab".repeat(32);
    let forged = serde_json::json!({
        "size": 10,
        "hash": "../../escaped",
        "key": hex,
        "chunks": [hex],
    })
    .to_string();
    p.edit_item(space, id, crate::directory::KIND, |doc, _, _| {
        doc.put(ROOT, "photo", forged.as_str())?;
        Ok(())
    })
    .await
    .unwrap();
    let refused = p.photo(space, id).await.unwrap_err();
    assert_eq!(refused.code(), crate::Code::InvalidInput, "{refused}");
    assert!(!dir.path().join("escaped").exists());
    assert!(!dir.path().parent().unwrap().join("escaped").exists());
}

#[test]
fn only_hashes_name_files() {
    assert!(crate::files::is_hash(&"0f".repeat(32)));
    for bad in [
        "",
        "..",
        "../x",
        &"0F".repeat(32),
        &"0f".repeat(31),
        &format!("{}/", "0f".repeat(32)),
    ] {
        assert!(!crate::files::is_hash(bad), "{bad:?}");
    }
}

/// Health directories are sensitive: other users of the computer reach nothing of a
/// profile, including one made by an older version with looser modes.
#[cfg(unix)]
#[tokio::test]
async fn the_profile_folder_and_database_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("profil");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.join(crate::store::DB_FILE);
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();

    let key = crate::device::load_or_create_file_key(&dir).unwrap();
    let p = Profile::open(&dir, key).await.unwrap();
    p.set_display_name("Claire").await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    for name in [
        crate::store::DB_FILE.to_owned(),
        format!("{}-wal", crate::store::DB_FILE),
    ] {
        assert_eq!(mode(&dir.join(&name)), 0o600, "{name}");
    }
    // A file added to the profile: its encrypted chunks too.
    let file = parent.path().join("note.txt");
    std::fs::write(&file, "Ordre du jour").unwrap();
    let mut conn = p.pool.acquire().await.unwrap();
    let added = crate::files::import(&mut conn, &dir, SpaceId([9; 16]), &file)
        .await
        .unwrap();
    for chunk in &added.chunks {
        assert_eq!(mode(&dir.join("blobs").join(chunk)), 0o600);
    }
}
