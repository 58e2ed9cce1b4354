//! Log output that never makes a request wait: each log line is formatted on the thread
//! that logs it and handed to one writer thread, which writes in batches and flushes
//! whenever it has caught up. Writing every request's line straight to stderr cost a good
//! part of the server's throughput (docs/benchmarks.md, "Foundation").

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting to be written; past this, new lines are dropped and counted.
const QUEUE: usize = 65_536;

#[derive(Clone)]
pub struct BackgroundWriter {
    sender: SyncSender<Vec<u8>>,
    dropped: Arc<AtomicU64>,
}

impl BackgroundWriter {
    /// Starts the writer thread, writing to stderr.
    pub fn stderr() -> Self {
        let (sender, receiver) = sync_channel::<Vec<u8>>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let seen_dropped = dropped.clone();
        let spawned = std::thread::Builder::new().name("steward-log".into()).spawn(move || {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
            loop {
                match receiver.recv_timeout(Duration::from_millis(200)) {
                    Ok(line) => {
                        let _ = out.write_all(&line);
                        // Keep writing while more is queued; flush once caught up.
                        while let Ok(line) = receiver.try_recv() {
                            let _ = out.write_all(&line);
                        }
                        let lost = seen_dropped.swap(0, Ordering::Relaxed);
                        if lost > 0 {
                            let _ = writeln!(out, "steward: {lost} log lines were dropped because logging fell behind");
                        }
                        let _ = out.flush();
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        let _ = out.flush();
                        return;
                    }
                }
            }
        });
        if spawned.is_err() {
            eprintln!("steward: could not start the log writer thread; logs are lost");
        }
        Self { sender, dropped }
    }
}

/// One log line being formatted.
pub struct Line {
    buffer: Vec<u8>,
    writer: BackgroundWriter,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        match self.writer.sender.try_send(std::mem::take(&mut self.buffer)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.writer.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl<'a> MakeWriter<'a> for BackgroundWriter {
    type Writer = Line;

    fn make_writer(&'a self) -> Self::Writer {
        Line { buffer: Vec::with_capacity(256), writer: self.clone() }
    }
}
