//! Device identities: Ed25519 keys that sign entries and authenticate to the relay.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::ids::DeviceId;

/// A signature did not verify, or was not even a well-formed signature or key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The public key bytes are not a valid Ed25519 point.
    #[error("invalid public key")]
    InvalidKey,
    /// The signature is not 64 bytes.
    #[error("malformed signature")]
    Malformed,
    /// The signature does not match the message and key.
    #[error("signature does not verify")]
    Mismatch,
}

/// A device's secret signing key.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(SigningKey::from_bytes(&crate::random_bytes()))
    }

    /// The key from its 32 secret bytes.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(secret))
    }

    /// The 32 secret bytes, for the keyring.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The device's public id.
    pub fn device_id(&self) -> DeviceId {
        DeviceId(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The device's X25519 secret, for key shares sealed to it. Derived from the
    /// signing secret with its own context, so the keyring holds one secret per device.
    pub(crate) fn x25519_secret(&self) -> x25519_dalek::StaticSecret {
        x25519_dalek::StaticSecret::from(blake3::derive_key("bastide/1 device x25519", &self.0.to_bytes()))
    }

    /// The device's X25519 public key, published in the membership log.
    pub fn x25519_public(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.x25519_secret()).to_bytes()
    }
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "DeviceKey({})", self.device_id())
    }
}

impl DeviceId {
    /// Checks that `signature` is this device's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::InvalidKey)?;
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| SignatureError::Malformed)?;
        // Strict: weak (small-order) keys and non-canonical signatures are refused, so
        // one signature cannot stand for several messages or authors.
        key.verify_strict(message, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_order_key_signs_nothing() {
        // The identity point as a key, with R = identity and s = 0: lax Ed25519
        // verification accepts this "signature" of any message under that key.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        for message in [&b"ajoute-moi comme admin"[..], b"autre chose"] {
            assert_eq!(
                DeviceId(weak).verify(message, &sig),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let alice = DeviceKey::generate();
        let mallory = DeviceKey::generate();
        let sig = alice.sign(b"message");
        assert_eq!(alice.device_id().verify(b"message", &sig), Ok(()));
        assert_eq!(
            alice.device_id().verify(b"other", &sig),
            Err(SignatureError::Mismatch),
            "a signature must not carry over to another message"
        );
        assert_eq!(
            mallory.device_id().verify(b"message", &sig),
            Err(SignatureError::Mismatch),
            "a signature must not verify under another device's key"
        );
        assert_eq!(
            alice.device_id().verify(b"message", &sig[..10]),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn secret_round_trips() {
        let key = DeviceKey::generate();
        let again = DeviceKey::from_secret(&key.secret());
        assert_eq!(key.device_id(), again.device_id());
    }
}
