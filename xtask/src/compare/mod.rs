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
//! The contenders are one table in the code (`contenders.rs`): a contender is a build command, a
//! binary, its arguments and environment, and the paths it is loaded on. Figures from `wrk`
//! are compared as they come: the same client, the same connections, the same duration.

mod contenders;
mod report;
mod wrk;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use contenders::{Contender, PROFILE_VARIABLE, SCENARIOS, contenders};
use report::{Figures, json_report, markdown_table};

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

pub fn run(root: &Path, args: &Args) -> Result<()> {
    wrk::ensure_installed()?;
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
            loads.push((*scenario, *path, wrk::load(&url, auth.as_deref(), args)?));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_figures() {
        let rss = memory_kib(std::process::id(), "VmRSS").unwrap();
        let peak = memory_kib(std::process::id(), "VmHWM").unwrap();
        assert!(rss > 0 && peak >= rss, "rss {rss}, peak {peak}");
        assert!(memory_kib(std::process::id(), "NoSuchField").is_err());
    }
}
