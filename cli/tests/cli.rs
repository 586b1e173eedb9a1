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

async fn ok(profile: &Path, args: &[&str]) -> String {
    let out = bastide(profile, args).await;
    assert!(out.ok, "bastide {args:?} failed: {}", out.stderr);
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_share_an_agenda_through_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::spawn(Config::new(
        "127.0.0.1:0".parse().unwrap(),
        data.path().to_path_buf(),
    ))
    .await
    .unwrap();
    let relay = server.relay_addr().to_string();
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
