//! When to try a request again: 429 (honouring `Retry-After`), 5xx, resets and timeouts, with
//! exponential backoff and full jitter, up to a budget of attempts.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 8, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// For checks a person waits on (login, Test key, Check project, suggestions): two tries,
    /// quickly, so an unreachable server is reported in seconds rather than after a minute.
    pub fn interactive() -> Self {
        RetryPolicy { attempts: 2, base_delay: Duration::from_millis(300), max_delay: Duration::from_secs(1) }
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1). A server's `Retry-After`
    /// wins when given (capped at ten minutes so a bad header cannot stall a job for a day).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(Duration::from_secs(600));
        }
        let exponential = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exponential.min(self.max_delay);
        // Jitter in [ceiling/2, ceiling]: spreads clients apart yet never collapses to zero.
        let fraction = 0.5 + 0.5 * random_unit();
        ceiling.mul_f64(fraction)
    }
}

/// A `Retry-After` value in either form RFC 9110 allows: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`), as a wait from `now`. A date in the past means no wait;
/// anything else unreadable is ignored (None), leaving the usual backoff.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response, if it has a readable one.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?, std::time::SystemTime::now())
}

fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    // A failed random source only makes the jitter fixed; retries still work.
    let _ = getrandom::fill(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_bounds() {
        let policy = RetryPolicy::default();
        for attempt in 1..12 {
            let ceiling = (Duration::from_millis(500) * 2u32.pow(attempt - 1)).min(Duration::from_secs(30));
            let delay = policy.delay(attempt, None);
            assert!(delay <= ceiling && delay >= ceiling / 2, "attempt {attempt}: {delay:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        for bad in ["", "soon", "-3", "1.5", "Wed, 99 Foo 2026 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(86_400))), Duration::from_secs(600));
    }
}
