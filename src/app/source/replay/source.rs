//! The replay's rows: whole ticks read and counted on threads ([`counted`](super::counted))
//! while the query and the file allow, rows read ahead one by one ([`ReadAhead`]) otherwise,
//! from where the counted ticks ended.
//!
//! Counted ticks come in file order, each taken only where the one before ended. Where the
//! next is not (a tick with a bad row, which the threads say at once and do not count, or
//! blank lines where the rows begin), rows are read one by one from the end of the last tick
//! taken (a detour) until a tick they open was counted, whose count is then taken in its
//! rows' place. A thread that stopped (a read error, a tick whose counting did not pay), more
//! than [`MAX_DETOURS`] detours, or one through more than [`MAX_DETOUR_TICKS`] ticks turn the
//! rest of the replay to rows. So the replay reads every row once, in order, whichever way it
//! goes. The threads read at most a few ranges ahead of the replay, and stop at the first
//! tick that would make the counts in flight large (many keys new to it, or rows out of
//! order) or many (small ticks).

use std::collections::VecDeque;
use std::fs::File;
use std::num::NonZero;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use super::counted::{Found, Plan, Split, WholeTick, read_ranges};
use super::{Head, ReadAhead, ReadError, ReplayReader, RowRef, RowSource};
use crate::engine::{DataType, Query, Rows, TickPartial, Zone};

/// Ranges a thread is given at a time: the next waits while it reads one.
const GIVEN: usize = 2;
/// Ranges, a thread's worth, that may be given past the one whose ticks come next: how far
/// the threads read ahead of the replay.
const AHEAD: usize = 4;
/// The fewest and most bytes of a range of the file.
const RANGE_BYTES: (u64, u64) = (2 << 20, 64 << 20);
/// Ranges a thread's share of the file is cut into: ranges smaller than ticks leave the
/// threads a tick each at a time, whatever the ticks' sizes.
const RANGES_A_THREAD: u64 = 32;
/// Detours (rows read one by one between counted ticks) a replay may take: each starts a
/// reader and reads a little ahead, so a file of many bad ticks reads the rest as rows.
pub(super) const MAX_DETOURS: usize = 16;
/// Ticks one detour may read before the rest is read as rows: where every tick has a bad row,
/// the threads' counting is all lost, and takes a core from the rows.
pub(super) const MAX_DETOUR_TICKS: usize = 4;

/// A whole tick, counted, and where it is in the file.
#[derive(Debug)]
pub struct CountedTick {
    /// The tick and its first row's place.
    pub head: Head,
    /// Where the row after the tick starts: `(offset, line)`.
    pub end: (u64, u64),
    /// The tick's rows, counted.
    pub partial: Box<TickPartial>,
}

/// What counting whole ticks needs besides the reader.
#[derive(Debug, Clone)]
pub struct Counting {
    /// The file the reader reads (each thread opens it again).
    pub path: PathBuf,
    /// The most bytes a row may take (`--max-line-bytes`).
    pub max_row: usize,
    /// The zone of times without an offset.
    pub zone: Zone,
    pub query: Query,
    /// The tick of the rows before the reader's position (a checkpoint's).
    pub last_tick: Option<u64>,
}

/// The replay's rows; see the module documentation.
pub struct ReplaySource {
    state: State,
    types: Vec<DataType>,
    /// Ticks counted on threads and taken whole.
    counted: u64,
}

enum State {
    Counted(Box<Counted>),
    /// Rows read one by one from where the counted ticks stopped meeting, until a tick they
    /// open was counted.
    Detour(ReadAhead, Box<Counted>),
    Rows(ReadAhead),
    /// The counted ticks reached the end of the file, here.
    Ended(u64, u64),
    /// The file could not be read on from the counted ticks (here): the error, until it is
    /// said.
    Failed(Option<ReadError>, (u64, u64)),
}

/// Ticks being counted by threads, each given the next range as it finishes one.
struct Counted {
    /// What the threads found, by range, as it comes.
    found: Receiver<(usize, Found)>,
    /// What came, by range, until its turn.
    waiting: Vec<VecDeque<Found>>,
    /// Where each thread is given ranges.
    give: Vec<Sender<usize>>,
    /// A thread for each range it may still be given (up to [`GIVEN`] each): ranges are
    /// given while the replay is not too far behind.
    idle: Vec<usize>,
    threads: Vec<JoinHandle<()>>,
    quit: Arc<AtomicBool>,
    /// The range whose ticks come next, the next to give, of how many.
    range: usize,
    next_range: usize,
    ranges: usize,
    /// Where the next tick must start, `(offset, line)`, and the tick before it.
    expected: (u64, u64),
    last_tick: Option<u64>,
    /// The reader to go on with, row by row, should a tick not be taken.
    reader: Option<ReplayReader<File>>,
    /// What the threads read by (the file's length among it), for a detour's reader too.
    plan: Arc<Plan>,
    detours: usize,
    /// Ticks the current detour has read.
    detour_ticks: usize,
}

/// What the counting threads have next.
enum Next {
    Tick(CountedTick),
    End,
    /// The next tick was not counted where it starts: a detour.
    Detour,
    /// The rest is to be read row by row.
    Rows,
}

/// What the counting threads have for a tick a detour's rows open.
enum AtHead {
    Counted(CountedTick),
    /// Not that tick: the detour goes on.
    NotYet,
    /// No more: the rest is to be read row by row.
    Never,
}

impl ReplaySource {
    /// Rows of `reader` (bound, at a row start) read ahead one by one, of `types`.
    pub fn rows(reader: ReplayReader<File>, types: Vec<DataType>) -> Self {
        ReplaySource {
            state: State::Rows(ReadAhead::start(reader, types.clone())),
            types,
            counted: 0,
        }
    }

    /// Whole ticks of `reader` (bound, at a row start) counted on threads when the query
    /// allows ([`TickPartial::new`]), else [`ReplaySource::rows`].
    pub fn counted(reader: ReplayReader<File>, counting: Counting) -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(2, NonZero::get)
            .clamp(2, 4);
        let len = reader.file_metadata().map_or(0, |m| m.len());
        let bytes = len.saturating_sub(reader.position().0);
        let range = bytes / (threads as u64 * RANGES_A_THREAD);
        let split = Split {
            range: range.clamp(RANGE_BYTES.0, RANGE_BYTES.1),
            threads,
            ..Split::default()
        };
        Self::counted_in(reader, counting, split)
    }

    /// [`ReplaySource::counted`], the file split as `split` says.
    pub(crate) fn counted_in(reader: ReplayReader<File>, counting: Counting, split: Split) -> Self {
        let types = counting.query.schema().types().to_vec();
        let binding = reader.binding().cloned();
        // Only a regular file can be opened again and read from anywhere: a pipe is read once.
        let metadata = reader
            .file_metadata()
            .ok()
            .filter(std::fs::Metadata::is_file);
        let (Some(binding), Some(_), Some(metadata)) =
            (binding, TickPartial::new(&counting.query), metadata)
        else {
            return Self::rows(reader, types);
        };
        let (origin, line) = reader.position();
        let threads = split.threads;
        let plan = Arc::new(Plan {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            path: counting.path,
            max_row: counting.max_row,
            zone: counting.zone,
            binding,
            query: counting.query,
            origin,
            last_tick: counting.last_tick,
            split,
        });
        let quit = Arc::new(AtomicBool::new(false));
        let (out, found) = channel();
        let (mut give, mut handles) = (Vec::new(), Vec::new());
        for which in 0..threads {
            let (to_thread, given) = channel();
            let (plan, quit, out) = (plan.clone(), quit.clone(), out.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("tick-reader-{which}"))
                .spawn(move || {
                    let read = || read_ranges(&plan, which, (&given, &out), &quit);
                    // A thread that panicked says so (its ranges would never be done).
                    if std::panic::catch_unwind(AssertUnwindSafe(read)).is_err() {
                        let _ = out.send((usize::MAX, Found::Stopped));
                    }
                });
            let Ok(handle) = spawned else {
                return Self::rows(reader, types);
            };
            give.push(to_thread);
            handles.push(handle);
        }
        let mut counted = Counted {
            found,
            waiting: (0..plan.ranges()).map(|_| VecDeque::new()).collect(),
            give,
            idle: (0..threads).flat_map(|t| [t; GIVEN]).collect(),
            threads: handles,
            quit,
            range: 0,
            next_range: 0,
            ranges: plan.ranges(),
            expected: (origin, line),
            last_tick: counting.last_tick,
            reader: Some(reader),
            plan,
            detours: 0,
            detour_ticks: 0,
        };
        counted.give_ranges();
        ReplaySource {
            state: State::Counted(Box::new(counted)),
            types,
            counted: 0,
        }
    }

    /// Turns to reading rows one by one from the end of the last counted tick, until a tick
    /// they open was counted (rows to the end after [`MAX_DETOURS`], or when the file
    /// cannot be opened again as it was).
    fn detour(&mut self) {
        let State::Counted(counted) = &mut self.state else {
            return;
        };
        counted.detours += 1;
        counted.detour_ticks = 0;
        let (expected, last_tick) = (counted.expected, counted.last_tick);
        let reader = (counted.detours <= MAX_DETOURS)
            .then(|| counted.plan.open())
            .flatten()
            .and_then(|mut reader| {
                let at = reader.seek(expected.0, expected.1, last_tick);
                at.is_ok().then_some(reader)
            });
        let Some(reader) = reader else {
            self.read_rows();
            return;
        };
        if let State::Counted(counted) = self.take_state() {
            self.state = State::Detour(ReadAhead::start(reader, self.types.clone()), counted);
        }
    }

    /// The state, leaving a placeholder for the caller to replace.
    fn take_state(&mut self) -> State {
        std::mem::replace(&mut self.state, State::Failed(None, (0, 0)))
    }

    /// Turns to reading rows one by one from the end of the last counted tick.
    fn read_rows(&mut self) {
        let State::Counted(counted) = &mut self.state else {
            return;
        };
        let (expected, last_tick) = (counted.expected, counted.last_tick);
        let Some(mut reader) = counted.reader.take() else {
            return;
        };
        // Dropped, the counting stops before the rows are read.
        self.state = State::Failed(None, expected);
        self.state = match reader.seek(expected.0, expected.1, last_tick) {
            Ok(()) => State::Rows(ReadAhead::start(reader, self.types.clone())),
            Err(e) => State::Failed(Some(e), expected),
        };
    }
}

impl Counted {
    /// Gives idle threads the next ranges, as far ahead of the replay as it may go.
    fn give_ranges(&mut self) {
        while self.next_range < self.ranges.min(self.range + AHEAD * self.give.len()) {
            let Some(thread) = self.idle.pop() else {
                return;
            };
            // A thread that is gone (stopped) is not waited for: its ranges come to nothing,
            // and the replay reads rows from the first of them.
            let _ = self.give[thread].send(self.next_range);
            self.next_range += 1;
        }
    }

    /// What the threads found next, in file order: a range's in the order found, the next
    /// range's once the range is done; none when no more will come.
    fn next_found(&mut self) -> Option<Found> {
        while self.range < self.ranges {
            let Some(found) = self.waiting[self.range].pop_front() else {
                let sent = self.found.recv().ok()?;
                self.receive(sent)?;
                continue;
            };
            if let Found::RangeDone { .. } = found {
                self.range += 1;
                self.give_ranges();
                continue;
            }
            return Some(found);
        }
        None
    }

    /// Keeps what a thread sent for its range's turn; none when the range is past the last
    /// (a thread that panicked).
    fn receive(&mut self, (range, found): (usize, Found)) -> Option<()> {
        if let Found::RangeDone { thread } = found {
            self.idle.push(thread);
            self.give_ranges();
        }
        self.waiting.get_mut(range)?.push_back(found);
        Some(())
    }

    /// Puts back what [`Counted::next_found`] gave, to come next again.
    fn put_back(&mut self, found: Found) {
        self.waiting[self.range].push_front(found);
    }

    /// Takes `tick`, opened by `head`: the next must start where it ends.
    fn take(&mut self, head: Head, tick: WholeTick) -> CountedTick {
        self.expected = (tick.end, head.line + tick.lines);
        self.last_tick = Some(head.tick);
        CountedTick {
            head,
            end: self.expected,
            partial: tick.partial,
        }
    }

    fn next(&mut self) -> Next {
        match self.next_found() {
            Some(Found::Tick(tick)) if tick.start == self.expected.0 => {
                // Its tick is above the one before: the thread that read that one read this
                // one's first row too, and would have stopped at a lower tick.
                let head = Head {
                    tick: tick.tick,
                    line: self.expected.1,
                    offset: tick.start,
                };
                Next::Tick(self.take(head, tick))
            }
            Some(found @ (Found::Tick(_) | Found::Skipping { .. })) => {
                self.put_back(found);
                Next::Detour
            }
            None if self.expected.0 == self.plan.len => Next::End,
            Some(_) | None => Next::Rows,
        }
    }

    /// The tick `head` opens, a detour's row, when it was counted; what the threads found
    /// that starts before it is passed (those rows were read one by one). What they found for
    /// the tick is waited for (a tick with a bad row is said as soon as the row is met), so
    /// which ticks are counted does not depend on the threads' pace.
    fn at_head(&mut self, head: &Head) -> AtHead {
        loop {
            // Before the next range, with nothing come from it yet: every tick found there
            // starts in it, after the head.
            if self.range < self.ranges
                && self.waiting[self.range].is_empty()
                && head.offset < self.plan.bounds(self.range).0
            {
                return self.not_yet();
            }
            match self.next_found() {
                Some(Found::Tick(WholeTick { start, .. }) | Found::Skipping { start })
                    if start < head.offset => {}
                Some(Found::Tick(tick)) if tick.start == head.offset && tick.tick == head.tick => {
                    return AtHead::Counted(self.take(*head, tick));
                }
                Some(found @ (Found::Tick(_) | Found::Skipping { .. })) => {
                    self.put_back(found);
                    return self.not_yet();
                }
                Some(_) | None => return AtHead::Never,
            }
        }
    }

    /// A tick the detour reads as rows: [`AtHead::NotYet`], or [`AtHead::Never`] past
    /// [`MAX_DETOUR_TICKS`].
    fn not_yet(&mut self) -> AtHead {
        self.detour_ticks += 1;
        if self.detour_ticks > MAX_DETOUR_TICKS {
            AtHead::Never
        } else {
            AtHead::NotYet
        }
    }
}

impl Drop for Counted {
    /// Stops the threads: one waiting for a range stops when its channel closes, one reading
    /// at its next tick.
    fn drop(&mut self) {
        self.quit.store(true, Ordering::Relaxed);
        self.give.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl ReplaySource {
    /// How many ticks were counted on threads and taken whole.
    pub fn ticks_counted(&self) -> u64 {
        self.counted
    }
}

impl RowSource for ReplaySource {
    fn counted_tick(&mut self) -> Option<CountedTick> {
        let State::Counted(counted) = &mut self.state else {
            return None;
        };
        match counted.next() {
            Next::Tick(tick) => {
                self.counted += 1;
                Some(tick)
            }
            Next::End => {
                let (offset, line) = counted.expected;
                self.state = State::Ended(offset, line);
                None
            }
            Next::Detour => {
                self.detour();
                None
            }
            Next::Rows => {
                self.read_rows();
                None
            }
        }
    }

    fn counted_tick_at(&mut self, head: &Head) -> Option<CountedTick> {
        let State::Detour(_, counted) = &mut self.state else {
            return None;
        };
        match counted.at_head(head) {
            AtHead::Counted(tick) => {
                if let State::Detour(_, counted) = self.take_state() {
                    self.state = State::Counted(counted);
                }
                self.counted += 1;
                Some(tick)
            }
            AtHead::NotYet => None,
            AtHead::Never => {
                if let State::Detour(rows, _) = self.take_state() {
                    self.state = State::Rows(rows);
                }
                None
            }
        }
    }

    fn next_row(&mut self) -> Result<Option<RowRef<'_>>, ReadError> {
        self.read_rows();
        match &mut self.state {
            State::Rows(rows) | State::Detour(rows, _) => rows.next_row(),
            State::Failed(failure, _) => failure.take().map_or(Ok(None), Err),
            State::Counted(_) | State::Ended(..) => Ok(None),
        }
    }

    fn rows_of_tick(
        &mut self,
        tick: u64,
        each: impl FnMut(&Rows, Range<usize>, &[DataType]),
    ) -> u64 {
        match &mut self.state {
            State::Rows(rows) | State::Detour(rows, _) => rows.rows_of_tick(tick, each),
            _ => 0,
        }
    }

    fn position(&self) -> (u64, u64) {
        match &self.state {
            State::Counted(counted) => counted.expected,
            State::Rows(rows) | State::Detour(rows, _) => rows.position(),
            State::Ended(offset, line) => (*offset, *line),
            State::Failed(_, at) => *at,
        }
    }
}
