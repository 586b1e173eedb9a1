//! The relay's TLS identity: a self-signed certificate made on first start and kept
//! in the data folder. Clients pin its SHA-256 fingerprint, carried by invitations.

use std::path::Path;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// The certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Reading or writing the certificate files failed.
    #[error("certificate file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Generating the certificate failed.
    #[error("generating the relay certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The relay's certificate and private key.
#[derive(Debug)]
pub struct RelayCert {
    /// The DER certificate.
    pub cert: CertificateDer<'static>,
    /// The PKCS#8 private key.
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// The name in the self-signed certificate; clients pin the fingerprint, not the name.
pub const CERT_NAME: &str = "bastide-relay";

impl RelayCert {
    /// Loads `cert.der` and `key.der` from `dir`, or makes and saves them.
    pub fn load_or_create(dir: &Path) -> Result<Self, CertError> {
        let cert_path = dir.join("cert.der");
        let key_path = dir.join("key.der");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CertError::Io { path, source }
        };
        if cert_path.exists() && key_path.exists() {
            let cert = std::fs::read(&cert_path).map_err(io(&cert_path))?;
            let key = std::fs::read(&key_path).map_err(io(&key_path))?;
            return Ok(Self {
                cert: cert.into(),
                key: key.into(),
            });
        }
        let made = rcgen::generate_simple_self_signed(vec![CERT_NAME.to_owned(), "localhost".to_owned()])?;
        let cert = made.cert.der().to_vec();
        let key = made.signing_key.serialize_der();
        write_private(&key_path, &key).map_err(io(&key_path))?;
        std::fs::write(&cert_path, &cert).map_err(io(&cert_path))?;
        tracing::info!(path = %cert_path.display(), "made a new self-signed relay certificate");
        Ok(Self {
            cert: cert.into(),
            key: key.into(),
        })
    }

    /// The SHA-256 fingerprint clients pin.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.cert.as_ref()).into()
    }

    /// The key in the form rustls takes.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
