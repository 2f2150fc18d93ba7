//! Faults a test can inject, from the command line (`--fault`) or through [`Faults`] at run time.
//!
//! Counted faults ("the next N requests") are consumed atomically, so concurrent clients see
//! exactly N of them between them.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The live fault switches of a running sandbox.
#[derive(Debug, Default)]
pub struct Faults {
    rate_limited: AtomicU64,
    retry_after_secs: AtomicU64,
    failing_polls: AtomicU64,
    cut_downloads: AtomicU64,
    /// 0 means "use the configured lifetime".
    url_ttl_secs: AtomicU64,
    /// 0 means no cap.
    bandwidth: AtomicU64,
    malformed_lines: AtomicU64,
    hostile_entries: AtomicBool,
    job_errors: Mutex<Vec<String>>,
}

impl Faults {
    /// The next `n` API requests get 429 with `Retry-After: secs`.
    pub fn rate_limit_next(&self, n: u64, retry_after_secs: u64) {
        self.retry_after_secs.store(retry_after_secs, Ordering::SeqCst);
        self.rate_limited.store(n, Ordering::SeqCst);
    }

    /// The next `n` status polls get 502.
    pub fn fail_next_polls(&self, n: u64) {
        self.failing_polls.store(n, Ordering::SeqCst);
    }

    /// The next `n` downloads stop halfway through the bytes they asked for.
    pub fn cut_next_downloads(&self, n: u64) {
        self.cut_downloads.store(n, Ordering::SeqCst);
    }

    /// Signed URLs issued from now on expire after `ttl`.
    pub fn expire_urls_after(&self, ttl: Duration) {
        self.url_ttl_secs.store(ttl.as_secs().max(1), Ordering::SeqCst);
    }

    /// Caps each download at `bytes_per_sec` (None lifts the cap).
    pub fn cap_bandwidth(&self, bytes_per_sec: Option<u64>) {
        self.bandwidth.store(bytes_per_sec.unwrap_or(0), Ordering::SeqCst);
    }

    /// Exports built from now on carry `n` malformed lines in instruments.json.
    pub fn add_malformed_lines(&self, n: u64) {
        self.malformed_lines.store(n, Ordering::SeqCst);
    }

    /// Exports built from now on carry entries whose paths escape the export folder.
    pub fn add_hostile_entries(&self, on: bool) {
        self.hostile_entries.store(on, Ordering::SeqCst);
    }

    /// The next export job ends `errored` with `message`.
    pub fn error_next_job(&self, message: impl Into<String>) {
        self.job_errors.lock().unwrap_or_else(|p| p.into_inner()).push(message.into());
    }

    pub(crate) fn take_rate_limit(&self) -> Option<u64> {
        take(&self.rate_limited).then(|| self.retry_after_secs.load(Ordering::SeqCst))
    }

    pub(crate) fn take_failing_poll(&self) -> bool {
        take(&self.failing_polls)
    }

    pub(crate) fn take_cut_download(&self) -> bool {
        take(&self.cut_downloads)
    }

    pub(crate) fn url_ttl(&self) -> Option<Duration> {
        match self.url_ttl_secs.load(Ordering::SeqCst) {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        }
    }

    pub(crate) fn bandwidth(&self) -> Option<u64> {
        match self.bandwidth.load(Ordering::SeqCst) {
            0 => None,
            rate => Some(rate),
        }
    }

    pub(crate) fn malformed_lines(&self) -> u64 {
        self.malformed_lines.load(Ordering::SeqCst)
    }

    pub(crate) fn hostile_entries(&self) -> bool {
        self.hostile_entries.load(Ordering::SeqCst)
    }

    pub(crate) fn take_job_error(&self) -> Option<String> {
        let mut errors = self.job_errors.lock().unwrap_or_else(|p| p.into_inner());
        (!errors.is_empty()).then(|| errors.remove(0))
    }
}

/// Decrements a counter if it is above zero; true when a fault was taken.
fn take(counter: &AtomicU64) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

/// One `--fault` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `rate-limit=N[:SECS]`
    RateLimit { requests: u64, retry_after_secs: u64 },
    /// `poll-5xx=N`
    FailPolls(u64),
    /// `cut-download=N`
    CutDownloads(u64),
    /// `url-ttl=SECS`
    UrlTtl(u64),
    /// `job-error=MESSAGE`
    JobError(String),
    /// `bandwidth=BYTES` with an optional k/m/g suffix (powers of 1024)
    Bandwidth(u64),
    /// `malformed-lines=N`
    MalformedLines(u64),
    /// `hostile-entries`
    HostileEntries,
}

impl Fault {
    pub const HELP: &'static str = "\
rate-limit=N[:SECS]  the next N API requests get 429 with Retry-After SECS (default 1)
poll-5xx=N           the next N status polls get 502
cut-download=N       the next N downloads are cut halfway through
url-ttl=SECS         signed download URLs expire after SECS seconds
job-error=MESSAGE    the next export job ends 'errored' with MESSAGE
bandwidth=RATE       cap each download at RATE bytes/s (suffix k, m or g: 1024-based)
malformed-lines=N    instruments.json carries N lines that are not valid JSON
hostile-entries      the zip carries entries such as ../outside.txt and /absolute.txt";

    pub fn apply(&self, faults: &Faults) {
        match self {
            Fault::RateLimit { requests, retry_after_secs } => faults.rate_limit_next(*requests, *retry_after_secs),
            Fault::FailPolls(n) => faults.fail_next_polls(*n),
            Fault::CutDownloads(n) => faults.cut_next_downloads(*n),
            Fault::UrlTtl(secs) => faults.expire_urls_after(Duration::from_secs(*secs)),
            Fault::JobError(message) => faults.error_next_job(message.clone()),
            Fault::Bandwidth(rate) => faults.cap_bandwidth(Some(*rate)),
            Fault::MalformedLines(n) => faults.add_malformed_lines(*n),
            Fault::HostileEntries => faults.add_hostile_entries(true),
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, value) = s.split_once('=').unwrap_or((s, ""));
        let count = |what: &str| -> Result<u64, String> { value.parse().map_err(|_| format!("{name} takes {what}, as in {name}=3; got {value:?}")) };
        match name {
            "rate-limit" => {
                let (n, secs) = value.split_once(':').unwrap_or((value, "1"));
                let parse = |v: &str| v.parse::<u64>().map_err(|_| format!("rate-limit takes N[:SECS], as in rate-limit=3:2; got {value:?}"));
                Ok(Fault::RateLimit { requests: parse(n)?, retry_after_secs: parse(secs)? })
            }
            "poll-5xx" => Ok(Fault::FailPolls(count("a number of polls")?)),
            "cut-download" => Ok(Fault::CutDownloads(count("a number of downloads")?)),
            "url-ttl" => match count("a number of seconds")? {
                0 => Err("url-ttl must be at least 1 second".to_owned()),
                secs => Ok(Fault::UrlTtl(secs)),
            },
            "job-error" if !value.is_empty() => Ok(Fault::JobError(value.to_owned())),
            "job-error" => Err("job-error takes the message the job ends with, as in job-error=\"Out of memory\"".to_owned()),
            "bandwidth" => parse_rate(value).map(Fault::Bandwidth),
            "malformed-lines" => Ok(Fault::MalformedLines(count("a number of lines")?)),
            "hostile-entries" => Ok(Fault::HostileEntries),
            _ => Err(format!("unknown fault {name:?}; the faults are:\n{}", Fault::HELP)),
        }
    }
}

fn parse_rate(value: &str) -> Result<u64, String> {
    let lower = value.to_ascii_lowercase();
    let (digits, unit) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1024),
        Some('m') => (&lower[..lower.len() - 1], 1024 * 1024),
        Some('g') => (&lower[..lower.len() - 1], 1024 * 1024 * 1024),
        _ => (lower.as_str(), 1),
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n.saturating_mul(unit)),
        _ => Err(format!("bandwidth takes a positive rate in bytes/s such as 500k or 2m; got {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_flags_parse() {
        assert_eq!("rate-limit=3".parse(), Ok(Fault::RateLimit { requests: 3, retry_after_secs: 1 }));
        assert_eq!("rate-limit=2:5".parse(), Ok(Fault::RateLimit { requests: 2, retry_after_secs: 5 }));
        assert_eq!("poll-5xx=4".parse(), Ok(Fault::FailPolls(4)));
        assert_eq!("cut-download=1".parse(), Ok(Fault::CutDownloads(1)));
        assert_eq!("url-ttl=5".parse(), Ok(Fault::UrlTtl(5)));
        assert_eq!("job-error=Disk full".parse(), Ok(Fault::JobError("Disk full".into())));
        assert_eq!("bandwidth=2m".parse(), Ok(Fault::Bandwidth(2 * 1024 * 1024)));
        assert_eq!("malformed-lines=3".parse(), Ok(Fault::MalformedLines(3)));
        assert_eq!("hostile-entries".parse(), Ok(Fault::HostileEntries));
        for bad in ["rate-limit=x", "url-ttl=0", "bandwidth=0", "bandwidth=fast", "job-error=", "explode"] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn counted_faults_are_taken_exactly_n_times() {
        let faults = Faults::default();
        faults.fail_next_polls(2);
        assert!(faults.take_failing_poll());
        assert!(faults.take_failing_poll());
        assert!(!faults.take_failing_poll());
        faults.rate_limit_next(1, 7);
        assert_eq!(faults.take_rate_limit(), Some(7));
        assert_eq!(faults.take_rate_limit(), None);
    }
}
