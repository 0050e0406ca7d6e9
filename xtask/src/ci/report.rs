//! The table `cargo xtask ci` prints: one row per step, with its time and outcome.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::Result;

pub enum Outcome {
    Pass,
    Fail,
    Skipped(String),
}

pub struct Row {
    pub name: String,
    pub outcome: Outcome,
    pub took: Duration,
}

#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    /// Runs one step under a header line, streaming its output, and records the outcome.
    pub fn step(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> bool {
        println!("\n==> [xtask ci] {name}");
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        let passed = match &result {
            Ok(()) => {
                println!("<== [xtask ci] {name}: pass ({})", Secs(took));
                true
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                println!("<== [xtask ci] {name}: FAIL ({})", Secs(took));
                false
            }
        };
        self.rows.push(Row {
            name: name.to_owned(),
            outcome: if passed { Outcome::Pass } else { Outcome::Fail },
            took,
        });
        passed
    }

    pub fn skip(&mut self, name: &str, why: &str) {
        println!("\n==> [xtask ci] {name}: skipped ({why})");
        self.rows.push(Row {
            name: name.to_owned(),
            outcome: Outcome::Skipped(why.to_owned()),
            took: Duration::ZERO,
        });
    }

    pub fn failures(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail))
            .count()
    }

    pub fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max(4);
        println!("\n{:<width$}  {:>8}  result", "step", "time");
        println!("{:-<width$}  {:->8}  {:-<6}", "", "", "");
        for row in &self.rows {
            let result = match &row.outcome {
                Outcome::Pass => "pass".to_owned(),
                Outcome::Fail => "FAIL".to_owned(),
                Outcome::Skipped(why) => format!("skipped ({why})"),
            };
            println!(
                "{:<width$}  {:>8}  {result}",
                row.name,
                Secs(row.took).to_string()
            );
        }
    }
}

pub struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1}s", self.0.as_secs_f64())
    }
}
