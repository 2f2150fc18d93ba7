//! instruments.json bytes, indexed (export_engine::fuzzing::instruments).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let work = tempfile::tempdir().expect("a temporary folder");
    export_engine::fuzzing::instruments(data, work.path());
});
