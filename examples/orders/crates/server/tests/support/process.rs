//! The real binary as a child process: `serve` over a test database on a free port, its
//! address read from its log, stopped with SIGTERM, killed if a test fails first.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::TestDatabase;

/// The service binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_orders");
/// The project's `config/` directory.
pub const CONFIG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");

pub struct ServiceProcess {
    child: Child,
    /// `127.0.0.1:<port>`, as the service announced it.
    pub address: String,
    log: Option<JoinHandle<Vec<String>>>,
}

impl ServiceProcess {
    /// Starts `serve` in the test profile over `db`, with `envs` added to its environment,
    /// and waits until it announces its address.
    pub async fn start(db: &TestDatabase, envs: &[(&str, &str)]) -> Self {
        Self::launch(Command::new(BINARY), db, envs).await
    }

    /// As [`ServiceProcess::start`], with at most `limit` open file descriptors
    /// (`ulimit -n`), to see the service at its descriptor limit.
    pub async fn start_with_fd_limit(db: &TestDatabase, envs: &[(&str, &str)], limit: u32) -> Self {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
            BINARY,
        ]);
        Self::launch(command, db, envs).await
    }

    async fn launch(mut command: Command, db: &TestDatabase, envs: &[(&str, &str)]) -> Self {
        command
            .arg("serve")
            .env("APP_PROFILE", "test")
            .env("APP_CONFIG_DIR", CONFIG_DIR)
            .env("APP_HTTP__HOST", "127.0.0.1")
            .env("APP_HTTP__PORT", "0")
            .env("DATABASE_URL", &db.url)
            // The "listening on" line is at info; the test profile logs warnings only.
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::piped());
        for (name, value) in envs {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the service starts");

        // Read the log on a thread (it must keep draining the pipe), announcing the address.
        let stdout = child.stdout.take().expect("piped stdout");
        let (address_sender, address) = std::sync::mpsc::channel::<String>();
        let log = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, rest)) = line.split_once("listening on http://") {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    address_sender.send(address.to_owned()).ok();
                }
                lines.push(line);
            }
            lines
        });
        let address =
            tokio::task::spawn_blocking(move || address.recv_timeout(Duration::from_secs(60)))
                .await
                .unwrap()
                .expect("the service announces `listening on http://<address>`");
        Self {
            child,
            address,
            log: Some(log),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends SIGTERM, as Kubernetes does to stop a pod.
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(kill.success(), "kill -TERM {pid}");
    }

    /// Waits for the process to exit, up to `limit`.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("the process state") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }

    /// Sends SIGTERM and expects a clean exit (status 0) within `limit`; returns the log and
    /// how long the exit took. A service still running, or failing, panics with its log.
    pub async fn stop_cleanly(mut self, limit: Duration) -> (String, Duration) {
        let signalled = Instant::now();
        self.terminate();
        let exit = self.wait_for_exit(limit).await;
        let exit_time = signalled.elapsed();
        let log = self.log();
        let exit = exit.unwrap_or_else(|| panic!("still running {limit:?} after SIGTERM:\n{log}"));
        assert!(exit.success(), "exit status {exit:?}:\n{log}");
        (log, exit_time)
    }

    /// Everything the service logged; kills it first if it is still running.
    pub fn log(mut self) -> String {
        self.kill();
        let log = self.log.take().expect("the log is read once");
        log.join().unwrap().join("\n")
    }

    fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
