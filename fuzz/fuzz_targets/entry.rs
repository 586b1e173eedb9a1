//! Entries come from other devices through the relay: decoding and checking any
//! bytes must never panic.
#![no_main]

use bastide_proto::{Entry, SpaceKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = Entry::from_bytes(data) {
        assert_eq!(Entry::from_bytes(&entry.to_bytes()).as_ref(), Ok(&entry), "decoding round-trips");
        let _ = entry.open(&SpaceKey([7; 32]));
    }
});
