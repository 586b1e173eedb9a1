//! `bench`: a relay and two clients on 127.0.0.1; prints propagation latency and
//! offline convergence time. Run with `cargo run --release -p bastide-tests --bin bench`.
//! Optional arguments: number of propagated edits (default 1000), offline edits per
//! client (default 2000).

use std::time::{Duration, Instant};

use bastide_core::SpaceId;
use bastide_tests::{Client, TestRelay, event};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let edits: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let offline: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000);

    let relay = TestRelay::start().await?;
    println!("relay: {}", relay.relay_addr());
    propagation(&relay, edits).await?;
    convergence(&relay, offline).await?;
    Ok(())
}

async fn pair(relay: &TestRelay) -> anyhow::Result<(Client, Client, SpaceId)> {
    let a = Client::new().await?;
    let space = a.profile.create_space("Banc d'essai", relay.relay_addr()).await?;
    let id = space.id.parse()?;
    let b = bastide_tests::invite_and_join(&a, id, bastide_core::Role::Editor, "B").await?;
    Ok((a, b, id))
}

/// Edits on A, one at a time; the time until B has applied and stored each.
async fn propagation(relay: &TestRelay, edits: usize) -> anyhow::Result<()> {
    let (mut a, mut b, space) = pair(relay).await?;
    let first = a
        .profile
        .add_event(space, event("Latence", "2026-12-01T09:00:00+01:00"))
        .await?;
    a.go_live();
    b.go_live();
    a.wait_status("A online", |s| s.online).await?;
    b.wait_status("B online", |s| s.online).await?;
    let id = first.id.parse()?;
    let mut changes = b.profile.subscribe();
    let mut samples = Vec::with_capacity(edits);
    for n in 0..edits {
        let title = format!("Latence {n}");
        let started = Instant::now();
        a.profile
            .update_event(space, id, event(&title, &first.start))
            .await?;
        // Wait for B's store to commit the change (it announces after commit).
        loop {
            let changed = tokio::time::timeout(Duration::from_secs(10), changes.recv()).await??;
            if changed.remote && changed.items.iter().any(|i| i.title == title) {
                break;
            }
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "propagation over {edits} edits (A edit committed -> B applied and stored): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(pct(1.0))
    );
    a.stop_live().await;
    b.stop_live().await;
    Ok(())
}

/// A and B each make `offline` edits without the relay; then both sync until equal.
async fn convergence(relay: &TestRelay, offline: usize) -> anyhow::Result<()> {
    let (a, b, space) = pair(relay).await?;
    for (client, who) in [(&a, "A"), (&b, "B")] {
        let mut last = None;
        for n in 0..offline {
            // One event in ten is new; the others edit the latest one, as people do.
            if n % 10 == 0 || last.is_none() {
                let created = client
                    .profile
                    .add_event(space, event(&format!("{who} {n}"), "2026-12-05T10:00:00+01:00"))
                    .await?;
                last = Some(created.id.parse()?);
            } else if let Some(id) = last {
                client
                    .profile
                    .update_event(
                        space,
                        id,
                        event(&format!("{who} {n}"), "2026-12-05T10:00:00+01:00"),
                    )
                    .await?;
            }
        }
    }
    let started = Instant::now();
    let (ra, rb) = tokio::join!(a.profile.sync_once(), b.profile.sync_once());
    let (ra, rb) = (ra?, rb?);
    let first_round = started.elapsed();
    // Whoever pushed first has not yet seen the other's entries: one more pull each.
    let (ra2, rb2) = tokio::join!(a.profile.sync_once(), b.profile.sync_once());
    let (ra2, rb2) = (ra2?, rb2?);
    let elapsed = started.elapsed();
    let ea = a.profile.events(space).await?;
    let eb = b.profile.events(space).await?;
    anyhow::ensure!(ea == eb, "clients did not converge");
    println!(
        "convergence of {offline} offline edits on each of two clients: {:.0} ms, first round {:.0} ms (pushed {} + {}, received {} + {}; {} events each)",
        ms(elapsed),
        ms(first_round),
        ra.pushed + ra2.pushed,
        rb.pushed + rb2.pushed,
        ra.received + ra2.received,
        rb.received + rb2.received,
        ea.len()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
