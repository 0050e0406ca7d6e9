//! The service under test (built by `crate::service::build`): start it on 127.0.0.1 (a free
//! port) over a fresh SQLite database, find the port from its "listening on" log line, wait until
//! `/health/ready` answers, mint a token with its `dev-token` command, and always stop it:
//! [`RunningServer`] kills the process when dropped, whatever ended the run.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cargo_command;
use crate::service::listening_address;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace's target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let output = cargo_command()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata names no target_directory")
}

/// The environment the service (and its `dev-token` command) runs with: the project's
/// configuration, overridden to listen on 127.0.0.1 port 0 with the given database.
#[derive(Debug)]
pub struct ServerEnv {
    vars: Vec<(&'static str, String)>,
    /// Holds the fresh SQLite database; removed when dropped.
    _database_dir: Option<tempfile::TempDir>,
}

impl ServerEnv {
    pub fn new(database_url: Option<&str>) -> anyhow::Result<Self> {
        let (url, dir) = match database_url {
            Some(url) => {
                super::loopback::check_database_url(url)?;
                (url.to_owned(), None)
            }
            None => {
                let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("load-test.db").display()
                );
                (url, Some(dir))
            }
        };
        let vars = vec![
            ("APP_HTTP__HOST", "127.0.0.1".to_owned()),
            ("APP_HTTP__PORT", "0".to_owned()),
            ("APP_TELEMETRY__LOG_FORMAT", "json".to_owned()),
            ("APP_DATABASE__MIGRATE_ON_START", "true".to_owned()),
            // The load generator is one caller sending far more than any client's quota: the
            // rate limiter still runs on every request, with quotas above the load.
            ("APP_RATE_LIMIT__READS_PER_MINUTE", "1000000000".to_owned()),
            ("APP_RATE_LIMIT__WRITES_PER_MINUTE", "1000000000".to_owned()),
            ("DATABASE_URL", url),
        ];
        Ok(Self {
            vars,
            _database_dir: dir,
        })
    }

    fn command(&self, binary: &Path, root: &Path) -> Command {
        let mut command = Command::new(binary);
        command
            .current_dir(root)
            .envs(self.vars.iter().map(|(key, value)| (*key, value)));
        command
    }
}

/// `<binary> dev-token --scope ...`, with the server's configuration.
pub fn mint_token(
    binary: &Path,
    root: &Path,
    env: &ServerEnv,
    scopes: &[String],
) -> anyhow::Result<String> {
    let mut command = env.command(binary, root);
    command.arg("dev-token");
    for scope in scopes {
        command.args(["--scope", scope]);
    }
    let output = command
        .output()
        .context("cannot run the service's dev-token command")?;
    if !output.status.success() {
        bail!(
            "`{} dev-token` failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The started service. Dropping it kills the process.
#[derive(Debug)]
pub struct RunningServer {
    child: Child,
    pub address: SocketAddr,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // Ignored: the process may have exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary` and returns once it listens; its log goes to `log_path`.
pub async fn start(
    binary: &Path,
    root: &Path,
    env: &ServerEnv,
    log_path: &Path,
    cancel: &CancellationToken,
) -> anyhow::Result<RunningServer> {
    let mut log = std::fs::File::create(log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut child = env
        .command(binary, root)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stdout = child
        .stdout
        .take()
        .context("the service's output is not piped")?;
    // From here on the guard owns the process: any early return stops it.
    let mut server = RunningServer {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let (found, mut address) = tokio::sync::oneshot::channel();
    // Drains the log for the whole run (a full pipe would stall the service).
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = listening_address(&line)
                && let Some(found) = found.take()
            {
                let _ = found.send(address);
            }
            let _ = writeln!(log, "{line}");
        }
    });
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let mut poll = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            () = cancel.cancelled() => bail!("interrupted while the service was starting"),
            bound = &mut address => match bound {
                Ok(bound) => {
                    server.address = bound;
                    return Ok(server);
                }
                // The output closed without the line: the process is exiting.
                Err(_) => {
                    let status = server.child.wait()?;
                    bail!("the service exited ({status}) before listening (its log: {})", log_path.display());
                }
            },
            _ = poll.tick() => {
                if let Some(status) = server.child.try_wait()? {
                    bail!("the service exited ({status}) before listening (its log: {})", log_path.display());
                }
                if Instant::now() > deadline {
                    bail!("the service did not listen within {STARTUP_TIMEOUT:?}; see {}", log_path.display());
                }
            }
        }
    }
}

/// Polls `GET <base_url>/health/ready` until it answers 200.
pub async fn wait_ready(
    client: &reqwest::Client,
    base_url: &str,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let url = format!("{base_url}/health/ready");
    loop {
        let last = match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => format!("it answered {}", response.status()),
            Err(err) => err.to_string(),
        };
        if Instant::now() > deadline {
            bail!("{url} was not ready within {STARTUP_TIMEOUT:?}: {last}");
        }
        tokio::select! {
            () = cancel.cancelled() => bail!("interrupted while waiting for {url}"),
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}
