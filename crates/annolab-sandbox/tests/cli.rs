//! The `annolab-sandbox` binary as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn sandbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_annolab-sandbox"))
}

#[test]
fn help_documents_every_flag_and_fault() {
    let output = sandbox().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--port",
        "--key",
        "--key-without-read",
        "--instruments",
        "--job-seconds",
        "--sources",
        "--fault",
        "--url-ttl",
        "--page-kib",
        "--storage-port",
        "--public-url",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    for fault in ["rate-limit=", "poll-5xx=", "cut-download=", "url-ttl=", "job-error=", "bandwidth=", "malformed-lines=", "hostile-entries"] {
        assert!(help.contains(fault), "--help lacks fault {fault}");
    }
}

#[test]
fn it_prints_where_it_listens_once_ready() {
    let mut child = sandbox().args(["--port", "0", "--key", "k", "--instruments", "12"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("{first}"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    // It answers at once: the line is printed only when the listener is bound.
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    assert!(lines.next().unwrap().unwrap().starts_with("downloads on http://127.0.0.1:"));
    assert!(lines.next().unwrap().unwrap().contains("12 instruments"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_flags_fail_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["--port", "0"], "--key"),
        (&["--key", "k", "--fault", "explode"], "unknown fault"),
        (&["--key", "k", "--fault", "bandwidth=fast"], "bandwidth takes a positive rate"),
        (&["--key", "k", "--instruments", "2000000"], "2000000"),
        (&["--key", "k", "--port", "9999", "--storage-port", "9999"], "--storage-port must differ from --port"),
        (&["--key", "k", "--port", "0", "--sources", "/nonexistent-annolab-dir"], "could not load source PDFs"),
    ];
    for (args, message) in cases {
        let output = sandbox().args(*args).env_remove("ANNOLAB_SANDBOX_KEY").output().unwrap();
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
