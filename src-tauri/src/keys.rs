//! Where the device key lives: the OS keyring, or — only when there is none, as on a
//! headless test machine — a 0600 file in the profile folder, with a warning.

use std::path::Path;

use bastide_core::DeviceKey;
use serde::Serialize;

/// Which store holds the device key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyStore {
    /// The OS keyring (Secret Service on Linux).
    Keyring,
    /// A file in the profile folder (headless fallback).
    File,
}

/// The keyring service name under which device keys are stored.
const SERVICE: &str = "fr.bastide.app";

/// Loads the device key of the profile in `dir`, making one on first use.
///
/// `BASTIDE_KEY_STORE=file` forces the file store (headless tests); otherwise the OS
/// keyring is tried first.
pub(crate) fn load_device_key(dir: &Path) -> Result<(DeviceKey, KeyStore), bastide_core::Error> {
    let forced_file = std::env::var("BASTIDE_KEY_STORE").is_ok_and(|v| v == "file");
    // A profile that already has a key file keeps using it, so a key never silently
    // changes when a keyring appears later.
    let has_file = bastide_core::device::key_file(dir).exists();
    if !forced_file && !has_file {
        match keyring_key(dir) {
            Ok(key) => return Ok((key, KeyStore::Keyring)),
            Err(error) => {
                tracing::warn!(%error, "no usable OS keyring: the device key is kept in a file of the profile folder (mode 0600)");
            }
        }
    }
    let key = bastide_core::device::load_or_create_file_key(dir)?;
    Ok((key, KeyStore::File))
}

#[cfg(target_os = "linux")]
fn keyring_key(dir: &Path) -> Result<DeviceKey, keyring_core::Error> {
    let store = zbus_secret_service_keyring_store::Store::new()?;
    keyring_entry(store.as_ref(), dir)
}

#[cfg(not(target_os = "linux"))]
fn keyring_key(_dir: &Path) -> Result<DeviceKey, keyring_core::Error> {
    Err(keyring_core::Error::NoDefaultStore)
}

#[cfg(target_os = "linux")]
fn keyring_entry(
    store: &keyring_core::CredentialStore,
    dir: &Path,
) -> Result<DeviceKey, keyring_core::Error> {
    // One key per profile folder: the folder's path names the entry.
    let user = dir.to_string_lossy();
    let entry = store.build(SERVICE, &user, None)?;
    match entry.get_secret() {
        Ok(secret) => {
            let secret: [u8; 32] = secret
                .try_into()
                .map_err(|_| keyring_core::Error::Invalid("secret".into(), "not a device key".into()))?;
            Ok(DeviceKey::from_secret(&secret))
        }
        Err(keyring_core::Error::NoEntry) => {
            let key = DeviceKey::generate();
            entry.set_secret(&key.secret())?;
            Ok(key)
        }
        Err(error) => Err(error),
    }
}
