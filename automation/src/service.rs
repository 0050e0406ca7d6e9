//! The service binary as a child process: build it, start it on 127.0.0.1 with a fresh SQLite
//! database and a free port, and stop it again, always (the guard kills it when dropped).
//!
//! ```no_run
//! use service_automation::service::{RunningService, build};
//!
//! let root = std::path::Path::new(".");
//! let binary = build(root, false)?;
//! let service = RunningService::start(root, &binary)?; // ready: it logged its address
//! println!("{}", service.base_url);
//! drop(service); // stopped
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};

/// What the test step builds and tests: every package but `xtask`. The automation has no tests
/// of its own, and `cargo xtask` has built it already: in the test build it would be compiled
/// a second time, dependencies included, with the workspace's features.
pub const TESTED_PACKAGES: &[&str] = &["--workspace", "--exclude", "xtask"];

/// How long a freshly started service may take to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the service binary and returns its path, as cargo reports it.
///
/// A debug build selects what the test step builds ([`TESTED_PACKAGES`], with their tests:
/// `cargo build --workspace --exclude xtask --bins --tests`), not `--package server` alone: cargo
/// resolves dependency features per selection, and the test build adds some (tokio's, reqwest's,
/// OpenTelemetry's), so a `--package server` build would compile most of the dependency graph a
/// second time, with other features, beside the one the tests use. Selected like the tests, the
/// binary is the one the tests already built. A release build (`--release`, for measuring)
/// builds the `server` package alone: a release build of every test would be waste.
pub fn build(root: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let mut command = crate::cargo_command();
    command.arg("build");
    if release {
        command.args(["--package", "server", "--release"]);
    } else {
        command.args(TESTED_PACKAGES).args(["--bins", "--tests"]);
    }
    command.args(["--message-format", "json-render-diagnostics"]);
    let output = command
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo build")?;
    if !output.status.success() {
        bail!("building the service failed ({})", output.status);
    }
    // Canonical, as cargo reports it (the working directory it sees has symlinks resolved).
    let manifest = std::fs::canonicalize(root.join("crates/server/Cargo.toml"))
        .context("cannot resolve the server crate's manifest path")?;
    service_binary(&String::from_utf8_lossy(&output.stdout), &manifest)
        .context("cargo build reported no binary for the server package")
}

/// The path of the server package's binary among cargo's JSON messages: the artifact of a `bin`
/// target of the package at `manifest`, built as a program (not as a test harness).
fn service_binary(messages: &str, manifest: &Path) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| {
            message["manifest_path"].as_str().is_some_and(|reported| {
                let reported = Path::new(reported);
                reported == manifest || std::fs::canonicalize(reported).is_ok_and(|r| r == manifest)
            })
        })
        .filter(|message| message["profile"]["test"] == false)
        .filter(|message| {
            let kinds = message["target"]["kind"].as_array();
            kinds.is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// Builds the service binary (see [`build`]) and runs it with `args` at `root`, as `cargo run -p
/// server -- <args>` would; see [`run_built`].
pub fn run(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    run_built(&build(root, false)?, root, args, envs)
}

/// Runs an already built service `binary` with `args` at `root`, inheriting standard input,
/// output and error; an error when it fails.
pub fn run_built(
    binary: &Path,
    root: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> anyhow::Result<()> {
    let status = Command::new(binary)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    if !status.success() {
        bail!("`{}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// A running service; killed when dropped.
#[derive(Debug)]
pub struct RunningService {
    child: Child,
    /// `http://127.0.0.1:<port>`
    pub base_url: String,
    _scratch: tempfile::TempDir,
}

impl RunningService {
    /// Starts `binary` with the `test` profile, the project's `config/`, a fresh SQLite file and
    /// port 0, and waits until it logs the address it listens on.
    pub fn start(root: &Path, binary: &Path) -> anyhow::Result<Self> {
        let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
        let database = scratch.path().join("service.db");
        let mut child = Command::new(binary)
            .envs(service_env(root, &database)?)
            .env("APP_HTTP__HOST", "127.0.0.1")
            .env("APP_HTTP__PORT", "0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout from the service")?;
        let (address_tx, address_rx) = mpsc::channel();
        // Reads the log until the address appears, then keeps draining it so the service never
        // blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = listening_address(&line) {
                    let _ = address_tx.send(format!("http://{address}"));
                }
            }
        });
        let mut service = Self {
            child,
            base_url: String::new(),
            _scratch: scratch,
        };
        match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(base_url) => service.base_url = base_url,
            Err(_) => {
                bail!("the service did not report a listening address within {START_TIMEOUT:?}")
            }
        }
        Ok(service)
    }

    /// Runs another command of the same binary (`dev-token`, ...) with the service's settings.
    pub fn run_command(root: &Path, binary: &Path, args: &[&str]) -> anyhow::Result<String> {
        let scratch = tempfile::tempdir()?;
        let output = Command::new(binary)
            .args(args)
            .envs(service_env(root, &scratch.path().join("unused.db"))?)
            .output()
            .with_context(|| format!("cannot run {} {}", binary.display(), args.join(" ")))?;
        if !output.status.success() {
            bail!(
                "`{}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn service_env(root: &Path, database: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let config_dir = root.join("config");
    Ok(vec![
        ("APP_PROFILE", "test".to_owned()),
        (
            "APP_CONFIG_DIR",
            config_dir
                .to_str()
                .context("config path is not UTF-8")?
                .to_owned(),
        ),
        (
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        ),
    ])
}

/// The address in a line like `... listening on http://127.0.0.1:41234 (API docs: ...)`.
pub fn listening_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on http://")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_is_the_server_packages_program_not_its_test_harness() {
        let manifest = Path::new("/p/crates/server/Cargo.toml");
        let artifact = |manifest: &str, kind: &str, test: bool, executable: &str| {
            serde_json::json!({
                "reason": "compiler-artifact",
                "manifest_path": manifest,
                "target": { "kind": [kind] },
                "profile": { "test": test },
                "executable": executable,
            })
            .to_string()
        };
        let messages = [
            artifact("/p/xtask/Cargo.toml", "bin", false, "/t/debug/xtask"),
            artifact(
                "/p/crates/server/Cargo.toml",
                "bin",
                true,
                "/t/debug/deps/orders-1a2b",
            ),
            artifact(
                "/p/crates/server/Cargo.toml",
                "test",
                true,
                "/t/debug/deps/http-3c4d",
            ),
            r#"{"reason":"build-finished","success":true}"#.to_owned(),
            artifact(
                "/p/crates/server/Cargo.toml",
                "bin",
                false,
                "/t/debug/orders",
            ),
        ]
        .join("\n");
        assert_eq!(
            service_binary(&messages, manifest),
            Some(PathBuf::from("/t/debug/orders"))
        );
        assert_eq!(service_binary(&messages, Path::new("/q/Cargo.toml")), None);
    }

    #[test]
    fn the_address_is_read_from_the_log_line() {
        let line = "2026-01-01T00:00:00Z  INFO server: orders 0.1.0 listening on \
                    http://127.0.0.1:40123 (API docs: http://127.0.0.1:40123/docs)";
        assert_eq!(
            listening_address(line),
            Some(SocketAddr::from(([127, 0, 0, 1], 40123)))
        );
        let json = r#"{"level":"INFO","message":"orders 0.1.0 listening on http://127.0.0.1:41234 (API docs: http://127.0.0.1:41234/docs)"}"#;
        assert_eq!(
            listening_address(json),
            Some(SocketAddr::from(([127, 0, 0, 1], 41234)))
        );
        assert_eq!(
            listening_address("listening on http://[::1]:8080"),
            "[::1]:8080".parse().ok()
        );
        assert_eq!(listening_address("listening on nothing"), None);
        assert_eq!(listening_address("starting"), None);
    }
}
