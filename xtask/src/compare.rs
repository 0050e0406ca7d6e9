//! `cargo xtask compare`: the template's service side by side with the bare poem handler (the
//! ceiling) and, when given, an app another generator produces (Loco), on this machine.
//!
//! Each contender is built in release mode with its own profile (what its users get), started
//! on a free loopback port over a fresh SQLite file, seeded with the same rows, and loaded by
//! `wrk` on the same paths: `static` (no database) and `read` (20 rows from the database).
//! Figures: requests per second, p50/p99 latency, errors, resident memory when idle and at its
//! peak, start-up time to ready, and the binary's size. The table goes to stdout and
//! `target/compare/report.md`, the figures to `target/compare/report.json`.
//!
//! The contenders are one table in the code ([`contenders`]): a contender is a build command, a
//! binary, its arguments and environment, and the paths it is loaded on. Figures from `wrk`
//! are compared as they come: the same client, the same connections, the same duration.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// How many rows each contender holds before it is loaded; `read` lists all of them (Loco's
/// scaffold does not page).
const SEED_ROWS: usize = 20;
/// How long a contender may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A Loco app made by `loco new` with an `order` API scaffold (see docs/benchmarks.md);
    /// without it, Loco is left out.
    #[arg(long, value_name = "DIR")]
    loco: Option<PathBuf>,
    /// Only these contenders (repeatable): service, bare-poem, loco.
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// How long `wrk` loads each path, in seconds (after a 2-second warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Open connections `wrk` keeps busy.
    #[arg(long, default_value_t = 64)]
    connections: u32,
}

impl Args {
    /// The harness end to end on the ceiling alone, briefly: what `cargo xtask ci` runs.
    pub fn smoke() -> Self {
        Self {
            loco: None,
            only: vec!["bare-poem".to_owned()],
            seconds: 1,
            connections: 8,
        }
    }
}

/// One app under test.
#[derive(Debug)]
struct Contender {
    name: &'static str,
    /// What it is, in the report.
    about: &'static str,
    /// The Cargo project to build (its own workspace).
    dir: PathBuf,
    /// `cargo build --release` arguments after `--release`.
    build_args: &'static [&'static str],
    /// The binary, under the target directory's `release/`.
    binary: &'static str,
    /// Arguments; `{port}` is replaced by the port.
    args: &'static [&'static str],
    /// Environment; `{port}`, `{db}` (a fresh SQLite URL) are replaced.
    env: &'static [(&'static str, &'static str)],
    /// Answers 200 once the app can take traffic.
    ready: &'static str,
    /// A bearer token from the binary itself (`dev-token` arguments), sent with every request.
    token_args: Option<&'static [&'static str]>,
    /// `POST` this JSON body here `SEED_ROWS` times; `{n}` is replaced by the row number.
    seed: Option<(&'static str, &'static str)>,
    /// The paths loaded, by scenario ([`SCENARIOS`]); a scenario the app has no route for is
    /// left out.
    paths: &'static [(&'static str, &'static str)],
}

/// The scenarios, in the order they run and are reported.
const SCENARIOS: &[(&str, &str)] = &[
    ("static", "liveness: no database"),
    ("readiness", "readiness: one database round trip"),
    ("read", "an authenticated list of 20 rows from the database"),
];

/// The contenders, in the order they appear in the report.
fn contenders(root: &Path, loco: Option<&Path>) -> Vec<Contender> {
    let mut all = vec![
        Contender {
            name: "service",
            about: "examples/orders: the template's default rendering, full middleware stack, bearer auth",
            dir: root.join("examples").join(crate::EXAMPLE_NAME),
            build_args: &["--package", "server"],
            binary: crate::EXAMPLE_NAME,
            args: &["serve"],
            // The production profile (JSON access log at info, HSTS), on loopback, creating
            // its schema at start instead of in a migration job.
            env: &[
                (PROFILE_VARIABLE, "production"),
                ("APP_HTTP__HOST", "127.0.0.1"),
                ("APP_HTTP__PORT", "{port}"),
                ("DATABASE_URL", "{db}"),
                ("APP_DATABASE__MIGRATE_ON_START", "true"),
                (
                    "APP_AUTH__JWT_SECRET",
                    "compare-fake-secret-0123456789abcdef-0123456789",
                ),
            ],
            ready: "/health/ready",
            token_args: Some(&[
                "dev-token",
                "--scope",
                "orders:read",
                "--scope",
                "orders:write",
            ]),
            seed: Some((
                "/api/v1/orders",
                r#"{"customer_email":"seed-{n}@example.com","amount_minor":1250,"currency":"EUR"}"#,
            )),
            paths: &[
                ("static", "/health/live"),
                ("readiness", "/health/ready"),
                ("read", "/api/v1/orders?limit=20"),
            ],
        },
        Contender {
            name: "bare-poem",
            about: "one poem handler, no middleware, no database: the ceiling",
            dir: root.join("xtask").join("bench").join("bare-poem"),
            build_args: &[],
            binary: "bare-poem",
            args: &["127.0.0.1:{port}"],
            env: &[],
            ready: "/health/live",
            token_args: None,
            seed: None,
            paths: &[("static", "/health/live")],
        },
    ];
    if let Some(dir) = loco {
        all.push(Contender {
            name: "loco",
            about: "`loco new --db sqlite --bg async --assets none`, as generated, production environment",
            dir: dir.to_path_buf(),
            build_args: &[],
            binary: LOCO_BINARY,
            args: &["start", "--environment", "production", "--no-banner"],
            // What its config/production.yaml asks for; mail goes nowhere (nothing sends any).
            env: &[
                ("BINDING", "127.0.0.1"),
                ("PORT", "{port}"),
                ("HOST", "http://127.0.0.1:{port}"),
                ("DATABASE_URL", "{db}"),
                ("JWT_SECRET", "compare-fake-secret-0123456789abcdef-0123456789"),
                ("MAILER_HOST", "127.0.0.1"),
                ("MAILER_USER", "compare"),
                ("MAILER_PASSWORD", "compare-fake-password"),
            ],
            ready: "/_readiness",
            token_args: None,
            seed: None,
            // Its authenticated routes need a verified e-mail address, so no `read`.
            paths: &[("static", "/_ping"), ("readiness", "/_readiness")],
        });
    }
    all
}

/// The service's profile variable: `dev-token` is refused in production, so the token is
/// minted without it (same secret, issuer and audience).
const PROFILE_VARIABLE: &str = "APP_PROFILE";

/// `loco new --name lorders` names its binary after the app.
const LOCO_BINARY: &str = "lorders-cli";

/// What one contender measured.
#[derive(Debug, Default)]
struct Figures {
    name: String,
    about: String,
    binary_bytes: u64,
    ready_after: Duration,
    idle_rss_kib: u64,
    peak_rss_kib: u64,
    /// Scenario, path, figures.
    loads: Vec<(&'static str, &'static str, Load)>,
}

/// `wrk`'s figures for one path.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Load {
    requests: u64,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// Non-2xx/3xx answers plus socket errors.
    errors: u64,
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    ensure_wrk()?;
    let out = root.join("target").join("compare");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let chosen: Vec<Contender> = contenders(root, args.loco.as_deref())
        .into_iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.name))
        .collect();
    ensure!(
        !chosen.is_empty(),
        "no contender matches --only {:?}",
        args.only
    );

    let mut results = Vec::new();
    for contender in &chosen {
        println!("\n==> [compare] {}: {}", contender.name, contender.about);
        let figures = measure(contender, &out, args)
            .with_context(|| format!("measuring {}", contender.name))?;
        results.push(figures);
    }
    let table = markdown_table(&results, args);
    println!("\n{table}");
    fs::write(out.join("report.md"), &table).context("writing report.md")?;
    fs::write(out.join("report.json"), json_report(&results, args))
        .context("writing report.json")?;
    println!("wrote {} and report.json", out.join("report.md").display());
    let failing: Vec<&str> = results
        .iter()
        .filter(|f| f.loads.iter().any(|(_, _, l)| l.errors > 0))
        .map(|f| f.name.as_str())
        .collect();
    if !failing.is_empty() {
        bail!(
            "errors under load (the figures are not comparable): {}",
            failing.join(", ")
        );
    }
    Ok(())
}

fn ensure_wrk() -> Result<()> {
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

fn measure(contender: &Contender, out: &Path, args: &Args) -> Result<Figures> {
    let binary = build(contender)?;
    let binary_bytes = fs::metadata(&binary)
        .with_context(|| format!("reading {}", binary.display()))?
        .len();

    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let port = free_port()?;
    let db = format!(
        "sqlite://{}?mode=rwc",
        scratch.path().join("compare.db").display()
    );
    let fill = |s: &str| s.replace("{port}", &port.to_string()).replace("{db}", &db);
    let envs: Vec<(String, String)> = contender
        .env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), fill(v)))
        .collect();
    let base = format!("http://127.0.0.1:{port}");

    let token = match contender.token_args {
        Some(token_args) => Some(dev_token(&binary, &contender.dir, &envs, token_args)?),
        None => None,
    };
    let log_path = out.join(format!("{}.log", contender.name));
    let log =
        fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let started = Instant::now();
    let child = Command::new(&binary)
        .args(contender.args.iter().map(|a| fill(a)))
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .current_dir(&contender.dir)
        .stdout(log.try_clone().context("sharing the log file")?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let mut running = Running { child };
    wait_ready(
        &format!("{base}{}", contender.ready),
        &mut running,
        &log_path,
    )?;
    let ready_after = started.elapsed();
    thread::sleep(Duration::from_millis(500));
    let idle_rss_kib = memory_kib(running.child.id(), "VmRSS")?;
    println!("ready after {ready_after:?}, {idle_rss_kib} KiB resident when idle");

    let auth = token.as_ref().map(|t| format!("Bearer {t}"));
    if let Some((path, body)) = contender.seed {
        seed(&format!("{base}{path}"), body, auth.as_deref())?;
        println!("seeded {SEED_ROWS} rows through {path}");
    }
    let mut loads = Vec::new();
    for (scenario, _) in SCENARIOS {
        if let Some((_, path)) = contender.paths.iter().find(|(name, _)| name == scenario) {
            let url = format!("{base}{path}");
            loads.push((*scenario, *path, load(&url, auth.as_deref(), args)?));
        }
    }
    let peak_rss_kib = memory_kib(running.child.id(), "VmHWM")?;
    Ok(Figures {
        name: contender.name.to_owned(),
        about: contender.about.to_owned(),
        binary_bytes,
        ready_after,
        idle_rss_kib,
        peak_rss_kib,
        loads,
    })
}

/// The started app; stopped with SIGTERM (then killed) however `measure` ends.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// `cargo build --release` with the contender's own profile, into its own `target/` (so an
/// app already built there is reused); returns the binary.
fn build(contender: &Contender) -> Result<PathBuf> {
    let manifest = contender.dir.join("Cargo.toml");
    ensure!(
        manifest.is_file(),
        "{} is not a Cargo project",
        contender.dir.display()
    );
    println!("building {} (release)", contender.dir.display());
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .args(contender.build_args)
        .env_remove("CARGO_TARGET_DIR")
        // Its own directory, so that its own `.cargo/config.toml` applies, not this one's.
        .current_dir(&contender.dir)
        .status()
        .context("running cargo build")?;
    ensure!(
        status.success(),
        "cargo build --release failed for {}",
        contender.name
    );
    Ok(contender.dir.join("target/release").join(contender.binary))
}

fn dev_token(
    binary: &Path,
    dir: &Path,
    envs: &[(String, String)],
    args: &[&str],
) -> Result<String> {
    let output = Command::new(binary)
        .args(args)
        .envs(
            envs.iter()
                .filter(|(k, _)| k != PROFILE_VARIABLE)
                .map(|(k, v)| (k, v)),
        )
        .current_dir(dir)
        .output()
        .context("running dev-token")?;
    ensure!(
        output.status.success(),
        "dev-token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).context("dev-token printed non-UTF-8")?;
    Ok(token.trim().to_owned())
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into()
}

fn wait_ready(url: &str, running: &mut Running, log: &Path) -> Result<()> {
    let agent = agent();
    let deadline = Instant::now() + READY_LIMIT;
    while Instant::now() < deadline {
        if let Some(status) = running.child.try_wait().context("checking the process")? {
            bail!(
                "exited with {status} before it was ready; see {}",
                log.display()
            );
        }
        if agent.get(url).call().is_ok_and(|r| r.status() == 200) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(10));
    }
    bail!(
        "not ready after {READY_LIMIT:?} ({url}); see {}",
        log.display()
    )
}

fn seed(url: &str, body: &str, auth: Option<&str>) -> Result<()> {
    let agent = agent();
    for n in 0..SEED_ROWS {
        let mut request = agent.post(url).header("content-type", "application/json");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request
            .send(body.replace("{n}", &n.to_string()))
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        ensure!(status.is_success(), "POST {url} answered {status}");
    }
    Ok(())
}

/// A 2-second warm-up, then the measured run.
fn load(url: &str, auth: Option<&str>, args: &Args) -> Result<Load> {
    run_wrk(url, auth, 2, args.connections)?;
    let output = run_wrk(url, auth, args.seconds, args.connections)?;
    let figures = parse_wrk(&output).with_context(|| format!("reading wrk's output:\n{output}"))?;
    println!(
        "{url}: {:.0} req/s, p50 {:?}, p99 {:?}, {} errors",
        figures.per_second, figures.p50, figures.p99, figures.errors
    );
    Ok(figures)
}

fn run_wrk(url: &str, auth: Option<&str>, seconds: u32, connections: u32) -> Result<String> {
    let mut wrk = Command::new("wrk");
    wrk.args(["--latency", "--threads", "2"])
        .arg(format!("--connections={connections}"))
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

/// A `/proc/<pid>/status` memory line (`VmRSS`, `VmHWM`), in KiB.
fn memory_kib(pid: u32, field: &str) -> Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading /proc (the memory figures need Linux)")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

fn markdown_table(results: &[Figures], args: &Args) -> String {
    let mut out = format!(
        "wrk, 2 threads, {} connections, {} s per path after a 2 s warm-up, {} cores\n\n",
        args.connections,
        args.seconds,
        thread::available_parallelism().map_or(0, usize::from)
    );
    out.push_str("| app | scenario | path | req/s | p50 | p99 | errors |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|\n");
    for f in results {
        for (scenario, path, l) in &f.loads {
            let _ = writeln!(
                out,
                "| {} | {scenario} | `{path}` | {:.0} | {} | {} | {} |",
                f.name,
                l.per_second,
                millis(l.p50),
                millis(l.p99),
                l.errors
            );
        }
    }
    out.push_str("\n| app | binary | ready after start | RSS idle | RSS peak under load |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for f in results {
        let _ = writeln!(
            out,
            "| {} | {:.1} MB | {} | {:.1} MiB | {:.1} MiB |",
            f.name,
            f.binary_bytes as f64 / 1e6,
            millis(f.ready_after),
            f.idle_rss_kib as f64 / 1024.0,
            f.peak_rss_kib as f64 / 1024.0,
        );
    }
    out.push('\n');
    for (scenario, what) in SCENARIOS {
        let _ = writeln!(out, "- {scenario}: {what}");
    }
    for f in results {
        let _ = writeln!(out, "- {}: {}", f.name, f.about);
    }
    out
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn json_report(results: &[Figures], args: &Args) -> String {
    let load_json = |(scenario, path, l): &(&str, &str, Load)| {
        serde_json::json!({
            "scenario": scenario,
            "path": path,
            "requests": l.requests,
            "requests_per_second": l.per_second,
            "p50_ms": l.p50.as_secs_f64() * 1e3,
            "p99_ms": l.p99.as_secs_f64() * 1e3,
            "errors": l.errors,
        })
    };
    let contenders: Vec<serde_json::Value> = results
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "about": f.about,
                "binary_bytes": f.binary_bytes,
                "ready_after_ms": f.ready_after.as_secs_f64() * 1e3,
                "idle_rss_kib": f.idle_rss_kib,
                "peak_rss_kib": f.peak_rss_kib,
                "loads": f.loads.iter().map(load_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let report = serde_json::json!({
        "schema": "compare/1",
        "connections": args.connections,
        "seconds": args.seconds,
        "contenders": contenders,
    });
    serde_json::to_string_pretty(&report).unwrap_or_default()
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

    #[test]
    fn this_process_has_memory_figures() {
        let rss = memory_kib(std::process::id(), "VmRSS").unwrap();
        let peak = memory_kib(std::process::id(), "VmHWM").unwrap();
        assert!(rss > 0 && peak >= rss, "rss {rss}, peak {peak}");
        assert!(memory_kib(std::process::id(), "NoSuchField").is_err());
    }

    #[test]
    fn the_tables_have_a_row_per_load_and_per_contender() {
        let args = Args::smoke();
        let load = Load {
            requests: 10,
            per_second: 1234.4,
            p50: Duration::from_millis(1),
            p99: Duration::from_millis(5),
            errors: 0,
        };
        let results = vec![
            Figures {
                name: "a".into(),
                binary_bytes: 3_700_000,
                loads: vec![("static", "/live", load), ("read", "/items", load)],
                ..Figures::default()
            },
            Figures {
                name: "b".into(),
                loads: vec![("static", "/ping", load)],
                ..Figures::default()
            },
        ];
        let table = markdown_table(&results, &args);
        assert!(
            table.contains("| a | static | `/live` | 1234 | 1.00 ms | 5.00 ms | 0 |"),
            "{table}"
        );
        assert!(table.contains("| a | read | `/items` |"), "{table}");
        assert!(table.contains("| b | static | `/ping` |"), "{table}");
        assert!(table.contains("| a | 3.7 MB |"), "{table}");
        let json: serde_json::Value = serde_json::from_str(&json_report(&results, &args)).unwrap();
        assert_eq!(json["contenders"][1]["loads"][0]["path"], "/ping");
        assert_eq!(
            json["contenders"][0]["loads"].as_array().map(Vec::len),
            Some(2)
        );
    }
}
