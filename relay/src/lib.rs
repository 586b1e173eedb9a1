//! The Bastide relay: a QUIC server that stores sealed entries per space and forwards
//! them to the space's other devices. It checks signatures and membership; it never
//! holds a space key and cannot read what it stores.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bastide_relay::{Config, Server};
//! let server = Server::spawn(Config::new("127.0.0.1:0".parse()?, "/var/lib/bastide-relay".into())).await?;
//! println!("relay: {}", server.relay_addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod blobs;
mod cert;
mod conn;
mod judge;
mod limits;
mod store;
mod tokens;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bastide_proto::{ALPN, RelayAddr};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use cert::{CERT_NAME, CertError, RelayCert};
pub use limits::Limits;
pub use store::StoreError;
pub use tokens::{Issued, TokenInfo, Tokens};

/// How the relay runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Folder for the database and the certificate.
    pub data_dir: PathBuf,
    /// Host name clients should use in the printed relay address; the listen IP if unset.
    pub public_host: Option<String>,
    /// What each client may use of the relay.
    pub limits: Limits,
}

impl Config {
    /// Defaults for everything but where to listen and store. A relay listening on
    /// loopback only (a quick start, a test) lets anyone create a space; one
    /// reachable from other machines asks for an admission token.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            listen,
            data_dir,
            public_host: None,
            limits: Limits {
                open_creation: listen.ip().is_loopback(),
                ..Limits::default()
            },
        }
    }
}

/// The relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The data folder could not be created.
    #[error("data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The certificate could not be loaded or made.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// The TLS configuration was refused.
    #[error("tls configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The UDP socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A running relay.
pub struct Server {
    endpoint: quinn::Endpoint,
    relay_addr: RelayAddr,
    cancel: CancellationToken,
    tasks: JoinSet<()>,
    store: store::Store,
}

impl Server {
    /// Opens the data folder and starts listening.
    pub async fn spawn(config: Config) -> Result<Self, SpawnError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| SpawnError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let cert = RelayCert::load_or_create(&config.data_dir)?;
        let (store, writer) = store::Store::open(&config.data_dir).await?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.clone()], cert.private_key())?;
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let quic_tls = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let mut server_config = quinn::ServerConfig::with_crypto(Arc::new(quic_tls));
        let limits = config.limits.clone();
        let mut transport = quinn::TransportConfig::default();
        // Clients send keep-alives every few seconds; a silent client for this long is gone.
        transport.max_idle_timeout(Duration::from_secs(30).try_into().ok());
        transport.max_concurrent_bidi_streams(limits.streams_per_connection.into());
        transport.max_concurrent_uni_streams(0u32.into());
        // What a client may have in flight that the relay has not read yet (quinn's
        // defaults let a connection send without bound).
        transport.receive_window(CONNECTION_WINDOW.into());
        transport.stream_receive_window(CONNECTION_WINDOW.into());
        transport.send_window(u64::from(CONNECTION_WINDOW));
        server_config.transport_config(Arc::new(transport));

        let endpoint =
            quinn::Endpoint::server(server_config, config.listen).map_err(|source| SpawnError::Bind {
                addr: config.listen,
                source,
            })?;
        let local = endpoint.local_addr().map_err(|source| SpawnError::Bind {
            addr: config.listen,
            source,
        })?;
        let host = config
            .public_host
            .clone()
            .unwrap_or_else(|| local.ip().to_string());
        let relay_addr = RelayAddr {
            host,
            port: local.port(),
            fingerprint: cert.fingerprint(),
        };

        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            if let Err(error) = writer.await {
                tracing::error!(%error, "relay writer task failed");
            }
        });
        let shared = Arc::new(conn::Shared {
            store: store.clone(),
            blobs: blobs::Blobs::new(&config.data_dir),
            buffer: limits::Budget::relay(&limits),
            rates: limits::Rates::default(),
            limits,
        });
        tasks.spawn(accept_loop(endpoint.clone(), shared, cancel.clone()));
        tracing::info!(%relay_addr, "relay listening");
        Ok(Self {
            endpoint,
            relay_addr,
            cancel,
            tasks,
            store,
        })
    }

    /// The address clients pass to `--relay`, with the certificate fingerprint.
    pub fn relay_addr(&self) -> &RelayAddr {
        &self.relay_addr
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.endpoint
            .local_addr()
            .unwrap_or_else(|_| ([127, 0, 0, 1], self.relay_addr.port).into())
    }

    /// Stops accepting, closes every connection, waits for them, closes the database.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        self.endpoint.close(0u32.into(), b"relay shutting down");
        self.endpoint.wait_idle().await;
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        self.store.close().await;
    }

    /// Runs until the accept loop ends (it does not on its own; use with a signal).
    pub async fn join(&mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Bytes a connection may have in flight unread, each way: enough for a rural line's
/// bandwidth-delay product, and 512 connections' worth stays a few hundred MiB.
const CONNECTION_WINDOW: u32 = 1024 * 1024;

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<conn::Shared>, cancel: CancellationToken) {
    let limits = &shared.limits;
    let mut handshakes = limits::Bucket::new(
        limits.handshakes_per_second,
        limits.handshakes_per_second.saturating_mul(5),
    );
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            incoming = endpoint.accept() => {
                let Some(incoming) = incoming else { break };
                let remote = incoming.remote_address();
                // Refusing costs one small packet; the client is told the relay is busy.
                if conns.len() >= limits.max_connections {
                    tracing::warn!(%remote, max = limits.max_connections, "connection refused: too many connections");
                    incoming.refuse();
                    continue;
                }
                if handshakes.take(1, std::time::Instant::now()).is_err() {
                    tracing::warn!(%remote, "connection refused: too many handshakes per second");
                    incoming.refuse();
                    continue;
                }
                let shared = shared.clone();
                conns.spawn(
                    async move {
                        match incoming.await {
                            Ok(connection) => conn::serve(connection, shared).await,
                            Err(error) => tracing::debug!(%error, "handshake failed"),
                        }
                    }
                    .instrument(tracing::info_span!("conn", %remote)),
                );
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}
