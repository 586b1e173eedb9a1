//! The QUIC connection to a relay: certificate pinning, authentication, and the
//! requests of [`bastide_proto::wire`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bastide_proto::io::{FrameIoError, read_frame, write_frame};
use bastide_proto::wire::{self, ClientMsg, ErrorCode, PushResult, Record, RelayMsg};
use bastide_proto::{ALPN, DeviceKey, EntryId, FrameReader, MAX_FRAME_LEN, RelayAddr, SpaceId};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// How long to wait for a relay to answer the handshake before calling it unreachable.
/// Rural lines can take seconds; beyond this, the user is better told "offline".
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);

/// The server name sent in the handshake. The pinned fingerprint is what authenticates
/// the relay; the name only fills SNI.
const RELAY_CERT_NAME: &str = "bastide-relay";

/// Keep-alives make a dead relay visible within the idle timeout.
const KEEP_ALIVE: Duration = Duration::from_secs(4);
const IDLE_TIMEOUT: Duration = Duration::from_secs(12);

/// Talking to a relay failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The host name did not resolve.
    #[error("cannot resolve relay host {host}: {source}")]
    Resolve {
        /// The host.
        host: String,
        /// The error.
        source: std::io::Error,
    },
    /// The relay did not answer in time, or the connection failed.
    #[error("relay {addr} unreachable: {reason}")]
    Unreachable {
        /// The relay.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The relay presented another certificate than the pinned one.
    #[error("relay {addr} presented certificate {found}, expected {expected}")]
    CertificateMismatch {
        /// The relay.
        addr: String,
        /// The pinned fingerprint.
        expected: String,
        /// The fingerprint presented.
        found: String,
    },
    /// The connection broke.
    #[error("relay connection lost: {0}")]
    Connection(#[from] quinn::ConnectionError),
    /// A stream broke.
    #[error(transparent)]
    Frame(#[from] FrameIoError),
    /// The relay refused a request.
    #[error("relay refused ({code:?}): {message}")]
    Refused {
        /// The class of refusal.
        code: ErrorCode,
        /// The relay's explanation.
        message: String,
    },
    /// The relay answered something unexpected.
    #[error("unexpected reply from relay: {0}")]
    Protocol(String),
}

impl SyncError {
    /// Whether retrying later may succeed (the network, a relay's own failure), or
    /// not (a refusal, a pinned certificate that does not match).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::CertificateMismatch { .. } => false,
            Self::Refused { code, .. } => matches!(code, ErrorCode::Internal | ErrorCode::OverLimit(_)),
            _ => true,
        }
    }
}

/// An authenticated connection to a relay.
pub struct RelayConnection {
    endpoint: quinn::Endpoint,
    connection: quinn::Connection,
    binding: [u8; 32],
    device: DeviceKey,
}

impl RelayConnection {
    /// Connects to `addr`, checks its certificate against the pinned fingerprint, and
    /// authenticates as `device`.
    pub async fn connect(addr: &RelayAddr, device: &DeviceKey) -> Result<Self, SyncError> {
        let (endpoint, connection) = connect_pinned(addr).await?;
        let mut binding = [0u8; 32];
        connection
            .export_keying_material(&mut binding, wire::TLS_BINDING_LABEL, b"")
            .map_err(|_| SyncError::Protocol("no keying material".into()))?;
        let me = Self {
            endpoint,
            connection,
            binding,
            device: device.clone(),
        };
        me.authenticate().await?;
        Ok(me)
    }

    /// The QUIC connection underneath, for tools that speak the protocol by hand.
    pub fn quic(&self) -> &quinn::Connection {
        &self.connection
    }
}

/// Opens a QUIC connection to `addr` whose certificate is the pinned one, without
/// authenticating: what [`RelayConnection::connect`] starts with, and what a tool
/// probing a relay by hand needs. Keep the endpoint as long as the connection.
pub async fn connect_pinned(addr: &RelayAddr) -> Result<(quinn::Endpoint, quinn::Connection), SyncError> {
    let target = resolve(addr).await?;
    let shown = addr.to_string();
    let unreachable = |reason: String| SyncError::Unreachable {
        addr: shown.clone(),
        reason,
    };

    let pin = Arc::new(PinnedCert::new(addr.fingerprint));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| unreachable(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(pin.clone())
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic_tls =
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| unreachable(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic_tls));
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(KEEP_ALIVE));
    transport.max_idle_timeout(IDLE_TIMEOUT.try_into().ok());
    config.transport_config(Arc::new(transport));

    let bind: SocketAddr = if target.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" }
        .parse()
        .map_err(|_| unreachable("bad bind address".into()))?;
    let mut endpoint = quinn::Endpoint::client(bind).map_err(|e| unreachable(e.to_string()))?;
    endpoint.set_default_client_config(config);
    let connecting = endpoint
        .connect(target, RELAY_CERT_NAME)
        .map_err(|e| unreachable(e.to_string()))?;
    let connection = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Err(_) => return Err(unreachable("no answer".into())),
        Ok(Err(quinn::ConnectionError::ConnectionClosed(close)))
            if close.error_code == quinn::TransportErrorCode::CONNECTION_REFUSED =>
        {
            // The relay is up and at its connection limit: busy, not unreachable.
            return Err(SyncError::Refused {
                code: ErrorCode::OverLimit(wire::Limit::Connections),
                message: format!("relay {shown} refused the connection: too many at once"),
            });
        }
        Ok(Err(error)) => {
            if let Some(found) = pin.mismatch() {
                return Err(SyncError::CertificateMismatch {
                    addr: shown,
                    expected: hex::encode(addr.fingerprint),
                    found: hex::encode(found),
                });
            }
            return Err(unreachable(error.to_string()));
        }
        Ok(Ok(connection)) => connection,
    };
    Ok((endpoint, connection))
}

impl RelayConnection {
    async fn authenticate(&self) -> Result<(), SyncError> {
        let (mut send, mut recv) = self.connection.open_bi().await?;
        write_frame(&mut send, &ClientMsg::Hello, MAX_FRAME_LEN).await?;
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        let nonce = match read_frame(&mut recv, &mut reader).await? {
            Some(RelayMsg::Challenge { nonce }) => nonce,
            other => return Err(unexpected(other)),
        };
        let signature = self
            .device
            .sign(&wire::auth_message(&nonce, &self.binding))
            .to_vec();
        let auth = ClientMsg::Auth {
            device: self.device.device_id(),
            signature,
        };
        write_frame(&mut send, &auth, MAX_FRAME_LEN).await?;
        let _ = send.finish();
        expect_ok(read_frame(&mut recv, &mut reader).await?)
    }

    /// Presents an operator's admission token, for this connection to create a space.
    pub async fn admit(&self, token: &str) -> Result<(), SyncError> {
        let (_, reply) = self
            .request(&ClientMsg::Admit {
                token: token.to_owned(),
            })
            .await?;
        expect_ok(reply)
    }

    /// The ids of `space`'s records at `seqs` (at most [`wire::MAX_RECORD_IDS`]).
    pub async fn record_ids(
        &self,
        space: SpaceId,
        seqs: Vec<u64>,
    ) -> Result<Vec<Option<EntryId>>, SyncError> {
        let count = seqs.len();
        let (_, reply) = self.request(&ClientMsg::RecordIds { space, seqs }).await?;
        match reply {
            Some(RelayMsg::RecordIds { ids }) if ids.len() == count => Ok(ids),
            other => Err(unexpected(other)),
        }
    }

    /// Pushes records; one verdict per record.
    pub async fn push(&self, records: Vec<Record>) -> Result<Vec<PushResult>, SyncError> {
        let count = records.len();
        let (_, reply) = self.request(&ClientMsg::Push { records }).await?;
        match reply {
            Some(RelayMsg::PushAck { results }) if results.len() == count => Ok(results),
            other => Err(unexpected(other)),
        }
    }

    /// Casts a sealed ballot in `poll`; returns its place in the log.
    pub async fn cast_ballot(
        &self,
        space: SpaceId,
        poll: bastide_proto::ItemId,
        key: bastide_proto::KeyId,
        sealed: Vec<u8>,
    ) -> Result<u64, SyncError> {
        let msg = ClientMsg::CastBallot {
            space,
            poll,
            key,
            sealed,
        };
        let (_, reply) = self.request(&msg).await?;
        match reply {
            Some(RelayMsg::BallotAck { seq }) => Ok(seq),
            other => Err(unexpected(other)),
        }
    }

    /// Which of `ids` (file chunks of `space`) the relay lacks.
    pub async fn missing_chunks(
        &self,
        space: SpaceId,
        ids: Vec<[u8; 32]>,
    ) -> Result<Vec<[u8; 32]>, SyncError> {
        let (_, reply) = self.request(&ClientMsg::HasChunks { space, ids }).await?;
        match reply {
            Some(RelayMsg::Missing { ids }) => Ok(ids),
            other => Err(unexpected(other)),
        }
    }

    /// Uploads one encrypted file chunk.
    pub async fn put_chunk(&self, space: SpaceId, id: [u8; 32], bytes: Vec<u8>) -> Result<(), SyncError> {
        let (_, reply) = self.request(&ClientMsg::PutChunk { space, id, bytes }).await?;
        expect_ok(reply)
    }

    /// Downloads one encrypted file chunk.
    pub async fn get_chunk(&self, space: SpaceId, id: [u8; 32]) -> Result<Vec<u8>, SyncError> {
        let (_, reply) = self.request(&ClientMsg::GetChunk { space, id }).await?;
        match reply {
            Some(RelayMsg::Chunk { bytes }) => Ok(bytes),
            other => Err(unexpected(other)),
        }
    }

    /// Subscribes to `space` after sequence `after`.
    pub async fn subscribe(&self, space: SpaceId, after: u64) -> Result<Subscription, SyncError> {
        let (mut send, recv) = self.connection.open_bi().await?;
        write_frame(&mut send, &ClientMsg::Subscribe { space, after }, MAX_FRAME_LEN).await?;
        Ok(Subscription {
            _send: send,
            recv,
            reader: FrameReader::new(MAX_FRAME_LEN),
        })
    }

    /// Closes the connection politely. The endpoint lingers in the background until the
    /// relay has the close (QUIC's draining takes a few round trips); nobody waits on it.
    pub async fn close(self) {
        self.connection.close(0u32.into(), b"bye");
        let endpoint = self.endpoint;
        tokio::spawn(async move { endpoint.wait_idle().await });
    }

    /// Resolves when the connection is lost.
    pub async fn closed(&self) -> quinn::ConnectionError {
        self.connection.closed().await
    }

    async fn request(&self, msg: &ClientMsg) -> Result<(quinn::RecvStream, Option<RelayMsg>), SyncError> {
        let (mut send, mut recv) = self.connection.open_bi().await?;
        write_frame(&mut send, msg, MAX_FRAME_LEN).await?;
        let _ = send.finish();
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        let reply = read_frame(&mut recv, &mut reader).await?;
        Ok((recv, reply))
    }
}

/// A subscription stream: backlog, then [`RelayMsg::CaughtUp`], then live entries.
pub struct Subscription {
    _send: quinn::SendStream,
    recv: quinn::RecvStream,
    reader: FrameReader,
}

impl Subscription {
    /// The next message; `Ok(None)` when the relay ended the stream.
    pub async fn next(&mut self) -> Result<Option<RelayMsg>, SyncError> {
        match read_frame(&mut self.recv, &mut self.reader).await? {
            Some(RelayMsg::Error { code, message }) => Err(SyncError::Refused { code, message }),
            other => Ok(other),
        }
    }
}

fn expect_ok(reply: Option<RelayMsg>) -> Result<(), SyncError> {
    match reply {
        Some(RelayMsg::Ok) => Ok(()),
        other => Err(unexpected(other)),
    }
}

fn unexpected(reply: Option<RelayMsg>) -> SyncError {
    match reply {
        Some(RelayMsg::Error { code, message }) => SyncError::Refused { code, message },
        Some(other) => SyncError::Protocol(format!("{other:?}")),
        None => SyncError::Protocol("stream closed without a reply".into()),
    }
}

async fn resolve(addr: &RelayAddr) -> Result<SocketAddr, SyncError> {
    let resolve_err = |source| SyncError::Resolve {
        host: addr.host.clone(),
        source,
    };
    let mut addrs = tokio::net::lookup_host((addr.host.as_str(), addr.port))
        .await
        .map_err(resolve_err)?;
    addrs
        .next()
        .ok_or_else(|| resolve_err(std::io::Error::new(std::io::ErrorKind::NotFound, "no address")))
}

/// Accepts exactly the certificate whose SHA-256 is pinned, and remembers a mismatch
/// so the caller can say so instead of a generic handshake failure.
#[derive(Debug)]
struct PinnedCert {
    fingerprint: [u8; 32],
    seen: std::sync::Mutex<Option<[u8; 32]>>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl PinnedCert {
    fn new(fingerprint: [u8; 32]) -> Self {
        Self {
            fingerprint,
            seen: std::sync::Mutex::new(None),
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }

    fn mismatch(&self) -> Option<[u8; 32]> {
        let seen = *self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.filter(|found| found != &self.fingerprint)
    }
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let found: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        *self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(found);
        if found == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
