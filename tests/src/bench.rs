//! `bench`: a relay and two clients on 127.0.0.1; prints propagation latency and
//! offline convergence time. Run with `cargo run --release -p bastide-tests --bin bench`.
//! Optional arguments: number of propagated edits (default 1000), offline edits per
//! client (default 2000).
//!
//! `bench search [ITEMS]` indexes ITEMS events and cards (default 100000) and prints
//! search latency percentiles; `bench file [MB]` adds a file (default 200 MB) on one
//! client and prints the time to encrypt, upload, and fetch it on another.
//!
//! `bench bookings [N]` books N times (default 10000) 50 resources over 2027 on two
//! offline clients, merges them, and prints the time to compute a month of conflicts;
//! `bench cantine [SITES]` enters a school year of meal counts for SITES sites
//! (default 20) and prints the time to export a year of them (CSV and XLSX).
//!
//! `bench flood [OPS]` pushes OPS membership ops (default 20000) into one space as
//! fast as the relay takes them, and prints how long an ordinary sync of another
//! space takes meanwhile, against the same sync alone.
//!
//! `bench start [ITEMS] [RUNS] [--app PATH]` opens the built desktop app RUNS times
//! (default 5) on a profile of ITEMS items (default 20000) and prints the time from
//! spawning it to the first paint of its first view with its data (see `start.rs`):
//! `xvfb-run -a dbus-run-session -- cargo run --release -p bastide-tests --bin bench -- start`
//! after `(cd ui && npm run build)` and
//! `cargo build --release --workspace --features bastide-app/custom-protocol`.

// The crate root's folder is src/: this keeps the bench's modules beside it in bench/.
#[cfg(unix)]
#[path = "bench/start.rs"]
mod start;

use std::time::{Duration, Instant};

use bastide_core::SpaceId;
use bastide_tests::{Client, TestRelay, event};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    match args.peek().map(String::as_str) {
        Some("search") => {
            args.next();
            let items = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
            return search(items).await;
        }
        Some("file") => {
            args.next();
            let mb = args.next().map(|a| a.parse()).transpose()?.unwrap_or(200);
            return file(mb).await;
        }
        Some("bookings") => {
            args.next();
            let bookings = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10_000);
            return bookings_month(bookings).await;
        }
        Some("cantine") => {
            args.next();
            let sites = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20);
            return cantine_year(sites).await;
        }
        Some("flood") => {
            args.next();
            let ops = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
            return flood(ops).await;
        }
        #[cfg(unix)]
        Some("start") => {
            args.next();
            return start::run(args.collect()).await;
        }
        _ => {}
    }
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

/// One space takes `ops` invitations as fast as the relay judges them, while two
/// members of another space write and sync: their sync time, alone and meanwhile.
async fn flood(ops: usize) -> anyhow::Result<()> {
    use bastide_proto::membership::{Op, OpBody, Role};
    use bastide_proto::wire::Record;
    use bastide_proto::{DeviceKey, keyshare::KeyShare};

    // The flood is not held back by the per-device rate: what is measured is the
    // relay's judging, not its rate limit.
    let relay = TestRelay::start_with(bastide_relay::Limits {
        entries_per_second: 1_000_000,
        entries_burst: 1_000_000,
        open_creation: true,
        ..bastide_relay::Limits::default()
    })
    .await?;
    let (c, d, quiet) = pair(&relay).await?;
    let round = |n: usize| {
        let (c, d) = (&c, &d);
        async move {
            c.profile
                .add_event(quiet, event(&format!("Réunion {n}"), "2026-12-01T09:00:00+01:00"))
                .await?;
            c.profile.sync_once().await?;
            let started = Instant::now();
            d.profile.sync_once().await?;
            anyhow::Ok(started.elapsed())
        }
    };
    let mut alone = Vec::new();
    for n in 0..30 {
        alone.push(round(n).await?);
    }

    // The flooded space: its admin signs `ops` invitations, each after the last.
    let a = Client::new().await?;
    let flooded: SpaceId = a
        .profile
        .create_space("Inondé", relay.relay_addr())
        .await?
        .id
        .parse()?;
    let device = a.device_key()?;
    let state = bastide_tests::relay_membership(&relay, flooded).await?;
    let key_id = state.current_key().ok_or_else(|| anyhow::anyhow!("a key"))?;
    let key = state
        .shares_to(&device.device_id())
        .find(|s| s.key == key_id)
        .ok_or_else(|| anyhow::anyhow!("the admin's share"))?
        .open(flooded, &device)?;
    let mut parents = state.heads();
    let mut records = Vec::with_capacity(ops);
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 7 * 86_400;
    for _ in 0..ops {
        let invitation = DeviceKey::generate();
        let x25519 = invitation.x25519_public();
        let share = KeyShare::seal(flooded, key_id, &key, invitation.device_id(), &x25519)?;
        let op = Op::sign(
            &device,
            flooded,
            parents,
            OpBody::Invite {
                invitation: invitation.device_id(),
                x25519,
                role: Role::Reader,
                member: None,
                expires,
                shares: vec![share],
            },
        );
        parents = vec![op.id()];
        records.push(Record::Op(op.to_bytes()));
    }
    let raw = a.raw(&relay).await?;
    let flood_started = Instant::now();
    let pushing = tokio::spawn(async move {
        let mut stored = 0;
        for batch in records.chunks(500) {
            stored += raw
                .push(batch.to_vec())
                .await?
                .iter()
                .filter(|r| matches!(r, bastide_proto::wire::PushResult::Stored { .. }))
                .count();
        }
        raw.close().await;
        anyhow::Ok((stored, flood_started.elapsed()))
    });
    let mut during = Vec::new();
    let mut n = 100;
    while !pushing.is_finished() {
        during.push(round(n).await?);
        n += 1;
    }
    let (stored, took) = pushing.await??;
    let p = |v: &mut Vec<Duration>, q: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * q).round() as usize]
    };
    println!(
        "flood: {stored} of {ops} invitations judged and stored in {:.1} s ({:.0} ops/s)",
        took.as_secs_f64(),
        stored as f64 / took.as_secs_f64()
    );
    println!(
        "another space's sync alone: p50 {:.1} ms, max {:.1} ms; during the flood ({} syncs): p50 {:.1} ms, max {:.1} ms",
        ms(p(&mut alone, 0.5)),
        ms(p(&mut alone, 1.0)),
        during.len(),
        if during.is_empty() {
            0.0
        } else {
            ms(p(&mut during, 0.5))
        },
        if during.is_empty() {
            0.0
        } else {
            ms(p(&mut during, 1.0))
        },
    );
    Ok(())
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

/// Words for generated items, accented as French is.
const WORDS: [&str; 16] = [
    "délibération",
    "conseil",
    "école",
    "cantine",
    "marché",
    "fête",
    "réunion",
    "budget",
    "médecin",
    "infirmière",
    "randonnée",
    "musée",
    "bibliothèque",
    "voirie",
    "église",
    "été",
];

fn phrase(n: usize) -> String {
    (0..5)
        .map(|k: u32| WORDS[(n / 16usize.pow(k) + k as usize) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Search latency over `items` indexed events and cards, on one profile.
async fn search(items: usize) -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let a = Client::new().await?;
    let space: SpaceId = a
        .profile
        .create_space("Index", relay.relay_addr())
        .await?
        .id
        .parse()?;
    let started = Instant::now();
    for n in 0..items {
        if n % 2 == 0 {
            let mut e = event(
                &format!("Événement {n} {}", phrase(n)),
                "2026-12-01T09:00:00+01:00",
            );
            e.description = phrase(n * 7 + 3);
            a.profile.add_event(space, e).await?;
        } else {
            let card = bastide_core::CardInput {
                name: format!("Fiche {n} {}", phrase(n)),
                organisation: phrase(n * 3 + 1),
                ..Default::default()
            };
            a.profile.add_card(space, card).await?;
        }
    }
    println!(
        "indexed {items} items in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let queries = [
        "deliberation",
        "ecole cantine",
        "medecin",
        "fete ete",
        "bibliotheque musee",
        "voir",
        "conseil budget reunion",
    ];
    let mut times = Vec::new();
    for round in 0..30 {
        for q in queries {
            let t = Instant::now();
            let hits = a.profile.search(None, q).await?;
            times.push(t.elapsed());
            if round == 0 {
                println!("  {q:?}: {} hits (max 50)", hits.len());
            }
        }
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "search over {items} items: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} queries)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0)),
        times.len()
    );
    Ok(())
}

/// Time to add a file of `mb` MiB on A, sync it, and fetch it on B.
async fn file(mb: usize) -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (a, b, space) = pair(&relay).await?;
    let work = tempfile::tempdir()?;
    let path = work.path().join("archive.bin");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut block = vec![0u8; 1024 * 1024];
        for n in 0..mb {
            block.iter_mut().enumerate().for_each(|(i, b)| *b = (i ^ n) as u8);
            out.write_all(&block)?;
        }
    }
    let t = Instant::now();
    let doc = a.profile.add_document(space, &path, "Archives").await?;
    let added = t.elapsed();
    let t = Instant::now();
    a.profile.sync_once().await?;
    let synced = t.elapsed();
    b.profile.sync_once().await?;
    let t = Instant::now();
    b.profile
        .save_document(space, doc.id.parse()?, None, &work.path().join("copie.bin"))
        .await?;
    let fetched = t.elapsed();
    println!(
        "file of {mb} MiB: add (encrypt, cache) {:.2} s, sync (upload) {:.2} s, fetch and write on B {:.2} s",
        added.as_secs_f64(),
        synced.as_secs_f64(),
        fetched.as_secs_f64()
    );
    Ok(())
}

/// A small deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// 50 resources; `total` bookings made half on each of two offline clients (each
/// refusing what it knows collides), merged; then a month of conflicts computed.
async fn bookings_month(total: usize) -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let (a, b, space) = pair(&relay).await?;
    let mut resources = Vec::new();
    for n in 0..50 {
        let input = bastide_core::ResourceInput {
            name: format!("Salle {n}"),
            ..Default::default()
        };
        resources.push(a.profile.add_resource(space, input).await?);
    }
    a.profile.sync_once().await?;
    b.profile.sync_once().await?;
    let started = Instant::now();
    let mut made = 0;
    let mut refused = 0;
    let mut rng = Lcg(7);
    while made < total {
        let client = if made % 2 == 0 { &a } else { &b };
        let resource = &resources[rng.next(50) as usize];
        let day = time::Date::from_ordinal_date(2027, 1 + rng.next(365) as u16)?;
        let hour = 8 + rng.next(12);
        let start = day.with_hms(hour as u8, 0, 0)?.assume_utc();
        let end = start + time::Duration::minutes(30 * (1 + rng.next(6) as i64));
        let fmt = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339);
        let input = bastide_core::BookingInput {
            resource: resource.id.clone(),
            title: format!("Réunion {made}"),
            start: fmt(start)?,
            end: fmt(end)?,
            repeat_until: String::new(),
        };
        match client.profile.book(space, input).await {
            Ok(_) => made += 1,
            Err(bastide_core::Error::BookingConflict { .. }) => refused += 1,
            Err(other) => return Err(other.into()),
        }
    }
    println!(
        "booked {made} times on two offline clients in {:.1} s ({refused} refused as known conflicts)",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    a.profile.sync_once().await?;
    b.profile.sync_once().await?;
    a.profile.sync_once().await?;
    println!("merged in {:.1} s", started.elapsed().as_secs_f64());
    let march = bastide_core::SlotFilter {
        from: Some("2027-03-01T00:00:00+01:00".into()),
        to: Some("2027-04-01T00:00:00+02:00".into()),
        resource: None,
    };
    let mut times = Vec::new();
    let mut slots = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        slots = b.profile.booking_slots(space, &march).await?;
        times.push(t.elapsed());
    }
    times.sort();
    let conflicts = slots.iter().filter(|s| s.status == "conflict").count();
    println!(
        "a month of conflicts (50 resources, {made} bookings): {} occurrences, {conflicts} in conflict; p50 {:.1} ms, max {:.1} ms",
        slots.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    let t = Instant::now();
    let year = b
        .profile
        .booking_slots(space, &bastide_core::SlotFilter::default())
        .await?;
    println!(
        "the whole year: {} occurrences, {} in conflict, in {:.1} ms",
        year.len(),
        year.iter().filter(|s| s.status == "conflict").count(),
        ms(t.elapsed())
    );
    Ok(())
}

/// `sites` sites with four categories, a count for every school day of 2026-2027,
/// then every month of the year exported as CSV and as XLSX.
async fn cantine_year(sites: usize) -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let a = Client::new().await?;
    let space: SpaceId = a
        .profile
        .create_space("Cantines", relay.relay_addr())
        .await?
        .id
        .parse()?;
    let categories = ["maternelle", "élémentaire", "adulte", "sans porc"];
    let started = Instant::now();
    let mut cells = 0;
    let mut ids = Vec::new();
    let mut rng = Lcg(11);
    for n in 0..sites {
        let site = a
            .profile
            .add_cantine_site(
                space,
                bastide_core::SiteInput {
                    name: format!("École {n}"),
                    categories: categories.map(str::to_owned).to_vec(),
                },
            )
            .await?;
        let id: bastide_core::ItemId = site.id.parse()?;
        let mut day = time::macros::date!(2026 - 09 - 01);
        while day <= time::macros::date!(2027 - 07 - 06) {
            let weekend = matches!(day.weekday(), time::Weekday::Saturday | time::Weekday::Sunday);
            if !weekend && day.weekday() != time::Weekday::Wednesday {
                let date = format!("{day}");
                for category in categories {
                    let count = rng.next(120) as i64;
                    a.profile
                        .set_meal_count(space, id, &date, category, count)
                        .await?;
                    cells += 1;
                }
            }
            day = day.next_day().unwrap_or(day);
        }
        ids.push(id);
    }
    println!(
        "entered {cells} counts for {sites} sites in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let months: Vec<String> = (0..12)
        .map(|m| {
            let (year, month) = if m < 4 { (2026, 9 + m) } else { (2027, m - 3) };
            format!("{year}-{month:02}")
        })
        .collect();
    for format in ["csv", "xlsx"] {
        let t = Instant::now();
        let mut bytes = 0;
        for id in &ids {
            for month in &months {
                let out = dir.path().join(format!("{id}-{month}.{format}"));
                a.profile
                    .export_meals(space, *id, month, format.parse()?, &out)
                    .await?;
                bytes += std::fs::metadata(&out)?.len();
            }
        }
        println!(
            "exported a year of counts for {sites} sites as {format}: {} files, {} KiB, in {:.0} ms",
            ids.len() * months.len(),
            bytes / 1024,
            ms(t.elapsed())
        );
    }
    Ok(())
}
