//! A replay read by whole ticks counted on threads gives what rows read one by one give: each
//! batch's output, the position it commits, the summary and any error, whatever the file holds
//! (gaps, late rows, NULLs, long values, CRLF, quoted line breaks, bad rows) and however it is
//! cut into ranges.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;

use super::*;
use crate::app::config::{OnBadRow, SinkKind};
use crate::app::sink::Sink;
use crate::app::source::replay::Split;
use crate::engine::{AggFn, AggRequest, BatchOutput, Zone};

/// Keeps every batch it is given.
struct Keep(Arc<Mutex<Vec<BatchOutput>>>);

impl Sink for Keep {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        self.0.lock().unwrap().push(batch.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "Keep".into()
    }
}

/// What a replay did: every batch, the position after each, the summary, and how it ended;
/// and how many ticks it counted whole.
#[derive(Debug)]
struct Run {
    batches: Vec<BatchOutput>,
    positions: Vec<Position>,
    summary: ReplaySummary,
    ended: Result<(), String>,
    counted: u64,
}

impl PartialEq for Run {
    /// The same replay, however it was read.
    fn eq(&self, other: &Self) -> bool {
        (&self.batches, &self.positions, &self.summary, &self.ended)
            == (
                &other.batches,
                &other.positions,
                &other.summary,
                &other.ended,
            )
    }
}

/// How the replay reads: rows one by one, or whole ticks by `threads` threads in ranges of
/// `range` bytes.
#[derive(Debug, Clone, Copy)]
enum Read {
    Rows,
    Counted { range: u64, threads: usize },
}

fn replay(path: &Path, config: &QueryConfig, read: Read, on_bad_row: OnBadRow) -> Run {
    let mut reader = ReplayReader::open(path, 1 << 16, Zone::utc()).unwrap();
    let (query, binding) = query_of(config, reader.columns()).unwrap();
    reader.bind(binding);
    let source = match read {
        Read::Rows => ReplaySource::rows(reader, query.schema().types().to_vec()),
        Read::Counted { range, threads } => {
            let counting = Counting {
                path: path.to_path_buf(),
                max_row: 1 << 16,
                zone: Zone::utc(),
                query: query.clone(),
                last_tick: None,
            };
            let split = Split {
                range,
                threads,
                min_tick_rows: 0,
            };
            ReplaySource::counted_in(reader, counting, split)
        }
    };
    let kept = Arc::new(Mutex::new(Vec::new()));
    let opener: sink::SinkOpener = {
        let kept = kept.clone();
        Box::new(move |_| Ok(Box::new(Keep(kept.clone())) as Box<dyn Sink>))
    };
    let pipeline = Pipeline::new(
        Engine::new(query),
        SinkSet::new(opener, &[SinkKind::File]).unwrap(),
        None,
        QueryIdentity::new("test".into()),
    );
    let mut stepper = ReplayStepper::new(source, pipeline, on_bad_row).flush_at_end(true);
    let mut positions = Vec::new();
    let ended = loop {
        match stepper.step() {
            Ok(Some(_)) => positions.push(stepper.position()),
            Ok(None) => break Ok(()),
            Err(e) => break Err(format!("{e:#}")),
        }
    };
    let batches = kept.lock().unwrap().clone();
    Run {
        batches,
        positions,
        summary: stepper.summary().clone(),
        ended,
        counted: stepper.source().ticks_counted(),
    }
}

/// Holds every way of reading `text` to give what rows read one by one give; the fewest
/// ticks any counted whole.
fn same_runs(text: impl AsRef<[u8]>, config: &QueryConfig, on_bad_row: OnBadRow) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    let text = text.as_ref();
    std::fs::write(&path, text).unwrap();
    let by_rows = replay(&path, config, Read::Rows, on_bad_row);
    assert_eq!(by_rows.counted, 0);
    let len = text.len() as u64;
    let mut counted = u64::MAX;
    for (range, threads) in [(1, 2), (37, 2), (200, 3), (len / 3 + 1, 2), (1 << 20, 2)] {
        let read = Read::Counted { range, threads };
        let run = replay(&path, config, read, on_bad_row);
        let shown = String::from_utf8_lossy(text);
        assert_eq!(run, by_rows, "{read:?} of\n{shown}");
        counted = counted.min(run.counted);
    }
    counted
}

/// A row of the file, as the generator makes it.
#[derive(Debug, Clone)]
enum Line {
    /// A tick's row: seconds after the start, and a value (`None`: NULL).
    Row(u32, Option<String>),
    /// A quoted value with a comma and a line break.
    Quoted(u32),
    /// A quoted value whose lines read as rows of later ticks.
    LikeRows(u32),
    /// The tick quoted.
    QuotedTick(u32),
    /// A row whose event time is not one.
    Bad,
    /// A row whose value is not text (not UTF-8).
    NotText(u32),
    /// A row of the tick before (after tick 1, a row whose tick goes back).
    Earlier(u32),
    /// An empty line.
    Blank,
}

/// Values around what is read in one word: seven bytes and eight, none, bytes below a comma
/// or above ASCII, a comma (a row of too many columns).
const WORD_VALUES: &[&str] = &[
    "", "1234567", "12345678", "a b", "é", "日本", "x\u{7f}", "x,y",
];

fn line() -> impl Strategy<Value = Line> {
    let value = prop_oneof![
        8 => (0..12u32).prop_map(|v| Some(v.to_string())),
        1 => Just(None),
        1 => (0..3u32).prop_map(|v| Some(format!("a-value-longer-than-eight-{v}"))),
        2 => prop::sample::select(WORD_VALUES).prop_map(|v| Some(v.to_string())),
    ];
    prop_oneof![
        30 => (0..200u32, value).prop_map(|(t, v)| Line::Row(t, v)),
        1 => (0..200u32).prop_map(Line::Quoted),
        1 => (0..200u32).prop_map(Line::LikeRows),
        1 => (0..200u32).prop_map(Line::QuotedTick),
        1 => Just(Line::Bad),
        1 => (0..200u32).prop_map(Line::NotText),
        1 => (0..200u32).prop_map(Line::Earlier),
        1 => Just(Line::Blank),
    ]
}

/// A file: ticks (a gap where a tick has no rows) of rows around a time that moves on, some
/// lines ending CRLF.
fn file() -> impl Strategy<Value = Vec<u8>> {
    let tick = (
        0..3u64,
        prop::collection::vec((line(), any::<bool>()), 0..12),
    );
    prop::collection::vec(tick, 1..10).prop_map(|ticks| {
        let mut text = b"batch,event_time,value\n".to_vec();
        let mut tick = 0;
        for (n, (gap, lines)) in ticks.into_iter().enumerate() {
            tick += gap + 1;
            for (line, crlf) in lines {
                let at = |s: u32| {
                    let s = u64::from(s) + 10 * n as u64;
                    format!("2026-11-23T17:{:02}:{:02}.000000Z", 33 + s / 60, s % 60)
                };
                let not_text = matches!(line, Line::NotText(_));
                let row = match line {
                    Line::Row(t, Some(v)) => format!("{tick},{},{v}", at(t)),
                    Line::Row(t, None) => format!("{tick},{},\\N", at(t)),
                    Line::Quoted(t) => format!("{tick},{},\"a, b\nc\"", at(t)),
                    Line::LikeRows(t) => format!(
                        "{tick},{0},\"x\n{1},{0},y\n{2},{0},z\n\"",
                        at(t),
                        tick + 4,
                        tick + 5
                    ),
                    Line::QuotedTick(t) => format!("\"{tick}\",{},q", at(t)),
                    Line::Bad => format!("{tick},yesterday,1"),
                    Line::NotText(t) => format!("{tick},{},", at(t)),
                    Line::Earlier(t) => format!("{},{},e", tick - 1, at(t)),
                    Line::Blank => String::new(),
                };
                text.extend_from_slice(row.as_bytes());
                if not_text {
                    text.push(0xFF);
                }
                text.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn counted_ticks_replay_as_rows_do(text in file(), skip in any::<bool>()) {
        let on_bad_row = if skip { OnBadRow::Skip } else { OnBadRow::Error };
        same_runs(&text, &QueryConfig::seed(), on_bad_row);
    }
}

/// Columns typed by `--schema` are counted from rows parsed as usual, grouped by two of them
/// (no string key); a sum is not counted at all.
#[test]
fn typed_rows_and_other_aggregates_replay_as_rows_do() {
    let mut text = String::from("batch,ts,user,bytes\n");
    for i in 0..400u32 {
        let (tick, s) = (i / 37, i / 3 % 60);
        let user = i * 7 % 13;
        writeln!(text, "{tick},2026-11-23T17:34:{s:02}Z,u{user},{}", i % 5).unwrap();
    }
    let mut config = QueryConfig::seed();
    config.schema = Some("ts TIMESTAMP, user STRING, bytes LONG".parse().unwrap());
    config.event_time = EventTime::Column("ts".into());
    config.group_by = vec!["user".into(), "bytes".into()];
    assert_eq!(
        same_runs(&text, &config, OnBadRow::Error),
        11,
        "every tick counted"
    );
    config.aggs = vec![AggRequest {
        func: AggFn::Sum,
        column: Some("bytes".into()),
    }];
    assert_eq!(
        same_runs(&text, &config, OnBadRow::Error),
        0,
        "none counted"
    );
}

/// What the threads find is checked against what the rows are: a quoted value whose lines read
/// as rows of later ticks is not taken for them, and a tick whose start was not found (its
/// tick quoted, as the one before) is read even when it is the last.
#[test]
fn line_starts_that_are_not_row_starts_are_not_taken_for_them() {
    let config = QueryConfig::seed();
    let rows_within = "batch,event_time,value\n\
        1,2026-11-23T17:33:00Z,a\n\
        1,2026-11-23T17:33:01Z,\"x\n5,2026-11-23T17:33:02Z,y\n6,2026-11-23T17:33:03Z,z\n\"\n\
        2,2026-11-23T17:33:04Z,b\n\
        3,2026-11-23T17:33:20Z,c\n";
    assert!(same_runs(rows_within, &config, OnBadRow::Error) >= 1);
    let quoted_last = "batch,event_time,value\n\
        1,2026-11-23T17:33:00Z,a\n\
        \"2\",2026-11-23T17:33:04Z,b\n\
        \"3\",2026-11-23T17:33:20Z,c\n\
        \"3\",2026-11-23T17:33:21Z,d\n";
    assert!(same_runs(quoted_last, &config, OnBadRow::Error) >= 1);
}

/// A bad row in every other tick, more of them than the detours a replay takes: the ticks
/// between are counted until the rest is read as rows, with the answers of rows all along.
#[test]
fn many_ticks_with_bad_rows_replay_as_rows_do() {
    let mut text = String::from("batch,event_time,value\n");
    for tick in 0..40u32 {
        for row in 0..30 {
            let s = tick * 5 + row % 5;
            let time = if tick % 2 == 0 && tick > 0 && row == 12 {
                "yesterday".to_string()
            } else {
                format!("2026-11-23T17:{:02}:{:02}Z", 33 + s / 60, s % 60)
            };
            writeln!(text, "{tick},{time},{}", row % 3).unwrap();
        }
    }
    let counted = same_runs(&text, &QueryConfig::seed(), OnBadRow::Skip);
    assert!(counted >= 2, "{counted} ticks counted");
}
