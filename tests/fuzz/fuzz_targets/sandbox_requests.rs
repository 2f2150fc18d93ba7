//! A request body and a Range header, parsed by the sandbox (annolab_sandbox::fuzzing::requests).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| annolab_sandbox::fuzzing::requests(data));
