//! `wrk`: running it on one path and reading its figures.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

/// How `wrk` loads each path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub threads: u32,
    pub connections: u32,
    /// Measured, after the warm-up.
    pub seconds: u32,
    pub warm_up_seconds: u32,
}

/// `wrk`'s figures for one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Load {
    pub requests: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Non-2xx/3xx answers plus socket errors.
    pub errors: u64,
}

pub fn ensure_installed() -> Result<()> {
    let found = Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    ensure!(
        found,
        "`wrk` is not installed (Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`)"
    );
    Ok(())
}

/// The warm-up, then the measured run.
pub fn load(url: &str, auth: Option<&str>, settings: Settings) -> Result<Load> {
    if settings.warm_up_seconds > 0 {
        run_wrk(url, auth, settings.warm_up_seconds, settings)?;
    }
    let output = run_wrk(url, auth, settings.seconds, settings)?;
    let figures = parse_wrk(&output).with_context(|| format!("reading wrk's output:\n{output}"))?;
    println!(
        "  {url}: {:.0} req/s, p50 {:?}, p99 {:?}, {} errors",
        figures.per_second, figures.p50, figures.p99, figures.errors
    );
    Ok(figures)
}

fn run_wrk(url: &str, auth: Option<&str>, seconds: u32, settings: Settings) -> Result<String> {
    let mut wrk = Command::new("wrk");
    wrk.arg("--latency")
        .arg(format!("--threads={}", settings.threads))
        .arg(format!("--connections={}", settings.connections))
        .arg(format!("--duration={seconds}s"));
    if let Some(auth) = auth {
        wrk.args(["--header", &format!("Authorization: {auth}")]);
    }
    let output = wrk.arg(url).output().context("running wrk")?;
    ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).context("wrk printed non-UTF-8")
}

/// Reads `wrk --latency` output: the request count, requests per second, the 50% and 99%
/// latencies, non-2xx/3xx answers and socket errors.
fn parse_wrk(output: &str) -> Result<Load> {
    let mut load = Load::default();
    let (mut p50, mut p99, mut rate, mut count) = (None, None, None, None);
    for line in output.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => p50 = Some(parse_latency(value)?),
            ["99%", value] => p99 = Some(parse_latency(value)?),
            ["Requests/sec:", value] => rate = Some(value.parse::<f64>()?),
            [requests, "requests", "in", ..] => count = Some(requests.parse::<u64>()?),
            ["Non-2xx", "or", "3xx", "responses:", value] => load.errors += value.parse::<u64>()?,
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                for number in rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                {
                    load.errors += number;
                }
            }
            _ => {}
        }
    }
    load.p50 = p50.context("no 50% line")?;
    load.p99 = p99.context("no 99% line")?;
    load.per_second = rate.context("no Requests/sec line")?;
    load.requests = count.context("no request count")?;
    Ok(load)
}

/// `wrk` latencies: `812.00us`, `3.33ms`, `1.02s`, `2.00m`.
fn parse_latency(value: &str) -> Result<Duration> {
    let split = value
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {value:?}"))?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("not a number: {value:?}"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => bail!("unknown unit {other:?} in {value:?}"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK_OUTPUT: &str = "Running 5s test @ http://127.0.0.1:8090/health/live
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.81ms    3.02ms  38.96ms   85.20%
    Req/Sec     9.73k     1.35k   13.06k    71.00%
  Latency Distribution
     50%    3.33ms
     75%    4.71ms
     90%    7.04ms
     99%   14.86ms
  96844 requests in 5.00s, 11.82MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  19354.57
Transfer/sec:      2.36MB
";

    #[test]
    fn reads_wrk_figures() {
        let load = parse_wrk(WRK_OUTPUT).unwrap();
        assert_eq!(load.requests, 96_844);
        assert!((load.per_second - 19_354.57).abs() < 1e-6);
        assert_eq!(load.p50, Duration::from_micros(3_330));
        assert_eq!(load.p99, Duration::from_micros(14_860));
        assert_eq!(load.errors, 7, "socket errors plus non-2xx answers");
    }

    #[test]
    fn output_without_percentiles_is_an_error() {
        let err = parse_wrk("Requests/sec: 10.0\n").unwrap_err();
        assert!(err.to_string().contains("50%"), "{err}");
    }

    #[test]
    fn latencies_in_every_unit() {
        assert_eq!(
            parse_latency("812.00us").unwrap(),
            Duration::from_micros(812)
        );
        assert_eq!(
            parse_latency("1.50s").unwrap(),
            Duration::from_millis(1_500)
        );
        assert_eq!(parse_latency("2.00m").unwrap(), Duration::from_secs(120));
        assert!(parse_latency("3.0h").is_err());
        assert!(parse_latency("12").is_err());
    }
}
