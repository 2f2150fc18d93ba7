//! Opening an export zip made elsewhere: by the documentation's Python sample, a colleague's
//! script or an earlier tool. The archive goes through the stages a download does (verify,
//! extract under the same safety and file-name rules, index) and is published the same way, by
//! one rename, into the library or exactly into `--out`. No server or job stands behind it, so
//! its manifest says it was imported and from which file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::extract::{self, Limits};
use crate::fsutil::{now_rfc3339, now_stamp};
use crate::index::{self, INSTRUMENTS};
use crate::job::new_id;
use crate::library::Library;
use crate::manifest::{Manifest, PhaseTimes};
use crate::pipeline::{Finished, publish};
use crate::progress::{Phase, Progress, ProgressSink};
use crate::request::{ExportRequest, TagFilter};
use crate::verify;

/// The owner an imported export is filed under when none is given.
pub const IMPORTED_OWNER: &str = "Imported";

/// What to import, and where.
#[derive(Debug, Clone, Default)]
pub struct ImportInput {
    pub zip: PathBuf,
    /// The owner to file it under; [`IMPORTED_OWNER`] when not given.
    pub owner: Option<String>,
    /// The project's name; the zip's file name without `.zip` when not given.
    pub project: Option<String>,
    /// Publish exactly into this folder (new or empty) instead of the library.
    pub out: Option<PathBuf>,
}

/// Where an imported export came from, kept in its manifest.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    /// The zip's file name as it was on disk.
    pub file: String,
    /// When it was imported (UTC, RFC 3339).
    pub at: String,
}

impl ImportInput {
    /// The owner and project the export is filed under.
    pub fn names(&self) -> (String, String) {
        let given = |name: &Option<String>| name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        let stem =
            self.zip.file_stem().map(|s| s.to_string_lossy().trim().to_owned()).filter(|s| !s.is_empty()).unwrap_or_else(|| "Imported export".to_owned());
        (given(&self.owner).unwrap_or_else(|| IMPORTED_OWNER.to_owned()), given(&self.project).unwrap_or(stem))
    }
}

/// Imports `input.zip` into `library` (or `input.out`): verified, extracted, indexed and
/// published whole, or nothing is published and nothing is left behind. A zip that is damaged,
/// hostile beyond repair, or holds no `instruments.json` is refused as
/// [`EngineError::NotAnExportZip`] naming the file.
pub fn import(
    library: &Library,
    input: &ImportInput,
    limits: Limits,
    progress: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> Result<Finished, EngineError> {
    // `--out out` means `./out`: its staging folder is made beside it, which needs its parent.
    let input = &ImportInput { out: input.out.as_deref().map(crate::pipeline::absolute).transpose()?, ..input.clone() };
    let zip = input.zip.as_path();
    let file = zip.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let refuse = |reason: String| EngineError::NotAnExportZip { path: zip.to_path_buf(), reason };
    match std::fs::metadata(zip) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(refuse("it is a folder, not a file".to_owned())),
        Err(e) => return Err(refuse(format!("it cannot be opened ({e})"))),
    }
    if let Some(out) = &input.out
        && out.exists()
        && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true)
    {
        return Err(EngineError::DestinationNotEmpty { path: out.clone() });
    }
    let root = input.out.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()).unwrap_or(library.root()).to_path_buf();
    if input.out.is_none() {
        std::fs::create_dir_all(&root).map_err(EngineError::io(format!("could not create {}", root.display())))?;
    }
    crate::fsutil::ensure_writable(&root)?;

    let (owner, project) = input.names();
    let id = new_id();
    let stamp = now_stamp();
    let destination = match &input.out {
        Some(out) => out.clone(),
        None => library.import_dir(&owner, &project, &stamp),
    };
    let staging = match &input.out {
        Some(out) => crate::pipeline::staging_beside(out, &id),
        None => library.work_dir(&id).join("staging"),
    };
    // Whatever happens from here, the staging folder goes: only a published export remains.
    let _staging_goes = Leftovers { dirs: vec![staging.clone(), library.work_dir(&id)] };
    if input.out.is_none() {
        crate::fsutil::create_dir_below(library.root(), &library.work_dir(&id))?;
    }
    let limits = Limits { path_budget: limits.path_budget.min(crate::names::path_budget(&destination)), ..limits };
    let mut times = PhaseTimes::default();
    let mut enter = |phase: Phase| {
        times.set(phase, now_rfc3339());
        progress.emit(Progress::Phase { phase });
    };

    enter(Phase::Verifying);
    let verified = verify::verify(zip, None, progress, cancel).map_err(|e| damaged(zip, e))?;
    enter(Phase::Extracting);
    let extracted = extract::extract(zip, &staging, limits, progress, cancel).map_err(|e| damaged(zip, e))?;
    if !staging.join(INSTRUMENTS).is_file() {
        return Err(refuse(format!("it holds no {INSTRUMENTS} at its top level, so it is not an AnnoLab instrument export")));
    }
    enter(Phase::Indexing);
    let include_files = !extracted.pdfs.is_empty();
    let indexed = index::build(&staging, &extracted.pdfs, include_files, progress, cancel)?;
    enter(Phase::Ready);

    let (problems, counts) = crate::pipeline::findings(&extracted, indexed, progress);
    let manifest = Manifest {
        format: 1,
        request: ExportRequest { owner, project, tags: TagFilter::None, source: None, include_files },
        server: String::new(),
        profile: None,
        job_id: id,
        remote_job_id: 0,
        status_url: String::new(),
        times,
        zip_sha256: verified.sha256,
        zip_bytes: std::fs::metadata(zip).map(|m| m.len()).unwrap_or_default(),
        counts,
        problems,
        renamed: extracted.renamed,
        imported: Some(Imported { file, at: now_rfc3339() }),
    };
    manifest.write(&staging)?;
    publish(library.disk(), &root, &staging, &destination)?;
    Ok(Finished { dir: destination, manifest })
}

/// A damaged archive is the file's fault, not a download's: said so, naming the file.
fn damaged(zip: &Path, error: EngineError) -> EngineError {
    match error {
        EngineError::BadArchive { reason } => EngineError::NotAnExportZip { path: zip.to_path_buf(), reason },
        other => other,
    }
}

/// Removes its folders when dropped (best effort: what is left is only disk space, and
/// [`crate::settle_leftovers`] clears the library's work folders when a library is opened).
struct Leftovers {
    dirs: Vec<PathBuf>,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
