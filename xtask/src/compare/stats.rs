//! Rounds into figures: the median and the range (min–max) of each contender's requests per
//! second and p99 on each scenario, and the ratios between two contenders with their spread
//! (the range of the per-round ratios, each taken within one round, so that a round where the
//! whole machine was slow moves both sides of a ratio alike).

use std::time::Duration;

use super::wrk::Load;

/// A median with the smallest and largest value it summarises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no values. The median of an even count is the mean of the middle two.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Self {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }
}

/// One contender's load of one scenario in one round.
#[derive(Debug, Clone)]
pub struct Sample {
    pub round: u32,
    pub contender: String,
    pub scenario: &'static str,
    pub path: String,
    pub load: Load,
}

/// A contender on a scenario over every round.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub contender: String,
    pub scenario: &'static str,
    pub path: String,
    pub rounds: usize,
    pub per_second: Spread,
    /// In milliseconds.
    pub p99_ms: Spread,
    pub errors: u64,
}

/// `numerator / denominator` on one scenario, over the rounds where both were measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    pub numerator: String,
    pub denominator: String,
    pub scenario: &'static str,
    pub rounds: usize,
    /// Requests per second: above 1 means the numerator serves more.
    pub per_second: Spread,
    /// p99 latency: below 1 means the numerator's tail is shorter.
    pub p99: Spread,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One summary per contender and scenario, in the order they first appear in `samples`.
pub fn summarise(samples: &[Sample]) -> Vec<Summary> {
    let mut keys: Vec<(&str, &'static str)> = Vec::new();
    for s in samples {
        if !keys.contains(&(s.contender.as_str(), s.scenario)) {
            keys.push((s.contender.as_str(), s.scenario));
        }
    }
    keys.into_iter()
        .filter_map(|(contender, scenario)| {
            let mine: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.contender == contender && s.scenario == scenario)
                .collect();
            let rates: Vec<f64> = mine.iter().map(|s| s.load.per_second).collect();
            let p99s: Vec<f64> = mine.iter().map(|s| millis(s.load.p99)).collect();
            Some(Summary {
                contender: contender.to_owned(),
                scenario,
                path: mine.first()?.path.clone(),
                rounds: mine.len(),
                per_second: Spread::of(&rates)?,
                p99_ms: Spread::of(&p99s)?,
                errors: mine.iter().map(|s| s.load.errors).sum(),
            })
        })
        .collect()
}

/// The ratios `numerator / denominator` for each pair, on every scenario both were measured in
/// the same round; a pair or scenario without a shared round is left out.
pub fn ratios(
    samples: &[Sample],
    pairs: &[(&str, &str)],
    scenarios: &[&'static str],
) -> Vec<Ratio> {
    let mut out = Vec::new();
    for (numerator, denominator) in pairs {
        for scenario in scenarios {
            let find = |name: &str, round: u32| {
                samples
                    .iter()
                    .find(|s| s.contender == name && s.scenario == *scenario && s.round == round)
            };
            let per_round: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| s.contender == *numerator && s.scenario == *scenario)
                .filter_map(|top| {
                    let bottom = find(denominator, top.round)?;
                    let rate = top.load.per_second / bottom.load.per_second;
                    let p99 = millis(top.load.p99) / millis(bottom.load.p99);
                    Some((rate, p99))
                })
                .collect();
            let rates: Vec<f64> = per_round.iter().map(|(rate, _)| *rate).collect();
            let p99s: Vec<f64> = per_round.iter().map(|(_, p99)| *p99).collect();
            if let (Some(per_second), Some(p99)) = (Spread::of(&rates), Spread::of(&p99s)) {
                out.push(Ratio {
                    numerator: (*numerator).to_owned(),
                    denominator: (*denominator).to_owned(),
                    scenario,
                    rounds: per_round.len(),
                    per_second,
                    p99,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(
        round: u32,
        contender: &str,
        scenario: &'static str,
        rate: f64,
        p99_ms: u64,
    ) -> Sample {
        Sample {
            round,
            contender: contender.to_owned(),
            scenario,
            path: format!("/{scenario}"),
            load: Load {
                requests: 1,
                per_second: rate,
                p50: Duration::from_millis(1),
                p99: Duration::from_millis(p99_ms),
                errors: round.into(),
            },
        }
    }

    #[test]
    fn median_and_range() {
        let odd = Spread::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        let even = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((even.median, even.min, even.max), (2.5, 1.0, 4.0));
        let one = Spread::of(&[7.0]).unwrap();
        assert_eq!((one.median, one.min, one.max), (7.0, 7.0, 7.0));
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(
            Spread::of(&[f64::NAN, f64::INFINITY]),
            None,
            "non-finite values are left out"
        );
    }

    #[test]
    fn summaries_per_contender_and_scenario_over_rounds() {
        let samples = vec![
            sample(1, "a", "static", 100.0, 2),
            sample(1, "b", "static", 50.0, 4),
            sample(2, "a", "static", 300.0, 6),
            sample(3, "a", "static", 200.0, 3),
            sample(1, "a", "list", 10.0, 9),
        ];
        let summaries = summarise(&samples);
        assert_eq!(summaries.len(), 3);
        let a = &summaries[0];
        assert_eq!(
            (a.contender.as_str(), a.scenario, a.rounds),
            ("a", "static", 3)
        );
        assert_eq!(
            a.per_second,
            Spread {
                median: 200.0,
                min: 100.0,
                max: 300.0
            }
        );
        assert_eq!(
            a.p99_ms,
            Spread {
                median: 3.0,
                min: 2.0,
                max: 6.0
            }
        );
        assert_eq!(a.errors, 1 + 2 + 3, "errors add up over the rounds");
        assert_eq!(
            (summaries[1].contender.as_str(), summaries[1].rounds),
            ("b", 1)
        );
        assert_eq!(
            (summaries[2].scenario, summaries[2].path.as_str()),
            ("list", "/list")
        );
    }

    #[test]
    fn ratios_are_taken_within_a_round_then_summarised() {
        let samples = vec![
            // Round 1: a is twice b; round 2 (a slow machine): both halve, still twice.
            sample(1, "a", "static", 200.0, 2),
            sample(1, "b", "static", 100.0, 4),
            sample(2, "a", "static", 100.0, 4),
            sample(2, "b", "static", 50.0, 8),
            // Round 3: a alone, no ratio.
            sample(3, "a", "static", 999.0, 1),
            // b never ran `list`.
            sample(1, "a", "list", 10.0, 9),
        ];
        let ratios = ratios(
            &samples,
            &[("a", "b"), ("a", "missing")],
            &["static", "list"],
        );
        assert_eq!(ratios.len(), 1, "{ratios:?}");
        let r = &ratios[0];
        assert_eq!(
            (r.numerator.as_str(), r.denominator.as_str(), r.scenario),
            ("a", "b", "static")
        );
        assert_eq!(r.rounds, 2);
        assert_eq!(
            r.per_second,
            Spread {
                median: 2.0,
                min: 2.0,
                max: 2.0
            }
        );
        assert_eq!(
            r.p99,
            Spread {
                median: 0.5,
                min: 0.5,
                max: 0.5
            }
        );
    }

    #[test]
    fn the_spread_of_ratios_is_their_range_over_rounds() {
        let samples = vec![
            sample(1, "a", "static", 150.0, 3),
            sample(1, "b", "static", 100.0, 2),
            sample(2, "a", "static", 120.0, 2),
            sample(2, "b", "static", 100.0, 2),
            sample(3, "a", "static", 130.0, 4),
            sample(3, "b", "static", 100.0, 2),
        ];
        let r = &ratios(&samples, &[("a", "b")], &["static"])[0];
        assert_eq!(r.rounds, 3);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(
            close(r.per_second.median, 1.3) && close(r.per_second.min, 1.2),
            "{r:?}"
        );
        assert!(close(r.per_second.max, 1.5), "{r:?}");
        assert!(
            close(r.p99.median, 1.5) && close(r.p99.min, 1.0) && close(r.p99.max, 2.0),
            "{r:?}"
        );
    }
}
