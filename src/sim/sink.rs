//! Writing the trace to a file as it is produced, for runs too large to
//! hold: `mailhop run FILE --trace-out OUT`.
//!
//! The file is JSON lines: first the trace's header
//! (`{"scenario","seed","start"}`), then one event per line with the same
//! fields as in `--json` (`{"t","seq","kind",...}`). Each line is written
//! when the event happens, so the file grows as the run does and can be
//! read while it runs (`tail -f`, `jq -c`).
//!
//! The bulk of a large run is its conversation lines and wire chunks; with
//! a sink, those go to the file only and the run keeps the other events in
//! memory for the terminal report.

//!
//! # A writer thread
//!
//! Turning events into JSON (base64 for every wire chunk, escapes for every
//! line) costs about as much as a sixth of the simulation itself, so it
//! happens on a thread of its own: the run hands over records in batches
//! through a bounded channel and goes on. The file's order is the run's
//! order (one channel, one writer), and the channel's bound keeps memory
//! flat when the disk is slower than the run: the run then waits.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::trace::{Event, Record};

/// Where a run streams its events. Shared by handle, so the caller keeps
/// one to hand to [`super::Options`].
pub type SharedSink = std::sync::Arc<std::sync::Mutex<Sink>>;

/// Records handed to the writer at once: one channel message per batch
/// rather than per record.
const BATCH: usize = 512;

/// Batches in flight between the run and the writer (a few megabytes):
/// enough to absorb a burst of DATA lines without the run waiting.
const BATCHES_IN_FLIGHT: usize = 64;

/// Where a run streams its events.
pub struct Sink {
    batch: Vec<Record>,
    to_writer: Option<SyncSender<Vec<Record>>>,
    writer: Result<Option<JoinHandle<Result<(), std::io::Error>>>, std::io::Error>,
}

impl Sink {
    /// A sink writing to `out`, starting with the trace's header.
    pub fn new(out: Box<dyn Write + Send>, scenario: &str, seed: u64, start: &str) -> Self {
        let header = serde_json::json!({ "scenario": scenario, "seed": seed, "start": start });
        let (to_writer, from_run) = sync_channel(BATCHES_IN_FLIGHT);
        let writer = std::thread::Builder::new()
            .name("trace-out".into())
            .spawn(move || write_lines(out, header.to_string(), from_run));
        // Without a thread, the error surfaces at `finish` and the run goes on.
        let to_writer = writer.is_ok().then_some(to_writer);
        Sink {
            batch: Vec::with_capacity(BATCH),
            to_writer,
            writer: writer.map(Some),
        }
    }

    /// Streams `record`; gives it back when the run keeps it in memory too
    /// (see [`kept_in_memory`]).
    pub fn write(&mut self, record: Record) -> Option<Record> {
        if self.to_writer.is_none() {
            return kept_in_memory(&record.event).then_some(record);
        }
        // A copy costs far less than the JSON, which the writer makes.
        let kept = if kept_in_memory(&record.event) {
            self.batch.push(record.clone());
            Some(record)
        } else {
            self.batch.push(record);
            None
        };
        if self.batch.len() >= BATCH {
            self.send_batch();
        }
        kept
    }

    fn send_batch(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let gone = match &self.to_writer {
            Some(to_writer) => to_writer.send(batch).is_err(),
            None => false,
        };
        if gone {
            // The writer stopped at an error; `finish` reports it.
            self.to_writer = None;
        }
    }

    /// The run is over: hands the writer what is left and lets it finish
    /// on its own, while the caller goes on (say, rendering the report).
    pub fn hand_over(&mut self) {
        if !self.batch.is_empty() {
            self.send_batch();
        }
        self.to_writer = None;
    }

    /// Waits for the writer to write everything; the first error it met,
    /// if any. Dropping a sink does the same, without the error.
    pub fn finish(&mut self) -> Result<(), std::io::Error> {
        self.hand_over();
        match std::mem::replace(&mut self.writer, Ok(None)) {
            Ok(Some(writer)) => writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the trace writer failed"))),
            Ok(None) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

impl Drop for Sink {
    /// A file is never left half-written because its sink went away first.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The writer thread: the header, then every batch in order, until the run
/// hangs up; stops at the first error.
fn write_lines(
    mut out: Box<dyn Write + Send>,
    header: String,
    from_run: Receiver<Vec<Record>>,
) -> Result<(), std::io::Error> {
    writeln!(out, "{header}")?;
    // One write per line: serde's many small writes land in a plain buffer
    // rather than behind the writer's dynamic dispatch.
    let mut line = Vec::new();
    for batch in from_run {
        for record in batch {
            line.clear();
            serde_json::to_writer(&mut line, &record).expect("a record is plain data");
            line.push(b'\n');
            out.write_all(&line)?;
        }
    }
    out.flush()
}

/// Whether a run with a sink keeps `event` in memory too: everything but
/// the conversation's lines and wire chunks, which live in the file only.
pub fn kept_in_memory(event: &Event) -> bool {
    !matches!(event, Event::Line { .. } | Event::Wire(_))
}
