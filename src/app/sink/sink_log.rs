//! The file sink's log, `OUTPUT/_spark_metadata/`, in Spark's `FileStreamSinkLog` format so that
//! Spark (and anyone) reading the output sees each batch's files exactly once.
//!
//! Each batch `N` gets a file `N`: the line `v1`, then one JSON object per part file. Every tenth
//! batch (Spark's default `compactInterval`) is written as `N.compact`, holding every entry so far,
//! and the files it supersedes are removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::app::durable;

/// Spark's `spark.sql.streaming.fileSink.log.compactInterval` default.
pub const COMPACT_INTERVAL: u64 = 10;
const VERSION: &str = "v1";

/// One part file, as Spark's `SinkFileStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub path: String,
    pub size: u64,
    pub is_dir: bool,
    pub modification_time: i64,
    pub block_replication: u32,
    pub block_size: u64,
    pub action: String,
}

#[derive(Debug)]
pub struct SinkLog {
    dir: PathBuf,
}

impl SinkLog {
    pub fn open(output: &Path) -> anyhow::Result<Self> {
        let dir = output.join("_spark_metadata");
        durable::create_dir(&dir)?;
        let log = SinkLog { dir };
        log.remove_superseded()?;
        Ok(log)
    }

    /// Removes batch files the latest compaction holds (a crash may come between writing the
    /// compaction and removing them).
    fn remove_superseded(&self) -> anyhow::Result<()> {
        let Some(latest) = self.latest_batch_id()? else {
            return Ok(());
        };
        let Some(compaction) = (0..=latest).rev().find(|id| Self::is_compaction(*id)) else {
            return Ok(());
        };
        if !self.path_of(compaction).exists() {
            return Ok(());
        }
        for entry in fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            let id = name
                .strip_suffix(".compact")
                .unwrap_or(&name)
                .parse::<u64>();
            if id.is_ok_and(|id| id < compaction) {
                let path = self.dir.join(&*name);
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        Ok(())
    }

    fn is_compaction(batch_id: u64) -> bool {
        (batch_id + 1) % COMPACT_INTERVAL == 0
    }

    fn path_of(&self, batch_id: u64) -> PathBuf {
        if Self::is_compaction(batch_id) {
            self.dir.join(format!("{batch_id}.compact"))
        } else {
            self.dir.join(batch_id.to_string())
        }
    }

    /// The newest batch id in the log, if any.
    pub fn latest_batch_id(&self) -> anyhow::Result<Option<u64>> {
        let mut latest = None;
        for entry in fs::read_dir(&self.dir)
            .with_context(|| format!("cannot list {}", self.dir.display()))?
        {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Ok(id) = name
                .strip_suffix(".compact")
                .unwrap_or(&name)
                .parse::<u64>()
            {
                latest = latest.max(Some(id));
            }
        }
        Ok(latest)
    }

    /// Records batch `batch_id`'s files; compacts on Spark's schedule.
    pub fn add(&self, batch_id: u64, entries: &[LogEntry]) -> anyhow::Result<()> {
        if !Self::is_compaction(batch_id) {
            return self.write(batch_id, entries);
        }
        let first = batch_id + 1 - COMPACT_INTERVAL;
        let mut all = Vec::new();
        let superseded: Vec<u64> = (first.checked_sub(1).into_iter())
            .chain(first..batch_id)
            .collect();
        for &id in &superseded {
            all.extend(self.read(id)?);
        }
        all.extend_from_slice(entries);
        self.write(batch_id, &all)?;
        for id in superseded {
            let path = self.path_of(id);
            if path.exists() {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        durable::sync_dir(&self.dir)
    }

    fn write(&self, batch_id: u64, entries: &[LogEntry]) -> anyhow::Result<()> {
        durable::write_atomically(&self.path_of(batch_id), |out| {
            out.write_all(VERSION.as_bytes())?;
            for entry in entries {
                out.write_all(b"\n")?;
                serde_json::to_writer(&mut *out, entry)?;
            }
            Ok(())
        })
    }

    /// Every entry of the log: the latest compaction and the batches after it.
    pub fn all_entries(&self) -> anyhow::Result<Vec<LogEntry>> {
        let Some(latest) = self.latest_batch_id()? else {
            return Ok(Vec::new());
        };
        let last_compaction = (0..=latest).rev().find(|id| Self::is_compaction(*id));
        let first = last_compaction.unwrap_or(0);
        let mut entries = Vec::new();
        for id in first..=latest {
            entries.extend(self.read(id)?);
        }
        Ok(entries)
    }

    /// The entries of batch `batch_id` (a compaction holds everything up to it). A batch that is
    /// not in the log has none.
    pub fn read(&self, batch_id: u64) -> anyhow::Result<Vec<LogEntry>> {
        let path = self.path_of(batch_id);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut lines = text.lines();
        if lines.next() != Some(VERSION) {
            anyhow::bail!(
                "{}: not a sink log (first line is not {VERSION})",
                path.display()
            );
        }
        lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .with_context(|| format!("{}: corrupt entry {l:?}", path.display()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64) -> LogEntry {
        LogEntry {
            path: format!("file:///out/window=x/part-{n}.csv"),
            size: n,
            is_dir: false,
            modification_time: 0,
            block_replication: 1,
            block_size: 33_554_432,
            action: "add".into(),
        }
    }

    #[test]
    fn spark_layout_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let log = SinkLog::open(dir.path()).unwrap();
        assert_eq!(log.latest_batch_id().unwrap(), None);
        log.add(0, &[]).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("_spark_metadata/0")).unwrap(),
            "v1"
        );
        for id in 1..=9 {
            log.add(id, &[entry(id)]).unwrap();
        }
        let text = fs::read_to_string(dir.path().join("_spark_metadata/1")).ok();
        assert_eq!(text, None, "superseded by 9.compact");
        let compact = log.read(9).unwrap();
        assert_eq!(compact, (1..=9).map(entry).collect::<Vec<_>>());
        assert!(fs::read_to_string(dir.path().join("_spark_metadata/9.compact"))
            .unwrap()
            .starts_with("v1\n{\"path\":\"file:///out/window=x/part-1.csv\",\"size\":1,\"isDir\":false,\"modificationTime\":0,\"blockReplication\":1,\"blockSize\":33554432,\"action\":\"add\"}"));
        for id in 10..=19 {
            log.add(id, &[entry(id)]).unwrap();
        }
        assert_eq!(log.read(19).unwrap().len(), 19);
        assert_eq!(log.latest_batch_id().unwrap(), Some(19));
        let names: Vec<_> = fs::read_dir(dir.path().join("_spark_metadata"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["19.compact"]);
    }

    #[test]
    fn a_corrupt_log_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let log = SinkLog::open(dir.path()).unwrap();
        fs::write(dir.path().join("_spark_metadata/3"), "v1\n{not json").unwrap();
        let err = format!("{:#}", log.read(3).unwrap_err());
        assert!(
            err.contains("_spark_metadata/3") && err.contains("corrupt"),
            "{err}"
        );
    }
}
