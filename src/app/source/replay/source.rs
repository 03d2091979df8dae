//! The replay's rows: whole ticks read and counted on threads ([`counted`](super::counted))
//! while the query and the file allow, rows read ahead one by one ([`ReadAhead`]) otherwise,
//! from where the counted ticks ended.
//!
//! Counted ticks come in file order, each taken only where the one before ended and with a
//! later tick; the first that is not (or a thread that stopped) turns the rest of the replay
//! to rows read one by one, from the end of the last tick taken. So the replay reads every
//! row once, in order, whichever way it goes.

use std::collections::VecDeque;
use std::fs::File;
use std::num::NonZero;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::counted::{Found, Plan, read_ranges};
use super::{Head, ReadAhead, ReadError, ReplayReader, RowRef, RowSource};
use crate::engine::{DataType, Query, Rows, TickPartial, Zone};

/// How often a replay waiting for a range checks that the threads are alive.
const WAKE: Duration = Duration::from_millis(100);
/// Ranges a thread is given at a time: the next waits while it reads one.
const GIVEN: usize = 2;
/// Ranges, a thread's worth, that may be given past the one whose ticks come next: how far
/// the threads read ahead of the replay.
const AHEAD: usize = 4;
/// Keys a counted tick may have without turning the replay to rows, when they are more than
/// a quarter of its rows: the engine finds each key of a tick again when it takes it, so a
/// stream of ever-new keys gains nothing counted ahead, and the counts in flight take memory.
const MANY_KEYS: usize = 1 << 16;
/// The fewest and most bytes of a range of the file.
const RANGE_BYTES: (u64, u64) = (2 << 20, 64 << 20);
/// Ranges a thread's share of the file is cut into: ranges smaller than ticks leave the
/// threads a tick each at a time, whatever the ticks' sizes.
const RANGES_A_THREAD: u64 = 32;

/// A whole tick, counted ([`TickPartial`]), and where it is in the file.
#[derive(Debug)]
pub struct CountedTick {
    /// The tick and its first row's place.
    pub head: Head,
    /// Where the row after the tick starts: `(offset, line)`.
    pub end: (u64, u64),
    pub partial: Box<TickPartial>,
}

/// What counting whole ticks needs besides the reader.
#[derive(Debug, Clone)]
pub struct Counting {
    pub path: PathBuf,
    pub max_row: usize,
    pub zone: Zone,
    pub query: Query,
    /// The tick of the rows before the reader's position (a checkpoint's).
    pub last_tick: Option<u64>,
}

/// The replay's rows; see the module documentation.
pub struct ReplaySource {
    state: State,
    types: Vec<DataType>,
}

enum State {
    Counted(Box<Counted>),
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
    /// Threads with fewer than [`GIVEN`] ranges, as the replay is too far behind.
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
    len: u64,
    /// A tick had many keys ([`MANY_KEYS`]): the rest is read row by row.
    many_keys: bool,
    /// The reader to go on with, row by row, should a tick not be taken.
    reader: Option<ReplayReader<File>>,
}

/// What the counting threads have next.
enum Next {
    Tick(CountedTick),
    End,
    /// The rest is to be read row by row.
    Rows,
}

impl ReplaySource {
    /// Rows of `reader` (bound, at a row start) read ahead one by one, of `types`.
    pub fn rows(reader: ReplayReader<File>, types: Vec<DataType>) -> Self {
        ReplaySource {
            state: State::Rows(ReadAhead::start(reader, types.clone())),
            types,
        }
    }

    /// Whole ticks of `reader` (bound, at a row start) counted on threads when the query
    /// allows ([`TickPartial::new`]), else [`ReplaySource::rows`].
    pub fn counted(reader: ReplayReader<File>, counting: Counting) -> Self {
        let len = std::fs::metadata(&counting.path).map_or(0, |m| m.len());
        let threads = std::thread::available_parallelism()
            .map_or(2, NonZero::get)
            .clamp(2, 4);
        let rows = len.saturating_sub(reader.position().0);
        let range = (rows / (threads as u64 * RANGES_A_THREAD)).clamp(RANGE_BYTES.0, RANGE_BYTES.1);
        Self::counted_in(reader, counting, range, threads)
    }

    /// [`ReplaySource::counted`] by `threads` threads, in ranges of `range` bytes.
    pub fn counted_in(
        reader: ReplayReader<File>,
        counting: Counting,
        range: u64,
        threads: usize,
    ) -> Self {
        let types = counting.query.schema().types().to_vec();
        let binding = reader.binding().cloned();
        let (Some(binding), Some(_)) = (binding, TickPartial::new(&counting.query)) else {
            return Self::rows(reader, types);
        };
        let (origin, line) = reader.position();
        let plan = Arc::new(Plan {
            len: std::fs::metadata(&counting.path).map_or(0, |m| m.len()),
            path: counting.path,
            max_row: counting.max_row,
            zone: counting.zone,
            binding,
            query: counting.query,
            origin,
            last_tick: counting.last_tick,
            range: range.max(1),
        });
        let quit = Arc::new(AtomicBool::new(false));
        let (out, found) = channel();
        let (mut give, mut handles) = (Vec::new(), Vec::new());
        for which in 0..threads {
            let (to_thread, given) = channel();
            let (plan, quit, out) = (plan.clone(), quit.clone(), out.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("tick-reader-{which}"))
                .spawn(move || read_ranges(&plan, which, (&given, &out), &quit));
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
            len: plan.len,
            many_keys: false,
            reader: Some(reader),
        };
        counted.give_ranges();
        ReplaySource {
            state: State::Counted(Box::new(counted)),
            types,
        }
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

    fn next(&mut self) -> Next {
        if self.many_keys {
            return Next::Rows;
        }
        while self.range < self.ranges {
            let Some(found) = self.waiting[self.range].pop_front() else {
                let (range, found) = match self.found.recv_timeout(WAKE) {
                    Ok(found) => found,
                    // A thread that ended without saying so (it panicked) leaves its ranges
                    // unread.
                    Err(RecvTimeoutError::Timeout)
                        if !self.threads.iter().any(JoinHandle::is_finished) =>
                    {
                        continue;
                    }
                    Err(_) => return Next::Rows,
                };
                if let Found::RangeDone { thread } = found {
                    self.idle.push(thread);
                    self.give_ranges();
                }
                if let Some(waiting) = self.waiting.get_mut(range) {
                    waiting.push_back(found);
                }
                continue;
            };
            match found {
                Found::RangeDone { .. } => {
                    self.range += 1;
                    self.give_ranges();
                }
                Found::Stopped => return Next::Rows,
                Found::Tick {
                    tick,
                    start,
                    end,
                    lines,
                    partial,
                } => {
                    // Its tick is above the one before: the thread that read that one read
                    // this one's first row too, and would have stopped at a lower tick.
                    if start != self.expected.0 {
                        return Next::Rows;
                    }
                    let head = Head {
                        tick,
                        line: self.expected.1,
                        offset: start,
                    };
                    self.expected = (end, self.expected.1 + lines);
                    self.last_tick = Some(tick);
                    let keys = partial.keys();
                    self.many_keys = keys >= MANY_KEYS && keys as u64 * 4 >= partial.rows();
                    return Next::Tick(CountedTick {
                        head,
                        end: self.expected,
                        partial,
                    });
                }
            }
        }
        if self.expected.0 == self.len {
            Next::End
        } else {
            Next::Rows
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

impl RowSource for ReplaySource {
    fn counted_tick(&mut self) -> Option<CountedTick> {
        let State::Counted(counted) = &mut self.state else {
            return None;
        };
        match counted.next() {
            Next::Tick(tick) => Some(tick),
            Next::End => {
                let (offset, line) = counted.expected;
                self.state = State::Ended(offset, line);
                None
            }
            Next::Rows => {
                self.read_rows();
                None
            }
        }
    }

    fn next_row(&mut self) -> Result<Option<RowRef<'_>>, ReadError> {
        self.read_rows();
        match &mut self.state {
            State::Rows(rows) => rows.next_row(),
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
            State::Rows(rows) => rows.rows_of_tick(tick, each),
            _ => 0,
        }
    }

    fn position(&self) -> (u64, u64) {
        match &self.state {
            State::Counted(counted) => counted.expected,
            State::Rows(rows) => rows.position(),
            State::Ended(offset, line) => (*offset, *line),
            State::Failed(_, at) => *at,
        }
    }
}
