//! Key shares: a space key sealed to one device's X25519 key, so that members get
//! every key of the space without anyone, the relay included, seeing it in the clear.
//!
//! Sealing is ephemeral-static Diffie-Hellman: a fresh X25519 key per share, the shared
//! secret hashed with both public keys into an XChaCha20-Poly1305 key; the space,
//! key id and recipient are bound as associated data, so a share cannot be replayed
//! for another space, key or device.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::entry::SpaceKey;
use crate::identity::DeviceKey;
use crate::ids::{DeviceId, KeyId, SpaceId};

/// A share could not be made or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyShareError {
    /// The recipient's X25519 key is a low-order point: no secret can be agreed with it.
    #[error("the recipient's x25519 key is unusable")]
    WeakKey,
    /// The share is for another device.
    #[error("this key share is for another device")]
    NotForMe,
    /// Wrong device key, wrong space or key id, or tampered.
    #[error("key share does not open")]
    Open,
}

/// One space key, sealed to one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyShare {
    /// Which space key it holds.
    pub key: KeyId,
    /// The device it is for.
    pub recipient: DeviceId,
    /// The sender's one-time X25519 public key.
    pub ephemeral: [u8; 32],
    /// The XChaCha20 nonce.
    pub nonce: [u8; 24],
    /// The sealed space key.
    pub ciphertext: Vec<u8>,
}

impl KeyShare {
    /// Seals `key` (of `space`, known as `key_id`) to `recipient`, whose X25519 public key the
    /// membership log gives.
    pub fn seal(
        space: SpaceId,
        key_id: KeyId,
        key: &SpaceKey,
        recipient: DeviceId,
        recipient_x25519: &[u8; 32],
    ) -> Result<Self, KeyShareError> {
        let ephemeral = x25519_dalek::StaticSecret::from(crate::random_bytes::<32>());
        let ephemeral_public = x25519_dalek::PublicKey::from(&ephemeral).to_bytes();
        let shared = ephemeral.diffie_hellman(&x25519_dalek::PublicKey::from(*recipient_x25519));
        if !shared.was_contributory() {
            return Err(KeyShareError::WeakKey);
        }
        let cipher = cipher(shared.as_bytes(), &ephemeral_public, recipient_x25519);
        let nonce: [u8; 24] = crate::random_bytes();
        let aad = associated(space, key_id, &recipient);
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &key.0,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyShareError::Open)?;
        Ok(Self {
            key: key_id,
            recipient,
            ephemeral: ephemeral_public,
            nonce,
            ciphertext,
        })
    }

    /// Opens the share with this device's key.
    pub fn open(&self, space: SpaceId, device: &DeviceKey) -> Result<SpaceKey, KeyShareError> {
        if device.device_id() != self.recipient {
            return Err(KeyShareError::NotForMe);
        }
        let secret = device.x25519_secret();
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(self.ephemeral));
        if !shared.was_contributory() {
            return Err(KeyShareError::Open);
        }
        let cipher = cipher(shared.as_bytes(), &self.ephemeral, &public);
        let aad = associated(space, self.key, &self.recipient);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| KeyShareError::Open)?;
        let key: [u8; 32] = plain.try_into().map_err(|_| KeyShareError::Open)?;
        Ok(SpaceKey(key))
    }
}

fn cipher(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> XChaCha20Poly1305 {
    let material = [shared.as_slice(), ephemeral, recipient].concat();
    let key = blake3::derive_key("bastide/1 key share", &material);
    XChaCha20Poly1305::new((&key).into())
}

fn associated(space: SpaceId, key: KeyId, recipient: &DeviceId) -> Vec<u8> {
    [space.0.as_slice(), &key.0.to_le_bytes(), &recipient.0].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_opens_only_for_its_device_space_and_key_id() {
        let space = SpaceId::random();
        let key = SpaceKey::generate();
        let bob = DeviceKey::generate();
        let share = KeyShare::seal(space, KeyId(3), &key, bob.device_id(), &bob.x25519_public()).unwrap();
        assert_eq!(share.open(space, &bob).unwrap(), key);
        assert!(
            !share.ciphertext.windows(8).any(|w| w == &key.0[..8]),
            "the key is not in the clear"
        );

        let mallory = DeviceKey::generate();
        assert_eq!(share.open(space, &mallory), Err(KeyShareError::NotForMe));
        let mut redirected = share.clone();
        redirected.recipient = mallory.device_id();
        assert_eq!(
            redirected.open(space, &mallory),
            Err(KeyShareError::Open),
            "nor by relabelling it"
        );
        assert_eq!(
            share.open(SpaceId::random(), &bob),
            Err(KeyShareError::Open),
            "bound to its space"
        );
        let mut other_key = share.clone();
        other_key.key = KeyId(4);
        assert_eq!(
            other_key.open(space, &bob),
            Err(KeyShareError::Open),
            "bound to its key id"
        );
        let mut tampered = share;
        tampered.ciphertext[0] ^= 1;
        assert_eq!(tampered.open(space, &bob), Err(KeyShareError::Open));
    }

    #[test]
    fn a_low_order_recipient_key_is_refused() {
        let key = SpaceKey::generate();
        let zero = [0u8; 32];
        assert_eq!(
            KeyShare::seal(SpaceId::random(), KeyId(0), &key, DeviceId([1; 32]), &zero),
            Err(KeyShareError::WeakKey)
        );
    }

    #[test]
    fn the_x25519_key_is_stable_per_device() {
        let device = DeviceKey::generate();
        let again = DeviceKey::from_secret(&device.secret());
        assert_eq!(device.x25519_public(), again.x25519_public());
        assert_ne!(device.x25519_public(), DeviceKey::generate().x25519_public());
    }
}
