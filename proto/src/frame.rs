//! Length-prefixed frames: a 4-byte big-endian length, then a postcard-encoded message.
//!
//! [`FrameReader`] is sans-IO: feed it bytes as they arrive, take whole messages out.
//! A frame longer than the limit is refused before any of it is buffered, so a
//! malicious peer cannot make the reader allocate more than the limit.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The default largest frame: 16 MiB. Items are small Automerge changes; file contents
/// travel as separate blobs in chunks well below this, so anything larger is an error
/// or an attack.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// A frame could not be encoded or decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The announced or actual length is over the limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The announced length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The payload is not a valid message.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// The stream ended in the middle of a frame.
    #[error("stream ended inside a frame")]
    Truncated,
}

/// Encodes `msg` as one frame.
pub fn encode<M: Serialize>(msg: &M, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = vec![0u8; 4];
    let out = postcard::to_extend(msg, std::mem::take(&mut out))
        .map_err(|e| FrameError::Malformed(e.to_string()))?;
    let len = out.len() - 4;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let mut out = out;
    // `len <= max <= u32::MAX` for any sane limit; saturating keeps it total.
    let prefix = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    out[..4].copy_from_slice(&prefix);
    Ok(out)
}

/// Accumulates bytes and yields whole messages.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    max: usize,
}

impl FrameReader {
    /// A reader refusing frames over `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { buf: Vec::new(), max }
    }

    /// Appends received bytes. Once a frame's length is known (and within the
    /// limit), room for exactly that frame is made, so a large frame does not leave
    /// the buffer at up to twice its size.
    pub fn push(&mut self, bytes: &[u8]) {
        if let Ok(Some(len)) = self.pending_len() {
            let whole = 4 + len;
            if self.buf.len() < whole && self.buf.capacity() < whole {
                self.buf.reserve_exact(whole - self.buf.len());
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The length of the frame in progress, once its prefix has arrived, checked
    /// against the limit.
    pub fn pending_len(&self) -> Result<Option<usize>, FrameError> {
        let Some(prefix) = self.buf.get(..4) else {
            return Ok(None);
        };
        let mut len = [0u8; 4];
        len.copy_from_slice(prefix);
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(FrameError::TooLarge { len, max: self.max });
        }
        Ok(Some(len))
    }

    /// Takes the next whole message, if one has arrived.
    pub fn next_message<M: DeserializeOwned>(&mut self) -> Result<Option<M>, FrameError> {
        let Some(len) = self.pending_len()? else {
            return Ok(None);
        };
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let msg =
            postcard::from_bytes(&self.buf[4..4 + len]).map_err(|e| FrameError::Malformed(e.to_string()));
        self.buf.drain(..4 + len);
        msg.map(Some)
    }

    /// Whether bytes of an unfinished frame are buffered.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Msg {
        n: u32,
        text: String,
    }

    #[test]
    fn frames_round_trip_byte_by_byte() {
        let a = Msg {
            n: 1,
            text: "réunion".into(),
        };
        let b = Msg {
            n: 2,
            text: String::new(),
        };
        let mut bytes = encode(&a, MAX_FRAME_LEN).unwrap();
        bytes.extend(encode(&b, MAX_FRAME_LEN).unwrap());
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        let mut out = Vec::new();
        for byte in bytes {
            reader.push(&[byte]);
            while let Some(m) = reader.next_message::<Msg>().unwrap() {
                out.push(m);
            }
        }
        assert_eq!(out, vec![a, b]);
        assert!(!reader.has_partial());
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_prefix() {
        let mut reader = FrameReader::new(1024);
        reader.push(&(1025u32).to_be_bytes());
        assert_eq!(
            reader.next_message::<Msg>(),
            Err(FrameError::TooLarge { len: 1025, max: 1024 }),
            "the reader must refuse before buffering the body"
        );
        let big = Msg {
            n: 0,
            text: "x".repeat(2000),
        };
        assert!(matches!(encode(&big, 1024), Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn a_malformed_payload_is_a_typed_error() {
        let mut reader = FrameReader::new(1024);
        reader.push(&[0, 0, 0, 2, 0xff, 0xff]);
        assert!(matches!(
            reader.next_message::<Msg>(),
            Err(FrameError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut reader = FrameReader::new(1024);
            reader.push(&bytes);
            while let Ok(Some(_)) = reader.next_message::<Msg>() {}
        }
    }
}
