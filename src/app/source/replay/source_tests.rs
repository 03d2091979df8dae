//! The replay's source counts whole ticks on threads while it can, reads a tick it could not
//! count row by row, from where the counted ticks end, and turns to rows one by one for the
//! rest where counting does not pay.

use std::fmt::Write as _;
use std::path::Path;

use super::*;
use crate::app::config::QueryConfig;
use crate::engine::{EventTime, Zone};

/// `ticks` ticks of `rows` seed rows each, a bad event time in tick `bad` if given.
fn seed_file(ticks: u64, rows: u64, bad: Option<u64>) -> String {
    seed_file_bad(ticks, rows, |tick, row| {
        bad == Some(tick) && row == rows / 2
    })
}

/// [`seed_file`], a bad event time in each row (tick, row in it) `bad` says.
fn seed_file_bad(ticks: u64, rows: u64, bad: impl Fn(u64, u64) -> bool) -> String {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        for row in 0..rows {
            let s = tick * 10 + row % 10;
            let time = if bad(tick, row) {
                "yesterday".to_string()
            } else {
                format!("2026-11-23T17:{:02}:{:02}Z", 33 + s / 60, s % 60)
            };
            writeln!(text, "{tick},{time},{}", row % 7).unwrap();
        }
    }
    text
}

/// A counted tick as `Ok((tick, line, offset, rows))`, or the first row read one by one as
/// `Err((tick, line))`.
type Given = Result<(u64, u64, u64, u64), (u64, u64)>;

/// What the source gives, in order: each counted tick, then the first row read one by one.
fn read(path: &Path, threads: usize) -> (Vec<Given>, ReplaySource) {
    read_then(path, threads, || {})
}

/// [`read`], `between` run once the file is open, before the threads open it again.
fn read_then(path: &Path, threads: usize, between: impl FnOnce()) -> (Vec<Given>, ReplaySource) {
    read_split(path, split(threads, 0), None, between)
}

/// Ranges of 300 bytes for `threads` threads, ticks of `min_tick_rows` rows paying.
fn split(threads: usize, min_tick_rows: u64) -> Split {
    Split {
        range: 300,
        threads,
        min_tick_rows,
    }
}

/// [`read_then`], the file split as `split` says, after tick `last_tick`.
fn read_split(
    path: &Path,
    split: Split,
    last_tick: Option<u64>,
    between: impl FnOnce(),
) -> (Vec<Given>, ReplaySource) {
    let mut source = source_at(path, (split, 1 << 16), last_tick, between);
    let mut got = Vec::new();
    while let Some(tick) = source.counted_tick() {
        let head = tick.head;
        got.push(Ok((head.tick, head.line, head.offset, tick.partial.rows())));
        assert_eq!(source.position(), tick.end, "the source is past the tick");
    }
    if let Ok(Some(row)) = source.next_row() {
        got.push(Err((row.head.tick, row.head.line)));
    }
    (got, source)
}

/// The source of the seed's query over the file at `path`, split as `split` says, rows of at
/// most `max_row` bytes, after tick `last_tick`; `between` run once the file is open, before
/// the threads open it again.
fn source_at(
    path: &Path,
    (split, max_row): (Split, usize),
    last_tick: Option<u64>,
    between: impl FnOnce(),
) -> ReplaySource {
    let mut reader = ReplayReader::open(path, max_row, Zone::utc()).unwrap();
    between();
    // The seed's query over the file's columns, as the replay makes it.
    let schema = Binding::schema_of(reader.columns(), None, "event_time").unwrap();
    let mut config = QueryConfig::seed();
    config.event_time = EventTime::Column("event_time".into());
    let query = config.resolve(schema.clone()).unwrap();
    reader.bind(Binding::new(reader.columns(), schema, 0, vec![true; 2]));
    let counting = Counting {
        path: path.to_path_buf(),
        max_row,
        zone: Zone::utc(),
        query,
        last_tick,
    };
    ReplaySource::counted_in(reader, counting, split)
}

#[test]
fn whole_ticks_are_counted_in_file_order_where_they_are() {
    let text = seed_file(12, 40, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, &text).unwrap();
    let header = "batch,event_time,value\n".len() as u64;
    let first_row = |tick: u64| {
        let before = text.lines().skip(1).take((tick * 40) as usize);
        header + before.map(|line| line.len() as u64 + 1).sum::<u64>()
    };
    for threads in [2, 3] {
        let (got, mut source) = read(&path, threads);
        let want: Vec<_> = (0..12)
            .map(|tick| Ok((tick, 2 + tick * 40, first_row(tick), 40)))
            .collect();
        assert_eq!(got, want, "{threads} threads");
        assert!(matches!(source.next_row(), Ok(None)), "the end of the file");
        assert_eq!(source.position(), (text.len() as u64, 2 + 12 * 40));
    }
}

/// How each tick of `source` comes as the replay's stepper takes them, bad rows skipped:
/// `(tick, first line, rows counted)`, none when its rows were read one by one.
fn ticks_of(source: &mut ReplaySource) -> Vec<(u64, u64, Option<u64>)> {
    let mut got = Vec::new();
    let mut next = None;
    loop {
        let head = if let Some(head) = next.take() {
            head
        } else {
            if let Some(tick) = source.counted_tick() {
                let rows = tick.partial.rows();
                got.push((tick.head.tick, tick.head.line, Some(rows)));
                continue;
            }
            let Some(head) = next_head(source, None) else {
                return got;
            };
            head
        };
        if let Some(tick) = source.counted_tick_at(&head) {
            assert_eq!(source.position(), tick.end, "the source is past the tick");
            got.push((head.tick, head.line, Some(tick.partial.rows())));
            continue;
        }
        got.push((head.tick, head.line, None));
        let Some(head) = next_head(source, Some(head.tick)) else {
            return got;
        };
        next = Some(head);
    }
}

/// Reads rows of `tick` (bad ones skipped) up to the first of another tick.
fn next_head(source: &mut ReplaySource, tick: Option<u64>) -> Option<Head> {
    loop {
        if let Some(tick) = tick {
            source.rows_of_tick(tick, |_, _, _| {});
        }
        match source.next_row() {
            Ok(Some(row)) if Some(row.head.tick) != tick => return Some(row.head),
            Ok(Some(_)) | Err(ReadError::Bad(_)) => {}
            Ok(None) => return None,
            Err(e) => panic!("{e}"),
        }
    }
}

/// The source for `text` as a file (in the folder given with it), read by `threads` threads
/// in ranges of 300 bytes.
fn source_of(text: &str, threads: usize) -> (tempfile::TempDir, ReplaySource) {
    source_limited(text, threads, 1 << 16)
}

/// [`source_of`], rows of at most `max_row` bytes.
fn source_limited(text: &str, threads: usize, max_row: usize) -> (tempfile::TempDir, ReplaySource) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, text).unwrap();
    let source = source_at(&path, (split(threads, 0), max_row), None, || {});
    (dir, source)
}

/// A tick with a row one byte over `--max-line-bytes` is not counted (the replay reads it row
/// by row, and the row is a bad one); a row exactly at the limit is counted.
#[test]
fn a_row_over_the_limit_is_not_counted_and_one_at_it_is() {
    const MAX: usize = 64;
    let text = seed_file(3, 40, None);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (line, tick, len) in [(60, 1, MAX + 1), (100, 2, MAX)] {
        let head = format!("{tick},2026-11-23T17:33:00Z,");
        lines[line] = format!("{head}{}", "x".repeat(len - head.len()));
    }
    for end in ["\n", "\r\n"] {
        let text = lines.join(end) + end;
        for threads in [2, 3] {
            let (_dir, mut source) = source_limited(&text, threads, MAX);
            let want = vec![(0, 2, Some(40)), (1, 42, None), (2, 82, Some(40))];
            assert_eq!(ticks_of(&mut source), want, "{end:?}, {threads} threads");
        }
    }
}

/// A tick with a bad row is read row by row, and the ticks after it are counted again.
#[test]
fn a_tick_with_a_bad_row_is_read_as_rows_and_the_next_counted() {
    for threads in [2, 3] {
        let (_dir, mut source) = source_of(&seed_file(12, 40, Some(7)), threads);
        let want: Vec<_> = (0..12)
            .map(|tick| (tick, 2 + tick * 40, (tick != 7).then_some(40)))
            .collect();
        assert_eq!(ticks_of(&mut source), want, "{threads} threads");
        assert_eq!(source.ticks_counted(), 11);
    }
    // A bad row in the last tick.
    let (_dir, mut source) = source_of(&seed_file(4, 40, Some(3)), 2);
    let want: Vec<_> = (0..4)
        .map(|tick| (tick, 2 + tick * 40, (tick != 3).then_some(40)))
        .collect();
    assert_eq!(ticks_of(&mut source), want);
    // A bad row first in tick 3, where a thread's range begins: the tick before cannot be
    // counted (its thread cannot tell which tick the row is of); tick 3 is, from its second
    // row, where the replay's rows find it begins.
    let text = seed_file_bad(6, 40, |tick, row| tick == 3 && row == 0);
    let (_dir, mut source) = source_of(&text, 2);
    let want: Vec<_> = (0..6)
        .map(|tick| match tick {
            2 => (2, 82, None),
            3 => (3, 123, Some(39)),
            _ => (tick, 2 + tick * 40, Some(40)),
        })
        .collect();
    assert_eq!(ticks_of(&mut source), want);
}

/// Blank lines after the header or between ticks are read past, as rows, and the ticks after
/// them counted.
#[test]
fn blank_lines_before_a_tick_are_read_past() {
    let text = seed_file(6, 40, None);
    let lines: Vec<_> = text.lines().collect();
    let blank = [
        lines[..1].join("\n"),
        String::new(),
        lines[1..121].join("\n"),
    ]
    .join("\n");
    let text = [blank, String::new(), lines[121..].join("\n")].join("\n") + "\n";
    let (_dir, mut source) = source_of(&text, 2);
    let line = |tick: u64| 3 + tick * 40 + u64::from(tick >= 3);
    let want: Vec<_> = (0..6).map(|tick| (tick, line(tick), Some(40))).collect();
    assert_eq!(ticks_of(&mut source), want);
}

/// After [`source::MAX_DETOURS`] ticks read as rows between counted ones, the rest is read as rows.
#[test]
fn many_ticks_with_bad_rows_turn_the_rest_to_rows() {
    let text = seed_file_bad(40, 40, |tick, row| tick >= 2 && tick % 2 == 0 && row == 20);
    let (_dir, mut source) = source_of(&text, 2);
    let last_counted = 2 * source::MAX_DETOURS as u64 + 1;
    let want: Vec<_> = (0..40)
        .map(|tick| {
            let counted = tick < 2 || (tick % 2 == 1 && tick <= last_counted);
            (tick, 2 + tick * 40, counted.then_some(40))
        })
        .collect();
    assert_eq!(ticks_of(&mut source), want);
}

#[test]
fn a_tick_of_mostly_new_keys_turns_the_rest_to_rows() {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..3 {
        for key in 0..70_000 {
            writeln!(
                text,
                "{tick},2026-11-23T17:33:{:02}Z,k{tick}-{key}",
                key / 1200
            )
            .unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, text).unwrap();
    let (got, _) = read(&path, 2);
    let got: Vec<_> = got
        .into_iter()
        .map(|g| g.map(|(tick, line, ..)| (tick, line)))
        .collect();
    assert_eq!(got, [Ok((0, 2)), Err((1, 70_002))]);
}

/// Counting ahead stops, and rows are read one by one from there, at a tick of fewer rows than
/// pays, and at one whose rows come in many runs of one pane (its counts would grow with its
/// rows).
#[test]
fn counting_stops_where_it_would_not_pay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, seed_file(12, 40, None)).unwrap();
    let (got, _) = read_split(&path, split(2, 41), None, || {});
    let got: Vec<_> = got.into_iter().map(|g| g.map(|(tick, ..)| tick)).collect();
    assert_eq!(got, [Ok(0), Err((1, 42))], "tick 0 taken, the rest as rows");

    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..2 {
        for row in 0..10_000 {
            // Rows of two panes in turn.
            let s = 15 * (row % 2) + tick * 30;
            writeln!(text, "{tick},2026-11-23T17:33:{s:02}Z,{}", row % 5).unwrap();
        }
    }
    std::fs::write(&path, text).unwrap();
    let (got, _) = read(&path, 2);
    assert_eq!(got, [Err((0, 2))], "every tick as rows");
}

/// A replay resumed after tick 5 refuses a row of tick 3, counted or not.
#[test]
fn a_resumed_replay_refuses_an_earlier_tick() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, seed_file(4, 40, None)).unwrap();
    let (got, mut source) = read_split(&path, split(2, 0), Some(5), || {});
    assert_eq!(got, []);
    let error = source.next_row().err().map(|e| e.to_string());
    assert!(
        error
            .as_ref()
            .is_some_and(|e| e.contains("comes after batch 5")),
        "{error:?}"
    );
}

/// A file put in the replay's file's place once the replay opened it is not read: the replay
/// reads the one it opened, row by row.
#[test]
fn a_file_put_in_the_files_place_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, seed_file(12, 40, None)).unwrap();
    let other = dir.path().join("other.csv");
    std::fs::write(&other, seed_file(6, 40, None)).unwrap();
    let (got, mut source) = read_then(&path, 2, || std::fs::rename(&other, &path).unwrap());
    assert_eq!(got, [Err((0, 2))], "no tick counted");
    let mut rows = 1;
    while let Ok(Some(tick)) = source.next_row().map(|row| row.map(|r| r.head.tick)) {
        rows += 1 + source.rows_of_tick(tick, |_, _, _| {});
    }
    assert_eq!(rows, 12 * 40, "the file opened first, whole");
}

/// A detour through more than [`source::MAX_DETOUR_TICKS`] ticks with bad rows reads the rest
/// as rows; one through fewer goes back to counting.
#[test]
fn a_long_run_of_bad_ticks_turns_the_rest_to_rows() {
    let most = source::MAX_DETOUR_TICKS as u64;
    for bad_ticks in [most - 1, most + 3] {
        let bad = |tick| (3..3 + bad_ticks).contains(&tick);
        let text = seed_file_bad(12, 40, |tick, row| bad(tick) && row == 20);
        let (_dir, mut source) = source_of(&text, 2);
        let back = bad_ticks <= most;
        let want: Vec<_> = (0..12)
            .map(|tick| {
                let counted = tick < 3 || (back && !bad(tick));
                (tick, 2 + tick * 40, counted.then_some(40))
            })
            .collect();
        assert_eq!(
            ticks_of(&mut source),
            want,
            "{bad_ticks} ticks with bad rows"
        );
    }
}
