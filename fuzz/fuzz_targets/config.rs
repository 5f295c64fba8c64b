//! `cargo +nightly fuzz run config`: see `loam::fuzzing::config` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| loam::fuzzing::config(data));
