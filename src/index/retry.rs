//! Retrying transient failures: connection errors, timeouts, 5xx and 429, with exponential
//! backoff. Each failure report says how many retries were made and how long it all took.
//!
//! Not every failure deserves the whole budget: the caller says so with
//! [`Attempt::RetryAtMost`] (a refused connection gets one quick retry), or does not retry at
//! all (a TLS failure, which asking again cannot mend).

use std::time::{Duration, Instant};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub(crate) retries: u32,
    /// The first delay; it doubles after each retry, up to [`RetryPolicy::MAX_DELAY`].
    pub(crate) base_delay: Duration,
}

impl RetryPolicy {
    /// No single wait is longer than this, whatever `Retry-After` asks.
    pub(crate) const MAX_DELAY: Duration = Duration::from_secs(10);

    /// The wait before retry number `retry` (0-based), at least what the server asked for.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1 << retry.min(16))
            .min(Self::MAX_DELAY);
        retry_after.map_or(exponential, |asked| {
            asked.min(Self::MAX_DELAY).max(exponential)
        })
    }
}

/// What one attempt produced.
pub(crate) enum Attempt<T, E> {
    /// Done, one way or the other.
    Done(Result<T, E>),
    /// A transient failure; try again if retries remain, after at least this long.
    Retry(E, Option<Duration>),
    /// A failure worth this many retries at most, fewer than the policy may allow.
    RetryAtMost(E, u32),
}

/// The outcome of [`run`], with the effort it took.
pub(crate) struct Outcome<T, E> {
    /// The last attempt's result.
    pub(crate) result: Result<T, E>,
    /// Retries made.
    pub(crate) retries: u32,
    /// Time from the first attempt to the end.
    pub(crate) elapsed: Duration,
}

/// Runs `attempt` until it is done or the retries run out.
pub(crate) fn run<T, E>(
    policy: RetryPolicy,
    mut attempt: impl FnMut() -> Attempt<T, E>,
) -> Outcome<T, E> {
    let start = Instant::now();
    let mut retries = 0;
    loop {
        let pending = attempt();
        let limit = budget(policy, &pending);
        match pending {
            Attempt::Done(result) => {
                return Outcome {
                    result,
                    retries,
                    elapsed: start.elapsed(),
                };
            }
            Attempt::Retry(error, _) | Attempt::RetryAtMost(error, _) if retries >= limit => {
                return Outcome {
                    result: Err(error),
                    retries,
                    elapsed: start.elapsed(),
                };
            }
            Attempt::Retry(_, retry_after) => {
                std::thread::sleep(policy.delay(retries, retry_after));
                retries += 1;
            }
            Attempt::RetryAtMost(..) => {
                std::thread::sleep(policy.delay(retries, None));
                retries += 1;
            }
        }
    }
}

/// How many retries in all an attempt's failure allows.
fn budget<T, E>(policy: RetryPolicy, attempt: &Attempt<T, E>) -> u32 {
    match attempt {
        Attempt::RetryAtMost(_, at_most) => policy.retries.min(*at_most),
        _ => policy.retries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_gives_up() {
        let policy = RetryPolicy {
            retries: 2,
            base_delay: Duration::from_millis(1),
        };
        assert_eq!(policy.delay(3, None), Duration::from_millis(8));
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(60))),
            RetryPolicy::MAX_DELAY
        );
        let mut calls = 0;
        let outcome: Outcome<(), &str> = run(policy, || {
            calls += 1;
            Attempt::Retry("503", None)
        });
        assert_eq!((calls, outcome.retries), (3, 2));
        let mut calls = 0;
        let outcome = run(policy, || {
            calls += 1;
            if calls < 2 {
                Attempt::Retry("503", None)
            } else {
                Attempt::Done(Ok::<_, &str>(calls))
            }
        });
        assert_eq!(outcome.result, Ok(2));
    }

    #[test]
    fn some_failures_get_fewer_retries() {
        let policy = RetryPolicy {
            retries: 5,
            base_delay: Duration::from_millis(1),
        };
        let mut calls = 0;
        let outcome: Outcome<(), &str> = run(policy, || {
            calls += 1;
            Attempt::RetryAtMost("refused", 1)
        });
        assert_eq!((calls, outcome.retries), (2, 1));
        // Never more than the policy allows.
        let none = RetryPolicy {
            retries: 0,
            ..policy
        };
        let outcome: Outcome<(), &str> = run(none, || Attempt::RetryAtMost("refused", 1));
        assert_eq!(outcome.retries, 0);
    }
}
