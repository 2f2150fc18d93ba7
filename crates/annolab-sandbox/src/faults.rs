//! Faults a test can inject, from the command line (`--fault`) or through [`Faults`] at run time.
//!
//! Counted faults ("the next N requests") are consumed atomically, so concurrent clients see
//! exactly N of them between them.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The live fault switches of a running sandbox.
#[derive(Debug)]
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
    integrity_problems: AtomicBool,
    instruments_last: AtomicBool,
    retry_after_date: AtomicBool,
    busy_downloads: AtomicU64,
    download_retry_after_secs: AtomicU64,
    stalled_downloads: AtomicU64,
    /// u64::MAX means off: every download then ends this many bytes before the file does.
    short_by: AtomicU64,
    job_errors: Mutex<Vec<String>>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rate_limited: AtomicU64::new(0),
            retry_after_secs: AtomicU64::new(0),
            failing_polls: AtomicU64::new(0),
            cut_downloads: AtomicU64::new(0),
            url_ttl_secs: AtomicU64::new(0),
            bandwidth: AtomicU64::new(0),
            malformed_lines: AtomicU64::new(0),
            hostile_entries: AtomicBool::new(false),
            integrity_problems: AtomicBool::new(false),
            instruments_last: AtomicBool::new(false),
            retry_after_date: AtomicBool::new(false),
            busy_downloads: AtomicU64::new(0),
            download_retry_after_secs: AtomicU64::new(0),
            stalled_downloads: AtomicU64::new(0),
            short_by: AtomicU64::new(u64::MAX),
            job_errors: Mutex::new(Vec::new()),
        }
    }
}

impl Faults {
    /// `Retry-After` is sent as an HTTP date (RFC 9110's other form) instead of seconds.
    pub fn retry_after_as_date(&self, on: bool) {
        self.retry_after_date.store(on, Ordering::SeqCst);
    }

    /// The next `n` downloads get 503 SlowDown with `Retry-After: secs`, as cloud storage sheds load.
    pub fn busy_next_downloads(&self, n: u64, retry_after_secs: u64) {
        self.download_retry_after_secs.store(retry_after_secs, Ordering::SeqCst);
        self.busy_downloads.store(n, Ordering::SeqCst);
    }

    /// The next `n` downloads stop sending halfway through and keep the connection open, as a
    /// proxy that hangs does, until the client gives up on them (or the sandbox stops).
    pub fn stall_next_downloads(&self, n: u64) {
        self.stalled_downloads.store(n, Ordering::SeqCst);
    }

    /// Every download from now on ends `bytes` before the end of the file although its
    /// Content-Length promises the rest, then closes the connection (None: serve whole again).
    pub fn shorten_downloads(&self, bytes: Option<u64>) {
        self.short_by.store(bytes.unwrap_or(u64::MAX), Ordering::SeqCst);
    }

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

    /// Exports built from now on have one PDF with a page more than its instrument's range and
    /// one instrument without its PDF.
    pub fn add_integrity_problems(&self, on: bool) {
        self.integrity_problems.store(on, Ordering::SeqCst);
    }

    /// Exports built from now on carry instruments.json after the PDFs (AnnoLab writes it
    /// first), so a client cannot index it before the last byte.
    pub fn put_instruments_last(&self, on: bool) {
        self.instruments_last.store(on, Ordering::SeqCst);
    }

    /// The next export job ends `errored` with `message`.
    pub fn error_next_job(&self, message: impl Into<String>) {
        self.job_errors.lock().unwrap_or_else(|p| p.into_inner()).push(message.into());
    }

    pub(crate) fn take_rate_limit(&self) -> Option<u64> {
        take(&self.rate_limited).then(|| self.retry_after_secs.load(Ordering::SeqCst))
    }

    /// The value of a `Retry-After` header asking for `secs`, in the form the faults say.
    pub(crate) fn retry_after_value(&self, secs: u64) -> String {
        if self.retry_after_date.load(Ordering::SeqCst) {
            // A date has whole seconds: round up so the client never comes back too early.
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(secs) + Duration::from_millis(999))
        } else {
            secs.to_string()
        }
    }

    pub(crate) fn take_busy_download(&self) -> Option<u64> {
        take(&self.busy_downloads).then(|| self.download_retry_after_secs.load(Ordering::SeqCst))
    }

    pub(crate) fn take_stalled_download(&self) -> bool {
        take(&self.stalled_downloads)
    }

    pub(crate) fn short_by(&self) -> Option<u64> {
        match self.short_by.load(Ordering::SeqCst) {
            u64::MAX => None,
            bytes => Some(bytes),
        }
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

    pub(crate) fn integrity_problems(&self) -> bool {
        self.integrity_problems.load(Ordering::SeqCst)
    }

    pub(crate) fn instruments_last(&self) -> bool {
        self.instruments_last.load(Ordering::SeqCst)
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
    /// `integrity-problems`
    IntegrityProblems,
    /// `instruments-last`
    InstrumentsLast,
    /// `retry-after-date`
    RetryAfterDate,
    /// `download-503=N[:SECS]`
    BusyDownloads { requests: u64, retry_after_secs: u64 },
    /// `stall-download=N`
    StallDownloads(u64),
    /// `short-download=BYTES`
    ShortDownloads(u64),
    /// `tls-self-signed`: chosen at start (both listeners speak TLS), so not a live switch.
    SelfSignedTls,
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
hostile-entries      the zip carries entries such as ../outside.txt and /absolute.txt
integrity-problems   one PDF has a page more than its instrument's range; one instrument has no PDF
instruments-last     the zip carries instruments.json after the PDFs instead of first
retry-after-date     Retry-After is an HTTP date (RFC 9110) rather than seconds, on both hosts
download-503=N[:SECS] the next N downloads get 503 SlowDown with Retry-After SECS (default 1)
stall-download=N     the next N downloads stop sending halfway but keep the connection open
short-download=BYTES every download stops BYTES before the end of the file, though its
                     Content-Length promises them, and closes (a zip shorter than promised)
tls-self-signed      both hosts serve HTTPS with a certificate made at start and signed by no
                     authority (clients that check certificates must refuse it)";

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
            Fault::IntegrityProblems => faults.add_integrity_problems(true),
            Fault::InstrumentsLast => faults.put_instruments_last(true),
            Fault::RetryAfterDate => faults.retry_after_as_date(true),
            Fault::BusyDownloads { requests, retry_after_secs } => faults.busy_next_downloads(*requests, *retry_after_secs),
            Fault::StallDownloads(n) => faults.stall_next_downloads(*n),
            Fault::ShortDownloads(bytes) => faults.shorten_downloads(Some(*bytes)),
            // The listeners are made with it at start (Sandbox::start); nothing changes later.
            Fault::SelfSignedTls => {}
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
            "integrity-problems" => Ok(Fault::IntegrityProblems),
            "instruments-last" => Ok(Fault::InstrumentsLast),
            "retry-after-date" => Ok(Fault::RetryAfterDate),
            "tls-self-signed" => Ok(Fault::SelfSignedTls),
            "download-503" => {
                let (n, secs) = value.split_once(':').unwrap_or((value, "1"));
                let parse = |v: &str| v.parse::<u64>().map_err(|_| format!("download-503 takes N[:SECS], as in download-503=2:1; got {value:?}"));
                Ok(Fault::BusyDownloads { requests: parse(n)?, retry_after_secs: parse(secs)? })
            }
            "stall-download" => Ok(Fault::StallDownloads(count("a number of downloads")?)),
            "short-download" => match count("a number of bytes")? {
                0 => Err("short-download takes at least 1 byte".to_owned()),
                bytes => Ok(Fault::ShortDownloads(bytes)),
            },
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
        assert_eq!("integrity-problems".parse(), Ok(Fault::IntegrityProblems));
        assert_eq!("instruments-last".parse(), Ok(Fault::InstrumentsLast));
        assert_eq!("retry-after-date".parse(), Ok(Fault::RetryAfterDate));
        assert_eq!("download-503=2".parse(), Ok(Fault::BusyDownloads { requests: 2, retry_after_secs: 1 }));
        assert_eq!("download-503=1:4".parse(), Ok(Fault::BusyDownloads { requests: 1, retry_after_secs: 4 }));
        assert_eq!("stall-download=1".parse(), Ok(Fault::StallDownloads(1)));
        assert_eq!("short-download=100".parse(), Ok(Fault::ShortDownloads(100)));
        assert_eq!("tls-self-signed".parse(), Ok(Fault::SelfSignedTls));
        for bad in [
            "short-download=0",
            "short-download=x",
            "stall-download=",
            "download-503=a:1",
            "rate-limit=x",
            "url-ttl=0",
            "bandwidth=0",
            "bandwidth=fast",
            "job-error=",
            "explode",
        ] {
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
        faults.stall_next_downloads(1);
        assert!(faults.take_stalled_download());
        assert!(!faults.take_stalled_download());
    }

    #[test]
    fn retry_after_takes_the_form_asked_for() {
        let faults = Faults::default();
        assert_eq!(faults.retry_after_value(3), "3");
        faults.retry_after_as_date(true);
        let when = httpdate::parse_http_date(&faults.retry_after_value(3)).unwrap();
        let ahead = when.duration_since(std::time::SystemTime::now()).unwrap();
        assert!(ahead > Duration::from_secs(2) && ahead <= Duration::from_secs(4), "{ahead:?}");
    }
}
