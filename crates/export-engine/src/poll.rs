//! Stage 2, poll: follow `exportStatusUrl` until the job finishes or errors.
//!
//! Every second for the first minute (a finished job is noticed within about a second, and the
//! server never sees more than one poll a second), then every 2 s, then every 5 s on long jobs.
//! Transient failures are retried inside the API client.

use std::time::{Duration, Instant};

use annolab_api::{Client, JobState};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::progress::{Progress, ProgressSink};

/// The interval before the next poll, given how long the job has been running.
pub fn interval(elapsed: Duration) -> Duration {
    match elapsed.as_secs() {
        0..60 => Duration::from_secs(1),
        60..300 => Duration::from_secs(2),
        _ => Duration::from_secs(5),
    }
}

/// Polls until the job is `finished`; returns its signed download URL.
pub async fn until_finished(client: &Client, status_url: &str, progress: &dyn ProgressSink, cancel: &CancellationToken) -> Result<String, EngineError> {
    let started = Instant::now();
    let mut polls = 0u32;
    loop {
        let status = tokio::select! {
            _ = cancel.cancelled() => return Err(EngineError::Cancelled),
            status = client.export_status(status_url) => status?,
        };
        polls += 1;
        let word = match &status.status {
            JobState::Finished => "finished",
            JobState::Errored => "errored",
            JobState::Running(word) => word.as_str(),
        };
        progress.emit(Progress::Polled { polls, elapsed_ms: started.elapsed().as_millis() as u64, server_status: word.to_owned() });
        match status.status {
            JobState::Finished => {
                return status
                    .download_url
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| EngineError::UnexpectedResponse { what: "the job finished without a downloadUrl".to_owned() });
            }
            JobState::Errored => {
                return Err(EngineError::ExportErrored { message: status.error.unwrap_or_else(|| "AnnoLab did not say why.".to_owned()) });
            }
            JobState::Running(_) => {}
        }
        tokio::select! {
            _ = cancel.cancelled() => return Err(EngineError::Cancelled),
            _ = tokio::time::sleep(interval(started.elapsed())) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_once_a_second_and_backs_off_on_long_jobs() {
        assert_eq!(interval(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(interval(Duration::from_secs(59)), Duration::from_secs(1));
        assert_eq!(interval(Duration::from_secs(61)), Duration::from_secs(2));
        assert_eq!(interval(Duration::from_secs(3600)), Duration::from_secs(5));
    }
}
