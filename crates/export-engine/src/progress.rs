//! Typed progress events, and the throttle that keeps them to a rate a UI can draw.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The pipeline's phases, in order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Requested,
    Processing,
    Downloading,
    Verifying,
    Extracting,
    Indexing,
    Ready,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Requested => "requested",
            Phase::Processing => "processing",
            Phase::Downloading => "downloading",
            Phase::Verifying => "verifying",
            Phase::Extracting => "extracting",
            Phase::Indexing => "indexing",
            Phase::Ready => "ready",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Progress {
    #[serde(rename_all = "camelCase")]
    Phase { phase: Phase },
    /// A status poll answered: the server's status word and how long the job has run.
    #[serde(rename_all = "camelCase")]
    Polled { polls: u32, elapsed_ms: u64, server_status: String },
    #[serde(rename_all = "camelCase")]
    Downloaded { bytes: u64, total: Option<u64>, bytes_per_sec: f64, eta_secs: Option<f64> },
    #[serde(rename_all = "camelCase")]
    Verified { entries: u64, total: u64 },
    #[serde(rename_all = "camelCase")]
    Extracted { files: u64, total: u64 },
    #[serde(rename_all = "camelCase")]
    Indexed { instruments: u64 },
    /// Something the user should know that does not stop the export (a retry, a bad line).
    #[serde(rename_all = "camelCase")]
    Notice { message: String },
}

/// Where progress goes: a terminal bar, JSON lines, a Tauri channel.
pub trait ProgressSink: Send + Sync {
    fn emit(&self, progress: Progress);
}

impl<F: Fn(Progress) + Send + Sync> ProgressSink for F {
    fn emit(&self, progress: Progress) {
        self(progress)
    }
}

/// Lets an event through at most every `every`; the last one of a phase is always sent by the
/// caller with [`Throttle::force`].
#[derive(Debug)]
pub struct Throttle {
    every: Duration,
    last: Option<Instant>,
}

impl Throttle {
    pub fn new(every: Duration) -> Self {
        Throttle { every, last: None }
    }

    pub fn ready(&mut self) -> bool {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.every => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }

    pub fn force(&mut self) {
        self.last = Some(Instant::now());
    }
}

/// Download speed over a sliding window of a few seconds, for a steady speed and ETA.
#[derive(Debug)]
pub struct Speedometer {
    samples: std::collections::VecDeque<(Instant, u64)>,
    window: Duration,
}

impl Speedometer {
    pub fn new() -> Self {
        Speedometer { samples: Default::default(), window: Duration::from_secs(3) }
    }

    pub fn record(&mut self, bytes: u64) -> f64 {
        let now = Instant::now();
        self.samples.push_back((now, bytes));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > self.window) {
            self.samples.pop_front();
        }
        match (self.samples.front(), self.samples.back()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 => (b1 - b0) as f64 / t1.duration_since(*t0).as_secs_f64(),
            _ => 0.0,
        }
    }
}

impl Default for Speedometer {
    fn default() -> Self {
        Self::new()
    }
}
