//! Stage 4, verify: the zip's central directory parses and every entry's CRC matches; the
//! archive's sha256 is recorded in the manifest.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::extract::entry_name;
use crate::progress::{Progress, ProgressSink};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub sha256: String,
    pub entries: u64,
}

/// Verifies `zip`. `known_sha256` is the hash the download computed as the bytes arrived; without
/// it (an archive left by an earlier run) the file is hashed here.
pub fn verify(zip: &Path, known_sha256: Option<String>, progress: &dyn ProgressSink, cancel: &CancellationToken) -> Result<Verified, EngineError> {
    let io = |source| EngineError::Io { context: format!("could not read {}", zip.display()), source };
    let sha256 = match known_sha256 {
        Some(sha256) => sha256,
        None => {
            let mut hasher = Sha256::new();
            let mut file = BufReader::with_capacity(1 << 20, File::open(zip).map_err(io)?);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf).map_err(io)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            hex(&hasher.finalize())
        }
    };

    let mut archive = zip::ZipArchive::new(File::open(zip).map_err(io)?).map_err(|e| bad(format!("the central directory is unreadable ({e})")))?;
    let total = crate::extract::each_entry(
        &mut archive,
        cancel,
        |entries, total| progress.emit(Progress::Verified { entries, total }),
        |entry| {
            // Reading an entry to its end makes the zip crate compare its CRC-32.
            io::copy(entry, &mut io::sink()).map(drop).map_err(|e| bad(format!("entry {:?} is corrupt ({e})", entry_name(entry))))
        },
    )?;
    Ok(Verified { sha256, entries: total })
}

fn bad(reason: String) -> EngineError {
    EngineError::BadArchive { reason }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
