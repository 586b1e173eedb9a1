//! Files travel as encrypted chunks: each file has its own random key (kept in the
//! item that references it, itself sealed under the space key), each chunk of at most
//! [`CHUNK_SIZE`] plaintext bytes is sealed with XChaCha20-Poly1305 under that key
//! with its index as nonce and associated data, and is named by the BLAKE3 hash of
//! its ciphertext. The relay stores chunks by name and can neither read nor reorder
//! them.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 1024 * 1024;

/// A file's own key.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey(pub [u8; 32]);

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(..)")
    }
}

/// A chunk does not open: wrong key, wrong place in the file, or tampered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("file chunk does not decrypt")]
pub struct ChunkError;

impl FileKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(crate::random_bytes())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// Seals the chunk at `index`; returns its ciphertext and name.
    pub fn seal(&self, index: u64, plaintext: &[u8]) -> Result<(Vec<u8>, [u8; 32]), ChunkError> {
        let sealed = self
            .cipher()
            .encrypt(
                &nonce(index),
                Payload {
                    msg: plaintext,
                    aad: &aad(index),
                },
            )
            .map_err(|_| ChunkError)?;
        let id = *blake3::hash(&sealed).as_bytes();
        Ok((sealed, id))
    }

    /// Opens the chunk at `index`.
    pub fn open(&self, index: u64, sealed: &[u8]) -> Result<Vec<u8>, ChunkError> {
        self.cipher()
            .decrypt(
                &nonce(index),
                Payload {
                    msg: sealed,
                    aad: &aad(index),
                },
            )
            .map_err(|_| ChunkError)
    }
}

fn nonce(index: u64) -> XNonce {
    let mut nonce = [0u8; 24];
    nonce[..8].copy_from_slice(&index.to_le_bytes());
    *XNonce::from_slice(&nonce)
}

fn aad(index: u64) -> Vec<u8> {
    [b"bastide/1 chunk\0".as_slice(), &index.to_le_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_open_only_with_their_key_and_place() {
        let key = FileKey::generate();
        let (sealed, id) = key.seal(3, b"compte rendu").unwrap();
        assert_eq!(id, *blake3::hash(&sealed).as_bytes());
        assert_eq!(key.open(3, &sealed).unwrap(), b"compte rendu");
        assert!(key.open(4, &sealed).is_err(), "bound to its index");
        assert!(FileKey::generate().open(3, &sealed).is_err());
        let mut tampered = sealed;
        tampered[0] ^= 1;
        assert!(key.open(3, &tampered).is_err());
    }
}
