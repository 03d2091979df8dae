//! `--record FILE`: every accepted line in the replay format, so `window-tui replay FILE` with the
//! same window options emits exactly the live run's rows with the same batch ids. `batch` is the
//! trigger tick the line arrived in (idle ticks have no rows), `event_time` its stamp.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use crate::app::source::inbox::Rows;
use crate::app::source::replay_file::{HEADER, ReplayReader};
use crate::engine::{Fraction, Utc};

/// A recorded row's bytes besides its value: tick, time, commas, quotes, line end.
const ROW_OVERHEAD: usize = 128;

/// A CSV writer for the record's rows (the header is written apart, once).
fn rows_writer(out: BufWriter<File>) -> csv::Writer<BufWriter<File>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

pub struct Recorder {
    out: csv::Writer<BufWriter<File>>,
    path: String,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("cannot create the record file {}", path.display()))?;
        let mut out = BufWriter::new(file);
        writeln!(out, "{HEADER}")
            .with_context(|| format!("cannot write the record file {}", path.display()))?;
        Ok(Recorder {
            out: rows_writer(out),
            path: path.display().to_string(),
        })
    }

    /// Continues `path` after a restart: rows of ticks up to `through_tick` (committed) stay,
    /// later ones go (their batch runs again and records them again). Lines were at most
    /// `max_line_bytes` long; quoting may double that.
    pub fn resume(path: &Path, through_tick: u64, max_line_bytes: usize) -> anyhow::Result<Self> {
        if !path.exists() {
            return Self::create(path);
        }
        let cannot = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot continue the record file: {e}; move it away to start a new one")
        };
        let keep = {
            let limit = max_line_bytes
                .saturating_mul(2)
                .saturating_add(ROW_OVERHEAD);
            let mut reader = ReplayReader::open(path, limit).map_err(|e| cannot(&e))?;
            let mut keep = reader.position().0;
            loop {
                match reader.next_row() {
                    Ok(Some(row)) if row.tick <= through_tick => keep = reader.position().0,
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
        let file = File::options()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open the record file {}", path.display()))?;
        file.set_len(keep)
            .with_context(|| format!("cannot trim the record file {}", path.display()))?;
        let mut out = BufWriter::new(file);
        std::io::Seek::seek(&mut out, std::io::SeekFrom::End(0))?;
        Ok(Recorder {
            out: rows_writer(out),
            path: path.display().to_string(),
        })
    }

    /// Appends the rows of trigger tick `tick` and flushes them.
    pub fn write_tick(&mut self, tick: u64, rows: &Rows) -> anyhow::Result<()> {
        let tick = tick.to_string();
        let mut time = String::new();
        for (t, value) in rows.iter() {
            use std::fmt::Write as _;
            time.clear();
            let _ = write!(time, "{}", Utc(t, Fraction::Micros));
            self.out
                .write_record([tick.as_str(), time.as_str(), value])
                .with_context(|| format!("cannot write the record file {}", self.path))?;
        }
        self.out
            .flush()
            .with_context(|| format!("cannot write the record file {}", self.path))
    }
}

/// Whether any readable row comes after the reader's position.
fn rows_follow(reader: &mut ReplayReader<File>) -> bool {
    loop {
        match reader.next_row() {
            Ok(Some(_)) => return true,
            Ok(None) => return false,
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::source::replay_file::ReplayReader;

    #[test]
    fn records_read_back_as_a_replay_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let mut recorder = Recorder::create(&path).unwrap();
        let mut rows = Rows::default();
        rows.push(1_795_455_180_000_001, "a,b");
        rows.push(1_795_455_181_000_000, "say \"hi\"");
        recorder.write_tick(0, &rows).unwrap();
        rows.clear();
        rows.push(1_795_455_190_000_000, "  spaced  ");
        recorder.write_tick(3, &rows).unwrap();
        let mut reader = ReplayReader::open(&path, 1 << 20).unwrap();
        let mut got = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            got.push((row.tick, row.event_time, row.value.to_string()));
        }
        assert_eq!(
            got,
            vec![
                (0, 1_795_455_180_000_001, "a,b".to_string()),
                (0, 1_795_455_181_000_000, "say \"hi\"".to_string()),
                (3, 1_795_455_190_000_000, "  spaced  ".to_string()),
            ]
        );
    }

    #[test]
    fn a_restart_trims_a_torn_last_row_but_refuses_damage_in_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.csv");
        let good = "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:01Z,b\n";
        // Torn: the crash cut the last row (of an uncommitted tick) short.
        std::fs::write(&path, format!("{good}2,2026-11-23T17:3")).unwrap();
        drop(Recorder::resume(&path, 1, 1 << 20).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
        // Damaged in the middle: committed rows follow, so nothing is cut.
        let damaged = format!("{good}1,yesterday,c\n1,2026-11-23T17:33:02Z,d\n");
        std::fs::write(&path, &damaged).unwrap();
        let err = Recorder::resume(&path, 1, 1 << 20)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("line 4") || err.contains(":4:"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
        // A committed value as long as --max-line-bytes allows, quoted: kept.
        let long = "\"".repeat(3000);
        let quoted = long.replace('"', "\"\"");
        std::fs::write(
            &path,
            format!("{good}1,2026-11-23T17:33:02Z,\"{quoted}\"\n"),
        )
        .unwrap();
        drop(Recorder::resume(&path, 1, 3000).unwrap());
        assert!(std::fs::read_to_string(&path).unwrap().len() > good.len() + 6000);
    }
}
