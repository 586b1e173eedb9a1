//! The device key kept in a file of the profile folder.
//!
//! This is the store for headless use (the `bastide` command, tests, servers without
//! a desktop keyring). The desktop app keeps its key in the OS keyring and only falls
//! back to this file, with a warning, when no keyring is available.

use std::io::Write;
use std::path::{Path, PathBuf};

use bastide_proto::DeviceKey;

use crate::error::Error;

/// The file name of the device key inside a profile folder.
pub const KEY_FILE: &str = "device.key";

/// The path of the key file of the profile in `dir`.
pub fn key_file(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

/// Reads the device key from `dir`, or makes one and writes it with mode 0600.
pub fn load_or_create_file_key(dir: &Path) -> Result<DeviceKey, Error> {
    let path = key_file(dir);
    let io = |source| Error::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| Error::InvalidInput(format!("{} is not a device key", path.display())))?;
            Ok(DeviceKey::from_secret(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let key = DeviceKey::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&path).map_err(io)?;
            file.write_all(hex::encode(key.secret()).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_file_key(dir.path()).unwrap();
        let again = load_or_create_file_key(dir.path()).unwrap();
        assert_eq!(
            first.device_id(),
            again.device_id(),
            "the same profile must keep its device"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_file(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
        }
    }
}
