//! `cargo +nightly fuzz run sync_message`: see `loam::fuzzing::sync_message` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| loam::fuzzing::sync_message(data));
