//! The replay file reader and its read-ahead: rows, quoting, bad rows, buffer refills, chunks.

use std::fmt::Write as _;
use std::io::{self, Read};

use super::*;
use crate::engine::{NULL_EVENT_TIME, Row, Rows, Value, Zone};

/// A reader of `text` bound as the seed's files are: `event_time TIMESTAMP, value STRING`.
fn reader<R: Read>(src: R, max_row: usize) -> Result<ReplayReader<R>, ReadError> {
    let mut reader = ReplayReader::new(src, "events.csv".into(), max_row, Zone::utc())?;
    let schema = Binding::schema_of(reader.columns(), None, "event_time").unwrap();
    let event_time = schema.index_of("event_time").unwrap();
    let read = vec![true; schema.len()];
    reader.bind(Binding::new(reader.columns(), schema, event_time, read));
    Ok(reader)
}

const TYPES: [DataType; 2] = [DataType::Timestamp, DataType::String];

type Got = Result<(u64, Micros, String, u64), String>;

/// Every row and error, as `(tick, event time, value, line)` (line 0: a row after the head).
fn all(text: &[u8]) -> Vec<Got> {
    match reader(io::Cursor::new(text.to_vec()), 1024) {
        Ok(r) => rows(ReadAhead::start(r, TYPES.to_vec())),
        Err(e) => vec![Err(e.to_string())],
    }
}

fn value(row: &EncodedRow<'_>) -> String {
    match row.get(1) {
        Value::Str(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

fn rows(mut source: impl RowSource) -> Vec<Got> {
    let mut out = Vec::new();
    loop {
        match source.next_row() {
            Ok(Some(row)) => {
                let (tick, line) = (row.head.tick, row.head.line);
                out.push(Ok((tick, row.event_time, value(&row.row), line)));
                source.rows_of_tick(tick, |rows, range, types| {
                    for (t, r) in rows.iter_from(range.start, range.end, types) {
                        out.push(Ok((tick, t, value(&r), 0)));
                    }
                });
            }
            Ok(None) => return out,
            Err(e) => out.push(Err(e.to_string())),
        }
    }
}

const T0: Micros = 1_795_455_180_000_000;

#[test]
fn plain_rows_lf_and_crlf() {
    let rows = all(b"batch,event_time,value\n0,2026-11-23T17:33:00.000000Z,9\r\n1,2026-11-23T17:33:01Z,\n\n2,2026-11-23T17:33:00Z,x y");
    assert_eq!(
        rows,
        vec![
            Ok((0, T0, "9".into(), 2)),
            Ok((1, T0 + 1_000_000, String::new(), 3)),
            Ok((2, T0, "x y".into(), 5)),
        ]
    );
}

#[test]
fn quoted_values_with_commas_quotes_and_line_breaks() {
    let rows = all(
        b"\xEF\xBB\xBFbatch,event_time,value\r\n0,2026-11-23T17:33:00Z,\"a,b\"\r\n1,2026-11-23T17:33:00Z,\"say \"\"hi\"\"\"\r\n2,2026-11-23T17:33:00Z,\"two\nlines\"\n\"3\",\"2026-11-23T17:33:00Z\",plain\n4,2026-11-23T17:33:00Z,\\N\n5,2026-11-23T17:33:00Z,\"\\N\"\n",
    );
    assert_eq!(
        rows,
        vec![
            Ok((0, T0, "a,b".into(), 2)),
            Ok((1, T0, "say \"hi\"".into(), 3)),
            Ok((2, T0, "two\nlines".into(), 4)),
            Ok((3, T0, "plain".into(), 6)),
            Ok((4, T0, "Null".into(), 7)),
            Ok((5, T0, "\\N".into(), 8)),
        ]
    );
}

#[test]
fn bad_rows_name_the_line_and_the_reader_goes_on() {
    let rows = all(b"batch,event_time,value\n0,yesterday,a\nx,2026-11-23T17:33:00Z,a\n0,2026-11-23T17:33:00Z,a,b\n0,2026-11-23T17:33:00Z\n0,2026-11-23T17:33:00Z,\xff\n0,2026-11-23T17:33:00Z,ok\n0,\\N,n\n");
    assert_eq!(rows.len(), 7, "{rows:?}");
    let err = |i: usize| rows[i].as_ref().unwrap_err().clone();
    assert_eq!(
        err(0),
        "events.csv:2: event_time: expected a time as Spark reads it, like \
         2026-11-23T17:33:14.999999Z or 2026-11-23 17:33:14, got \"yesterday\""
    );
    assert_eq!(
        err(1),
        "events.csv:3: batch \"x\" is not a batch number (a whole number from 0, of at most 19 digits)"
    );
    assert!(
        err(2).starts_with("events.csv:4: expected 3 columns (batch,event_time,value), found 4")
    );
    assert!(err(3).starts_with("events.csv:5: expected 3 columns"));
    assert!(
        err(4).starts_with("events.csv:6: value: not valid UTF-8"),
        "{}",
        err(4)
    );
    assert_eq!(rows[5], Ok((0, T0, "ok".into(), 7)));
    // A NULL event time is no bad row: Spark's input row in no window (read in the run of
    // rows after the last one handed out, which has no line number).
    assert_eq!(rows[6], Ok((0, NULL_EVENT_TIME, "n".into(), 0)));
}

#[test]
fn batches_must_ascend() {
    let rows = all(b"batch,event_time,value\n3,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:00Z,a\n");
    assert_eq!(
        rows[1],
        Err(
            "events.csv:3: batch 1 comes after batch 3; rows must be in ascending batch order"
                .into()
        )
    );
}

/// `batch` is a column name like the others: case-insensitive, as Spark's names are.
#[test]
fn the_batch_column_name_ignores_case() {
    let got = all(b"Batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n");
    assert_eq!(got, vec![Ok((0, T0, "a".into(), 2))]);
}

#[test]
fn header_is_required() {
    let got = all(b"0,2026-11-23T17:33:00Z,a\n");
    assert!(
        got[0]
            .as_ref()
            .unwrap_err()
            .starts_with("events.csv:1: missing header"),
        "{got:?}"
    );
    assert!(
        all(b"")[0]
            .as_ref()
            .unwrap_err()
            .contains("the file is empty")
    );
}

#[test]
fn an_unterminated_quote_is_a_bad_row() {
    let rows = all(b"batch,event_time,value\n0,2026-11-23T17:33:00Z,\"open\n");
    assert_eq!(
        rows,
        vec![Err("events.csv:2: a quoted field is never closed".into())]
    );
}

#[test]
fn rows_longer_than_the_limit_are_refused_and_skipped() {
    let mut text = b"batch,event_time,value\n0,2026-11-23T17:33:00Z,".to_vec();
    text.extend(std::iter::repeat_n(b'x', 300_000));
    text.extend_from_slice(b"\n1,2026-11-23T17:33:00Z,after\n");
    let rows = all(&text);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        Err("events.csv:2: row is longer than 1024 bytes (--max-line-bytes)".into())
    );
    assert_eq!(rows[1], Ok((1, T0, "after".into(), 3)));
}

/// The rows a reader of the seed's files gives for `text`, rows of at most `max_row` bytes,
/// as the replay reads them (a tick's first row, then its plain rows in a run): each row's
/// tick, or its error; on the fast path or not.
fn read_limited(text: &[u8], max_row: usize, fast: bool) -> Vec<Result<u64, String>> {
    let mut reader = reader(text, max_row).unwrap();
    if !fast {
        reader.without_fast_path();
    }
    let (mut rows, mut got) = (Rows::default(), Vec::new());
    loop {
        match reader.read_row(&mut rows) {
            Ok(Some((head, _))) => {
                let run = reader.plain_rows(head.tick, &mut rows, usize::MAX, usize::MAX);
                got.extend(std::iter::repeat_n(Ok(head.tick), 1 + run));
            }
            Ok(None) => return got,
            Err(e) => got.push(Err(e.to_string())),
        }
    }
}

/// A row one byte over `--max-line-bytes` (its line break aside) is a bad row, however short,
/// and one exactly at it is read: plain or quoted, LF or CRLF, row by row, in a run, and read
/// ahead.
#[test]
fn a_row_over_the_limit_is_a_bad_row_and_one_at_it_is_read() {
    const MAX: usize = 64;
    let row = |tick: u64, len: usize, quoted: bool| {
        let head = format!("{tick},2026-11-23T17:33:00Z,");
        if quoted {
            format!("{head}\"{}\"", "x".repeat(len - head.len() - 2))
        } else {
            format!("{head}{}", "x".repeat(len - head.len()))
        }
    };
    let too_long = "events.csv:4: row is longer than 64 bytes (--max-line-bytes)".to_string();
    for end in ["\n", "\r\n"] {
        for quoted in [false, true] {
            let lines = [
                row(0, MAX, quoted),
                row(0, MAX, quoted),
                row(0, MAX + 1, quoted),
                row(1, MAX, quoted),
            ];
            let text = format!("batch,event_time,value{end}{}{end}", lines.join(end));
            let case = format!("{end:?}, quoted: {quoted}");
            for fast in [true, false] {
                let want = [Ok(0), Ok(0), Err(too_long.clone()), Ok(1)];
                assert_eq!(read_limited(text.as_bytes(), MAX, fast), want, "{case}");
            }
            let ahead = reader(io::Cursor::new(text.into_bytes()), MAX).unwrap();
            let got: Vec<_> = rows(ReadAhead::start(ahead, TYPES.to_vec()))
                .into_iter()
                .map(|row| row.map(|(tick, ..)| tick))
                .collect();
            assert_eq!(got, [Ok(0), Ok(0), Err(too_long.clone()), Ok(1)], "{case}");
        }
    }
}

#[test]
fn reads_across_buffer_refills() {
    // A reader that hands out 7 bytes at a time splits every row across reads.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = (self.0.len() - self.1).min(7).min(out.len());
            out[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }
    let mut text = String::from("batch,event_time,value\n");
    for i in 0..500 {
        write!(
            text,
            "{},2026-11-23T17:33:{:02}Z,\"v,{i}\"\r\n",
            i / 10,
            i % 60
        )
        .unwrap();
    }
    let r = reader(Trickle(text.into_bytes(), 0), 64).unwrap();
    let got = rows(ReadAhead::start(r, TYPES.to_vec()));
    assert_eq!(got.len(), 500);
    for (i, row) in got.iter().enumerate() {
        assert_eq!(row.as_ref().unwrap().2, format!("v,{i}"));
    }
}

#[test]
fn ticks_run_on_across_chunks_and_bad_rows_come_in_place() {
    let mut text = String::from("batch,event_time,value\n");
    let total = 3 * 16 * 1024 + 17;
    for i in 0..total {
        let value = match i % 500 {
            7 => "\"a,b\"".to_string(),
            9 => "x,y,z".to_string(),
            _ => format!("v{}", i % 13),
        };
        writeln!(
            text,
            "{},2026-11-23T17:33:{:02}.000001Z,{value}",
            i / 700,
            i % 60
        )
        .unwrap();
    }
    let got = rows(ReadAhead::start(
        reader(io::Cursor::new(text.into_bytes()), 1024).unwrap(),
        TYPES.to_vec(),
    ));
    assert_eq!(got.len(), total, "every row or error, once");
    let bad = got.iter().filter(|r| r.is_err()).count();
    assert_eq!(
        bad,
        total / 500 + usize::from(total % 500 > 9),
        "x,y,z rows are bad"
    );
    let ticks: Vec<u64> = got
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|r| r.0))
        .collect();
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_chunk_of_bad_rows_is_bounded_too() {
    let mut text = String::from("batch,event_time,value\n");
    for _ in 0..(3 * 16 * 1024) {
        text.push_str("0,yesterday,v\n");
    }
    let got = rows(ReadAhead::start(
        reader(io::Cursor::new(text), 1 << 20).unwrap(),
        TYPES.to_vec(),
    ));
    assert_eq!(got.len(), 3 * 16 * 1024);
    assert!(got.iter().all(Result::is_err));
}

/// Reads `data`, then panics.
struct PanicsAfter(io::Cursor<Vec<u8>>);

impl Read for PanicsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => panic!("the disk caught fire"),
            n => Ok(n),
        }
    }
}

#[test]
fn a_reading_thread_that_dies_is_an_error_not_the_end_of_the_file() {
    // More than the reader takes in at the start, so that the thread meets the fire.
    let mut text = String::from("batch,event_time,value\n");
    for _ in 0..20_000 {
        text.push_str("0,2026-11-23T17:33:00Z,a\n");
    }
    let r = reader(PanicsAfter(io::Cursor::new(text.into_bytes())), 1024).unwrap();
    let got = rows(ReadAhead::start(r, TYPES.to_vec()));
    assert!(
        matches!(got.last(), Some(Err(e)) if e.contains("reader thread stopped")),
        "{got:?}"
    );
}

#[test]
fn a_schema_types_the_columns_by_name_and_must_match_the_header() {
    let columns: Vec<String> = ["ts", "user", "bytes"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    let schema: crate::engine::Schema = "user STRING, bytes LONG, ts TIMESTAMP".parse().unwrap();
    let got = Binding::schema_of(&columns, Some(&schema), "ts").unwrap();
    assert_eq!(got.to_string(), "user STRING, bytes BIGINT, ts TIMESTAMP");
    let binding = Binding::new(&columns, got, 2, vec![true; 3]);
    assert_eq!(binding.file_column, [1, 2, 0]);
    let fewer: crate::engine::Schema = "ts TIMESTAMP, user STRING".parse().unwrap();
    assert!(
        Binding::schema_of(&columns, Some(&fewer), "ts")
            .unwrap_err()
            .contains("\"bytes\"")
    );
    let default = Binding::schema_of(&columns, None, "TS").unwrap();
    assert_eq!(
        default.to_string(),
        "ts TIMESTAMP, user STRING, bytes STRING"
    );
    let twice = ["ts", "user", "User"].map(String::from);
    assert_eq!(
        Binding::schema_of(&twice, None, "ts").unwrap_err(),
        "the header names the column \"User\" twice (names ignore case, as Spark's do)",
        "no --schema was given"
    );
}

/// What [`read_typed`] gives: each row or error, then the end position.
type ReadAll = (Vec<String>, (u64, u64));

/// Everything a reader gives for `text` (a header, then rows of `schema`, the event time
/// first), read as replay's read-ahead reads (a tick's first row, then the rest of it): the
/// rows' values, each error after the rows before it, and the end position.
fn read_typed(text: &[u8], schema: &str, fast: bool) -> ReadAll {
    let mut reader = ReplayReader::new(text, "f.csv".into(), 1024, Zone::utc()).unwrap();
    let schema: crate::engine::Schema = schema.parse().unwrap();
    let types = schema.types().to_vec();
    let columns = types.len();
    reader.bind(Binding::new(
        reader.columns(),
        schema,
        0,
        vec![true; columns],
    ));
    if !fast {
        reader.without_fast_path();
    }
    let mut rows = Rows::default();
    let mut got = Vec::new();
    let print = |rows: &mut Rows, got: &mut Vec<String>| {
        for (t, row) in rows.iter(&types) {
            got.push(format!(
                "{t} {:?}",
                (0..columns).map(|c| row.value(c)).collect::<Vec<_>>()
            ));
        }
        rows.clear();
    };
    loop {
        match reader.read_row(&mut rows) {
            Ok(Some((head, _))) => {
                got.push(format!(
                    "tick {} line {} at {}",
                    head.tick, head.line, head.offset
                ));
                reader.plain_rows(head.tick, &mut rows, usize::MAX, usize::MAX);
            }
            Ok(None) => break,
            Err(e) => {
                print(&mut rows, &mut got);
                got.push(e.to_string());
            }
        }
    }
    print(&mut rows, &mut got);
    // A head names each tick's first row in both; the fast path names no other.
    let mut last_tick = None;
    got.retain(|g| {
        let Some(tick) = g.strip_prefix("tick ") else {
            return true;
        };
        let tick = tick.split(' ').next().map(str::to_string);
        std::mem::replace(&mut last_tick, tick.clone()) != tick
    });
    (got, reader.position())
}

/// [`read_typed`] of `text` (its last line break taken off unless `last_line_break`) with the
/// fast path and without it.
fn both_paths(mut text: String, last_line_break: bool, schema: &str) -> (ReadAll, ReadAll) {
    if !last_line_break && text.ends_with('\n') {
        text.pop();
    }
    let fast = read_typed(text.as_bytes(), schema, true);
    (fast, read_typed(text.as_bytes(), schema, false))
}

/// A cell longer than the fast path's stage: its row goes to the general path.
const LONG_CELL: &str = concat!(
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
);

proptest::proptest! {
    /// The fast path reads what the general path reads, and leaves it every row it cannot
    /// read: the same rows, the same errors in the same places, the same end.
    #[test]
    fn the_fast_path_reads_as_the_general_path_does(
        rows in proptest::collection::vec(
            (
                proptest::sample::select(vec!["0", "1", "1", "2", "3", "10", "x", "", "-1"]),
                proptest::sample::select(vec![
                    "2026-11-23T17:33:00.000000Z", "2026-11-23T17:33:01Z", "2026-11-23 17:33:02",
                    "2026-11-23T17:33:03.5+01:00", "\\N", "bad", "", "2026-11-23T17:33:00Z,1",
                ]),
                proptest::sample::select(vec!["12", "-5", "1234", "", "\\N", "x", "1,2",
                    "99999999999999999999", "+7", "12345678", "123456789", "00000042", "1x",
                    "-12345678"]),
                proptest::sample::select(vec!["a", "", "bb", "\"q,x\"", "\"a\"\"b\"", "日本",
                    "\\N", "x\"y", "\"multi\nline\"", "a string of more than sixty-four bytes, \
                    which a row stages whole", LONG_CELL]),
                proptest::sample::select(vec!["1.5", "NaN", "-0.0", "1e3", "", "z", "\\N"]),
                proptest::sample::select(vec!["\n", "\r\n", "\n\n", "\r"]),
            ),
            0..40,
        ),
        last_line_break in proptest::bool::ANY,
    ) {
        let mut text = String::from("batch,ts,n,d,s\n");
        for (tick, ts, n, s, d, end) in &rows {
            write!(text, "{tick},{ts},{n},{d},{s}{end}").unwrap();
        }
        let (fast, general) =
            both_paths(text, last_line_break, "ts TIMESTAMP, n LONG, d DOUBLE, s STRING");
        proptest::prop_assert_eq!(fast, general);
    }

    /// The same for the seed's shape (`batch,event_time,value`), whose rows the fast path
    /// reads in a lane of their own: values with spaces, carriage returns and other bytes
    /// that end no field, non-ASCII and invalid text, up to sixteen bytes and beyond.
    #[test]
    fn the_seed_lane_reads_as_the_general_path_does(
        rows in proptest::collection::vec(
            (
                proptest::sample::select(vec!["0", "1", "1", "1", "2", "10", "x", "", "01"]),
                proptest::sample::select(vec![
                    "2026-11-23T17:33:00.000000Z", "2026-11-23T17:33:01.250000Z",
                    "2026-11-23T17:33:01Z", "\\N", "bad", "",
                ]),
                proptest::sample::select(vec!["3", "10", "", "\\N", "a b", " ,", "x\ry", "-",
                    "\t!#$%&'()*+", "0123456789abcdef", "0123456789abcdefg", "\u{e9}t\u{e9}",
                    "\"q,x\"", "x\"y", "a,b", "\u{7f}\u{80}", "\u{1}\u{2c}"]),
                proptest::sample::select(vec!["\n", "\r\n", "\n\n", "\r"]),
            ),
            0..60,
        ),
        last_line_break in proptest::bool::ANY,
    ) {
        let mut text = String::from("batch,event_time,value\n");
        for (tick, ts, value, end) in &rows {
            write!(text, "{tick},{ts},{value}{end}").unwrap();
        }
        let (fast, general) =
            both_paths(text, last_line_break, "event_time TIMESTAMP, value STRING");
        proptest::prop_assert_eq!(fast, general);
    }
}

/// A large `--max-line-bytes` takes memory only for a row that needs it: a reader allowed
/// rows of a TiB starts with a small buffer (it aborted trying to take the TiB up front), and
/// grows it for a row longer than that buffer.
#[test]
fn a_huge_row_limit_grows_the_buffer_only_for_the_row_that_needs_it() {
    let long = "x".repeat(700_000);
    let text = format!(
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,{long}\n0,2026-11-23T17:33:00Z,b\n"
    );
    let source = match reader(io::Cursor::new(text.into_bytes()), 1 << 40) {
        Ok(r) => ReadAhead::start(r, TYPES.to_vec()),
        Err(e) => panic!("{e}"),
    };
    let got = rows(source);
    assert_eq!(
        got.len(),
        2,
        "{:?}",
        got.iter()
            .map(|r| r.as_ref().map(|(_, _, v, _)| v.len()))
            .collect::<Vec<_>>()
    );
    assert_eq!(got[0].as_ref().unwrap().2.len(), 700_000);
    assert_eq!(got[1].as_ref().unwrap().2, "b");
}
