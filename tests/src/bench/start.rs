//! `bench start [ITEMS] [RUNS] [--app PATH]`: the desktop app's start time, from
//! spawning its process to the first paint of its first view with its data, on a
//! profile of ITEMS items (default 20000) opened RUNS times (default 5).
//!
//! The profile is made here, on a relay in this process: one space holding mostly
//! agenda events (a few hundred in the current month, which the app shows first), plus
//! directory cards and forum topics and posts, all synced to the relay. The app opens
//! it with `BASTIDE_PROFILE`, `BASTIDE_KEY_STORE=file` (its `device.key` is the key the
//! profile was made with, so the app is the space's admin) and tells its first paint in
//! `BASTIDE_FIRST_PAINT_FILE` (see src-tauri/src/startup.rs), which this program waits
//! for. The app is the release binary serving ui/dist, and needs a display and a
//! session bus:
//!
//! ```sh
//! (cd ui && npm run build)
//! cargo build --release --workspace --features bastide-app/custom-protocol
//! xvfb-run -a dbus-run-session -- cargo run --release -p bastide-tests --bin bench -- start
//! ```
//!
//! Without a session bus each run is started in its own `dbus-run-session`, whose start
//! then counts in the figures. The app's data, cache and config folders (`XDG_*_HOME`)
//! are fresh for each invocation of the benchmark: the first run is cold for the app
//! and WebKit (not for the operating system's file cache), the others warm.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use bastide_core::{CardInput, EventInput, ItemId, MemberInfo, Profile, SpaceId};
use rustix::process::{Pid, Signal};
use time::format_description::well_known::Rfc3339;

use super::{Lcg, ms, phrase};

/// Longest wait for one run's first paint. A start takes about a second here; a minute
/// means the app is stuck (no display, a crash, a dialog), not slow.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the first-paint file is looked for: the resolution of the figures.
const POLL: Duration = Duration::from_millis(5);

/// Longest wait for the app and its WebKit processes to exit after SIGTERM, before
/// SIGKILL; they exit in well under a second.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The days events are spread over, before and after today. Twenty thousand items are
/// years of a Pays' agenda: three years back and one ahead put a few hundred events
/// in the current month, as a busy space has.
const DAYS_BEFORE: i64 = 3 * 365;
const DAYS_AFTER: i64 = 365;

/// Posts per forum topic.
const POSTS_PER_TOPIC: usize = 20;

/// What the app painted first, as it wrote it to `BASTIDE_FIRST_PAINT_FILE`.
struct Paint {
    /// Milliseconds from the start of the app's `run()`.
    app_ms: u64,
    view: String,
    events: u64,
}

/// The profile made for the runs.
struct Prepared {
    events: usize,
    this_month: usize,
    cards: usize,
    topics: usize,
    posts: usize,
}

/// Runs the benchmark; `args` are those after `start`.
pub(crate) async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut app = PathBuf::from("target/release/bastide-app");
    let mut numbers = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--app" {
            app = args
                .next()
                .context("--app needs the path of the app binary")?
                .into();
        } else {
            numbers.push(arg);
        }
    }
    let mut numbers = numbers.into_iter();
    let items: usize = numbers.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let runs: usize = numbers.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    anyhow::ensure!(runs > 0, "RUNS must be at least 1");

    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        anyhow::bail!(
            "no display (DISPLAY is not set): the app needs one; run the benchmark under Xvfb:\n  \
             xvfb-run -a dbus-run-session -- cargo run --release -p bastide-tests --bin bench -- start"
        );
    }
    anyhow::ensure!(
        app.is_file(),
        "no app binary at {}: build it with `(cd ui && npm run build) && cargo build --release --workspace \
         --features bastide-app/custom-protocol`, or pass --app PATH",
        app.display()
    );
    let app = std::fs::canonicalize(&app)?;
    let own_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty());
    if own_bus {
        println!(
            "start: no session bus: each run starts in its own dbus-run-session, whose start counts \
             (run the benchmark under dbus-run-session to leave it out)"
        );
    }

    let mut relay = bastide_tests::TestRelay::start().await?;
    let work = tempfile::tempdir()?;
    let profile_dir = work.path().join("profile");
    let home = work.path().join("home");
    std::fs::create_dir_all(&profile_dir)?;
    std::fs::create_dir_all(&home)?;

    let started = Instant::now();
    let prepared = prepare(&profile_dir, relay.relay_addr(), items).await?;
    let prepare_time = started.elapsed();
    println!(
        "start: prepared a profile of {items} items in {:.1} s (synced to the relay included): {} events \
         ({} in this month, UTC), {} cards, {} forum topics, {} posts",
        prepare_time.as_secs_f64(),
        prepared.events,
        prepared.this_month,
        prepared.cards,
        prepared.topics,
        prepared.posts
    );

    let mut wall = Vec::with_capacity(runs);
    let mut app_ms = Vec::with_capacity(runs);
    for n in 1..=runs {
        let signal = work.path().join(format!("first-paint-{n}.json"));
        let log = work.path().join(format!("app-{n}.log"));
        let launch = Launch {
            app: &app,
            own_bus,
            profile: &profile_dir,
            home: &home,
            signal: &signal,
            log: &log,
        };
        let (elapsed, paint) = launch.run().await?;
        if items > 0 {
            anyhow::ensure!(
                paint.view == "agenda",
                "run {n}: the app showed the {} screen, not the space: it does not see the profile's space \
                 (was device.key the key the profile was made with?); its log: {}",
                paint.view,
                log.display()
            );
            anyhow::ensure!(
                paint.events > 0,
                "run {n}: the agenda painted no event although {} of the {} events are in this month",
                prepared.this_month,
                prepared.events
            );
        }
        println!(
            "  run {n}{}: first paint after {:.0} ms ({} ms after the app's run() began; {} view, {} events of the month)",
            if n == 1 { " (cold)" } else { "" },
            ms(elapsed),
            paint.app_ms,
            paint.view,
            paint.events
        );
        wall.push(elapsed);
        app_ms.push(paint.app_ms);
    }

    let cold = wall[0];
    let stats = |samples: &[Duration]| {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let p50 = sorted[(sorted.len() - 1) / 2];
        format!(
            "p50 {:.0} ms, min {:.0} ms, max {:.0} ms",
            ms(p50),
            ms(sorted[0]),
            ms(sorted[sorted.len() - 1])
        )
    };
    let warm = if runs > 1 {
        let plural = if runs > 2 { "s" } else { "" };
        format!("; warm ({} run{plural}): {}", runs - 1, stats(&wall[1..]))
    } else {
        String::new()
    };
    println!(
        "start to first paint with {items} items (spawn -> first view painted with its data), {runs} runs: {}; \
         cold first run {:.0} ms{warm}",
        stats(&wall),
        ms(cold)
    );
    relay.stop().await;
    Ok(())
}

/// Makes the profile in `dir`: one space on `relay` with `items` items, synced.
async fn prepare(dir: &Path, relay: &str, items: usize) -> anyhow::Result<Prepared> {
    // The key file the app loads with BASTIDE_KEY_STORE=file.
    let key = bastide_core::device::load_or_create_file_key(dir)?;
    let profile = Profile::open(dir, key).await?;
    let space: SpaceId = profile
        .create_space_as("Pays — agents", relay, MemberInfo::named("Claire Martin"))
        .await?
        .id
        .parse()?;
    let now = time::OffsetDateTime::now_utc();
    let mut rng = Lcg(2026);
    let mut made = Prepared {
        events: 0,
        this_month: 0,
        cards: 0,
        topics: 0,
        posts: 0,
    };
    let mut topic: Option<(ItemId, usize)> = None;
    for n in 0..items {
        match n % 10 {
            // One item in ten is a card of the directory.
            0 => {
                let card = CardInput {
                    name: format!("Fiche {n} {}", phrase(n)),
                    organisation: phrase(n * 3 + 1),
                    function: phrase(n * 5 + 2),
                    commune: format!("Commune {}", n % 120),
                    phone: format!("05 55 {:02} {:02} {:02}", n % 100, (n / 100) % 100, n % 97),
                    email: format!("contact{n}@mairie.example"),
                    ..Default::default()
                };
                profile.add_card(space, card).await?;
                made.cards += 1;
            }
            // One in ten is forum: a topic, then its posts.
            1 => match topic {
                Some((id, posts)) if posts < POSTS_PER_TOPIC => {
                    profile
                        .post(
                            space,
                            id,
                            &format!("Message {n} : {}", phrase(n * 11 + 5)),
                            None,
                            None,
                        )
                        .await?;
                    topic = Some((id, posts + 1));
                    made.posts += 1;
                }
                _ => {
                    let created = profile
                        .create_topic(space, &format!("Sujet {n} {}", phrase(n)), "")
                        .await?;
                    topic = Some((created.id.parse()?, 0));
                    made.topics += 1;
                }
            },
            // The rest are events.
            _ => {
                let day = rng.next((DAYS_BEFORE + DAYS_AFTER) as u64) as i64 - DAYS_BEFORE;
                let start = (now + time::Duration::days(day))
                    .date()
                    .with_hms(7 + rng.next(12) as u8, [0, 15, 30, 45][rng.next(4) as usize], 0)?
                    .assume_utc();
                let end = start + time::Duration::minutes(30 * (1 + rng.next(6) as i64));
                if (start.year(), start.month()) == (now.year(), now.month()) {
                    made.this_month += 1;
                }
                let input = EventInput {
                    title: format!("Réunion {n} {}", phrase(n)),
                    start: start.format(&Rfc3339)?,
                    end: end.format(&Rfc3339)?,
                    all_day: false,
                    place: format!("Salle {}", n % 40),
                    theme: ["conseil", "tourisme", "culture", "santé", "emploi"][n % 5].into(),
                    description: phrase(n * 7 + 3),
                };
                profile.add_event(space, input).await?;
                made.events += 1;
            }
        }
    }
    profile.sync_once().await?;
    profile.close().await;
    Ok(made)
}

/// One start of the app.
struct Launch<'a> {
    app: &'a Path,
    own_bus: bool,
    profile: &'a Path,
    home: &'a Path,
    signal: &'a Path,
    log: &'a Path,
}

impl Launch<'_> {
    /// Starts the app, waits for its first paint, stops it; the time from spawning to
    /// the first paint seen, and the paint.
    async fn run(&self) -> anyhow::Result<(Duration, Paint)> {
        let log = std::fs::File::create(self.log)?;
        let mut command = if self.own_bus {
            let mut command = Command::new("dbus-run-session");
            command.arg("--").arg(self.app);
            command
        } else {
            Command::new(self.app)
        };
        command
            .env("BASTIDE_PROFILE", self.profile)
            .env("BASTIDE_KEY_STORE", "file")
            .env("BASTIDE_FIRST_PAINT_FILE", self.signal)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env_remove("BASTIDE_RELAY")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: stopping it stops its WebKit processes too.
            .process_group(0);
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", self.app.display()))?;
        let mut app = Running::new(child);
        let paint = loop {
            if let Some(paint) = read_paint(self.signal)? {
                break paint;
            }
            if let Some(status) = app.child.try_wait()? {
                anyhow::bail!(
                    "the app exited ({status}) before its first paint; the end of its log:\n{}",
                    tail(self.log)
                );
            }
            if started.elapsed() > RUN_TIMEOUT {
                anyhow::bail!(
                    "no first paint within {} s; the end of the app's log:\n{}",
                    RUN_TIMEOUT.as_secs(),
                    tail(self.log)
                );
            }
            tokio::time::sleep(POLL).await;
        };
        let elapsed = started.elapsed();
        app.stop().await?;
        Ok((elapsed, paint))
    }
}

/// The first paint written to `path`, once it is there (it is renamed into place whole).
fn read_paint(path: &Path) -> anyhow::Result<Option<Paint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("unreadable first paint in {}: {text:?}", path.display()))?;
    let field = |name: &str| {
        value
            .get(name)
            .with_context(|| format!("no {name:?} in the first paint {text:?}"))
    };
    Ok(Some(Paint {
        app_ms: field("ms")?.as_u64().context("ms is not a number")?,
        view: field("view")?
            .as_str()
            .context("view is not a string")?
            .to_owned(),
        events: field("events")?.as_u64().context("events is not a number")?,
    }))
}

/// The last lines of the app's log, for an error message.
fn tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        }
        Err(error) => format!("(cannot read {}: {error})", log.display()),
    }
}

/// The app's process and its group; killed and waited for when dropped, so that an
/// error leaves no process behind.
struct Running {
    child: Child,
    group: Pid,
    stopped: bool,
}

impl Running {
    fn new(child: Child) -> Self {
        let group = Pid::from_child(&child);
        Self {
            child,
            group,
            stopped: false,
        }
    }

    /// Asks the app's whole group to end (SIGTERM), waits until none of it is left,
    /// and kills what is left after [`EXIT_TIMEOUT`].
    async fn stop(&mut self) -> anyhow::Result<()> {
        // The group may be gone already (ESRCH): nothing to ask then.
        let _ = rustix::process::kill_process_group(self.group, Signal::TERM);
        let deadline = Instant::now() + EXIT_TIMEOUT;
        while !self.gone()? {
            if Instant::now() > deadline {
                self.kill();
                anyhow::bail!(
                    "the app did not exit within {} s of SIGTERM; killed it",
                    EXIT_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
        self.stopped = true;
        Ok(())
    }

    /// Whether the app has exited (and is reaped) and no live process of its group is
    /// left (its WebKit processes, or the app under dbus-run-session).
    fn gone(&mut self) -> anyhow::Result<bool> {
        if self.child.try_wait()?.is_none() {
            return Ok(false);
        }
        Ok(!group_alive(self.group.as_raw_pid())?)
    }

    /// Kills the whole group and reaps the app.
    fn kill(&mut self) {
        let _ = rustix::process::kill_process_group(self.group, Signal::KILL);
        let _ = self.child.wait();
        self.stopped = true;
    }
}

/// Whether a process of group `group` is running. Read from /proc rather than asked with
/// `kill(-group, 0)`: orphans that exited count there until whoever adopted them reaps
/// them, which a container's first process may never do.
fn group_alive(group: i32) -> anyhow::Result<bool> {
    for entry in std::fs::read_dir("/proc")? {
        let path = entry?.path().join("stat");
        // Not a process, or one that ended meanwhile.
        let Ok(stat) = std::fs::read_to_string(&path) else {
            continue;
        };
        // "pid (command) state ppid pgrp ...": the command may hold spaces and parentheses.
        let Some((_, fields)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = fields.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
        if pgrp == Some(group) && !matches!(state, Some("Z" | "X")) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.stopped {
            self.kill();
        }
    }
}
