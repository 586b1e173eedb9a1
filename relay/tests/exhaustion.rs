//! Slow-loris against the real `bastide-relay` binary: 50 connections × 64 streams
//! announce 16 MiB frames and then trickle or stall, some before authenticating and
//! some after (as strangers: any key can authenticate). The relay must stay under
//! 300 MB of memory and keep serving an ordinary member.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bastide_core::sync::{RelayConnection, connect_pinned};
use bastide_core::{EventInput, MemberInfo, Profile, Role};
use bastide_proto::{DeviceKey, RelayAddr};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const CONNECTIONS: usize = 50;
const STREAMS: usize = 64;
const ANNOUNCED: u32 = 16 * 1024 * 1024;
/// What each stream tries to send after its length prefix before stalling.
const TRICKLE: usize = 1024 * 1024;
const MEMORY_CEILING: u64 = 300 * 1024 * 1024;

struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Relay {
    fn start(data: &std::path::Path) -> anyhow::Result<(Self, RelayAddr)> {
        let child = Command::new(env!("CARGO_BIN_EXE_bastide-relay"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut relay = Relay(child);
        let stdout = relay
            .0
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("stdout is piped"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("relay: ")
            .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
            .parse()?;
        Ok((relay, addr))
    }

    /// The most memory the process has held (peak resident set), in bytes.
    fn peak_memory(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc status"))?;
        let kib: u64 = line
            .trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kib * 1024)
    }
}

/// One attacking stream: a length prefix (then says so), then, once `go` says, up to
/// [`TRICKLE`] bytes as fast as the relay takes them, then nothing.
async fn attack_stream(
    connection: quinn::Connection,
    announced: u32,
    body: usize,
    started: mpsc::Sender<()>,
    go: Arc<tokio::sync::Notify>,
    sent_total: Arc<AtomicU64>,
) {
    let Ok((mut send, _recv)) = connection.open_bi().await else {
        let _ = started.send(()).await;
        return;
    };
    let prefix_sent = send.write_all(&announced.to_be_bytes()).await.is_ok();
    let _ = started.send(()).await;
    go.notified().await;
    if prefix_sent {
        let slice = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < body {
            if send.write_all(&slice).await.is_err() {
                break;
            }
            sent += slice.len();
            sent_total.fetch_add(slice.len() as u64, Ordering::Relaxed);
        }
    }
    // Stall with the stream open until the test ends.
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_leaves_the_relay_under_300_mb_and_serving_members() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let (relay, addr) = Relay::start(data.path())?;

    let mut held = Vec::new();
    let mut attackers = JoinSet::new();
    let (started_tx, mut started) = mpsc::channel(CONNECTIONS * STREAMS);
    let go = Arc::new(tokio::sync::Notify::new());
    let sent = Arc::new(AtomicU64::new(0));
    let clock = std::time::Instant::now();
    for c in 0..CONNECTIONS {
        if c % 2 == 0 {
            // Before authenticating: the first stream announces the largest frame a
            // stranger may send there and stalls inside it; the others announce
            // 16 MiB on streams the relay has not accepted.
            let (endpoint, connection) = connect_pinned(&addr).await?;
            attackers.spawn(attack_stream(
                connection.clone(),
                4 * 1024,
                100,
                started_tx.clone(),
                go.clone(),
                sent.clone(),
            ));
            for _ in 1..STREAMS {
                attackers.spawn(attack_stream(
                    connection.clone(),
                    ANNOUNCED,
                    TRICKLE,
                    started_tx.clone(),
                    go.clone(),
                    sent.clone(),
                ));
            }
            held.push((Some(endpoint), connection, None));
        } else {
            // Authenticated with a fresh key, a member of nothing.
            let stranger = RelayConnection::connect(&addr, &DeviceKey::generate()).await?;
            let connection = stranger.quic().clone();
            // The relay counts the authentication stream among the 64.
            for _ in 1..STREAMS {
                attackers.spawn(attack_stream(
                    connection.clone(),
                    ANNOUNCED,
                    TRICKLE,
                    started_tx.clone(),
                    go.clone(),
                    sent.clone(),
                ));
            }
            held.push((None, connection, Some(stranger)));
        }
    }
    drop(started_tx);
    let streams = CONNECTIONS * STREAMS - CONNECTIONS / 2;
    for n in 0..streams {
        tokio::time::timeout(Duration::from_secs(60), started.recv())
            .await
            .map_err(|_| anyhow::anyhow!("only {n} attack streams started"))?;
    }
    eprintln!(
        "{streams} streams announced their frames in {:?}",
        clock.elapsed()
    );
    // Every stream now sends what the relay lets it, and stalls.
    go.notify_waiters();
    // The attack has played out when nothing more gets through for a second (flow
    // control, budgets): that is when the relay holds the most.
    let (mut last, mut still) = (u64::MAX, 0);
    let settle = std::time::Instant::now();
    while still < 5 && settle.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = sent.load(Ordering::Relaxed);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    eprintln!(
        "attackers got {} MiB through in {:?}; relay at {} MiB",
        last / (1024 * 1024),
        settle.elapsed(),
        relay.peak_memory()? / (1024 * 1024)
    );

    // An ordinary member's day goes on: create a space, invite, write, read.
    let clock = std::time::Instant::now();
    let served = tokio::time::timeout(Duration::from_secs(60), ordinary_day(&addr)).await;
    eprintln!("an ordinary member's day took {:?}", clock.elapsed());
    let peak = relay.peak_memory()?;
    eprintln!(
        "relay peak memory under {} × {} attacking streams: {} MiB",
        CONNECTIONS,
        STREAMS,
        peak / (1024 * 1024)
    );
    served
        .map_err(|_| anyhow::anyhow!("the member was not served within a minute"))?
        .map_err(|e| anyhow::anyhow!("the member was not served: {e}"))?;
    assert!(
        peak < MEMORY_CEILING,
        "the relay held {} MiB, over {} MiB",
        peak / (1024 * 1024),
        MEMORY_CEILING / (1024 * 1024)
    );
    attackers.abort_all();
    drop(held);
    Ok(())
}

async fn ordinary_day(addr: &RelayAddr) -> anyhow::Result<()> {
    let relay = addr.to_string();
    let (alice_dir, bob_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let alice = Arc::new(
        Profile::open(
            alice_dir.path(),
            bastide_core::device::load_or_create_file_key(alice_dir.path())?,
        )
        .await?,
    );
    let bob = Profile::open(
        bob_dir.path(),
        bastide_core::device::load_or_create_file_key(bob_dir.path())?,
    )
    .await?;
    let space = alice
        .create_space_as("Pays — agents", &relay, MemberInfo::named("Alice"))
        .await?;
    let space_id = space.id.parse()?;
    let (code, _) = alice.invite(space_id, Role::Editor, 7).await?;
    alice
        .add_event(
            space_id,
            EventInput {
                title: "Conseil communautaire".into(),
                start: "2026-12-15T18:30:00+01:00".into(),
                end: "2026-12-15T20:30:00+01:00".into(),
                ..Default::default()
            },
        )
        .await?;
    alice.sync_once().await?;
    bob.join(&code, MemberInfo::named("Bob")).await?;
    bob.sync_once().await?;
    let titles: Vec<String> = bob.events(space_id).await?.into_iter().map(|e| e.title).collect();
    anyhow::ensure!(titles == ["Conseil communautaire"], "Bob sees {titles:?}");
    Ok(())
}
