//! A full disk, for real: the profile lives on a small tmpfs mounted in a private user
//! and mount namespace (`unshare --map-root-user --mount`, no privileges needed), filled
//! up with a file. Adding a large document, importing a directory and saving a file
//! then fail with « disk full », leave nothing half-written, and everything works again
//! once room is freed; what was stored before reaches another member intact.
//!
//! Needs util-linux's `unshare` and `mount` and unprivileged user namespaces (Debian's
//! default). Where they are not allowed, set `BASTIDE_SKIP_DISK_FULL=1` to skip.

use std::path::Path;

use bastide_relay::{Config, Server};
use tokio::process::Command;

/// The tmpfs the profile lives on.
const DISK: &str = "64m";
/// The room left once the filler has filled the disk.
const LEFT_KIB: u64 = 1024;

/// The scenario, run inside the namespace. Each step `run NAME ARGS…` keeps the CLI's
/// stdout, stderr and exit code as OUT/NAME.{out,err,rc}; `note NAME CMD…` keeps what
/// a shell command prints. OUT is outside the tmpfs, so it outlives the namespace.
const SCRIPT: &str = r#"
set -u
mount -t tmpfs -o "size=$DISK" tmpfs "$MNT" || exit 90
P=$MNT/profile
run() { local name=$1; shift; "$BASTIDE" --profile "$P" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc"; }
note() { local name=$1; shift; "$@" >"$OUT/$name" 2>&1; }
inventory() { (cd "$P" && find . -type f ! -name 'relay*' | grep -v -e '\.db-wal$' -e '\.db-shm$' | sort); }

run create space create "Mairie de Cajarc" --relay "$RELAY" --name "Claire Martin"
run event agenda add "Conseil municipal" --start 2027-01-12T18:00:00+01:00 --end 2027-01-12T20:00:00+01:00
run small doc add "$SMALL" --folder "Délibérations"
run invite space invite --role reader
mkdir -p "$MNT/out"

# Fill the disk, then give back a little room.
dd if=/dev/zero of="$MNT/filler" bs=1M status=none
truncate -s "-${LEFT_KIB}K" "$MNT/filler"
note free-full df -k --output=avail "$MNT"
note files-before inventory

run big doc add "$BIG" --folder "Délibérations"
run import contact import "$CARDS"
run get doc get "$(cat "$OUT/small.out")" --out "$MNT/out/copie.txt"
note files-after inventory
note out-after ls -A "$MNT/out"
run list-full agenda list --json

# Room again: everything works, and what failed left nothing behind.
rm -f "$MNT/filler"
run docs doc list --json
run cards-empty contact list --json
run import-again contact import "$CARDS"
run get-again doc get "$(cat "$OUT/small.out")" --out "$MNT/out/copie.txt"
note out-again ls -A "$MNT/out"
run event-again agenda add "Commission voirie" --start 2027-01-19T18:00:00+01:00 --end 2027-01-19T19:00:00+01:00
run sync sync
exit 0
"#;

struct Step {
    rc: i32,
    stdout: String,
    stderr: String,
}

fn step(out: &Path, name: &str) -> Step {
    let read = |ext: &str| std::fs::read_to_string(out.join(format!("{name}.{ext}"))).unwrap_or_default();
    Step {
        rc: read("rc").trim().parse().unwrap_or(-1),
        stdout: read("out").trim().to_owned(),
        stderr: read("err").trim().to_owned(),
    }
}

fn ok(out: &Path, name: &str) -> String {
    let s = step(out, name);
    assert_eq!(s.rc, 0, "step {name} failed: {}", s.stderr);
    s.stdout
}

fn note(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap_or_default()
}

async fn bastide(profile: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bastide"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .output()
        .await
        .expect("the bastide binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bastide {args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// 120 cards with long notes: several megabytes in the local database, far more than
/// the room left.
fn heavy_directory() -> String {
    let mut csv = String::from("Nom;Organisme;Notes\n");
    for i in 0..120 {
        csv.push_str(&format!(
            "Agent {i};Mairie de Cajarc;{}\n",
            format!("Permanence du mardi, dossier {i}. ").repeat(300)
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_cleanly_and_loses_nothing() {
    if std::env::var_os("BASTIDE_SKIP_DISK_FULL").is_some() {
        eprintln!("skipped: BASTIDE_SKIP_DISK_FULL is set");
        return;
    }
    let probe = std::process::Command::new("unshare")
        .args(["--map-root-user", "--mount", "true"])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs `unshare --map-root-user --mount` (util-linux, unprivileged user \
         namespaces); set BASTIDE_SKIP_DISK_FULL=1 where they are not allowed: {probe:?}"
    );

    let relay_data = tempfile::tempdir().unwrap();
    let server = Server::spawn(Config::new(
        "127.0.0.1:0".parse().unwrap(),
        relay_data.path().to_path_buf(),
    ))
    .await
    .unwrap();
    let relay = server.relay_addr().to_string();

    let work = tempfile::tempdir().unwrap();
    let (mnt, out) = (work.path().join("disk"), work.path().join("out"));
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let small = work.path().join("Délibération 12.txt");
    let small_bytes: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&small, &small_bytes).unwrap();
    let big = work.path().join("Plan local d'urbanisme.pdf");
    std::fs::write(&big, vec![7u8; 24 * 1024 * 1024]).unwrap();
    let cards = work.path().join("annuaire.csv");
    std::fs::write(&cards, heavy_directory()).unwrap();

    let status = Command::new("unshare")
        .args(["--map-root-user", "--mount", "bash", "-c", SCRIPT])
        .env("MNT", &mnt)
        .env("OUT", &out)
        .env("DISK", DISK)
        .env("LEFT_KIB", LEFT_KIB.to_string())
        .env("BASTIDE", env!("CARGO_BIN_EXE_bastide"))
        .env("RELAY", &relay)
        .env("SMALL", &small)
        .env("BIG", &big)
        .env("CARDS", &cards)
        .env_remove("BASTIDE_SPACE")
        .env_remove("BASTIDE_RELAY")
        .status()
        .await
        .expect("unshare runs");
    assert!(status.success(), "the scenario stopped early: {status:?}");
    let free: u64 = note(&out, "free-full")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next()
        .unwrap_or(u64::MAX);
    assert!(free <= LEFT_KIB + 64, "the disk was not full: {free} KiB free");

    // Full: each write fails as « disk full », with a sentence that says so.
    for name in ["big", "import", "get"] {
        let s = step(&out, name);
        assert_ne!(s.rc, 0, "{name} succeeded on a full disk: {}", s.stdout);
        assert!(
            s.stderr.contains("the disk is full"),
            "{name} does not say the disk is full: {}",
            s.stderr
        );
    }
    // Nothing half-written: no chunk of the big file, no partial file, no saved copy.
    assert_eq!(
        note(&out, "files-after"),
        note(&out, "files-before"),
        "files were left in the profile"
    );
    assert_eq!(note(&out, "out-after"), "", "a partial copy was left behind");
    // Reading still works on a full disk.
    let events: serde_json::Value = serde_json::from_str(&ok(&out, "list-full")).unwrap();
    assert_eq!(events.as_array().map(Vec::len), Some(1));

    // Room again: nothing of the failed writes is there, and they now succeed.
    let docs: serde_json::Value = serde_json::from_str(&ok(&out, "docs")).unwrap();
    let titles: Vec<&str> = docs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["Délibération 12"],
        "the failed document is not listed"
    );
    assert_eq!(ok(&out, "cards-empty"), "[]", "no card of the failed import");
    assert!(
        ok(&out, "import-again").starts_with("imported 120 card(s)"),
        "{}",
        step(&out, "import-again").stdout
    );
    ok(&out, "get-again");
    assert_eq!(note(&out, "out-again").trim(), "copie.txt");
    ok(&out, "event-again");
    ok(&out, "sync");

    // Another member gets all of it, intact.
    let b = tempfile::tempdir().unwrap();
    let code = ok(&out, "invite");
    bastide(b.path(), &["space", "join", &code, "--name", "Bernard"]).await;
    bastide(b.path(), &["sync"]).await;
    let events: serde_json::Value =
        serde_json::from_str(&bastide(b.path(), &["agenda", "list", "--json"]).await).unwrap();
    let mut titles: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str())
        .collect();
    titles.sort();
    assert_eq!(titles, vec!["Commission voirie", "Conseil municipal"]);
    let cards: serde_json::Value =
        serde_json::from_str(&bastide(b.path(), &["contact", "list", "--json"]).await).unwrap();
    assert_eq!(cards.as_array().map(Vec::len), Some(120));
    let copy = b.path().join("copie.txt");
    let doc = ok(&out, "small");
    bastide(b.path(), &["doc", "get", &doc, "--out", copy.to_str().unwrap()]).await;
    assert!(
        std::fs::read(&copy).unwrap() == small_bytes,
        "the document is byte for byte"
    );
    drop(server);
}
