//! Membership operations come from other members through the relay: decoding,
//! verifying and replaying any bytes must never panic.
#![no_main]

use bastide_proto::SpaceId;
use bastide_proto::membership::{Membership, Op};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(op) = Op::from_bytes(data) {
        let _ = op.verify();
        let state = Membership::replay(op.space(), std::slice::from_ref(&op));
        let _ = state.heads();
        let _ = Membership::replay(SpaceId([0; 16]), &[op]);
    }
});
