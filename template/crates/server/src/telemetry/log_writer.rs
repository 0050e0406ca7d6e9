//! The log's writer thread. Formatting a line happens on the thread that logs it; writing it
//! to stdout happens on one dedicated thread, in batches, so a request never waits for the
//! terminal, the container runtime's log pipe or a slow log shipper.
//!
//! A logged line is appended to a shared buffer under a short lock. The writer thread sleeps
//! while the buffer is empty; the first line of a batch wakes it, it lets the batch gather
//! for [`GATHER`] (less when the buffer fills up), then takes the whole buffer at once and
//! writes it with one system call. Under load that is one wake-up and one write per batch
//! of thousands of lines, where a queue of lines (tracing-appender's) costs a wake-up and a
//! write for every few lines: measured, that was most of what the access line cost a
//! request (the template repository's `docs/profiles.md`).
//!
//! No line is ever dropped: the buffer holds `telemetry.log_buffer_lines` lines, and when it
//! is full the thread that logs waits for room (backpressure) instead of losing the line. At
//! exit, [`LogWriterGuard::flush`] writes what is still buffered; a line logged after that is
//! written straight to stdout.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer thread lets a batch gather after its first line: the most a line
/// waits before it is written.
const GATHER: Duration = Duration::from_millis(10);

/// Bytes reserved for a batch up front; the buffer grows beyond when lines are long.
const BATCH_BYTES: usize = 64 * 1024;

/// What the logging threads and the writer thread share.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread: a first line, a half-full buffer, or the end.
    work: Condvar,
    /// Wakes the threads waiting for room in a full buffer.
    room: Condvar,
    capacity_lines: usize,
}

#[derive(Debug)]
struct State {
    pending: Vec<u8>,
    lines: usize,
    /// The writer thread is waiting on `work` (notifying costs a system call: only then).
    writer_waiting: bool,
    /// Threads waiting on `room`.
    waiting_for_room: usize,
    stopped: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a consistent buffer: carry on with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one line, waiting while the buffer is full.
    fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut state = self.lock();
        while state.lines >= self.capacity_lines && !state.stopped {
            state.waiting_for_room += 1;
            state = self.room.wait(state).unwrap_or_else(PoisonError::into_inner);
            state.waiting_for_room -= 1;
        }
        if state.stopped {
            drop(state);
            // The writer thread is gone: write it here rather than lose it.
            return io::stdout().lock().write_all(line);
        }
        state.pending.extend_from_slice(line);
        state.lines += 1;
        let wake = state.writer_waiting
            && (state.lines == 1 || state.lines * 2 >= self.capacity_lines);
        if wake {
            state.writer_waiting = false;
            drop(state);
            self.work.notify_one();
        }
        Ok(())
    }

    /// The writer thread: sleep while empty, gather, take the batch, write it.
    fn run(&self, out: &mut impl Write) {
        let mut batch = Vec::with_capacity(BATCH_BYTES);
        loop {
            let mut state = self.lock();
            while state.lines == 0 && !state.stopped {
                state = self.wait_for_work(state, None);
            }
            let gather_until = Instant::now() + GATHER;
            while !state.stopped && state.lines * 2 < self.capacity_lines {
                let Some(left) = gather_until.checked_duration_since(Instant::now()) else {
                    break;
                };
                state = self.wait_for_work(state, Some(left));
            }
            let stopped = state.stopped;
            std::mem::swap(&mut state.pending, &mut batch);
            state.lines = 0;
            let waiting = state.waiting_for_room > 0;
            drop(state);
            if waiting {
                self.room.notify_all();
            }
            if !batch.is_empty() {
                write_batch(out, &batch);
                batch.clear();
            }
            if stopped {
                return;
            }
        }
    }

    fn wait_for_work<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        timeout: Option<Duration>,
    ) -> MutexGuard<'a, State> {
        state.writer_waiting = true;
        let mut state = match timeout {
            None => self.work.wait(state).unwrap_or_else(PoisonError::into_inner),
            Some(timeout) => match self.work.wait_timeout(state, timeout) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            },
        };
        state.writer_waiting = false;
        state
    }
}

/// Writes a batch; a broken stdout is reported on stderr, since there is nowhere else.
fn write_batch(out: &mut impl Write, batch: &[u8]) {
    if let Err(err) = out.write_all(batch).and_then(|()| out.flush()) {
        eprintln!("log writer: writing to stdout failed: {err}");
    }
}

/// The writer the fmt layer formats into: each `write` is one line.
#[derive(Debug, Clone)]
pub(crate) struct LogWriter {
    shared: Arc<Shared>,
}

impl Write for LogWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.shared.append(line)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Keeps the writer thread running; [`LogWriterGuard::flush`] at exit.
#[derive(Debug)]
pub(crate) struct LogWriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriterGuard {
    /// Writes the buffered lines and stops the writer thread (blocking, so off the async
    /// workers). Lines logged afterwards are written straight to stdout.
    pub(crate) async fn flush(mut self) {
        let thread = self.thread.take();
        let shared = self.shared.clone();
        // Joining fails only if the writer thread panicked, which leaves nothing to write.
        tokio::task::spawn_blocking(move || stop(&shared, thread))
            .await
            .ok();
    }
}

impl Drop for LogWriterGuard {
    fn drop(&mut self) {
        stop(&self.shared, self.thread.take());
    }
}

fn stop(shared: &Shared, thread: Option<JoinHandle<()>>) {
    let Some(thread) = thread else { return };
    shared.lock().stopped = true;
    shared.work.notify_one();
    shared.room.notify_all();
    thread.join().ok();
}

/// A writer for the fmt layer, and the guard that keeps its thread alive.
pub(crate) fn start(capacity_lines: usize) -> io::Result<(LogWriter, LogWriterGuard)> {
    start_with(capacity_lines, io::stdout())
}

fn start_with(
    capacity_lines: usize,
    mut out: impl Write + Send + 'static,
) -> io::Result<(LogWriter, LogWriterGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            pending: Vec::with_capacity(BATCH_BYTES),
            lines: 0,
            writer_waiting: false,
            waiting_for_room: 0,
            stopped: false,
        }),
        work: Condvar::new(),
        room: Condvar::new(),
        capacity_lines: capacity_lines.max(1),
    });
    let thread = std::thread::Builder::new().name("log-writer".to_owned()).spawn({
        let shared = shared.clone();
        move || shared.run(&mut out)
    })?;
    Ok((
        LogWriter {
            shared: shared.clone(),
        },
        LogWriterGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

#[cfg(test)]
mod tests;
