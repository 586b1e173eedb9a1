//! The `bastide` command as scripts use it, against a real relay on 127.0.0.1.

use std::path::Path;

use bastide_relay::{Config, Server};
use tokio::process::Command;

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn bastide(profile: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_bastide"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env_remove("BASTIDE_SPACE")
        .env_remove("BASTIDE_RELAY")
        .output()
        .await
        .expect("the bastide binary runs");
    Output {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    }
}

/// A relay on 127.0.0.1 with its own data folder (kept while the returned folder
/// lives), and its address.
async fn relay() -> (Server, String, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let server = Server::spawn(Config::new(
        "127.0.0.1:0".parse().unwrap(),
        data.path().to_path_buf(),
    ))
    .await
    .unwrap();
    let addr = server.relay_addr().to_string();
    (server, addr, data)
}

async fn ok(profile: &Path, args: &[&str]) -> String {
    let out = bastide(profile, args).await;
    assert!(out.ok, "bastide {args:?} failed: {}", out.stderr);
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_share_an_agenda_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let space = ok(a.path(), &["space", "create", "Pays — agents", "--relay", &relay]).await;
    assert_eq!(space.len(), 32, "space create prints only the id: {space:?}");
    let code = ok(a.path(), &["space", "invite", &space]).await;
    assert!(
        code.starts_with("BSTD1-") && !code.contains('\n'),
        "space invite prints only the code"
    );
    assert_eq!(ok(b.path(), &["space", "join", &code]).await, space);

    let id = ok(
        a.path(),
        &[
            "agenda",
            "add",
            "Conseil communautaire",
            "--start",
            "2026-12-01T18:00:00+01:00",
            "--end",
            "2026-12-01T20:00:00+01:00",
            "--place",
            "Mairie",
        ],
    )
    .await;
    assert_eq!(id.len(), 32, "agenda add prints only the event id: {id:?}");
    ok(a.path(), &["sync"]).await;
    ok(b.path(), &["sync"]).await;

    let listed: serde_json::Value =
        serde_json::from_str(&ok(b.path(), &["agenda", "list", "--json"]).await).unwrap();
    let events = listed.as_array().expect("a JSON array");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], id.as_str());
    assert_eq!(events[0]["title"], "Conseil communautaire");
    assert_eq!(events[0]["start"], "2026-12-01T18:00:00+01:00");
    assert_eq!(events[0]["end"], "2026-12-01T20:00:00+01:00");
    assert_eq!(events[0]["place"], "Mairie");

    // Bad input: a clear error on stderr, a non-zero exit, nothing stored.
    let empty = bastide(
        a.path(),
        &[
            "agenda",
            "add",
            " ",
            "--start",
            "2026-12-01T18:00:00+01:00",
            "--end",
            "2026-12-01T20:00:00+01:00",
        ],
    )
    .await;
    assert!(
        !empty.ok && empty.stderr.contains("title is empty"),
        "{}",
        empty.stderr
    );
    let backwards = bastide(
        a.path(),
        &[
            "agenda",
            "add",
            "X",
            "--start",
            "2026-12-01T18:00:00+01:00",
            "--end",
            "2026-12-01T17:00:00+01:00",
        ],
    )
    .await;
    assert!(
        !backwards.ok && backwards.stderr.contains("before the start"),
        "{}",
        backwards.stderr
    );
    let bad_code = bastide(b.path(), &["space", "join", "BSTD1-nope"]).await;
    assert!(
        !bad_code.ok && bad_code.stderr.contains("invitation"),
        "{}",
        bad_code.stderr
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(a.path(), &["agenda", "list", "--json"]).await).unwrap();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "refused events are not stored"
    );

    server.shutdown().await;
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A refusal: non-zero exit, one line on stderr saying why.
async fn refused(profile: &Path, args: &[&str], why: &str) {
    let out = bastide(profile, args).await;
    assert!(!out.ok, "bastide {args:?} should fail");
    assert!(
        out.stderr.contains(why) && !out.stderr.contains('\n'),
        "bastide {args:?}: expected one line with {why:?}, got {:?}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_roles_removals_and_second_devices_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let profiles: Vec<tempfile::TempDir> = (0..5).map(|_| tempfile::tempdir().unwrap()).collect();
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| profiles[i].path());

    let space = ok(
        a,
        &[
            "space",
            "create",
            "Élus",
            "--relay",
            &relay,
            "--name",
            "Anne",
            "--function",
            "Secrétaire",
        ],
    )
    .await;
    let reader_code = ok(
        a,
        &[
            "space",
            "invite",
            &space,
            "--role",
            "reader",
            "--expires-days",
            "3",
        ],
    )
    .await;
    assert!(reader_code.starts_with("BSTD1-") && !reader_code.contains('\n'));
    ok(
        b,
        &[
            "space",
            "join",
            &reader_code,
            "--name",
            "Bruno",
            "--organisation",
            "Mairie",
        ],
    )
    .await;
    let editor_code = ok(a, &["space", "invite", &space, "--role", "editor"]).await;
    ok(c, &["space", "join", &editor_code, "--name", "Chloé"]).await;
    refused(
        d,
        &["space", "join", &reader_code, "--name", "Denis"],
        "already used",
    )
    .await;
    let mayor = bastide(a, &["space", "invite", &space, "--role", "mayor"]).await;
    assert!(
        !mayor.ok
            && mayor
                .stderr
                .lines()
                .next()
                .is_some_and(|l| l.contains("unknown role")),
        "an unknown role is named on the first line: {}",
        mayor.stderr
    );
    refused(
        a,
        &["space", "invite", &space, "--expires-days", "365"],
        "1 to 90 days",
    )
    .await;

    // A withdrawn code is refused.
    let withdrawn = ok(a, &["space", "invite", &space]).await;
    let invitations = json(&ok(a, &["space", "invitations", &space, "--json"]).await);
    let open: Vec<&serde_json::Value> = invitations
        .as_array()
        .expect("an array")
        .iter()
        .filter(|i| i["used"] == false && i["revoked"] == false)
        .collect();
    assert_eq!(open.len(), 1, "one open invitation: {invitations}");
    ok(a, &["space", "revoke", &space, open[0]["id"].as_str().unwrap()]).await;
    refused(d, &["space", "join", &withdrawn], "revoked").await;

    ok(a, &["sync"]).await;
    let members = json(&ok(a, &["space", "members", &space, "--json"]).await);
    let members = members.as_array().expect("an array");
    assert_eq!(members.len(), 3);
    let find = |name: &str| {
        members
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed"))
            .clone()
    };
    let (bruno, chloe) = (find("Bruno"), find("Chloé"));
    assert_eq!(bruno["role"], "reader");
    assert_eq!(bruno["organisation"], "Mairie");
    assert_eq!(bruno["devices"].as_array().map(Vec::len), Some(1));
    assert_eq!(chloe["role"], "editor");
    let me = members
        .iter()
        .find(|m| m["isMe"] == true)
        .expect("the admin is listed as me");
    assert_eq!(me["role"], "admin");
    assert_eq!(
        (&me["name"], &me["function"]),
        (&"Anne".into(), &"Secrétaire".into())
    );
    let (bruno_id, chloe_id, me_id) = (
        bruno["id"].as_str().unwrap().to_owned(),
        chloe["id"].as_str().unwrap().to_owned(),
        me["id"].as_str().unwrap().to_owned(),
    );

    // A reader cannot write; a non-admin cannot change roles; the last admin stays.
    let add = [
        "agenda",
        "add",
        "Permanence",
        "--start",
        "2026-12-01T09:00:00+01:00",
        "--end",
        "2026-12-01T10:00:00+01:00",
    ];
    refused(b, &add, "reader").await;
    refused(c, &["space", "role", &space, &chloe_id, "admin"], "not an admin").await;
    refused(
        a,
        &["space", "role", &space, &me_id, "reader"],
        "at least one admin",
    )
    .await;

    // Promoted, Bruno writes.
    ok(a, &["space", "role", &space, &bruno_id, "editor"]).await;
    ok(b, &["sync"]).await;
    let event = ok(b, &add).await;
    ok(b, &["sync"]).await;
    ok(a, &["sync"]).await;
    let history = json(&ok(a, &["agenda", "history", &event, "--json"]).await);
    assert_eq!(history[0]["author"], "Bruno", "{history}");

    // Chloé is removed: her next sync says so.
    ok(a, &["space", "remove", &space, &chloe_id]).await;
    refused(c, &["sync"], "not a member").await;

    // Bruno adds his laptop, which reads the agenda as him.
    let device_code = ok(b, &["device", "add"]).await;
    assert!(device_code.starts_with("BSTD1-") && !device_code.contains('\n'));
    assert_eq!(ok(e, &["device", "join", &device_code]).await, space);
    let listed = json(&ok(e, &["agenda", "list", "--json"]).await);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    refused(d, &["device", "join", &device_code], "already used").await;
    refused(d, &["space", "join", &device_code], "second device").await;
    ok(a, &["sync"]).await;
    let members = json(&ok(a, &["space", "members", &space, "--json"]).await);
    let bruno = members
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "Bruno"))
        .expect("Bruno is listed")
        .clone();
    assert_eq!(bruno["devices"].as_array().map(Vec::len), Some(2));

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (a.path(), b.path());
    ok(a, &["space", "create", "Santé", "--relay", &relay]).await;
    let code = ok(a, &["space", "invite"]).await;
    ok(b, &["space", "join", &code, "--name", "Bertrand"]).await;

    let id = ok(
        a,
        &[
            "contact",
            "add",
            "Dr Anne Roux",
            "--org",
            "Maison de santé",
            "--discipline",
            "Médecine générale",
        ],
    )
    .await;
    assert_eq!(id.len(), 32, "contact add prints only the id: {id:?}");
    ok(
        a,
        &["contact", "add", "Office de tourisme", "--kind", "organisation"],
    )
    .await;
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    let listed = json(&ok(b, &["contact", "list", "--json"]).await);
    let cards = listed.as_array().expect("an array");
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[0]["name"], "Dr Anne Roux", "sorted by name");
    assert_eq!(cards[0]["organisation"], "Maison de santé");
    assert_eq!(cards[0]["discipline"], "Médecine générale");
    assert_eq!(cards[0]["id"], id.as_str());
    assert_eq!(cards[1]["kind"], "organisation");
    let filtered = json(
        &ok(
            b,
            &["contact", "list", "--json", "--discipline", "Médecine générale"],
        )
        .await,
    );
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));

    let found = json(&ok(b, &["search", "sante", "--json"]).await);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["item"], id.as_str());
    assert_eq!(found[0]["kind"], "directory.card");
    refused(a, &["contact", "add", " "], "needs a name").await;
    refused(a, &["contact", "add", "X", "--status", "interne"], "titulaire").await;

    // Importing: a file with wrong lines names each one and stores nothing.
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("annuaire.csv");
    std::fs::write(
        &bad,
        "Prénom;Nom;Organisme;Début\nPaul;Petit;Cabinet de Limogne;\n;;Mairie;\nMarc;Grand;;demain\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let out = bastide(a, &["contact", "import", bad]).await;
    assert!(!out.ok, "a malformed file was imported");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    assert!(lines[0].ends_with("line 3: the name is missing"), "{}", lines[0]);
    assert!(
        lines[1].contains("line 4: status_from: \"demain\" is not a date"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("nothing imported: 2 problem(s)"),
        "{}",
        lines[2]
    );
    let dry = json(&ok(a, &["contact", "import", bad, "--dry-run", "--json"]).await);
    assert_eq!(
        (dry["cards"].as_u64(), dry["problemCount"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(dry["problems"][0]["kind"], "missing_name");
    assert_eq!(
        json(&ok(a, &["contact", "list", "--json"]).await)
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // The corrected file, and a vCard: imported whole, the card already there left out.
    let good = files.path().join("annuaire-corrigé.csv");
    std::fs::write(
        &good,
        "Prénom;Nom;Organisme\nPaul;Petit;Cabinet de Limogne\n;Dr Anne Roux;Maison de santé\n",
    )
    .unwrap();
    let report = json(&ok(a, &["contact", "import", good.to_str().unwrap(), "--json"]).await);
    assert_eq!(
        (report["added"].as_u64(), report["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let vcf = files.path().join("contacts.vcf");
    std::fs::write(
        &vcf,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cécile Durand\r\nORG:Office de tourisme\r\nEND:VCARD\r\n",
    )
    .unwrap();
    assert_eq!(
        ok(a, &["contact", "import", vcf.to_str().unwrap()]).await,
        "imported 1 card(s), 0 already in the directory"
    );
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    let names: Vec<String> = json(&ok(b, &["contact", "list", "--json"]).await)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "Cécile Durand",
            "Dr Anne Roux",
            "Office de tourisme",
            "Paul Petit"
        ]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forums_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (a.path(), b.path());
    ok(
        a,
        &["space", "create", "Culture", "--relay", &relay, "--name", "Anne"],
    )
    .await;
    let code = ok(a, &["space", "invite"]).await;
    ok(b, &["space", "join", &code, "--name", "Bertrand"]).await;

    let post = ok(a, &["forum", "post", "Festival", "Qui fait les affiches ?"]).await;
    assert_eq!(post.len(), 32, "forum post prints only the id: {post:?}");
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    let reply = ok(b, &["forum", "reply", &post, "Moi, @Anne", "--quote", "affiches"]).await;
    ok(b, &["sync"]).await;
    ok(a, &["sync"]).await;
    let again = ok(a, &["forum", "post", "Festival", "Merci !"]).await;
    assert_ne!(again, post);

    let listed = json(&ok(a, &["forum", "list", "--json"]).await);
    let topics = listed.as_array().expect("an array");
    assert_eq!(topics.len(), 1, "the second post went to the same topic");
    assert_eq!(topics[0]["title"], "Festival");
    let messages = topics[0]["messages"].as_array().expect("messages");
    let ids: Vec<&str> = messages.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, vec![post.as_str(), reply.as_str(), again.as_str()]);
    assert_eq!(messages[1]["author"], "Bertrand");
    assert_eq!(messages[1]["parent"], post.as_str());
    assert_eq!(messages[1]["mentionsMe"], true);

    refused(a, &["forum", "post", "Festival", "   "], "empty").await;
    refused(a, &["forum", "reply", &"0".repeat(32), "x"], "no item").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_and_approvals_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [agent, maire, work] = [0, 1, 2].map(|i| dirs[i].path());
    ok(
        agent,
        &["space", "create", "Élus", "--relay", &relay, "--name", "Agent"],
    )
    .await;
    let code = ok(agent, &["space", "invite", "--role", "validator"]).await;
    ok(maire, &["space", "join", &code, "--name", "Maire"]).await;

    let file = work.join("Budget 2027.ods");
    std::fs::write(&file, "Budget primitif 2027").unwrap();
    let id = ok(
        agent,
        &["doc", "add", file.to_str().unwrap(), "--folder", "Délibérations"],
    )
    .await;
    assert_eq!(id.len(), 32, "doc add prints only the id: {id:?}");
    let shown = json(&ok(agent, &["doc", "show", &id, "--json"]).await);
    assert_eq!(shown["status"], "draft");
    assert_eq!(shown["folder"], "Délibérations");
    ok(agent, &["doc", "submit", &id, "--validators", "all"]).await;
    ok(agent, &["sync"]).await;
    ok(maire, &["sync"]).await;
    assert_eq!(
        json(&ok(maire, &["doc", "show", &id, "--json"]).await)["status"],
        "awaiting"
    );
    let out = work.join("copie.ods");
    ok(maire, &["doc", "get", &id, "--out", out.to_str().unwrap()]).await;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "Budget primitif 2027");
    ok(maire, &["doc", "approve", &id]).await;
    ok(maire, &["sync"]).await;
    ok(agent, &["sync"]).await;
    assert_eq!(
        json(&ok(agent, &["doc", "show", &id, "--json"]).await)["status"],
        "approved"
    );

    std::fs::write(&file, "Budget primitif 2027, amendé").unwrap();
    ok(agent, &["doc", "version", &id, file.to_str().unwrap()]).await;
    let shown = json(&ok(agent, &["doc", "show", &id, "--json"]).await);
    assert_eq!(shown["status"], "changed_since_approval");
    assert_eq!(shown["versions"].as_array().map(Vec::len), Some(2));
    ok(agent, &["doc", "submit", &id]).await;
    ok(agent, &["sync"]).await;
    ok(maire, &["sync"]).await;
    ok(maire, &["doc", "refuse", &id, "--comment", "Montant à revoir"]).await;
    assert_eq!(
        json(&ok(maire, &["doc", "show", &id, "--json"]).await)["status"],
        "refused"
    );
    let first = work.join("v1.ods");
    ok(
        maire,
        &[
            "doc",
            "get",
            &id,
            "--out",
            first.to_str().unwrap(),
            "--version",
            "1",
        ],
    )
    .await;
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "Budget primitif 2027");

    refused(agent, &["doc", "add", "/nonexistent/file.pdf"], "cannot read").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_and_meal_counts_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (a.path(), b.path());
    ok(a, &["space", "create", "Mairie", "--relay", &relay]).await;
    let code = ok(a, &["space", "invite", "--role", "editor"]).await;
    ok(b, &["space", "join", &code, "--name", "Bertrand"]).await;

    let room = ok(a, &["resource", "add", "Salle du conseil", "--kind", "room"]).await;
    assert_eq!(room.len(), 32, "resource add prints only the id: {room:?}");
    refused(a, &["resource", "add", "Tracteur", "--kind", "tractor"], "kind").await;
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;

    // Offline, each books an overlapping time; each knows only its own.
    let first = ok(
        a,
        &[
            "booking",
            "add",
            &room,
            "--start",
            "2027-01-12T14:00:00+01:00",
            "--end",
            "2027-01-12T16:00:00+01:00",
            "--title",
            "CCAS",
        ],
    )
    .await;
    let second = ok(
        b,
        &[
            "booking",
            "add",
            "Salle du conseil",
            "--start",
            "2027-01-12T15:00:00+01:00",
            "--end",
            "2027-01-12T17:00:00+01:00",
        ],
    )
    .await;
    // A third, overlapping what A knows, is refused at once.
    refused(
        a,
        &[
            "booking",
            "add",
            &room,
            "--start",
            "2027-01-12T15:30:00+01:00",
            "--end",
            "2027-01-12T18:00:00+01:00",
        ],
        "already booked",
    )
    .await;
    refused(
        a,
        &[
            "booking",
            "add",
            &room,
            "--start",
            "2027-01-13T15:30:00+01:00",
            "--end",
            "2027-01-13T15:00:00+01:00",
        ],
        "before the start",
    )
    .await;
    for p in [a, b, a] {
        ok(p, &["sync"]).await;
    }
    let mut seen = Vec::new();
    for p in [a, b] {
        let listed = json(&ok(p, &["booking", "list", "--json"]).await);
        let slots = listed.as_array().expect("an array").clone();
        assert_eq!(slots.len(), 2, "{listed}");
        let statuses: Vec<(&str, &str)> = slots
            .iter()
            .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            statuses,
            [(first.as_str(), "confirmed"), (second.as_str(), "conflict")],
            "the later booking is in conflict"
        );
        assert_eq!(slots[1]["resource"], room.as_str());
        assert!(
            slots[1]["start"]
                .as_str()
                .unwrap()
                .starts_with("2027-01-12T14:00:00")
        );
        let mut listed = listed;
        for slot in listed.as_array_mut().unwrap() {
            slot.as_object_mut().unwrap().remove("mine");
        }
        seen.push(listed);
    }
    assert_eq!(seen[0], seen[1], "the same on both computers (but for `mine`)");
    ok(b, &["booking", "cancel", &second]).await;
    let after = json(&ok(b, &["booking", "list", "--json"]).await);
    assert_eq!(after[1]["status"], "cancelled");

    // Cantine: two counts for one cell offline, then one chosen and exported.
    let site = ok(a, &["cantine", "site", "add", "École des Tilleuls"]).await;
    assert_eq!(site.len(), 32);
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    ok(a, &["cantine", "set", &site, "2027-01-12", "maternelle", "24"]).await;
    ok(
        b,
        &[
            "cantine",
            "set",
            "École des Tilleuls",
            "2027-01-12",
            "maternelle",
            "25",
        ],
    )
    .await;
    ok(b, &["cantine", "set", &site, "2027-01-12", "adulte", "3"]).await;
    refused(
        b,
        &["cantine", "set", &site, "2027-01-12", "adulte", "-3"],
        "invalid meal count",
    )
    .await;
    refused(
        b,
        &["cantine", "set", &site, "2027-01-12", "adulte", "999999"],
        "invalid meal count",
    )
    .await;
    for p in [a, b, a] {
        ok(p, &["sync"]).await;
    }
    let sheet = json(&ok(a, &["cantine", "show", &site, "2027-01", "--json"]).await);
    assert_eq!(sheet["conflicts"], 1, "{sheet}");
    let values = sheet["days"][11]["cells"]["maternelle"]["values"]
        .as_array()
        .unwrap();
    let mut both: Vec<(u64, &str)> = values
        .iter()
        .map(|v| (v["count"].as_u64().unwrap(), v["author"].as_str().unwrap()))
        .collect();
    both.sort();
    assert_eq!(both[0].0, 24);
    assert_eq!(both[1], (25, "Bertrand"));
    ok(a, &["cantine", "set", &site, "2027-01-12", "maternelle", "25"]).await;
    let out = a.join("janvier.csv");
    ok(
        a,
        &[
            "cantine",
            "export",
            &site,
            "2027-01",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains("2027-01-12;25;;3;28"), "{csv}");
    let xlsx = a.join("janvier.xlsx");
    ok(
        a,
        &[
            "cantine",
            "export",
            &site,
            "2027-01",
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    )
    .await;
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    refused(
        a,
        &[
            "cantine",
            "export",
            &site,
            "2027-01",
            "--out",
            "/nonexistent-folder/x.csv",
        ],
        "cannot write",
    )
    .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (a.path(), b.path());
    ok(a, &["space", "create", "Agenda 21", "--relay", &relay]).await;
    let code = ok(a, &["space", "invite", "--role", "reader"]).await;
    ok(b, &["space", "join", &code, "--name", "Bertrand"]).await;

    refused(a, &["poll", "create", "Sans choix ?"], "at least one option").await;
    let poll = ok(
        a,
        &[
            "poll",
            "create",
            "Quel jour pour le marché bio ?",
            "--option",
            "Samedi",
            "--option",
            "Dimanche",
            "--anonymous",
        ],
    )
    .await;
    assert_eq!(poll.len(), 32, "poll create prints only the id: {poll:?}");
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    refused(b, &["poll", "vote", &poll, "Lundi"], "not an option").await;
    ok(b, &["poll", "vote", &poll, "Dimanche"]).await;
    ok(a, &["poll", "vote", &poll, "1"]).await;
    ok(b, &["sync"]).await;
    ok(a, &["sync"]).await;
    let results = json(&ok(a, &["poll", "results", &poll, "--json"]).await);
    assert_eq!(results["ballots"], 2, "{results}");
    assert_eq!(results["options"][0]["option"], "Samedi");
    assert_eq!(results["options"][0]["votes"], 1);
    assert_eq!(results["options"][1]["votes"], 1);
    assert_eq!(results["poll"]["anonymous"], true);
    ok(a, &["poll", "close", &poll]).await;
    refused(a, &["poll", "vote", &poll, "Samedi"], "closed").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotas_rosters_and_the_board_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (a.path(), b.path());
    ok(
        a,
        &[
            "space",
            "create",
            "Réseau santé",
            "--relay",
            &relay,
            "--name",
            "Alice",
        ],
    )
    .await;
    let code = ok(a, &["space", "invite", "--role", "editor"]).await;
    ok(b, &["space", "join", &code, "--name", "Bertrand"]).await;

    let team = ok(
        a,
        &["team", "add", "Accueil", "--person", "Anne", "--person", "Bruno"],
    )
    .await;
    assert_eq!(team.len(), 32);
    ok(a, &["rota", "set", "Accueil", "2027-01-11", "Anne", "Matin"]).await;
    ok(a, &["rota", "copy", &team, "2027-01-18"]).await;
    let week = json(&ok(a, &["rota", "show", "Accueil", "2027-01-20", "--json"]).await);
    assert_eq!(week["monday"], "2027-01-18");
    assert_eq!(week["cells"]["2027-01-18|Anne"][0], "Matin");
    let out = a.join("semaine.csv");
    ok(
        a,
        &[
            "rota",
            "export",
            &team,
            "2027-01-18",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert!(std::fs::read_to_string(&out).unwrap().contains("Anne;Matin;"));

    let roster = ok(a, &["roster", "add", "Garde infirmière"]).await;
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    ok(
        a,
        &[
            "roster",
            "slot",
            &roster,
            "--start",
            "2027-01-15T19:00:00+01:00",
            "--end",
            "2027-01-16T07:00:00+01:00",
            "Alice",
        ],
    )
    .await;
    let swap = ok(
        a,
        &["roster", "swap", &roster, "2027-01-15T19:00:00+01:00", "Bertrand"],
    )
    .await;
    ok(a, &["sync"]).await;
    ok(b, &["sync"]).await;
    refused(a, &["roster", "accept", &roster, &swap], "only the member asked").await;
    ok(b, &["roster", "accept", &roster, &swap]).await;
    ok(b, &["sync"]).await;
    ok(a, &["sync"]).await;
    let shown = json(&ok(a, &["roster", "show", "--json"]).await);
    assert_eq!(shown[0]["slots"][0]["name"], "Bertrand", "{shown}");
    assert_eq!(shown[0]["swaps"][0]["status"], "accepted");

    let ad = ok(
        b,
        &[
            "board",
            "add",
            "Studio meublé",
            "--category",
            "housing",
            "--commune",
            "Figeac",
        ],
    )
    .await;
    refused(b, &["board", "add", "Vélo", "--category", "voiture"], "category").await;
    ok(b, &["sync"]).await;
    ok(a, &["sync"]).await;
    let listed = json(&ok(a, &["board", "list", "--json", "--category", "housing"]).await);
    assert_eq!(listed[0]["id"], ad.as_str());
    assert_eq!(listed[0]["author"], "Bertrand");
    ok(b, &["board", "close", &ad]).await;
    let open = json(&ok(b, &["board", "list", "--json"]).await);
    assert_eq!(open.as_array().map(Vec::len), Some(0));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_trash_and_comments_through_the_command_line() {
    let (server, relay, _data) = relay().await;
    let a = tempfile::tempdir().unwrap();
    let a = a.path();
    ok(a, &["space", "create", "Mairie", "--relay", &relay]).await;
    let model = a.join("modele.txt");
    std::fs::write(&model, "Modèle de convocation au conseil").unwrap();
    let template = ok(a, &["doc", "add", model.to_str().unwrap(), "--folder", "Modèles"]).await;
    let made = ok(
        a,
        &[
            "doc",
            "new",
            "--template",
            &template,
            "Convocation 12 janvier",
            "--folder",
            "Conseil",
        ],
    )
    .await;
    assert_eq!(made.len(), 32);
    let comment = ok(a, &["doc", "comment", &made, "Ajouter l’ordre du jour"]).await;
    ok(a, &["doc", "comment", &made, "Fait", "--reply", &comment]).await;
    refused(a, &["doc", "comment", &made, "  "], "empty").await;
    let comments = json(&ok(a, &["doc", "comments", &made, "--json"]).await);
    assert_eq!(comments.as_array().map(Vec::len), Some(2));
    assert_eq!(comments[1]["parent"], comment.as_str());
    ok(a, &["doc", "delete", &made]).await;
    let trash = json(&ok(a, &["doc", "list", "--trash", "--json"]).await);
    assert_eq!(trash[0]["id"], made.as_str());
    ok(a, &["doc", "purge", &made]).await;
    let trash = json(&ok(a, &["doc", "list", "--trash", "--json"]).await);
    assert_eq!(trash.as_array().map(Vec::len), Some(0));
    refused(a, &["doc", "purge", &template], "only a document in the trash").await;
    server.shutdown().await;
}
