//! The replay's source counts whole ticks on threads while it can, and turns to rows one by
//! one, from where the counted ticks end, at the first tick it cannot count.

use std::fmt::Write as _;
use std::path::Path;

use super::*;
use crate::app::config::QueryConfig;
use crate::engine::{EventTime, Zone};

/// `ticks` ticks of `rows` seed rows each, a bad event time in tick `bad` if given.
fn seed_file(ticks: u64, rows: u64, bad: Option<u64>) -> String {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..ticks {
        for row in 0..rows {
            let s = tick * 10 + row % 10;
            let time = if bad == Some(tick) && row == rows / 2 {
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
    let mut reader = ReplayReader::open(path, 1 << 16, Zone::utc()).unwrap();
    between();
    // The seed's query over the file's columns, as the replay makes it.
    let schema = Binding::schema_of(reader.columns(), None, "event_time").unwrap();
    let mut config = QueryConfig::seed();
    config.event_time = EventTime::Column("event_time".into());
    let query = config.resolve(schema.clone()).unwrap();
    reader.bind(Binding::new(reader.columns(), schema, 0, vec![true; 2]));
    let counting = Counting {
        path: path.to_path_buf(),
        max_row: 1 << 16,
        zone: Zone::utc(),
        query,
        last_tick,
    };
    let mut source = ReplaySource::counted_in(reader, counting, split);
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

#[test]
fn a_tick_that_cannot_be_counted_turns_the_rest_to_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    std::fs::write(&path, seed_file(12, 40, Some(7))).unwrap();
    let (got, _) = read(&path, 2);
    let mut want: Vec<_> = (0..7).map(|tick| Ok((tick, 2 + tick * 40))).collect();
    want.push(Err((7, 2 + 7 * 40)));
    let got: Vec<_> = got
        .into_iter()
        .map(|g| g.map(|(tick, line, ..)| (tick, line)))
        .collect();
    assert_eq!(
        got, want,
        "ticks 0 to 6 counted, tick 7 read from its first row"
    );
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
