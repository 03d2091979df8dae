//! Whole ticks read and counted on threads of their own: each thread takes the ranges of the
//! file it is given, parses the ticks that start in each (the last one to its end, past the
//! range) and counts their rows ([`TickPartial`]), so that both cores parse and aggregate and
//! the engine only absorbs whole ticks.
//!
//! A range's first tick is found without reading the range: ticks ascend through the file,
//! so a binary search over its line starts finds where the tick of the row before the range
//! changes. What is found is not trusted: [`super::source`] takes a tick only where the one
//! before it ended, as the thread that read that one found, and reads the file row by row from
//! there otherwise (a quoted value holding a line break can make a line start look like a row
//! start), until a tick those rows open was counted. A tick with a bad row is not sent: the
//! thread reads on to the next tick's first row, and the row-by-row reader reads the bad
//! tick (and words the error). A thread that cannot read the file, or finds that counting
//! ahead does not pay (a small tick, mostly new keys, rows out of order), says so and stops;
//! the row-by-row reader then reads the rest.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::time::SystemTime;

use memchr::{memchr, memrchr};

use super::plain::parse_u64;
use super::{Binding, Head, ReadError, ReplayReader};
use crate::engine::{DataType, Query, Rows, TickPartial, Zone};

/// Rows parsed at a time before they are counted.
const RUN_ROWS: usize = 4096;
/// Keys a tick may have when they are more than a quarter of its rows: the engine finds each
/// key of a tick again when it takes it, so a stream of ever-new keys gains nothing counted
/// ahead, and the counts in flight take memory.
const MANY_KEYS: u64 = 1 << 16;
/// Runs of rows in one pane a tick may come in, when they are more than a sixteenth of its
/// rows: its counts would grow with its rows (event times out of order).
const MANY_RUNS: u64 = 1 << 12;
/// Bytes of rows parsed at a time, at most.
const RUN_BYTES: usize = 1 << 20;
/// Bytes read at a time while looking for a line start.
const PROBE: usize = 4096;

/// What a thread found in one of its ranges, sent with the range, in file order for each
/// thread.
#[derive(Debug)]
pub(super) enum Found {
    /// A tick read whole, counted.
    Tick(WholeTick),
    /// The tick whose rows start at `start` has a bad row: it is not counted, and the thread
    /// reads on to the next (said at once, so that the replay need not wait for that).
    Skipping { start: u64 },
    /// Every tick starting in the range was sent, by this thread.
    RangeDone { thread: usize },
    /// The file could not be read, or counting ahead does not pay; the thread stopped.
    Stopped,
}

/// A tick read whole: its rows start at `start` and end at `end`, `lines` lines on.
#[derive(Debug)]
pub(super) struct WholeTick {
    pub tick: u64,
    pub start: u64,
    pub end: u64,
    pub lines: u64,
    pub partial: Box<TickPartial>,
}

/// How the file is split between the threads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    /// Bytes a range.
    pub range: u64,
    pub threads: usize,
    /// The fewest rows a tick may have for counting ahead to go on: below, what it saves
    /// is less than what a tick costs (the threads stop at the first smaller one).
    pub min_tick_rows: u64,
}

impl Default for Split {
    fn default() -> Self {
        Split {
            range: 4 << 20,
            threads: 2,
            min_tick_rows: 1024,
        }
    }
}

/// How the file is read: what each thread needs to read its ranges.
#[derive(Debug)]
pub(super) struct Plan {
    pub path: PathBuf,
    pub max_row: usize,
    pub zone: Zone,
    pub binding: Binding,
    pub query: Query,
    /// Where the rows to read start (a row start: after the header, or where a checkpoint
    /// resumes), and the tick of the rows before.
    pub origin: u64,
    pub last_tick: Option<u64>,
    /// The file's length and time of change when the replay began: a thread reads on only
    /// if the file it opens has the same.
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub split: Split,
}

impl Plan {
    /// How many ranges the rows are cut into.
    pub fn ranges(&self) -> usize {
        let range = self.split.range.max(1);
        usize::try_from(self.len.saturating_sub(self.origin).div_ceil(range))
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// Where range `range` starts and ends: every tick found in it starts in it.
    pub fn bounds(&self, range: usize) -> (u64, u64) {
        let size = self.split.range.max(1);
        let start = self.origin + range as u64 * size;
        (start, (start + size).min(self.len))
    }

    fn types(&self) -> &[DataType] {
        self.query.schema().types()
    }

    /// A reader of the file, bound; none unless it is the file the replay began with (the
    /// same length and time of change), not one put in its place since.
    pub fn open(&self) -> Option<ReplayReader<File>> {
        let mut reader = ReplayReader::open(&self.path, self.max_row, self.zone.clone()).ok()?;
        let metadata = reader.file_metadata().ok()?;
        if metadata.len() != self.len || metadata.modified().ok() != self.modified {
            return None;
        }
        reader.bind(self.binding.clone());
        Some(reader)
    }
}

/// Where a thread sends what it found: the range, and what.
pub(super) type Out = Sender<(usize, Found)>;

/// Thread `which`'s work: the ranges it is given, in order, until there are no more, it
/// stops, or the replay no longer wants them (`quit`, or `out` closed).
pub(super) fn read_ranges(
    plan: &Plan,
    which: usize,
    (given, out): (&Receiver<usize>, &Out),
    quit: &AtomicBool,
) {
    let Some((mut reader, file)) = plan.open().zip(File::open(&plan.path).ok()) else {
        if let Ok(range) = given.recv() {
            let _ = out.send((range, Found::Stopped));
        }
        return;
    };
    let mut rows = Rows::default();
    for range in given {
        let (start, end) = plan.bounds(range);
        let (first, before) = if range == 0 {
            (Some(plan.origin), plan.last_tick)
        } else {
            (first_tick_start(&file, (start, end), plan), None)
        };
        if let Some(first) = first {
            let to = (range, out, quit);
            let at = (first, before, end);
            if read_ticks(plan, &mut reader, at, &mut rows, to).is_none() {
                return;
            }
        }
        if out
            .send((range, Found::RangeDone { thread: which }))
            .is_err()
        {
            return;
        }
    }
}

/// Reads and sends the ticks starting in `[first, end)`, `first` a tick's start after tick
/// `before` (when known); none when the thread is to stop. A tick with a bad row is not sent:
/// the thread reads on to the next tick, and the replay reads the bad tick's rows one by one.
fn read_ticks(
    plan: &Plan,
    reader: &mut ReplayReader<File>,
    (first, before, end): (u64, Option<u64>, u64),
    rows: &mut Rows,
    (range, out, quit): (usize, &Out, &AtomicBool),
) -> Option<()> {
    let stop = || {
        let _ = out.send((range, Found::Stopped));
    };
    // What a reading that ended at a tick's first row (or the end) found; none to stop.
    let settle = |ended: TickEnd| match ended {
        TickEnd::Next(head) => Some(head),
        TickEnd::Quit => None,
        TickEnd::BadRow | TickEnd::Stop => {
            stop();
            None
        }
    };
    reader.seek(first, 0, before).map_err(|_| stop()).ok()?;
    rows.clear();
    // A tick with a bad row is said at once; the thread reads on to the next.
    let skip = |start| out.send((range, Found::Skipping { start })).is_ok();
    let opened = match reader.read_row(rows) {
        Ok(row) => TickEnd::Next(row.map(|(h, _)| h)),
        Err(ReadError::Bad(_)) if skip(first) => next_tick(reader, rows, None, (end, quit)),
        Err(ReadError::Bad(_)) => TickEnd::Quit,
        Err(ReadError::Io { .. }) => TickEnd::Stop,
    };
    let mut head = settle(opened)?;
    while let Some(opening) = head.filter(|h| h.offset < end) {
        if quit.load(Ordering::Relaxed) {
            return None;
        }
        let Some(mut partial) = TickPartial::new(&plan.query).map(Box::new) else {
            stop();
            return None;
        };
        partial.push_rows(rows, 0..rows.len(), plan.types());
        rows.clear();
        head = match count_tick(plan, reader, opening.tick, &mut partial, rows, quit) {
            TickEnd::BadRow if skip(opening.offset) => {
                head = settle(next_tick(reader, rows, Some(opening.tick), (end, quit)))?;
                continue;
            }
            TickEnd::BadRow => return None,
            ended => settle(ended)?,
        };
        let pays = pays(&partial, plan.split.min_tick_rows);
        let (next, next_line) = head.map_or(reader.position(), |h| (h.offset, h.line));
        let tick = Found::Tick(WholeTick {
            tick: opening.tick,
            start: opening.offset,
            end: next,
            lines: next_line - opening.line,
            partial,
        });
        if out.send((range, tick)).is_err() || quit.load(Ordering::Relaxed) {
            return None;
        }
        if !pays {
            stop();
            return None;
        }
    }
    Some(())
}

/// How counting a tick's rows ended.
enum TickEnd {
    /// At the next tick's first row (in the rows), or the end of the file.
    Next(Option<Head>),
    /// At a bad row: the tick is not counted.
    BadRow,
    /// Counting ahead does not pay (rows out of order), or the file cannot be read.
    Stop,
    /// The replay no longer wants the ticks.
    Quit,
}

/// Counts the rows of tick `tick` after its first (counted already) into `partial`: runs of
/// the seed's counted as they are read, runs of other plain ones, and any other one by one.
fn count_tick(
    plan: &Plan,
    reader: &mut ReplayReader<File>,
    tick: u64,
    partial: &mut TickPartial,
    rows: &mut Rows,
    quit: &AtomicBool,
) -> TickEnd {
    loop {
        if quit.load(Ordering::Relaxed) {
            return TickEnd::Quit;
        }
        if scattered(partial) {
            return TickEnd::Stop;
        }
        if reader.count_rows(tick, partial, RUN_ROWS) > 0 {
            continue;
        }
        if reader.plain_rows(tick, rows, RUN_ROWS, RUN_BYTES) == 0 {
            match reader.read_row(rows) {
                Ok(Some((row, _))) if row.tick != tick => return TickEnd::Next(Some(row)),
                Ok(Some(_)) => {}
                Ok(None) => return TickEnd::Next(None),
                Err(ReadError::Bad(_)) => return TickEnd::BadRow,
                Err(ReadError::Io { .. }) => return TickEnd::Stop,
            }
        }
        partial.push_rows(rows, 0..rows.len(), plan.types());
        rows.clear();
    }
}

/// Reads on past a tick with a bad row to the next tick's first row, which `rows` then holds
/// alone: the first row read well whose tick is not `tick`, or the first at all when `tick`
/// is not known (a range's first row was bad: the row after it may go on a tick begun before
/// the range, and whether it starts one, only the replay's rows tell). [`TickEnd::Next`] of
/// none at the end of the file, or once past `end` (a tick starting there is another
/// range's).
fn next_tick(
    reader: &mut ReplayReader<File>,
    rows: &mut Rows,
    tick: Option<u64>,
    (end, quit): (u64, &AtomicBool),
) -> TickEnd {
    loop {
        if quit.load(Ordering::Relaxed) {
            return TickEnd::Quit;
        }
        if reader.position().0 >= end {
            return TickEnd::Next(None);
        }
        rows.clear();
        // The tick's plain rows in runs, the rest one by one.
        if tick.is_some_and(|t| reader.plain_rows(t, rows, RUN_ROWS, RUN_BYTES) > 0) {
            continue;
        }
        match reader.read_row(rows) {
            Ok(Some((row, _))) if tick != Some(row.tick) => return TickEnd::Next(Some(row)),
            Ok(Some(_)) | Err(ReadError::Bad(_)) => {}
            Ok(None) => return TickEnd::Next(None),
            Err(ReadError::Io { .. }) => return TickEnd::Stop,
        }
    }
}

/// Whether counting ticks ahead pays, judged by a tick just counted: it had rows enough, and
/// not mostly keys new to it.
fn pays(partial: &TickPartial, min_rows: u64) -> bool {
    let (rows, keys) = (partial.rows(), partial.keys() as u64);
    rows >= min_rows && !(keys >= MANY_KEYS && keys * 4 >= rows)
}

/// Whether a tick being counted came in so many runs of rows of one pane that its counts grow
/// with its rows.
fn scattered(partial: &TickPartial) -> bool {
    let runs = partial.run_count() as u64;
    runs >= MANY_RUNS && runs * 16 >= partial.rows()
}

/// The first row start in `[start, end)` whose tick is not the row before's; none when the
/// ticks found do not change there (or the file cannot be read).
fn first_tick_start(file: &File, (start, end): (u64, u64), plan: &Plan) -> Option<u64> {
    let mut probe = Probe {
        file,
        buf: vec![0; PROBE],
        held: (0, 0),
        max_row: plan.max_row as u64,
    };
    let line = probe.line_start_from(start)?;
    if line >= end {
        return None;
    }
    let line_before = probe.line_start_before(line, plan.origin)?;
    let before = probe.tick_at(line_before);
    if probe.tick_at(line) != before {
        return Some(line);
    }
    // Ticks ascend: the first line start from `p` has another tick for every `p` past some
    // point, which the search finds.
    let (mut same, mut other) = (line, end);
    while other - same > 1 {
        let mid = same + (other - same) / 2;
        match probe.line_start_from(mid) {
            Some(at) if at < end && probe.tick_at(at) == before => same = mid,
            _ => other = mid,
        }
    }
    probe.line_start_from(other).filter(|&at| at < end)
}

/// Small reads of the file, to find line starts and the ticks there.
struct Probe<'a> {
    file: &'a File,
    buf: Vec<u8>,
    /// Where the buffer's bytes are in the file, and how many it holds.
    held: (u64, usize),
    max_row: u64,
}

impl Probe<'_> {
    /// Reads at `at` into the buffer; how many bytes came.
    fn read_at(&mut self, at: u64, len: usize) -> io::Result<usize> {
        self.held = (at, 0);
        let mut got = 0;
        while got < len {
            match self.file.read_at(&mut self.buf[got..len], at + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.held = (at, got);
        Ok(got)
    }

    /// The first line start at or after `at` (`at` > 0): just past the first line break from
    /// `at - 1`; none past the end, or further than a row may be long.
    fn line_start_from(&mut self, at: u64) -> Option<u64> {
        let mut from = at - 1;
        while from - (at - 1) <= self.max_row {
            let got = self.read_at(from, PROBE).ok()?;
            if let Some(i) = memchr(b'\n', &self.buf[..got]) {
                return Some(from + i as u64 + 1);
            }
            if got < PROBE {
                return None;
            }
            from += got as u64;
        }
        None
    }

    /// The start of the line before the one starting at `line` (> `floor`): just past the last
    /// line break before `line - 1`, or `floor`.
    fn line_start_before(&mut self, line: u64, floor: u64) -> Option<u64> {
        let mut to = line - 1;
        while line - to <= self.max_row {
            let from = to.saturating_sub(PROBE as u64).max(floor);
            let len = usize::try_from(to - from).ok()?;
            let got = self.read_at(from, len).ok()?;
            if let Some(i) = memrchr(b'\n', &self.buf[..got]) {
                return Some(from + i as u64 + 1);
            }
            if from == floor {
                return Some(floor);
            }
            to = from;
        }
        None
    }

    /// The tick of the row starting at `at`, when it reads as one: from the bytes read last
    /// when they hold its first 24.
    fn tick_at(&mut self, at: u64) -> Option<u64> {
        let (from, held) = self.held;
        let field = match at.checked_sub(from).and_then(|i| usize::try_from(i).ok()) {
            Some(i) if i + 24 <= held => &self.buf[i..i + 24],
            _ => {
                let got = self.read_at(at, 24).ok()?;
                &self.buf[..got]
            }
        };
        let comma = memchr(b',', field)?;
        parse_u64(&field[..comma])
    }
}
