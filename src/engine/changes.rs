//! The state rows a batch changed, by (window start, key): what a checkpoint's delta holds
//! ([`super::Engine::encode_delta`]). A run with no checkpoint notes none
//! ([`super::Engine::note_deltas`]): a batch of a million keys would note millions of rows
//! for nothing (within the noise of the measurements here: up to 6 % of the engine thread's
//! time in one series).

use super::interner::Id;
use super::time::Micros;

#[derive(Debug)]
pub(crate) struct Changes {
    noting: bool,
    rows: Vec<(Micros, Id)>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            noting: true,
            rows: Vec::new(),
        }
    }
}

impl Changes {
    /// Notes that the batch changed key `id` of the window at `start` (a session's key: 0).
    #[inline]
    pub fn note(&mut self, start: Micros, id: Id) {
        if self.noting {
            self.rows.push((start, id));
        }
    }

    /// Forgets the last batch's.
    pub fn clear(&mut self) {
        self.rows.clear();
    }

    /// What the last batch changed, each noted once.
    pub fn rows(&self) -> &[(Micros, Id)] {
        &self.rows
    }

    /// Notes every change from now on, or none.
    pub fn note_all(&mut self, noting: bool) {
        self.noting = noting;
        if !noting {
            self.rows = Vec::new();
        }
    }

    /// Whether changes are noted.
    pub fn noting(&self) -> bool {
        self.noting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_changes_note_nothing() {
        let mut changes = Changes::default();
        changes.note(10, 1);
        assert_eq!(changes.rows(), [(10, 1)]);
        changes.note_all(false);
        changes.note(20, 2);
        assert!(changes.rows().is_empty());
        assert!(!changes.noting());
        changes.note_all(true);
        changes.note(30, 3);
        assert_eq!(changes.rows(), [(30, 3)]);
    }
}
