//! The relay's frame decoder, fed arbitrary bytes in arbitrary chunks, must never
//! panic nor buffer past its limit.
#![no_main]

use bastide_proto::FrameReader;
use bastide_proto::wire::{ClientMsg, RelayMsg};
use libfuzzer_sys::fuzz_target;

/// A small limit, so that oversized frames are reached too.
const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the chunk size, as if the bytes arrived in pieces.
    let Some((&chunk, rest)) = data.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let mut client = FrameReader::new(MAX);
    let mut relay = FrameReader::new(MAX);
    for piece in rest.chunks(chunk) {
        client.push(piece);
        relay.push(piece);
        while let Ok(Some(_)) = client.next_message::<ClientMsg>() {}
        while let Ok(Some(_)) = relay.next_message::<RelayMsg>() {}
    }
});
