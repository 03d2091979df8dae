//! A sink written on a thread of its own, so that the engine's thread goes on to the next batch
//! while the last one is formatted and written: the json sink of `replay`, whose text (a
//! million rows' numbers, some of them doubles in Java's digits) cost the engine's thread a
//! quarter of its time on the wide shapes, while the second core was half idle.
//!
//! Batches are written in order, each whole; at most one waits while another is written, so a
//! slow reader of the output holds the replay back rather than letting batches pile up. An
//! error is reported by the next call after it ([`Sink::write_batch`] or [`Sink::sync`])
//! and names the batch it happened on; after it no batch is written. [`Sink::sync`] waits
//! until every batch given is written: before a checkpoint commits a batch, and at the end of
//! a run. Dropped, a background sink still writes every batch it took before it is gone.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, channel, sync_channel};
use std::thread::JoinHandle;

use anyhow::Context;

use super::Sink;
use crate::engine::BatchOutput;

/// A sink whose batches are written on a thread of its own.
pub struct Background {
    /// Batches to the writer; `None` once it stopped.
    batches: Option<SyncSender<Arc<BatchOutput>>>,
    /// Each batch's outcome, in order.
    written: Receiver<anyhow::Result<()>>,
    /// Batches given and not yet reported written.
    pending: usize,
    writer: Option<JoinHandle<()>>,
    description: String,
}

impl Background {
    /// `sink`, written from now on by a thread of its own.
    pub fn new(mut sink: Box<dyn Sink>) -> anyhow::Result<Self> {
        let description = sink.describe();
        let (batches, to_write) = sync_channel::<Arc<BatchOutput>>(1);
        let (report, written) = channel();
        let writer = std::thread::Builder::new()
            .name("sink writer".into())
            .spawn(move || {
                for batch in to_write {
                    let outcome = (sink.write_batch(&batch)).context(super::WrittenBatch(batch.id));
                    let failed = outcome.is_err();
                    if report.send(outcome).is_err() || failed {
                        return;
                    }
                }
            })
            .context("cannot start the sink's writer thread")?;
        Ok(Background {
            batches: Some(batches),
            written,
            pending: 0,
            writer: Some(writer),
            description,
        })
    }

    /// Takes the outcomes already reported, without waiting.
    fn collect(&mut self) -> anyhow::Result<()> {
        while self.pending > 0 {
            match self.written.try_recv() {
                Ok(outcome) => self.settle(outcome)?,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Err(self.gone()),
            }
        }
        Ok(())
    }

    fn settle(&mut self, outcome: anyhow::Result<()>) -> anyhow::Result<()> {
        self.pending -= 1;
        if outcome.is_err() {
            self.batches = None;
            self.pending = 0;
        }
        outcome
    }

    /// The error for a writer that stopped without saying why (it panicked).
    fn gone(&mut self) -> anyhow::Error {
        self.batches = None;
        self.pending = 0;
        anyhow::anyhow!("the sink's writer thread stopped")
    }
}

impl Sink for Background {
    /// Hands a copy of the batch to the writer ([`Sink::write_shared`] without the copy).
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        self.write_shared(&Arc::new(batch.clone()))
    }

    /// Hands the batch to the writer (waiting while another batch waits to be written); an
    /// error of a batch given before is reported here.
    fn write_shared(&mut self, batch: &Arc<BatchOutput>) -> anyhow::Result<()> {
        self.collect()?;
        let Some(batches) = &self.batches else {
            anyhow::bail!("the sink's writer thread stopped after an error");
        };
        if batches.send(Arc::clone(batch)).is_err() {
            // The writer stopped: its outcome says why.
            self.pending += 1;
            return self.sync();
        }
        self.pending += 1;
        Ok(())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    /// Waits until every batch given so far is written; the first error, if any.
    fn sync(&mut self) -> anyhow::Result<()> {
        while self.pending > 0 {
            let outcome = self.written.recv().unwrap_or_else(|_| Err(self.gone()));
            self.settle(outcome)?;
        }
        Ok(())
    }
}

impl Drop for Background {
    /// Lets the writer finish the batches it took.
    fn drop(&mut self) {
        self.batches = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::engine::Window;

    /// A slow sink that records the batches it wrote, fails on batch `fail` and panics on
    /// batch `panic`.
    struct Recording {
        written: Arc<Mutex<Vec<u64>>>,
        fail: Option<u64>,
        panic: Option<u64>,
    }

    impl Sink for Recording {
        fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
            std::thread::sleep(Duration::from_millis(5));
            assert_ne!(Some(batch.id), self.panic, "the writer panics");
            if Some(batch.id) == self.fail {
                return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
            }
            self.written.lock().unwrap().push(batch.id);
            Ok(())
        }

        fn describe(&self) -> String {
            "Recording".into()
        }
    }

    fn background(fail: Option<u64>, panic: Option<u64>) -> (Background, Arc<Mutex<Vec<u64>>>) {
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = Recording {
            written: written.clone(),
            fail,
            panic,
        };
        (Background::new(Box::new(sink)).unwrap(), written)
    }

    fn batch(id: u64) -> BatchOutput {
        BatchOutput::of_counts(id, &[(Window { start: 0, end: 10 }, "a", 1)])
    }

    #[test]
    fn batches_are_written_in_order_and_sync_waits_for_the_last() {
        let (mut sink, written) = background(None, None);
        assert_eq!(sink.describe(), "Recording");
        for id in 0..6 {
            sink.write_batch(&batch(id)).unwrap();
        }
        sink.sync().unwrap();
        assert_eq!(*written.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
        sink.write_batch(&batch(6)).unwrap();
        drop(sink);
        assert_eq!(
            written.lock().unwrap().len(),
            7,
            "dropped, it wrote what it took"
        );
    }

    #[test]
    fn an_error_names_its_batch_is_reported_once_and_nothing_after_it_is_written() {
        let (mut sink, written) = background(Some(2), None);
        let mut reported = None;
        for id in 0..8 {
            if let Err(e) = sink.write_batch(&batch(id)) {
                reported = Some((id, e));
                break;
            }
        }
        let error = match reported {
            Some((id, e)) => {
                assert!(id > 2, "reported on a later call, here batch {id}'s");
                e
            }
            None => sink.sync().unwrap_err(),
        };
        assert!(format!("{error:#}").contains("batch 2"), "{error:#}");
        assert!(
            crate::app::error::is_broken_pipe(&error),
            "the cause is kept"
        );
        assert!(sink.write_batch(&batch(9)).is_err(), "the writer stopped");
        assert!(sink.sync().is_ok(), "reported once");
        drop(sink);
        assert_eq!(*written.lock().unwrap(), [0, 1]);
    }

    #[test]
    fn a_writer_that_panics_is_an_error_not_a_hang() {
        let (mut sink, written) = background(None, Some(1));
        let outcome = (0..4)
            .map(|id| sink.write_batch(&batch(id)))
            .find(Result::is_err)
            .unwrap_or_else(|| sink.sync());
        let error = outcome.unwrap_err();
        assert!(format!("{error}").contains("stopped"), "{error}");
        drop(sink);
        assert_eq!(*written.lock().unwrap(), [0]);
    }
}
