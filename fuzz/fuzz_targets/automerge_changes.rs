//! The check every change from another member passes before Automerge sees it: fed
//! arbitrary bytes, it must never panic, never allocate what the bytes announce, and
//! whatever it lets through must load into a document without blowing up.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if bastide_core::guard::check_changes(data).is_ok() {
        // Passed: Automerge may refuse it, but within what the bytes hold.
        let mut doc = automerge::AutoCommit::new();
        let _ = doc.load_incremental(data);
    }
});
