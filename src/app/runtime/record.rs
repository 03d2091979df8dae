//! `--record FILE`: every accepted row in the replay format, so `window-tui replay FILE` with the
//! same query emits exactly the live run's rows with the same batch ids. `batch` is the trigger
//! tick the row arrived in (idle ticks have no rows); the schema's columns follow, preceded by
//! `event_time` when rows are stamped on arrival. NULL is `\N`; values round-trip exactly.

use std::fs::{File, TryLockError};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use crate::app::error::BadInput;

use crate::app::source::inbox::Rows;
use crate::app::source::replay::{Binding, ReplayReader};
use crate::engine::text::{push_csv_cell, push_java_double, push_java_float};
use crate::engine::{Fraction, Row, Schema, Utc, Value, Zone};

/// The columns a record has.
#[derive(Debug, Clone)]
pub struct Layout {
    pub schema: Schema,
    /// Rows are stamped on arrival: an `event_time` column comes first, holding the stamp.
    pub arrival: bool,
}

impl Layout {
    /// The header: `batch`, then the columns.
    fn header(&self) -> String {
        let mut header = String::from("batch");
        if self.arrival {
            header.push_str(",event_time");
        }
        for field in self.schema.fields() {
            header.push(',');
            let mut cell = Vec::new();
            push_csv_cell(&mut cell, Some(&field.name));
            header.push_str(&String::from_utf8_lossy(&cell));
        }
        header
    }

    /// The event-time column's name in the record.
    fn event_time<'a>(&'a self, column: Option<&'a str>) -> &'a str {
        column.filter(|_| !self.arrival).unwrap_or("event_time")
    }
}

/// A recorded row's bytes besides its values: tick, time, commas, quotes, line end.
const ROW_OVERHEAD: usize = 128;

pub struct Recorder {
    out: BufWriter<File>,
    path: String,
    layout: Layout,
    line: Vec<u8>,
    text: String,
}

impl Recorder {
    /// Creates `path` and writes the header; a file already there is this checkpointed run's,
    /// begun before its first batch committed ([`super::live`] refuses any other), and starts
    /// over.
    pub fn create(path: &Path, layout: Layout) -> anyhow::Result<Self> {
        let file = open_locked(path)?;
        if file.metadata().is_ok_and(|m| m.is_file()) {
            file.set_len(0)
                .with_context(|| format!("cannot empty the record file {}", path.display()))?;
        }
        let mut out = BufWriter::new(file);
        writeln!(out, "{}", layout.header())
            .with_context(|| format!("cannot write the record file {}", path.display()))?;
        Ok(Recorder {
            out,
            path: path.display().to_string(),
            layout,
            line: Vec::new(),
            text: String::new(),
        })
    }

    /// Continues `path` after a restart: rows of ticks up to `through_tick` (committed) stay,
    /// later ones go (their batch runs again and records them again). Lines were at most
    /// `max_line_bytes` long; quoting may double that. `event_time` is the schema's event-time
    /// column (none: arrival).
    pub fn resume(
        path: &Path,
        layout: Layout,
        event_time: Option<&str>,
        through_tick: u64,
        max_line_bytes: usize,
    ) -> anyhow::Result<Self> {
        if !path.exists() {
            return Self::create(path, layout);
        }
        let file = open_locked(path)?;
        let cannot = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot continue the record file: {e}; move it away to start a new one")
        };
        let keep = {
            let limit = max_line_bytes
                .saturating_mul(2)
                .saturating_add(ROW_OVERHEAD);
            let mut reader =
                ReplayReader::open(path, limit, Zone::utc()).map_err(|e| cannot(&e))?;
            let name = layout.event_time(event_time);
            let schema =
                Binding::schema_of(reader.columns(), None, name).map_err(|e| cannot(&e))?;
            let at = schema
                .index_of(name)
                .ok_or_else(|| cannot(&"it has no event time column"))?;
            reader.bind(Binding::new(reader.columns(), schema, at, Vec::new()));
            let mut keep = reader.position().0;
            let mut rows = Rows::default();
            loop {
                rows.clear();
                match reader.read_row(&mut rows) {
                    Ok(Some((head, _))) if head.tick <= through_tick => keep = reader.position().0,
                    Ok(_) => break,
                    // A row cut short by the crash, the file's last: everything from it goes.
                    // Damage with rows after it is not a crash's, and trimming would lose them.
                    Err(e) => {
                        if rows_follow(&mut reader) {
                            return Err(cannot(&e));
                        }
                        break;
                    }
                }
            }
            keep
        };
        file.set_len(keep)
            .with_context(|| format!("cannot trim the record file {}", path.display()))?;
        let mut out = BufWriter::new(file);
        std::io::Seek::seek(&mut out, std::io::SeekFrom::End(0))?;
        Ok(Recorder {
            out,
            path: path.display().to_string(),
            layout,
            line: Vec::new(),
            text: String::new(),
        })
    }

    /// Appends the rows of trigger tick `tick` and flushes them.
    pub fn write_tick(&mut self, tick: u64, rows: &Rows) -> anyhow::Result<()> {
        let types = self.layout.schema.types().to_vec();
        for (t, row) in rows.iter(&types) {
            self.line.clear();
            self.line
                .extend_from_slice(itoa::Buffer::new().format(tick).as_bytes());
            if self.layout.arrival {
                self.line.push(b',');
                self.cell(Value::Timestamp(t));
            }
            for column in 0..types.len() {
                self.line.push(b',');
                self.cell(row.get(column));
            }
            self.line.push(b'\n');
            self.out
                .write_all(&self.line)
                .with_context(|| format!("cannot write the record file {}", self.path))?;
        }
        self.out
            .flush()
            .with_context(|| format!("cannot write the record file {}", self.path))
    }

    /// One value as the replay reader reads it back: NULL `\N`, strings RFC 4180 (the text
    /// `\N` quoted, not to read back as NULL), times RFC 3339 with microseconds, floating point
    /// with its shortest exact digits.
    fn cell(&mut self, value: Value<'_>) {
        use std::fmt::Write as _;
        self.text.clear();
        match value {
            Value::Null => self.text.push_str("\\N"),
            Value::Str("\\N") => {
                self.line.extend_from_slice(b"\"\\N\"");
                return;
            }
            Value::Str(s) => {
                push_csv_cell(&mut self.line, Some(s));
                return;
            }
            Value::Bool(b) => self.text.push_str(if b { "true" } else { "false" }),
            Value::Long(v) => self.text.push_str(itoa::Buffer::new().format(v)),
            // Infinities as Java and Spark spell them (zmij's `inf` is no number to them).
            Value::Double(v) if v.is_infinite() => push_java_double(&mut self.text, v),
            Value::Float(v) if v.is_infinite() => push_java_float(&mut self.text, v),
            Value::Double(v) => self.text.push_str(zmij::Buffer::new().format(v)),
            Value::Float(v) => self.text.push_str(zmij::Buffer::new().format(v)),
            Value::Timestamp(t) => {
                let _ = write!(self.text, "{}", Utc(t, Fraction::Micros));
            }
        }
        self.line.extend_from_slice(self.text.as_bytes());
    }
}

/// Opens `path` to write, cutting nothing yet, and locks it (`flock`) until the run ends: two
/// runs recording into one file would interleave their rows, and the second is refused. A
/// device (`/dev/null`) is not locked.
fn open_locked(path: &Path) -> anyhow::Result<File> {
    let file = File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open the record file {}", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_file()) {
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(BadInput(format!(
                    "--record {}: another window-tui run is recording into it; name another file",
                    path.display()
                ))
                .into());
            }
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                tracing::warn!(
                    "{}: this file system has no file locks; another run could record into it",
                    path.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e)
                    .with_context(|| format!("cannot lock the record file {}", path.display()));
            }
        }
    }
    Ok(file)
}

/// Whether any readable row comes after the reader's position.
fn rows_follow(reader: &mut ReplayReader<File>) -> bool {
    let mut rows = Rows::default();
    loop {
        match reader.read_row(&mut rows) {
            Ok(Some(_)) => return true,
            Ok(None) => return false,
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::source::replay::{ReadAhead, RowSource};

    fn arrival() -> Layout {
        Layout {
            schema: Schema::value_string(),
            arrival: true,
        }
    }

    /// The record read back: `(tick, event time, columns)` of the file at `path`.
    fn read_back(
        path: &Path,
        event_time: &str,
        schema: Option<&Schema>,
    ) -> Vec<(u64, i64, Vec<String>)> {
        let mut reader = ReplayReader::open(path, 1 << 20, Zone::utc()).unwrap();
        let schema = Binding::schema_of(reader.columns(), schema, event_time).unwrap();
        let at = schema.index_of(event_time).unwrap();
        let types = schema.types().to_vec();
        reader.bind(Binding::new(
            reader.columns(),
            schema,
            at,
            vec![true; types.len()],
        ));
        let mut source = ReadAhead::start(reader, types.clone());
        let mut got = Vec::new();
        while let Some(row) = source.next_row().unwrap() {
            let values = (0..types.len())
                .map(|c| format!("{:?}", row.row.get(c)))
                .collect();
            got.push((row.head.tick, row.event_time, values));
        }
        got
    }

    #[test]
    fn records_read_back_as_a_replay_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let mut recorder = Recorder::create(&path, arrival()).unwrap();
        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_001, &[Value::Str("a,b")]);
        rows.push(1_795_455_181_000_000, &[Value::Str("say \"hi\"")]);
        recorder.write_tick(0, &rows).unwrap();
        rows.clear();
        rows.push(1_795_455_190_000_000, &[Value::Str("  spaced  ")]);
        rows.push(1_795_455_191_000_000, &[Value::Str("\\N")]);
        rows.push(1_795_455_192_000_000, &[Value::Null]);
        recorder.write_tick(3, &rows).unwrap();
        let got = read_back(&path, "event_time", None);
        let value = |v: &str| vec![format!("Timestamp({})", 0), format!("Str({v:?})")];
        assert_eq!(got.len(), 5);
        assert_eq!(
            (got[0].0, got[0].1, &got[0].2[1]),
            (0, 1_795_455_180_000_001, &value("a,b")[1])
        );
        assert_eq!((got[1].0, &got[1].2[1]), (0, &value("say \"hi\"")[1]));
        assert_eq!((got[2].0, &got[2].2[1]), (3, &value("  spaced  ")[1]));
        assert_eq!(got[3].2[1], value("\\N")[1], "the text \\N stays text");
        assert_eq!(got[4].2[1], "Null");
    }

    #[test]
    fn typed_rows_and_nulls_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let schema: Schema = "ts TIMESTAMP, k STRING, x DOUBLE, n BIGINT, ok BOOLEAN"
            .parse()
            .unwrap();
        let layout = Layout {
            schema: schema.clone(),
            arrival: false,
        };
        let mut recorder = Recorder::create(&path, layout).unwrap();
        let mut rows = Rows::default();
        let values = [
            Value::Timestamp(5),
            Value::Null,
            Value::Double(0.1 + 0.2),
            Value::Long(i64::MIN),
            Value::Bool(false),
        ];
        rows.push(5, &values);
        recorder.write_tick(0, &rows).unwrap();
        let got = read_back(&path, "ts", Some(&schema));
        let want: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        assert_eq!(got, vec![(0, 5, want)]);
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(
            "batch,ts,k,x,n,ok\n0,1970-01-01T00:00:00.000005Z,\\N,0.30000000000000004,"
        ));
    }

    /// Infinities and NaN, of DOUBLE and FLOAT, are read back as they were (an infinity was
    /// written `inf`, which Spark's reader and the replay's take for no number).
    #[test]
    fn infinities_and_nan_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let schema: Schema = "ts TIMESTAMP, x DOUBLE, f FLOAT".parse().unwrap();
        let layout = Layout {
            schema: schema.clone(),
            arrival: false,
        };
        let mut recorder = Recorder::create(&path, layout).unwrap();
        let mut rows = Rows::default();
        let all = [
            [
                Value::Double(f64::INFINITY),
                Value::Float(f32::NEG_INFINITY),
            ],
            [
                Value::Double(f64::NEG_INFINITY),
                Value::Float(f32::INFINITY),
            ],
            [Value::Double(f64::NAN), Value::Float(f32::NAN)],
        ];
        for [x, f] in all {
            rows.push(5, &[Value::Timestamp(5), x, f]);
        }
        recorder.write_tick(0, &rows).unwrap();
        let got = read_back(&path, "ts", Some(&schema));
        let want: Vec<_> = all
            .iter()
            .map(|[x, f]| {
                (
                    0,
                    5,
                    vec![
                        "Timestamp(5)".to_string(),
                        format!("{x:?}"),
                        format!("{f:?}"),
                    ],
                )
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_restart_trims_a_torn_last_row_but_refuses_damage_in_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let good = "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:01Z,b\n";
        // Torn: the crash cut the last row (of an uncommitted tick) short.
        std::fs::write(&path, format!("{good}2,2026-11-23T17:3")).unwrap();
        drop(Recorder::resume(&path, arrival(), None, 1, 1 << 20).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
        // Damaged in the middle: committed rows follow, so nothing is cut.
        let damaged = format!("{good}1,yesterday,c\n1,2026-11-23T17:33:02Z,d\n");
        std::fs::write(&path, &damaged).unwrap();
        let err = Recorder::resume(&path, arrival(), None, 1, 1 << 20)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(":4:"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
        // A committed value as long as --max-line-bytes allows, quoted: kept.
        let long = "\"".repeat(3000);
        let quoted = long.replace('"', "\"\"");
        std::fs::write(
            &path,
            format!("{good}1,2026-11-23T17:33:02Z,\"{quoted}\"\n"),
        )
        .unwrap();
        drop(Recorder::resume(&path, arrival(), None, 1, 3000).unwrap());
        assert!(std::fs::read_to_string(&path).unwrap().len() > good.len() + 6000);
    }

    #[test]
    fn a_file_another_run_is_recording_into_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let mut first = Recorder::create(&path, arrival()).unwrap();
        let rows = Rows::default();
        first.write_tick(0, &rows).unwrap();
        let before = std::fs::read(&path).unwrap();
        for second in [
            Recorder::create(&path, arrival()),
            Recorder::resume(&path, arrival(), None, 0, 1 << 20),
        ] {
            let err = second.err().unwrap();
            assert!(err.downcast_ref::<BadInput>().is_some(), "{err}");
            assert!(err.to_string().contains("another window-tui run"), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), before);
        }
        drop(first);
        drop(Recorder::create(&path, arrival()).unwrap());
        // A device is no file to lock: two runs may both record into /dev/null.
        let null = Path::new("/dev/null");
        let _one = Recorder::create(null, arrival()).unwrap();
        let _two = Recorder::create(null, arrival()).unwrap();
    }
}
