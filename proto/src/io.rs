//! Frame reading and writing over async streams (QUIC streams in practice).

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::frame::{self, FrameError, FrameReader};

/// A frame could not be sent or received.
#[derive(Debug, thiserror::Error)]
pub enum FrameIoError {
    /// The frame itself is bad.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The stream failed.
    #[error("stream i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes one message as a frame.
pub async fn write_frame<W, M>(w: &mut W, msg: &M, max: usize) -> Result<(), FrameIoError>
where
    W: AsyncWrite + Unpin,
    M: Serialize,
{
    let bytes = frame::encode(msg, max)?;
    w.write_all(&bytes).await?;
    Ok(())
}

/// Reads the next message; `Ok(None)` when the stream ended cleanly between frames.
pub async fn read_frame<R, M>(r: &mut R, reader: &mut FrameReader) -> Result<Option<M>, FrameIoError>
where
    R: AsyncRead + Unpin,
    M: DeserializeOwned,
{
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(msg) = reader.next_message()? {
            return Ok(Some(msg));
        }
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return if reader.has_partial() {
                Err(FrameError::Truncated.into())
            } else {
                Ok(None)
            };
        }
        reader.push(&chunk[..n]);
    }
}
