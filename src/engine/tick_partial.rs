//! A whole tick's rows aggregated away from the engine: what a reader thread builds while it
//! parses, so that parsing and aggregating a tick both run beside the engine's thread, which
//! then takes the tick in one step ([`super::Batch::absorb`]).
//!
//! Like the batch's own partial aggregates, the rows are counted per (pane, key), with keys by
//! ids of the tick's own, in the order they first came. What the engine decides from its state
//! (which keys are new to it, which panes are late) it decides when it absorbs the tick, and
//! what that needs of the rows is kept: for each pane, its runs of rows in order, and its last
//! [`LATE_SAMPLE`] rows, from which the batch's sample of late rows is taken should the pane be
//! late. The event-time statistics are Spark's running ones, added row by row in file order,
//! which is why a tick is aggregated whole by one thread.
//!
//! Only count-only queries over sliding (or tumbling) windows are taken this way: their
//! answers do not depend on how the rows are grouped before they are added.

use rustc_hash::FxHashMap;

use super::batch::{EventTimeAccumulator, LATE_SAMPLE};
use super::core::keys::{intern_key, intern_string};
use super::interner::{Id, Interner};
use super::query::Query;
use super::row::{Row, Rows};
use super::time::{Micros, NULL_EVENT_TIME};
use super::types::DataType;
use super::window::WindowSpec;

/// A tick's rows, counted per (pane, key); see the module documentation.
#[derive(Debug)]
pub struct TickPartial {
    pub(crate) spec: WindowSpec,
    /// The group-by column when the key is that one STRING column.
    string_key: Option<usize>,
    key_types: Vec<DataType>,
    group_by: Vec<usize>,
    /// The tick's keys; ids in the order the keys first came.
    pub(crate) keys: Interner,
    key: Vec<u8>,
    pub(crate) event_times: EventTimeAccumulator,
    /// Rows whose event time is NULL ([`NULL_EVENT_TIME`]): in no pane, and in the statistics
    /// as 0 once the tick is absorbed (not in `event_times`, whose greatest time is the
    /// stream's latest).
    pub(crate) without_time: u64,
    /// Runs of consecutive rows in one pane: the pane and where its counts start in `counts`.
    runs: Vec<(i64, usize)>,
    /// Rows by key in each run, keys in the order they first came in the run.
    counts: Vec<(Id, u64)>,
    /// Where each key's count is in the current run, plus one (0: not in it yet).
    in_run: Vec<u32>,
    /// The event times the current run's pane holds, `[start, end)` (none before a run).
    pane: (Micros, Micros),
    /// Each pane's last rows, for the late sample; the current pane's are in `ring` while its
    /// run lasts, and its place here is stale.
    late: Vec<LastRows>,
    /// Where each pane's last rows are in `late`, and the current pane's.
    late_at: FxHashMap<i64, usize>,
    current: usize,
    /// The current pane's last rows.
    ring: LastRows,
}

/// A pane's last [`LATE_SAMPLE`] rows, in a ring: (row number in the tick, event time, key).
#[derive(Debug, Clone)]
pub(crate) struct LastRows {
    pub(crate) pane: i64,
    rows: [(u64, Micros, Id); LATE_SAMPLE],
    /// Rows added: the next goes at this modulo [`LATE_SAMPLE`].
    added: usize,
}

impl LastRows {
    fn new(pane: i64) -> Self {
        LastRows {
            pane,
            rows: [(0, 0, 0); LATE_SAMPLE],
            added: 0,
        }
    }

    #[inline]
    fn add(&mut self, row: (u64, Micros, Id)) {
        self.rows[self.added % LATE_SAMPLE] = row;
        self.added += 1;
    }

    /// The rows kept, in no particular order.
    pub(crate) fn rows(&self) -> &[(u64, Micros, Id)] {
        &self.rows[..self.added.min(LATE_SAMPLE)]
    }
}

impl TickPartial {
    /// An empty tick of `query`'s rows; none when its answers could depend on how rows are
    /// grouped (aggregates other than `count`, session windows).
    pub fn new(query: &Query) -> Option<Self> {
        let spec = *query.spec()?;
        if !query.counts_only() {
            return None;
        }
        Some(TickPartial {
            spec,
            string_key: query.string_key(),
            key_types: query.key_types().to_vec(),
            group_by: query.group_by().to_vec(),
            keys: Interner::default(),
            key: Vec::new(),
            event_times: EventTimeAccumulator::default(),
            without_time: 0,
            runs: Vec::new(),
            counts: Vec::new(),
            in_run: Vec::new(),
            pane: (0, 0),
            late: Vec::new(),
            late_at: FxHashMap::default(),
            current: 0,
            ring: LastRows::new(0),
        })
    }

    /// How many rows the tick holds.
    pub fn rows(&self) -> u64 {
        self.event_times.count() + self.without_time
    }

    /// How many distinct keys they have.
    pub fn keys(&self) -> usize {
        self.keys.id_bound()
    }

    /// Adds the tick's next row.
    #[inline]
    pub fn push<R: Row + ?Sized>(&mut self, event_time: Micros, row: &R) {
        let Some(number) = self.observe(event_time) else {
            return;
        };
        let (id, _) = intern_key(
            &mut self.keys,
            (self.string_key, &self.key_types, &self.group_by),
            &mut self.key,
            row,
        );
        self.count(number, event_time, id);
    }

    /// [`TickPartial::push`] of a row whose key, one STRING column ([`TickPartial::string_key`]),
    /// is the text `key`, given without the rest of the row.
    #[inline]
    pub fn push_string_key(&mut self, event_time: Micros, key: &[u8]) {
        let Some(number) = self.observe(event_time) else {
            return;
        };
        let (id, _) = intern_string(&mut self.keys, key, &mut self.key);
        self.count(number, event_time, id);
    }

    /// [`TickPartial::push_string_key`] of a key of `len` bytes, under eight, given as `word`:
    /// its bytes as loaded (the first lowest), zeros after them.
    #[inline]
    pub fn push_short_string_key(&mut self, event_time: Micros, word: u64, len: usize) {
        let Some(number) = self.observe(event_time) else {
            return;
        };
        let (id, _) = self.keys.intern_short_string_key(word, len);
        self.count(number, event_time, id);
    }

    /// The group-by column, when the key is that one STRING column.
    pub fn string_key(&self) -> Option<usize> {
        self.string_key
    }

    /// Takes the next row's event time into the statistics; the row's number in the tick, none
    /// for a row without a time ([`NULL_EVENT_TIME`]: counted apart, in no pane).
    #[allow(clippy::inline_always)] // every row's
    #[inline(always)]
    fn observe(&mut self, event_time: Micros) -> Option<u64> {
        if event_time == NULL_EVENT_TIME {
            self.observe_without_time();
            return None;
        }
        let number = self.event_times.count();
        self.event_times.add(event_time);
        Some(number)
    }

    #[cold]
    fn observe_without_time(&mut self) {
        self.without_time += 1;
    }

    /// Counts row `number`, at `event_time`, of key `id`.
    #[allow(clippy::inline_always)] // every row's
    #[inline(always)]
    fn count(&mut self, number: u64, event_time: Micros, id: Id) {
        let (start, end) = self.pane;
        let in_pane = event_time >= start && event_time < end;
        if !in_pane {
            self.start_run(event_time);
        }
        let at = id as usize;
        if at >= self.in_run.len() {
            self.in_run.resize((at + 1).next_power_of_two().max(64), 0);
        }
        match self.in_run[at] {
            0 => {
                self.counts.push((id, 1));
                self.in_run[at] = self.counts.len() as u32;
            }
            slot => self.counts[slot as usize - 1].1 += 1,
        }
        self.ring.add((number, event_time, id));
    }

    /// Rows `range` of `rows` (of `types`), in order.
    pub fn push_rows(&mut self, rows: &Rows, range: std::ops::Range<usize>, types: &[DataType]) {
        for (t, row) in rows.iter_from(range.start, range.end, types) {
            self.push(t, &row);
        }
    }

    /// Ends the current run of rows and starts one in the pane of `event_time`.
    #[cold]
    fn start_run(&mut self, event_time: Micros) {
        let from = self.runs.last().map_or(0, |&(_, at)| at);
        for &(id, _) in &self.counts[from..] {
            self.in_run[id as usize] = 0;
        }
        let pane = self.spec.pane_of(event_time);
        let start = pane * self.spec.pane();
        self.pane = (start, start + self.spec.pane());
        self.runs.push((pane, self.counts.len()));
        let next = self.late.len();
        let at = *self.late_at.entry(pane).or_insert(next);
        if at == next {
            self.late.push(LastRows::new(pane));
        }
        if self.runs.len() > 1 {
            // The last pane's rows back in their place, and this pane's out of theirs.
            std::mem::swap(&mut self.late[self.current], &mut self.ring);
        }
        std::mem::swap(&mut self.late[at], &mut self.ring);
        self.current = at;
    }

    /// Each pane's last rows.
    pub(crate) fn last_rows(&self) -> impl Iterator<Item = &LastRows> {
        let current = (!self.runs.is_empty()).then_some(self.current);
        let stale = move |at| Some(at) == current;
        (self.late.iter().enumerate())
            .map(move |(at, last)| if stale(at) { &self.ring } else { last })
    }

    /// How many runs of rows in one pane the tick came in.
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// The counts of each run, with its pane, in order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (i64, &[(Id, u64)])> {
        self.runs.iter().enumerate().map(|(r, &(pane, from))| {
            let to = self
                .runs
                .get(r + 1)
                .map_or(self.counts.len(), |&(_, at)| at);
            (pane, &self.counts[from..to])
        })
    }
}
