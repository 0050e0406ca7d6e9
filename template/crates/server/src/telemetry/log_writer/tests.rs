// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::start_with;

/// Collects what the writer thread writes; each `write_all` of a batch may be slow.
#[derive(Clone, Default)]
struct Sink {
    written: Arc<Mutex<Vec<u8>>>,
    writes: Arc<Mutex<usize>>,
    pause: Duration,
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(self.pause);
        self.written.lock().unwrap().extend_from_slice(bytes);
        *self.writes.lock().unwrap() += 1;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.written.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn every_line_is_written_exactly_once_and_whole_when_the_buffer_is_full() {
    const THREADS: usize = 8;
    const LINES: usize = 500;
    // A slow sink and room for two lines: the logging threads keep waiting for room.
    let sink = Sink {
        pause: Duration::from_micros(200),
        ..Sink::default()
    };
    let (writer, guard) = start_with(2, sink.clone()).unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let mut writer = writer.clone();
            std::thread::spawn(move || {
                for line in 0..LINES {
                    let text = format!("thread {thread} line {line} {}\n", "x".repeat(line % 97));
                    writer.write_all(text.as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    drop(guard);

    let mut lines = sink.lines();
    assert_eq!(lines.len(), THREADS * LINES, "a line was lost or split");
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), THREADS * LINES, "a line was written twice");
    for thread in 0..THREADS {
        for line in 0..LINES {
            let expected = format!("thread {thread} line {line} {}", "x".repeat(line % 97));
            assert!(lines.binary_search(&expected).is_ok(), "missing: {expected}");
        }
    }
}

#[test]
fn lines_are_written_in_batches_not_one_write_each() {
    let sink = Sink::default();
    let (mut writer, guard) = start_with(100_000, sink.clone()).unwrap();
    for line in 0..10_000 {
        writeln!(writer, "line {line}").unwrap();
    }
    drop(guard);
    assert_eq!(sink.lines().len(), 10_000);
    let writes = *sink.writes.lock().unwrap();
    // Written as fast as a loop can: a batch gathers for 10 ms, so a handful of writes.
    assert!(writes < 1_000, "{writes} writes for 10 000 lines");
}

#[test]
fn a_lone_line_is_written_without_waiting_for_more() {
    let sink = Sink::default();
    let (mut writer, guard) = start_with(16, sink.clone()).unwrap();
    writeln!(writer, "alone").unwrap();
    // No further line and no exit: the batch's deadline alone gets it written.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.lines().is_empty() {
        assert!(Instant::now() < deadline, "a lone line was never written");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sink.lines(), ["alone"]);
    drop(guard);
}

#[test]
fn stopping_writes_what_is_buffered() {
    let sink = Sink {
        pause: Duration::from_millis(20),
        ..Sink::default()
    };
    let (mut writer, guard) = start_with(1_000, sink.clone()).unwrap();
    for line in 0..100 {
        writeln!(writer, "line {line}").unwrap();
    }
    drop(guard);
    assert_eq!(sink.lines().len(), 100);
}
