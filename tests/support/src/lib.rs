//! Helpers the workspace's tests share, so that each is written once: finding a file that holds
//! the API key, fingerprinting an export folder, and starting a sandbox whose jobs finish at once.
//!
//! Only tests use this crate (as a dev-dependency); it is never published.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use annolab_sandbox::{Sandbox, SandboxConfig};
use sha2::Digest;

/// A sandbox answering to `key` whose export jobs finish at once, adjusted by `configure`.
pub async fn instant_sandbox(key: &str, configure: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig::with_key(key);
    config.job_time = std::time::Duration::ZERO;
    configure(&mut config);
    Sandbox::start(config).await.unwrap()
}

/// Every file below `dir` (links followed), in no set order. Panics naming a folder it cannot list.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap_or_else(|e| panic!("cannot list {}: {e}", next.display())) {
            let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", next.display())).path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Asserts that no file below `dir` holds `secret` (the API key), naming the file that does; a
/// file that cannot be read fails too. Returns how many files it read, so a test can check that
/// the walk saw what it should have.
pub fn assert_no_file_contains(dir: &Path, secret: &str) -> usize {
    let files = files_below(dir);
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(!holds(&bytes, secret), "the key is in {}", path.display());
    }
    files.len()
}

/// A file below `dir` whose bytes contain `needle`, for tests that report rather than panic.
/// Folders named in `skip_dirs` (say, the keyring's own encrypted store) are not entered, and
/// what cannot be listed or read is passed over.
pub fn file_containing(dir: &Path, needle: &str, skip_dirs: &[&str]) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| skip_dirs.iter().any(|skip| n == *skip)) {
                continue;
            }
            if let Some(found) = file_containing(&path, needle, skip_dirs) {
                return Some(found);
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && holds(&bytes, needle)
        {
            return Some(path);
        }
    }
    None
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Every file below `dir` with its bytes, by its path relative to `dir` (`/` between the parts).
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_below(dir).into_iter().map(|path| (relative(dir, &path), std::fs::read(&path).unwrap())).collect()
}

/// The sha256 of every file below an export folder, by relative path (`/` between the parts),
/// except the paths in `skip` (say `manifest.json` and `index.sqlite`, which record times): what
/// "the same files" as another run means.
pub fn fingerprint(dir: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    files_below(dir)
        .into_iter()
        .map(|path| (relative(dir, &path), path))
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .map(|(name, path)| (name, sha256_hex(&std::fs::read(&path).unwrap())))
        .collect()
}

/// The sha256 of `bytes` in lower-case hex, as manifests record it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn relative(dir: &Path, path: &Path) -> String {
    let parts: Vec<_> = path.strip_prefix(dir).unwrap().components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join("/")
}
