//! Rows waiting for the next trigger tick, handed from the socket reader to the trigger thread.
//!
//! Rows are stored back to back, typed ([`Rows`]), so a million lines cost a few growing
//! buffers, not a million allocations; the trigger swaps the whole buffer out at each tick. When the buffer holds more than its limit (value text plus each row's bookkeeping, so a
//! flood of empty lines counts too), the reader waits (and TCP pushes back on the sender) instead
//! of buffering without bound.

use std::sync::Mutex;

use tokio::sync::Notify;

pub use crate::engine::Rows;

/// The rows since the last tick, shared by the reader (async) and the trigger thread.
#[derive(Debug)]
pub struct Inbox {
    rows: Mutex<Rows>,
    drained: Notify,
    limit_bytes: usize,
}

impl Inbox {
    /// An inbox that makes writers wait once its rows' [`Rows::footprint`] reaches `limit_bytes`.
    pub fn new(limit_bytes: usize) -> Self {
        Inbox {
            rows: Mutex::new(Rows::default()),
            drained: Notify::new(),
            limit_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rows> {
        // A panic while holding the lock cannot leave `Rows` half-updated in a way that matters
        // (push appends text, then its end), so a poisoned lock is still usable.
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the inbox is below its limit.
    pub async fn wait_for_room(&self) {
        loop {
            let drained = self.drained.notified();
            if self.lock().footprint() < self.limit_bytes {
                return;
            }
            drained.await;
        }
    }

    /// Adds rows (moving them out of `rows`).
    pub fn put(&self, rows: &mut Rows) {
        if !rows.is_empty() {
            self.lock().append(rows);
        }
    }

    /// Swaps everything waiting into `into` (which should be empty) and wakes a waiting writer.
    pub fn take(&self, into: &mut Rows) {
        std::mem::swap(&mut *self.lock(), into);
        self.drained.notify_waiters();
    }

    /// Rows waiting now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_inbox_makes_the_writer_wait_until_the_trigger_drains_it() {
        let inbox = std::sync::Arc::new(Inbox::new(4));
        let mut rows = Rows::default();
        rows.push(0, &[crate::engine::Value::Str("12345")]);
        inbox.put(&mut rows);
        let waiter = tokio::spawn({
            let inbox = inbox.clone();
            async move { inbox.wait_for_room().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "over the limit: the writer waits");
        let mut taken = Rows::default();
        inbox.take(&mut taken);
        assert_eq!(taken.len(), 1);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken by take")
            .unwrap();
    }

    #[tokio::test]
    async fn empty_lines_fill_the_inbox_too() {
        let inbox = Inbox::new(1024);
        let mut rows = Rows::default();
        for _ in 0..64 {
            rows.push(0, &[]);
        }
        inbox.put(&mut rows);
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), inbox.wait_for_room()).await;
        assert!(
            waited.is_err(),
            "64 empty rows cost 1 KiB: the writer waits"
        );
    }
}
