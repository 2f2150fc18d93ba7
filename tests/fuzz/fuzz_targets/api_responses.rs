//! An HTTP status and a body, read as the API client reads answers (annolab_api::fuzzing::responses).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| annolab_api::fuzzing::responses(data));
