//! An archive's bytes, verified and extracted (export_engine::fuzzing::zip_buffered).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let work = tempfile::tempdir().expect("a temporary folder");
    export_engine::fuzzing::zip_buffered(data, work.path());
});
