//! What the OS shows of running exports outside the window: a progress bar on the taskbar
//! (Windows), the dock (macOS) or the launcher (Linux desktops with libunity), a badge with how
//! many exports run, and the window title, which every OS shows (Windows has no badge count).
//! A pure function of the jobs, so it is tested here; the app only applies it.

use export_engine::{JobState, Phase};

use crate::exports::JobView;

/// The product's name, the window title when nothing runs.
pub const PRODUCT: &str = "AnnoLab Exporter";

/// Everything the OS shows outside the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taskbar {
    pub progress: Progress,
    /// Exports running or waiting their turn: the badge.
    pub running: u32,
    pub title: String,
}

/// The taskbar's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing runs: no bar.
    None,
    /// Work whose share cannot be told yet (the server preparing the export, a download of
    /// unknown size): a moving bar.
    Indeterminate,
    /// 0 to 100.
    Percent(u8),
}

impl Taskbar {
    /// The taskbar for `jobs` (any of them; only running ones count). The bar is the mean
    /// share done of the jobs whose share is known, so two exports at 20% and 60% show 40%.
    pub fn of(jobs: &[JobView]) -> Taskbar {
        let running: Vec<&JobView> = jobs.iter().filter(|job| job.status == JobState::Running).collect();
        let known: Vec<f64> = running.iter().filter(|job| !job.waiting).filter_map(|job| job.share_done()).collect();
        let progress = match (running.len(), known.len()) {
            (0, _) => Progress::None,
            (_, 0) => Progress::Indeterminate,
            (_, n) => Progress::Percent((known.iter().sum::<f64>() / n as f64 * 100.0).floor().clamp(0.0, 100.0) as u8),
        };
        let title = match (running.len(), progress) {
            (0, _) => PRODUCT.to_owned(),
            (1, Progress::Percent(p)) => format!("{PRODUCT} \u{2014} exporting, {p}%"),
            (1, _) => format!("{PRODUCT} \u{2014} exporting"),
            (n, Progress::Percent(p)) => format!("{PRODUCT} \u{2014} {n} exports, {p}%"),
            (n, _) => format!("{PRODUCT} \u{2014} {n} exports"),
        };
        Taskbar { progress, running: running.len() as u32, title }
    }
}

impl JobView {
    /// How much of the job is done, 0 to 1, by its phase and that phase's counts: the download
    /// is most of an export's time (5% to 80%), then verifying, extracting and indexing. None
    /// while the server prepares the export or a download's size is unknown.
    pub fn share_done(&self) -> Option<f64> {
        // In basis points, so each phase ends exactly where the next begins.
        let within = |start: u32, width: u32, done: u64, total: u64| {
            let part = if total == 0 { 0.0 } else { (done as f64 / total as f64).min(1.0) };
            f64::from(start + (f64::from(width) * part).round() as u32) / 10_000.0
        };
        match self.phase {
            Phase::Requested | Phase::Processing => None,
            Phase::Downloading => self.total.map(|total| within(500, 7_500, self.bytes, total)),
            Phase::Verifying => Some(within(8_000, 500, self.checked, self.check_total)),
            Phase::Extracting => Some(within(8_500, 1_000, self.files, self.files_total)),
            Phase::Indexing => Some(0.95),
            Phase::Ready => Some(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use export_engine::{ExportRequest, TagFilter};

    use super::*;

    fn job(phase: Phase, status: JobState) -> JobView {
        JobView {
            id: "20261207T100000Z-ab12".into(),
            profile: None,
            request: ExportRequest { owner: "o".into(), project: "p".into(), tags: TagFilter::None, source: None, include_files: true },
            phase,
            status,
            error: None,
            resumable: export_engine::can_resume(status, phase, None),
            reached: Vec::new(),
            requested_at: None,
            polls: 0,
            elapsed_ms: 0,
            server_status: None,
            bytes: 0,
            total: None,
            bytes_per_sec: 0.0,
            eta_secs: None,
            checked: 0,
            check_total: 0,
            files: 0,
            files_total: 0,
            instruments: 0,
            notices: Vec::new(),
            export_dir: None,
            changes: None,
            waiting: false,
            max_running: 3,
        }
    }

    fn downloading(bytes: u64, total: u64) -> JobView {
        JobView { bytes, total: Some(total), ..job(Phase::Downloading, JobState::Running) }
    }

    #[test]
    fn nothing_running_shows_nothing_and_ended_jobs_do_not_count() {
        let ended = [job(Phase::Ready, JobState::Done), job(Phase::Downloading, JobState::Failed), job(Phase::Processing, JobState::Cancelled)];
        assert_eq!(Taskbar::of(&ended), Taskbar { progress: Progress::None, running: 0, title: PRODUCT.to_owned() });
    }

    #[test]
    fn a_server_still_preparing_moves_the_bar_without_a_share() {
        let taskbar = Taskbar::of(&[job(Phase::Processing, JobState::Running)]);
        assert_eq!((taskbar.progress, taskbar.running, taskbar.title.as_str()), (Progress::Indeterminate, 1, "AnnoLab Exporter \u{2014} exporting"));
        assert_eq!(Taskbar::of(&[job(Phase::Downloading, JobState::Running)]).progress, Progress::Indeterminate, "a download of unknown size");
    }

    #[test]
    fn the_bar_is_the_mean_of_the_known_shares_and_waiting_jobs_only_count_on_the_badge() {
        assert_eq!(Taskbar::of(&[downloading(50, 100)]).progress, Progress::Percent(42));
        let waiting = JobView { waiting: true, ..job(Phase::Requested, JobState::Running) };
        let two = Taskbar::of(&[downloading(20, 100), job(Phase::Verifying, JobState::Running), waiting, job(Phase::Ready, JobState::Done)]);
        assert_eq!((two.progress, two.running), (Progress::Percent(50), 3));
        assert_eq!(two.title, "AnnoLab Exporter \u{2014} 3 exports, 50%");
    }

    #[test]
    fn a_jobs_share_never_goes_back_as_it_moves_through_its_phases() {
        let mut shares = Vec::new();
        for bytes in [0, 30, 100] {
            shares.push(downloading(bytes, 100).share_done().unwrap());
        }
        for (phase, done) in
            [(Phase::Verifying, 0), (Phase::Verifying, 8), (Phase::Extracting, 0), (Phase::Extracting, 8), (Phase::Indexing, 8), (Phase::Ready, 8)]
        {
            let view = JobView { checked: done, check_total: 8, files: done, files_total: 8, ..job(phase, JobState::Running) };
            shares.push(view.share_done().unwrap());
        }
        assert!(shares.windows(2).all(|w| w[0] <= w[1]) && shares[0] > 0.0 && *shares.last().unwrap() == 1.0, "{shares:?}");
        assert_eq!(downloading(500, 100).share_done(), Some(0.80), "more bytes than promised stays within the download's share");
    }
}
