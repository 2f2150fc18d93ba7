//! A length cap and a name, made legal (export_engine::fuzzing::names).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| export_engine::fuzzing::names(data));
