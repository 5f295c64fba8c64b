//! `cargo +nightly fuzz run note`: see `loam::fuzzing::note` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| loam::fuzzing::note(data));
