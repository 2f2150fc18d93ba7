//! An archive's bytes, extracted as they arrive (export_engine::fuzzing::zip_streaming).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let work = tempfile::tempdir().expect("a temporary folder");
    export_engine::fuzzing::zip_streaming(data, work.path());
});
