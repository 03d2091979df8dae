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

/// Rows of a record longer than this are taken as damage when a restart trims the file.
const RECORD_ROW_LIMIT: usize = 64 << 20;

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
        writeln!(out, "{HEADER}")?;
        Ok(Recorder {
            out: rows_writer(out),
            path: path.display().to_string(),
        })
    }

    /// Continues `path` after a restart: rows of ticks up to `through_tick` (committed) stay,
    /// later ones go (their batch runs again and records them again).
    pub fn resume(path: &Path, through_tick: u64) -> anyhow::Result<Self> {
        if !path.exists() {
            return Self::create(path);
        }
        let keep = {
            let mut reader = ReplayReader::open(path, RECORD_ROW_LIMIT)
                .map_err(|e| anyhow::anyhow!("cannot continue the record file: {e}"))?;
            let mut keep = reader.position().0;
            loop {
                match reader.next_row() {
                    Ok(Some(row)) if row.tick <= through_tick => keep = reader.position().0,
                    Ok(_) => break,
                    // A row cut short by the crash: everything from it goes.
                    Err(_) => break,
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
                .write_record([tick.as_str(), time.as_str(), value])?;
        }
        self.out
            .flush()
            .with_context(|| format!("cannot write the record file {}", self.path))
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
}
