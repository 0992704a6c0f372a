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

use std::io::Write;

use crate::trace::{Event, Record};

/// Where a run streams its events. Shared by handle, so the caller keeps
/// one to hand to [`super::Options`].
pub type SharedSink = std::sync::Arc<std::sync::Mutex<Sink>>;

/// Where a run streams its events.
pub struct Sink {
    out: Box<dyn Write + Send>,
    /// The first write error, reported when the run ends.
    error: Option<std::io::Error>,
    /// The line being written, reused.
    line: Vec<u8>,
}

impl Sink {
    /// A sink writing to `out`, starting with the trace's header.
    pub fn new(mut out: Box<dyn Write + Send>, scenario: &str, seed: u64, start: &str) -> Self {
        let header = serde_json::json!({ "scenario": scenario, "seed": seed, "start": start });
        let error = writeln!(out, "{header}").err();
        Sink {
            out,
            error,
            line: Vec::new(),
        }
    }

    /// Writes one record as a line.
    pub fn write(&mut self, record: &Record) {
        if self.error.is_some() {
            return;
        }
        // One write per line: serde's many small writes land in a plain
        // buffer rather than behind the writer's dynamic dispatch.
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).expect("a record is plain data");
        self.line.push(b'\n');
        self.error = self.out.write_all(&self.line).err();
    }

    /// Flushes what is left; the first error the sink met, if any.
    pub fn finish(&mut self) -> Result<(), std::io::Error> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.out.flush()
    }
}

/// Whether a run with a sink keeps `event` in memory too: everything but
/// the conversation's lines and wire chunks, which live in the file only.
pub fn kept_in_memory(event: &Event) -> bool {
    !matches!(event, Event::Line { .. } | Event::Wire(_))
}
