//! One contender as a process: built in release mode, started over a fresh SQLite file on a
//! free loopback port, seeded, and stopped (SIGTERM, then killed) however the round ends.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::contenders::{Contender, PROFILE_VARIABLE, Token};

/// How many rows each contender holds before it is loaded; `list` reads all of them (Loco's
/// scaffold does not page).
pub const SEED_ROWS: usize = 20;
/// How long a contender may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// A started, seeded contender.
#[derive(Debug)]
pub struct Running {
    child: Child,
    base: String,
    /// `Bearer …`, sent with every request, when the contender mints tokens.
    pub auth: Option<String>,
    /// The id of a seeded row, for `{id}` in the paths.
    pub id: Option<String>,
    pub ready_after: Duration,
    pub idle_rss_kib: u64,
    _scratch: tempfile::TempDir,
}

impl Running {
    /// The URL of a contender's path, `{id}` filled in.
    pub fn url(&self, path: &str) -> String {
        let path = match &self.id {
            Some(id) => path.replace("{id}", id),
            None => path.to_owned(),
        };
        format!("{}{path}", self.base)
    }

    /// The peak resident memory so far.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        memory_kib(self.child.id(), "VmHWM")
    }
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

/// Which cargo profile a contender is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildProfile {
    /// `--release`, with the contender's own release profile (what its users run).
    Release,
    /// The dev profile as CI's renderings are built (`ci::RENDERING_BUILD_ENVS`), so that CI's
    /// guard reuses the renderings' debug build instead of building release.
    Dev,
}

impl BuildProfile {
    /// The directory under the target directory that holds the binaries.
    fn directory(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Dev => "debug",
        }
    }
}

/// `cargo build` with the contender's own profile of that kind, into its own `target/` (so an
/// app already built there is reused) or the one it names; returns the binary.
pub fn build(contender: &Contender, profile: BuildProfile) -> Result<PathBuf> {
    let manifest = contender.dir.join("Cargo.toml");
    ensure!(
        manifest.is_file(),
        "{} is not a Cargo project",
        contender.dir.display()
    );
    println!(
        "building {} ({})",
        contender.dir.display(),
        profile.directory()
    );
    let mut cargo = Command::new("cargo");
    cargo.arg("build");
    match profile {
        BuildProfile::Release => {
            cargo.arg("--release");
        }
        BuildProfile::Dev => {
            cargo.envs(crate::ci::RENDERING_BUILD_ENVS);
        }
    }
    cargo
        .args(["--quiet", "--manifest-path"])
        .arg(&manifest)
        .args(contender.build_args)
        // Its own directory, so that its own `.cargo/config.toml` applies, not this one's.
        .current_dir(&contender.dir)
        .env("CARGO_INCREMENTAL", "0");
    let target = match &contender.target_dir {
        Some(dir) => {
            cargo.env("CARGO_TARGET_DIR", dir);
            dir.clone()
        }
        None => {
            cargo.env_remove("CARGO_TARGET_DIR");
            contender.dir.join("target")
        }
    };
    let status = cargo.status().context("running cargo build")?;
    ensure!(
        status.success(),
        "cargo build ({}) failed for {}",
        profile.directory(),
        contender.name
    );
    Ok(target.join(profile.directory()).join(contender.binary))
}

/// Starts the contender, waits until it is ready, mints its token and seeds it.
pub fn start(contender: &Contender, binary: &Path, log: &Path, otlp: &str) -> Result<Running> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let port = free_port()?;
    let db = format!(
        "sqlite://{}?mode=rwc",
        scratch.path().join("compare.db").display()
    );
    let fill = |s: &str| {
        s.replace("{port}", &port.to_string())
            .replace("{db}", &db)
            .replace("{otlp}", otlp)
    };
    let envs: Vec<(String, String)> = contender
        .env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), fill(v)))
        .collect();
    let printed = match contender.token {
        Some(Token::Printed(args)) => Some(dev_token(binary, &contender.dir, &envs, args)?),
        _ => None,
    };
    let log_file = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let started = Instant::now();
    let child = Command::new(binary)
        .args(contender.args.iter().map(|a| fill(a)))
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .current_dir(&contender.dir)
        .stdout(log_file.try_clone().context("sharing the log file")?)
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let mut running = Running {
        child,
        base: format!("http://127.0.0.1:{port}"),
        auth: printed.map(|token| format!("Bearer {token}")),
        id: None,
        ready_after: Duration::ZERO,
        idle_rss_kib: 0,
        _scratch: scratch,
    };
    wait_ready(&running.url(contender.ready), &mut running.child, log)?;
    running.ready_after = started.elapsed();
    thread::sleep(Duration::from_millis(300));
    running.idle_rss_kib = memory_kib(running.child.id(), "VmRSS")?;
    if let Some(Token::Login { register, login }) = contender.token {
        post(&running.url(register.0), register.1, None)?;
        let answer = post(&running.url(login.0), login.1, None)?;
        let token = serde_json::from_str::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_owned))
            .with_context(|| format!("no token in the login answer: {answer}"))?;
        running.auth = Some(format!("Bearer {token}"));
    }
    if let Some((path, body)) = contender.seed {
        let ids = seed(&running.url(path), body, running.auth.as_deref())?;
        // A row from the middle of the table, not the first one a scan meets.
        running.id = ids.get(ids.len() / 2).cloned();
    }
    println!(
        "{}: ready after {:?}, {} KiB resident when idle{}",
        contender.name,
        running.ready_after,
        running.idle_rss_kib,
        if contender.seed.is_some() {
            ", seeded"
        } else {
            ""
        }
    );
    Ok(running)
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

fn wait_ready(url: &str, child: &mut Child, log: &Path) -> Result<()> {
    let agent = agent();
    let deadline = Instant::now() + READY_LIMIT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().context("checking the process")? {
            let tail = fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "exited with {status} before it was ready; {} says:\n{}",
                log.display(),
                tail.join("\n")
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

/// `POST`s a JSON body; the answer's body, which must be 2xx.
fn post(url: &str, body: &str, auth: Option<&str>) -> Result<String> {
    let mut request = agent().post(url).header("content-type", "application/json");
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let mut response = request.send(body).with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    ensure!(status.is_success(), "POST {url} answered {status}: {text}");
    Ok(text)
}

/// Creates `SEED_ROWS` rows; returns their ids as the answers gave them.
fn seed(url: &str, body: &str, auth: Option<&str>) -> Result<Vec<String>> {
    (0..SEED_ROWS)
        .map(|n| {
            let answer = post(url, &body.replace("{n}", &n.to_string()), auth)?;
            created_id(&answer)
                .with_context(|| format!("no id in the answer to POST {url}: {answer}"))
        })
        .collect()
}

/// The `id` of a created row: a string (the service's UUIDs) or a number (Loco's keys).
fn created_id(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    match &value["id"] {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// A `/proc/<pid>/status` memory line (`VmRSS`, `VmHWM`), in KiB.
pub fn memory_kib(pid: u32, field: &str) -> Result<u64> {
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

    #[test]
    fn ids_of_created_rows_as_strings_or_numbers() {
        assert_eq!(
            created_id(r#"{"id":"0193e0a4-7c1e-7000-8000-000000000001","x":1}"#).as_deref(),
            Some("0193e0a4-7c1e-7000-8000-000000000001")
        );
        assert_eq!(created_id(r#"{"id":17,"name":"a"}"#).as_deref(), Some("17"));
        assert_eq!(created_id(r#"{"id":null}"#), None);
        assert_eq!(created_id(r#"{"name":"a"}"#), None);
        assert_eq!(created_id("not json"), None);
    }
}
