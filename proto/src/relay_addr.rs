//! The address of a relay as users and invitations carry it:
//! `quic://HOST:PORT#FINGERPRINT`, where FINGERPRINT is the SHA-256 of the relay's
//! certificate in hex, pinned by clients.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A relay's address and pinned certificate fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayAddr {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// UDP port.
    pub port: u16,
    /// SHA-256 of the relay's DER certificate.
    pub fingerprint: [u8; 32],
}

/// A relay address that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid relay address {text:?}: {reason} (expected quic://HOST:PORT#FINGERPRINT)")]
pub struct RelayAddrError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for RelayAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "quic://[{}]:{}#{}",
                self.host,
                self.port,
                hex::encode(self.fingerprint)
            )
        } else {
            write!(
                f,
                "quic://{}:{}#{}",
                self.host,
                self.port,
                hex::encode(self.fingerprint)
            )
        }
    }
}

impl FromStr for RelayAddr {
    type Err = RelayAddrError;

    fn from_str(s: &str) -> Result<Self, RelayAddrError> {
        let err = |reason| RelayAddrError {
            text: s.to_owned(),
            reason,
        };
        let rest = s
            .trim()
            .strip_prefix("quic://")
            .ok_or_else(|| err("missing quic:// prefix"))?;
        let (hostport, fp) = rest.split_once('#').ok_or_else(|| err("missing #fingerprint"))?;
        let fp = hex::decode(fp).map_err(|_| err("fingerprint is not hexadecimal"))?;
        let fingerprint: [u8; 32] = fp
            .try_into()
            .map_err(|_| err("fingerprint is not 64 hexadecimal characters"))?;
        let (host, port) = hostport.rsplit_once(':').ok_or_else(|| err("missing :port"))?;
        let port = port.parse().map_err(|_| err("port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(err("missing host"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for host in ["127.0.0.1", "relais.pays-exemple.fr", "::1"] {
            let addr = RelayAddr {
                host: host.into(),
                port: 4433,
                fingerprint: [0xab; 32],
            };
            assert_eq!(addr.to_string().parse::<RelayAddr>(), Ok(addr));
        }
    }

    #[test]
    fn bad_addresses_say_why() {
        assert_eq!(
            "127.0.0.1:4433".parse::<RelayAddr>().unwrap_err().reason,
            "missing quic:// prefix"
        );
        assert!("quic://127.0.0.1:4433#abcd".parse::<RelayAddr>().is_err());
        assert!("quic://127.0.0.1#".parse::<RelayAddr>().is_err());
    }
}
