//! The `[payments]` section: which payment gateway adapter takes the charges, and how the
//! HTTP one limits, retries and stops calling a failing gateway.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::validation::is_http_url;

/// Which adapter implements the payment gateway port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentsMode {
    /// Accept every charge without leaving the process (development, tests).
    InProcess,
    /// Call the payment gateway at `payments.url`.
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSettings {
    pub mode: PaymentsMode,
    /// Lets the production profile start with `mode = "in-process"`, which charges nobody
    /// (a demo); without it, production refuses to start in that mode.
    #[serde(default)]
    pub allow_in_process: bool,
    /// The gateway's charge endpoint; required with `mode = "http"`.
    pub url: Option<String>,
    /// Limit for one attempt, from connecting to the whole answer.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Further attempts after a timeout, a lost connection or a 502/503/504.
    pub max_retries: u32,
    /// Wait before the first retry; doubles for each further one, plus jitter.
    #[serde(with = "humantime_serde")]
    pub backoff_min: Duration,
    /// Longest wait between two attempts (before jitter, which adds up to as much again).
    #[serde(with = "humantime_serde")]
    pub backoff_max: Duration,
    /// Consecutive failed attempts that open the circuit breaker.
    pub breaker_failure_threshold: u32,
    /// How long an open breaker answers 503 at once before letting a call through again.
    #[serde(with = "humantime_serde")]
    pub breaker_cool_down: Duration,
}

/// More retries than this only make a failing request slower.
pub const MAX_RETRIES: u32 = 10;

impl Default for PaymentsSettings {
    fn default() -> Self {
        Self {
            mode: PaymentsMode::InProcess,
            allow_in_process: false,
            url: None,
            timeout: Duration::from_secs(2),
            max_retries: 2,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            breaker_failure_threshold: 5,
            breaker_cool_down: Duration::from_secs(30),
        }
    }
}

impl PaymentsSettings {
    /// The longest a charge can take: every attempt timing out, with the longest waits
    /// (jitter included) between them.
    pub fn worst_case(&self) -> Duration {
        let attempts = self.max_retries.saturating_add(1);
        let waits = (1..attempts)
            .map(|retry| {
                let doubled = self.backoff_min.saturating_mul(1 << (retry - 1).min(30));
                doubled.min(self.backoff_max).saturating_mul(2)
            })
            .fold(Duration::ZERO, Duration::saturating_add);
        self.timeout.saturating_mul(attempts).saturating_add(waits)
    }

    /// Adds every problem to `problems`, each naming its key. A charge must fit in
    /// `request_timeout`, or clients would get 504 while the charge is still being retried.
    pub fn check(&self, request_timeout: Duration, problems: &mut Vec<String>) {
        match (self.mode, self.url.as_deref()) {
            (PaymentsMode::Http, None | Some("")) => problems.push(
                "payments.url is required when payments.mode is \"http\" (set APP_PAYMENTS__URL)"
                    .to_owned(),
            ),
            (_, Some(url)) if !url.is_empty() && !is_http_url(url) => problems.push(format!(
                "payments.url: `{url}` is not an http:// or https:// URL, like https://payments.example.com/charges"
            )),
            _ => {}
        }
        if self.timeout.is_zero() {
            problems.push("payments.timeout must be greater than zero".to_owned());
        }
        if self.max_retries > MAX_RETRIES {
            problems.push(format!(
                "payments.max_retries must be at most {MAX_RETRIES}"
            ));
        }
        if self.backoff_min.is_zero() || self.backoff_min > self.backoff_max {
            problems.push(
                "payments.backoff_min must be greater than zero and at most payments.backoff_max"
                    .to_owned(),
            );
        }
        if self.breaker_failure_threshold == 0 {
            problems.push("payments.breaker_failure_threshold must be at least 1".to_owned());
        }
        if self.breaker_cool_down.is_zero() {
            problems.push("payments.breaker_cool_down must be greater than zero".to_owned());
        }
        if self.mode == PaymentsMode::Http && self.worst_case() >= request_timeout {
            problems.push(format!(
                "payments: a charge can take up to {:?} (timeout x (max_retries + 1), plus \
                 backoff), not less than http.request_timeout ({request_timeout:?}): lower \
                 payments.timeout or payments.max_retries, or raise http.request_timeout",
                self.worst_case()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(settings: &PaymentsSettings) -> Vec<String> {
        let mut problems = Vec::new();
        settings.check(Duration::from_secs(30), &mut problems);
        problems
    }

    fn http(url: &str) -> PaymentsSettings {
        PaymentsSettings {
            mode: PaymentsMode::Http,
            url: Some(url.to_owned()),
            ..PaymentsSettings::default()
        }
    }

    #[test]
    fn the_defaults_and_a_plain_http_gateway_are_valid() {
        assert_eq!(problems(&PaymentsSettings::default()), Vec::<String>::new());
        assert_eq!(
            problems(&http("https://payments.example.com/v1/charges")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn http_mode_needs_an_http_url() {
        let mut missing = http("");
        missing.url = None;
        for (settings, expected) in [
            (missing, "payments.url is required"),
            (
                http("payments.example.com"),
                "is not an http:// or https:// URL",
            ),
            (
                http("ftp://payments.example.com"),
                "is not an http:// or https:// URL",
            ),
        ] {
            let problems = problems(&settings).join("\n");
            assert!(problems.contains(expected), "{settings:?}: {problems}");
        }
    }

    #[test]
    fn every_bad_number_is_reported_by_key() {
        let settings = PaymentsSettings {
            timeout: Duration::ZERO,
            max_retries: 11,
            backoff_min: Duration::from_secs(2),
            backoff_max: Duration::from_secs(1),
            breaker_failure_threshold: 0,
            breaker_cool_down: Duration::ZERO,
            ..PaymentsSettings::default()
        };
        let problems = problems(&settings).join("\n");
        for key in [
            "payments.timeout",
            "payments.max_retries",
            "payments.backoff_min",
            "payments.breaker_failure_threshold",
            "payments.breaker_cool_down",
        ] {
            assert!(problems.contains(key), "{key} missing from: {problems}");
        }
    }

    #[test]
    fn a_charge_must_fit_in_the_request_timeout() {
        let settings = http("http://127.0.0.1:9/charges");
        // 3 attempts of 2 s, waits of at most 2 x 100 ms and 2 x 200 ms.
        assert_eq!(settings.worst_case(), Duration::from_millis(6600));
        let slow = PaymentsSettings {
            timeout: Duration::from_secs(10),
            ..settings
        };
        let problems = problems(&slow).join("\n");
        assert!(problems.contains("http.request_timeout"), "{problems}");
    }
}
