//! The log's writer thread. Formatting a line happens on the thread that logs it; writing it
//! to stdout happens on one dedicated thread, in batches, so a request never waits for the
//! terminal, the container runtime's log pipe or a slow log shipper.
//!
//! No line is ever dropped: the queue holds `telemetry.log_buffer_lines` lines, and when it
//! is full the thread that logs waits for room (backpressure) instead of losing the line. At
//! exit, [`LogWriterGuard::flush`] writes what is still queued.

use std::io::{BufWriter, Stdout};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Bytes gathered before a write to stdout; the writer thread also writes whenever the queue
/// runs empty, so a quiet service's lines are never held back.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// Keeps the writer thread running; [`LogWriterGuard::flush`] at exit.
#[derive(Debug)]
pub(crate) struct LogWriterGuard(WorkerGuard);

impl LogWriterGuard {
    /// Writes the queued lines and stops the writer thread (blocking, so off the async
    /// workers). Lines logged afterwards are not written.
    pub(crate) async fn flush(self) {
        let guard = self.0;
        // Joining cannot fail but for a panic in the guard's drop, which leaves nothing to do.
        tokio::task::spawn_blocking(move || drop(guard)).await.ok();
    }
}

/// A writer for the fmt layer, and the guard that keeps its thread alive.
pub(crate) fn start(buffer_lines: usize) -> (NonBlocking, LogWriterGuard) {
    let stdout: BufWriter<Stdout> = BufWriter::with_capacity(WRITE_BATCH_BYTES, std::io::stdout());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(buffer_lines.max(1))
        .thread_name("log-writer")
        .finish(stdout);
    (writer, LogWriterGuard(guard))
}
