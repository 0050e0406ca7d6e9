//! What one scenario measured: latency histograms (HdrHistogram, in microseconds) overall, per
//! request kind and per time slot, status counts and a few error samples. Each worker fills
//! its own [`Recorder`]; they are merged when the scenario ends.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;

/// Latencies above this (60 s) are recorded as this.
const HIGHEST_MICROS: u64 = 60_000_000;
/// Error samples kept per scenario, to tell what went wrong.
const MAX_SAMPLES: usize = 5;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An answer; `ok` when its status is one the request expects.
    Answered { status: u16, ok: bool },
    /// No answer: connection refused or reset, timeout.
    Failed,
}

/// One time slot of the run: latencies and errors of the requests that started in it.
#[derive(Debug, Clone)]
pub struct Slot {
    pub latency: Histogram<u64>,
    pub errors: u64,
}

/// One request kind of a scenario (a `[[scenario.request]]` entry).
#[derive(Debug, Clone)]
pub struct RequestStats {
    pub latency: Histogram<u64>,
    pub errors: u64,
}

#[derive(Debug, Clone)]
pub struct Recorder {
    pub slot_width: Duration,
    pub latency: Histogram<u64>,
    pub per_request: Vec<RequestStats>,
    pub slots: Vec<Slot>,
    pub statuses: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub errors: u64,
    pub samples: Vec<String>,
    empty_slot: Histogram<u64>,
}

impl Recorder {
    /// A recorder for a scenario with `request_kinds` entries, slots `slot_width` wide.
    pub fn new(request_kinds: usize, slot_width: Duration) -> anyhow::Result<Self> {
        let precise = || {
            Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).context("cannot create a histogram")
        };
        let per_request = (0..request_kinds)
            .map(|_| {
                Ok(RequestStats {
                    latency: precise()?,
                    errors: 0,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            slot_width,
            latency: precise()?,
            per_request,
            slots: Vec::new(),
            statuses: BTreeMap::new(),
            transport_errors: 0,
            errors: 0,
            samples: Vec::new(),
            // Two significant digits are plenty for a chart and keep slots small.
            empty_slot: Histogram::new_with_bounds(1, HIGHEST_MICROS, 2)
                .context("cannot create a histogram")?,
        })
    }

    /// Records a request of kind `request` that started `offset` after the scenario began.
    pub fn record(
        &mut self,
        request: usize,
        offset: Duration,
        latency: Duration,
        outcome: &Outcome,
    ) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let failed = match outcome {
            Outcome::Answered { status, ok } => {
                *self.statuses.entry(*status).or_default() += 1;
                !ok
            }
            Outcome::Failed => {
                self.transport_errors += 1;
                true
            }
        };
        self.latency.saturating_record(micros);
        let slot_index = usize::try_from(offset.as_nanos() / self.slot_width.as_nanos().max(1))
            .unwrap_or(usize::MAX)
            .min(100_000);
        if self.slots.len() <= slot_index {
            let empty = Slot {
                latency: self.empty_slot.clone(),
                errors: 0,
            };
            self.slots.resize(slot_index + 1, empty);
        }
        let slot = &mut self.slots[slot_index];
        slot.latency.saturating_record(micros);
        if let Some(stats) = self.per_request.get_mut(request) {
            stats.latency.saturating_record(micros);
            stats.errors += u64::from(failed);
        }
        if failed {
            self.errors += 1;
            slot.errors += 1;
        }
    }

    /// Keeps `sample` (a short description of an error) if there is room.
    pub fn sample(&mut self, sample: impl FnOnce() -> String) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(sample());
        }
    }

    pub fn wants_samples(&self) -> bool {
        self.samples.len() < MAX_SAMPLES
    }

    /// Requests recorded, answered or not.
    pub fn requests(&self) -> u64 {
        self.latency.len()
    }

    /// Adds `other`'s measurements to these.
    pub fn merge(&mut self, other: Recorder) -> anyhow::Result<()> {
        self.latency
            .add(&other.latency)
            .context("merging histograms")?;
        for (mine, theirs) in self.per_request.iter_mut().zip(&other.per_request) {
            mine.latency
                .add(&theirs.latency)
                .context("merging histograms")?;
            mine.errors += theirs.errors;
        }
        if self.slots.len() < other.slots.len() {
            let empty = Slot {
                latency: self.empty_slot.clone(),
                errors: 0,
            };
            self.slots.resize(other.slots.len(), empty);
        }
        for (mine, theirs) in self.slots.iter_mut().zip(&other.slots) {
            mine.latency
                .add(&theirs.latency)
                .context("merging histograms")?;
            mine.errors += theirs.errors;
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.transport_errors += other.transport_errors;
        self.errors += other.errors;
        for sample in other.samples {
            self.sample(|| sample);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Outcome = Outcome::Answered {
        status: 200,
        ok: true,
    };

    #[test]
    fn records_land_in_their_slot_and_merge_adds_up() {
        let width = Duration::from_millis(100);
        let mut first = Recorder::new(2, width).unwrap();
        first.record(0, Duration::from_millis(50), Duration::from_millis(2), &OK);
        first.record(
            1,
            Duration::from_millis(250),
            Duration::from_millis(4),
            &Outcome::Failed,
        );
        let mut second = Recorder::new(2, width).unwrap();
        let server_error = Outcome::Answered {
            status: 500,
            ok: false,
        };
        second.record(
            1,
            Duration::from_millis(120),
            Duration::from_millis(8),
            &server_error,
        );
        second.sample(|| "GET / answered 500".to_owned());

        first.merge(second).unwrap();
        assert_eq!(first.requests(), 3);
        assert_eq!(first.errors, 2);
        assert_eq!(first.transport_errors, 1);
        assert_eq!(first.statuses, BTreeMap::from([(200, 1), (500, 1)]));
        assert_eq!(first.slots.len(), 3);
        assert_eq!(
            first
                .slots
                .iter()
                .map(|slot| slot.latency.len())
                .collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(first.slots[2].errors, 1);
        assert_eq!(first.per_request[1].errors, 2);
        assert_eq!(first.per_request[1].latency.len(), 2);
        assert_eq!(first.samples, ["GET / answered 500"]);
        assert!(first.latency.max() >= 7_900 && first.latency.max() <= 8_100);
    }
}
