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
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(86_400))), Duration::from_secs(600));
    }
}
