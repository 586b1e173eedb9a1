//! Helpers for system tests and the benchmark: a real relay on 127.0.0.1 with its own
//! data folder, and clients with their own profile folders and SQLite files.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bastide_core::live::{self, SyncStatus};
use bastide_core::{EventInput, MemberInfo, Profile, Role, SpaceId};
use bastide_relay::{Config, Limits, Server};
use tempfile::TempDir;
use tokio::sync::{oneshot, watch};

/// A relay on 127.0.0.1 that can be stopped and restarted on the same port and data.
pub struct TestRelay {
    server: Option<Server>,
    data: TempDir,
    addr: SocketAddr,
    relay_addr: String,
    limits: Limits,
}

impl TestRelay {
    /// Starts a relay on a free port with a fresh data folder.
    pub async fn start() -> anyhow::Result<Self> {
        let loopback: SocketAddr = "127.0.0.1:0".parse()?;
        Self::start_with(Config::new(loopback, PathBuf::new()).limits).await
    }

    /// Starts a relay with these limits.
    pub async fn start_with(limits: Limits) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let mut config = Config::new("127.0.0.1:0".parse()?, data.path().to_path_buf());
        config.limits = limits.clone();
        let server = Server::spawn(config).await?;
        let addr = server.local_addr();
        let relay_addr = server.relay_addr().to_string();
        Ok(Self {
            server: Some(server),
            data,
            addr,
            relay_addr,
            limits,
        })
    }

    /// Sets the limits the relay has from its next restart.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// What clients pass as `--relay`.
    pub fn relay_addr(&self) -> &str {
        &self.relay_addr
    }

    /// The relay's data folder.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Stops the relay (connections drop, clients go offline).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Starts the relay again on the same port with the same data.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await;
        let mut config = Config::new(self.addr, self.data.path().to_path_buf());
        config.limits = self.limits.clone();
        let server = Server::spawn(config).await?;
        anyhow::ensure!(
            server.relay_addr().to_string() == self.relay_addr,
            "the relay must keep its address and certificate"
        );
        self.server = Some(server);
        Ok(())
    }

    /// Stops the relay, copies its data folder whole (what an operator's nightly backup
    /// holds), and starts it again.
    pub async fn back_up(&mut self) -> anyhow::Result<TempDir> {
        self.stop().await;
        let backup = tempfile::tempdir()?;
        copy_dir(self.data.path(), backup.path())?;
        self.restart().await?;
        Ok(backup)
    }

    /// Stops the relay, puts `backup` in place of its data folder, and starts it again:
    /// a relay restored from an older backup.
    pub async fn restore(&mut self, backup: &Path) -> anyhow::Result<()> {
        self.stop().await;
        for entry in std::fs::read_dir(self.data.path())? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        copy_dir(backup, self.data.path())?;
        self.restart().await
    }

    /// Every byte of the relay's database files (main file and write-ahead log).
    pub fn database_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        for name in ["relay.db", "relay.db-wal"] {
            let path = self.data.path().join(name);
            if path.exists() {
                bytes.extend(std::fs::read(path)?);
            }
        }
        Ok(bytes)
    }
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A client: a profile in its own folder, optionally syncing continuously.
pub struct Client {
    /// The profile.
    pub profile: Arc<Profile>,
    dir: TempDir,
    live: Option<(oneshot::Sender<()>, tokio::task::JoinHandle<()>)>,
    status: Option<watch::Receiver<SyncStatus>>,
}

impl Client {
    /// A new profile with its own device key.
    pub async fn new() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let key = bastide_core::device::load_or_create_file_key(dir.path())?;
        let profile = Arc::new(Profile::open(dir.path(), key).await?);
        Ok(Self {
            profile,
            dir,
            live: None,
            status: None,
        })
    }

    /// The profile folder.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The device key, as the profile keeps it.
    pub fn device_key(&self) -> anyhow::Result<bastide_proto::DeviceKey> {
        Ok(bastide_core::device::load_or_create_file_key(self.dir.path())?)
    }

    /// A raw connection to the relay as this device, to push records by hand.
    pub async fn raw(&self, relay: &TestRelay) -> anyhow::Result<bastide_core::sync::RelayConnection> {
        let addr = relay.relay_addr().parse()?;
        Ok(bastide_core::sync::RelayConnection::connect(&addr, &self.device_key()?).await?)
    }

    /// Starts continuous sync, as the app does.
    pub fn go_live(&mut self) {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (status_tx, status_rx) = watch::channel(SyncStatus::default());
        let profile = self.profile.clone();
        let task = tokio::spawn(live::run(profile, status_tx, async move {
            let _ = stop_rx.await;
        }));
        self.live = Some((stop_tx, task));
        self.status = Some(status_rx);
    }

    /// The live sync status (default when not live).
    pub fn status(&self) -> SyncStatus {
        self.status
            .as_ref()
            .map(|s| s.borrow().clone())
            .unwrap_or_default()
    }

    /// Waits until the live status satisfies `check`.
    pub async fn wait_status(
        &mut self,
        what: &str,
        check: impl Fn(&SyncStatus) -> bool,
    ) -> anyhow::Result<()> {
        let rx = self
            .status
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("client is not live"))?;
        let waited = tokio::time::timeout(WAIT, rx.wait_for(|s| check(s)))
            .await
            .map(|r| r.is_ok());
        match waited {
            Ok(true) => Ok(()),
            Ok(false) => anyhow::bail!("sync stopped while waiting for {what}"),
            Err(_) => anyhow::bail!("timed out waiting for {what}; status {:?}", rx.borrow().clone()),
        }
    }

    /// Stops continuous sync.
    pub async fn stop_live(&mut self) {
        if let Some((stop, task)) = self.live.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

/// A new client creates a space called `space` on `relay`, presenting itself as
/// `creator`; returns the client (the space's first admin) and the space.
pub async fn create_space(
    relay: &TestRelay,
    space: &str,
    creator: &str,
) -> anyhow::Result<(Client, SpaceId)> {
    let admin = Client::new().await?;
    let created = admin
        .profile
        .create_space_as(space, relay.relay_addr(), MemberInfo::named(creator))
        .await?;
    Ok((admin, created.id.parse()?))
}

/// `admin` invites a newcomer with `role` and publishes the invitation; a new client
/// joins with the code as `name`.
pub async fn invite_and_join(
    admin: &Client,
    space: SpaceId,
    role: Role,
    name: &str,
) -> anyhow::Result<Client> {
    let (code, _) = admin.profile.invite(space, role, 7).await?;
    admin.profile.sync_once().await?;
    let newcomer = Client::new().await?;
    newcomer.profile.join(&code, MemberInfo::named(name)).await?;
    Ok(newcomer)
}

/// How long a test waits for a condition before failing. Generous: CI machines are
/// slow and shared; a pass takes milliseconds.
pub const WAIT: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Some`, or fails after [`WAIT`] naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            anyhow::bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An event input starting at `start` (RFC 3339) and lasting an hour.
pub fn event(title: &str, start: &str) -> EventInput {
    let begin = bastide_core::agenda::parse_date(start).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let end = (begin + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    EventInput {
        title: title.into(),
        start: start.into(),
        end,
        ..Default::default()
    }
}

/// Every record of the relay's logs, read straight from its SQLite file, in order.
pub async fn relay_records(relay: &TestRelay) -> anyhow::Result<Vec<(u64, bastide_proto::wire::Record)>> {
    use bastide_proto::wire::Record;
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", relay.data_dir().join("relay.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let rows: Vec<(i64, i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, kind, bytes FROM entries ORDER BY space, seq")
            .fetch_all(&mut conn)
            .await?;
    conn.close().await?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, bytes)| {
            let record = match kind {
                1 => Record::Op(bytes),
                2 => Record::Ballot(bytes),
                _ => Record::Entry(bytes),
            };
            (u64::try_from(seq).unwrap_or(0), record)
        })
        .collect())
}

/// The membership of `space` as the relay's stored ops replay to.
pub async fn relay_membership(
    relay: &TestRelay,
    space: SpaceId,
) -> anyhow::Result<bastide_proto::membership::Membership> {
    use bastide_proto::membership::{Membership, Op};
    use bastide_proto::wire::Record;
    let mut ops = Vec::new();
    for (_, record) in relay_records(relay).await? {
        if let Record::Op(bytes) = record {
            let op = Op::from_bytes(&bytes)?;
            if op.space() == space {
                ops.push(op);
            }
        }
    }
    Ok(Membership::replay(space, &ops))
}

/// The titles of `client`'s events in `space`, sorted.
pub async fn titles(client: &Client, space: SpaceId) -> anyhow::Result<Vec<String>> {
    let mut titles: Vec<String> = client
        .profile
        .events(space)
        .await?
        .into_iter()
        .map(|e| e.title)
        .collect();
    titles.sort();
    Ok(titles)
}

/// The id of the member called `name` in `space`, as `client` sees the members.
pub async fn member_id(
    client: &Client,
    space: SpaceId,
    name: &str,
) -> anyhow::Result<bastide_core::MemberId> {
    let member = client
        .profile
        .members(space)
        .await?
        .into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| anyhow::anyhow!("no member {name}"))?;
    Ok(member.id.parse()?)
}
