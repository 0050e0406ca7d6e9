//! A progress line about once a second while a scenario runs, and the terminal styling the
//! command uses: colour only on a terminal, never when `NO_COLOR` or `CI` is set.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Colours the summary uses.
#[derive(Debug, Clone, Copy)]
pub enum Colour {
    Green,
    Red,
    Dim,
}

pub fn colour_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("CI").is_none()
        && std::io::stdout().is_terminal()
}

/// `text` in `colour` when colour is enabled, else as it is.
pub fn paint(text: &str, colour: Colour) -> String {
    if !colour_enabled() {
        return text.to_owned();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Red => "31",
        Colour::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Requests and errors so far, shared by the workers.
#[derive(Debug, Default)]
pub struct Counters {
    done: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    pub fn add(&self, failed: bool) {
        self.done.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Prints progress until dropped (or cancelled).
#[derive(Debug)]
pub struct Progress {
    counters: Arc<Counters>,
    ticker: JoinHandle<()>,
}

impl Progress {
    pub fn start(name: &str, planned: Duration, cancel: &CancellationToken) -> Self {
        let counters = Arc::new(Counters::default());
        let (shared, name, cancel) = (counters.clone(), name.to_owned(), cancel.clone());
        let ticker = tokio::spawn(async move {
            let started = Instant::now();
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.tick().await;
            let mut previous = 0;
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = interval.tick() => {}
                }
                let done = shared.done.load(Ordering::Relaxed);
                let failed = shared.failed.load(Ordering::Relaxed);
                let line = format!(
                    "  {name:<14} {:>5.1}s/{}s {done:>9} requests {:>8}/s {failed:>6} errors",
                    started.elapsed().as_secs_f64(),
                    planned.as_secs(),
                    done - previous,
                );
                println!("{}", paint(&line, Colour::Dim));
                previous = done;
            }
        });
        Self { counters, ticker }
    }

    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}
