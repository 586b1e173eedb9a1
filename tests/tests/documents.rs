//! The document base end to end: files through a real relay, and the approval chain
//! with validators online and offline.

use std::io::Write;

use bastide_core::{Code, Role, Status};
use bastide_tests::{TestRelay, create_space, invite_and_join};

/// Text that appears throughout the test file: it must appear nowhere on the relay.
const MARKER: &[u8] = b"DELIBERATION-CONFIDENTIELLE-2026";

/// A file of `size` bytes: pseudo-random, with the marker every 64 KiB.
fn sample_file(dir: &std::path::Path, size: usize) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("Compte rendu du conseil.pdf");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut stream = blake3::Hasher::new().update(b"bastide test").finalize_xof();
    let mut block = vec![0u8; 64 * 1024];
    let mut written = 0;
    while written < size {
        stream.fill(&mut block);
        block[..MARKER.len()].copy_from_slice(MARKER);
        let n = block.len().min(size - written);
        out.write_all(&block[..n])?;
        written += n;
    }
    out.flush()?;
    Ok(path)
}

fn file_hash(path: &std::path::Path) -> anyhow::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize())
}

/// Every byte stored under the relay's data folder.
fn contains_anywhere(dir: &std::path::Path, needle: &[u8]) -> anyhow::Result<bool> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let found = if path.is_dir() {
            contains_anywhere(&path, needle)?
        } else {
            std::fs::read(&path)?.windows(needle.len()).any(|w| w == needle)
        };
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_file_arrives_byte_for_byte_and_the_relay_holds_no_plaintext() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Élus", "Admin").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let work = tempfile::tempdir()?;
    let original = sample_file(work.path(), 50 * 1024 * 1024)?;

    let added = alice
        .profile
        .add_document(space, &original, "Comptes rendus")
        .await?;
    assert_eq!(added.title, "Compte rendu du conseil");
    assert_eq!(added.versions[0].file.size, 50 * 1024 * 1024);
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;

    let seen = bob.profile.documents(space).await?;
    assert_eq!(seen.len(), 1);
    let copy = work.path().join("copie.pdf");
    bob.profile
        .save_document(space, seen[0].id.parse()?, None, &copy)
        .await?;
    assert_eq!(file_hash(&copy)?, file_hash(&original)?, "byte for byte");
    assert!(
        !contains_anywhere(relay.data_dir(), MARKER)?,
        "the relay's store holds no plaintext"
    );

    // A file that cannot be read: a clear error, nothing stored.
    let missing = alice
        .profile
        .add_document(space, &work.path().join("absent.odt"), "")
        .await
        .expect_err("no such file");
    assert_eq!(missing.code(), Code::FileUnreadable);
    assert_eq!(alice.profile.documents(space).await?.len(), 1);
    // Nor written where it cannot be.
    let nowhere = bob
        .profile
        .save_document(
            space,
            seen[0].id.parse()?,
            None,
            &work.path().join("absent/dossier/x.pdf"),
        )
        .await
        .expect_err("no such folder");
    assert_eq!(nowhere.code(), Code::FileUnwritable);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_validators_approve_one_while_offline_and_every_client_agrees() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (admin, space) = create_space(&relay, "Élus", "Admin").await?;
    let maire = invite_and_join(&admin, space, Role::Validator, "Maire").await?;
    let adjoint = invite_and_join(&admin, space, Role::Validator, "Adjointe").await?;
    let agent = invite_and_join(&admin, space, Role::Editor, "Agent").await?;
    let reader = invite_and_join(&admin, space, Role::Reader, "Lecteur").await?;
    let work = tempfile::tempdir()?;
    let file = sample_file(work.path(), 200 * 1024)?;
    let everyone = [&admin, &maire, &adjoint, &agent, &reader];

    let doc = agent.profile.add_document(space, &file, "Délibérations").await?;
    let id = doc.id.parse()?;
    assert_eq!(doc.status, Status::Draft);
    agent.profile.submit_document(space, id, &[]).await?;
    agent.profile.sync_once().await?;
    for c in everyone {
        c.profile.sync_once().await?;
    }
    let awaiting = maire.profile.document(space, id).await?;
    assert_eq!(awaiting.status, Status::Awaiting);
    assert_eq!(awaiting.validators.len(), 2, "all validators of the space");

    // The adjointe approves offline; the maire online.
    adjoint.profile.decide_document(space, id, true, "").await?;
    maire.profile.decide_document(space, id, true, "").await?;
    maire.profile.sync_once().await?;
    agent.profile.sync_once().await?;
    assert_eq!(agent.profile.document(space, id).await?.status, Status::Awaiting);
    adjoint.profile.sync_once().await?;
    for c in everyone {
        c.profile.sync_once().await?;
    }
    for c in everyone {
        let d = c.profile.document(space, id).await?;
        assert_eq!(d.status, Status::Approved, "on every client");
        assert_eq!(d.decisions.iter().filter(|x| x.valid).count(), 2);
    }

    // A reader cannot approve; an edit after approval shows.
    let refused = reader
        .profile
        .decide_document(space, id, true, "")
        .await
        .expect_err("a reader does not approve");
    assert_eq!(refused.code(), Code::NotAllowed);
    let second = sample_file(work.path(), 100 * 1024)?;
    agent.profile.add_document_version(space, id, &second).await?;
    agent.profile.sync_once().await?;
    for c in everyone {
        c.profile.sync_once().await?;
        let d = c.profile.document(space, id).await?;
        assert_eq!(d.status, Status::ChangedSinceApproval);
        assert_eq!(d.versions.len(), 2, "the approved version stays");
    }

    // Resubmitted, then refused with a reason.
    agent.profile.submit_document(space, id, &[]).await?;
    agent.profile.sync_once().await?;
    maire.profile.sync_once().await?;
    let no_comment = maire.profile.decide_document(space, id, false, "  ").await;
    assert!(no_comment.is_err(), "a refusal needs a comment");
    maire
        .profile
        .decide_document(space, id, false, "Le montant est à revoir.")
        .await?;
    maire.profile.sync_once().await?;
    agent.profile.sync_once().await?;
    let d = agent.profile.document(space, id).await?;
    assert_eq!(d.status, Status::Refused);
    assert_eq!(d.decisions[0].comment, "Le montant est à revoir.");
    assert_eq!(d.decisions[0].author, "Maire");
    Ok(())
}

/// An editor adds a file offline and is made a reader before syncing: the relay
/// refuses the file and the entry, and the space keeps syncing (nothing stays stuck).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_from_a_demoted_editor_does_not_block_sync() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (admin, space) = create_space(&relay, "Élus", "Admin").await?;
    let agent = invite_and_join(&admin, space, Role::Editor, "Agent").await?;
    let work = tempfile::tempdir()?;
    let file = sample_file(work.path(), 300 * 1024)?;
    agent.profile.add_document(space, &file, "").await?;
    admin.profile.sync_once().await?;
    let member = admin
        .profile
        .members(space)
        .await?
        .into_iter()
        .find(|m| m.name == "Agent")
        .ok_or_else(|| anyhow::anyhow!("listed"))?;
    admin
        .profile
        .set_role(space, member.id.parse()?, Role::Reader)
        .await?;
    admin.profile.sync_once().await?;

    let report = agent.profile.sync_once().await?;
    assert!(report.refused >= 1, "the document's entry is refused: {report:?}");
    assert_eq!(agent.profile.pending().await?, 0, "nothing left queued");
    assert!(
        !contains_anywhere(relay.data_dir(), MARKER)?,
        "and no chunk of it stored, in clear or not"
    );
    agent.profile.sync_once().await?;
    admin.profile.sync_once().await?;
    assert!(admin.profile.documents(space).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_inside_a_file_is_found_by_every_member_without_fetching_it() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Conseil", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Reader, "Bob").await?;
    let dir = tempfile::tempdir()?;
    let minutes = dir.path().join("cr-conseil-12-janvier.txt");
    std::fs::write(
        &minutes,
        "Compte rendu du conseil municipal\nDélibération : tarifs de la restauration scolaire 2027\n",
    )?;
    let added = alice
        .profile
        .add_document(space, &minutes, "Comptes rendus")
        .await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    // Bob never fetched the file; the words inside it are found, accents folded.
    let hits = bob
        .profile
        .search(Some(space), "restauration deliberation")
        .await?;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].item, added.id);
    assert!(bob.profile.search(Some(space), "piscine").await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comment_threads_written_offline_merge_in_one_order() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Conseil", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let carol = invite_and_join(&alice, space, Role::Validator, "Carol").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("projet-budget.txt");
    std::fs::write(&path, "Projet de budget primitif")?;
    let document = alice.profile.add_document(space, &path, "Délibérations").await?;
    let id = document.id.parse()?;
    let clients = [&alice, &bob, &carol];
    for c in clients {
        c.profile.sync_once().await?;
    }
    let first = alice
        .profile
        .comment_document(space, id, None, "Merci de relire la section investissements")
        .await?;
    for c in clients {
        c.profile.sync_once().await?;
    }
    // Offline, Bob and Carol answer Alice; Carol also comments on the document.
    let first_id = first.id.parse()?;
    bob.profile
        .comment_document(
            space,
            id,
            Some(first_id),
            "Relu : le montant de la voirie est à vérifier",
        )
        .await?;
    carol
        .profile
        .comment_document(space, id, Some(first_id), "D’accord avec Bob")
        .await?;
    carol
        .profile
        .comment_document(space, id, None, "Ajouter le plan pluriannuel")
        .await?;
    let empty = bob.profile.comment_document(space, id, None, "   ").await;
    assert!(empty.is_err(), "an empty comment is refused");
    let huge = bob
        .profile
        .comment_document(space, id, None, &"x".repeat(20_001))
        .await;
    assert!(huge.is_err(), "an enormous comment is refused");
    for c in [&bob, &carol, &alice, &bob, &carol] {
        c.profile.sync_once().await?;
    }
    let seen: Vec<(String, String, String)> = alice
        .profile
        .document_comments(space, id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.parent, c.author))
        .collect();
    assert_eq!(seen.len(), 4);
    for c in [&bob, &carol] {
        let theirs: Vec<(String, String, String)> = c
            .profile
            .document_comments(space, id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.parent, c.author))
            .collect();
        assert_eq!(theirs, seen, "the same thread in the same order everywhere");
    }
    let replies: Vec<&str> = seen
        .iter()
        .filter(|(_, parent, _)| *parent == first.id)
        .map(|(_, _, author)| author.as_str())
        .collect();
    assert_eq!(replies.len(), 2);
    assert!(replies.contains(&"Bob") && replies.contains(&"Carol"));
    let hits = alice.profile.search(Some(space), "voirie").await?;
    assert_eq!(hits.len(), 1, "comments are searched: {hits:?}");
    assert_eq!(hits[0].kind, "doc.comment");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_make_new_documents_and_the_trash_is_restored_or_purged() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Mairie", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Editor, "Bob").await?;
    let dir = tempfile::tempdir()?;
    let model = dir.path().join("modele-arrete.txt");
    std::fs::write(
        &model,
        "Arrêté municipal portant réglementation de la circulation",
    )?;
    let template = alice.profile.add_document(space, &model, "Modèles").await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;

    let made = bob
        .profile
        .document_from_template(space, template.id.parse()?, "Arrêté fête votive 2027", "Arrêtés")
        .await?;
    assert_eq!(made.folder, "Arrêtés");
    assert_eq!(made.versions.len(), 1);
    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;
    let out = dir.path().join("copie.txt");
    alice
        .profile
        .save_document(space, made.id.parse()?, None, &out)
        .await?;
    assert_eq!(
        std::fs::read(&out)?,
        std::fs::read(&model)?,
        "the template's bytes"
    );
    assert_eq!(alice.profile.search(Some(space), "circulation").await?.len(), 2);

    // Bob moves his document to the trash, then restores it; Alice purges it.
    let id = made.id.parse()?;
    bob.profile.set_document_deleted(space, id, true).await?;
    assert_eq!(bob.profile.document_trash(space).await?.len(), 1);
    assert_eq!(bob.profile.documents(space).await?.len(), 1);
    bob.profile.set_document_deleted(space, id, false).await?;
    assert!(bob.profile.document_trash(space).await?.is_empty());
    bob.profile.set_document_deleted(space, id, true).await?;
    let refused = bob.profile.purge_document(space, id).await;
    assert_eq!(
        refused.err().map(|e| e.code()),
        Some(Code::NotAllowed),
        "only admins purge"
    );
    bob.profile.sync_once().await?;
    alice.profile.sync_once().await?;
    alice.profile.purge_document(space, id).await?;
    alice.profile.sync_once().await?;
    bob.profile.sync_once().await?;
    for client in [&alice, &bob] {
        assert!(client.profile.document_trash(space).await?.is_empty());
        assert_eq!(
            client.profile.documents(space).await?.len(),
            1,
            "the template stays"
        );
        assert_eq!(client.profile.search(Some(space), "circulation").await?.len(), 1);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_under_a_name_the_system_forbids_fails_clearly_and_leaves_nothing() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Mairie", "Alice").await?;
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("arrete.txt");
    std::fs::write(&source, "Arrêté municipal")?;
    let doc = alice.profile.add_document(space, &source, "Arrêtés").await?;
    let out_dir = tempfile::tempdir()?;
    // Linux forbids NUL in a file name; a missing folder is refused the same way.
    for bad in [
        out_dir.path().join("arr\0ete.txt"),
        out_dir.path().join("absent/arrete.txt"),
    ] {
        let saved = alice
            .profile
            .save_document(space, doc.id.parse()?, None, &bad)
            .await;
        assert_eq!(
            saved.err().map(|e| e.code()),
            Some(Code::FileUnwritable),
            "{}",
            bad.display()
        );
    }
    let left: Vec<_> = std::fs::read_dir(out_dir.path())?.collect();
    assert!(left.is_empty(), "nothing half-written is left: {left:?}");
    let sheet = out_dir.path().join("mal\0nomme.csv");
    let site = alice
        .profile
        .add_cantine_site(
            space,
            bastide_core::SiteInput {
                name: "École".into(),
                categories: vec![],
            },
        )
        .await?;
    let exported = alice
        .profile
        .export_meals(
            space,
            site.id.parse()?,
            "2027-01",
            bastide_core::ExportFormat::Csv,
            &sheet,
        )
        .await;
    assert_eq!(exported.err().map(|e| e.code()), Some(Code::FileUnwritable));
    assert_eq!(std::fs::read_dir(out_dir.path())?.count(), 0);
    Ok(())
}

/// A file of `n` MiB whose chunks differ from each other.
fn chunky_file(dir: &std::path::Path, n: usize) -> anyhow::Result<std::path::PathBuf> {
    let path = dir.join("plan-local-urbanisme.bin");
    let mut out = std::fs::File::create(&path)?;
    for i in 0..n * 1024 {
        out.write_all(&[(i % 251) as u8; 1024])?;
    }
    Ok(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_transfer_resumes_with_only_the_missing_chunks() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (alice, space) = create_space(&relay, "Urbanisme", "Alice").await?;
    let bob = invite_and_join(&alice, space, Role::Reader, "Bob").await?;
    let dir = tempfile::tempdir()?;
    let source = chunky_file(dir.path(), 8)?;
    let doc = alice.profile.add_document(space, &source, "PLU").await?;
    let chunks = doc.versions[0].file.chunks.clone();
    assert_eq!(chunks.len(), 8);
    let on_relay = |id: &str| relay.data_dir().join("blobs").join(space.to_string()).join(id);

    // Upload: half the chunks reached the relay before the line dropped (sent here by
    // hand); the next sync sends only the other half, leaving those four untouched.
    let raw = alice.raw(&relay).await?;
    for id in &chunks[..4] {
        let bytes = std::fs::read(alice.dir().join("blobs").join(id))?;
        let raw_id: [u8; 32] = hex::decode(id)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("chunk id"))?;
        raw.put_chunk(space, raw_id, bytes).await?;
    }
    let before: Vec<std::time::SystemTime> = chunks[..4]
        .iter()
        .map(|id| std::fs::metadata(on_relay(id)).and_then(|m| m.modified()))
        .collect::<Result<_, _>>()?;
    alice.profile.sync_once().await?;
    for id in &chunks {
        assert!(on_relay(id).exists(), "chunk {id} reached the relay");
    }
    let after: Vec<std::time::SystemTime> = chunks[..4]
        .iter()
        .map(|id| std::fs::metadata(on_relay(id)).and_then(|m| m.modified()))
        .collect::<Result<_, _>>()?;
    assert_eq!(before, after, "chunks the relay had were not sent again");

    // Download: Bob fetched the file once; then half his cache is lost. The next fetch
    // takes only those from the relay: the other half is gone from the relay and the
    // fetch still succeeds, from his cache.
    bob.profile.sync_once().await?;
    let id = doc.id.parse()?;
    let first = dir.path().join("copie-1.bin");
    bob.profile.save_document(space, id, None, &first).await?;
    for chunk in &chunks[..4] {
        std::fs::remove_file(bob.dir().join("blobs").join(chunk))?;
    }
    for chunk in &chunks[4..] {
        std::fs::remove_file(on_relay(chunk))?;
    }
    let second = dir.path().join("copie-2.bin");
    bob.profile.save_document(space, id, None, &second).await?;
    assert_eq!(file_hash(&second)?, file_hash(&source)?, "byte for byte");
    Ok(())
}
