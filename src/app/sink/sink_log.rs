//! The file sink's log, `OUTPUT/_spark_metadata/`, in Spark's `FileStreamSinkLog` format so that
//! Spark (and anyone) reading the output sees each batch's files exactly once.
//!
//! Each batch `N` gets a file `N`: the line `v1`, then one JSON object per part file. Every tenth
//! batch (Spark's default `compactInterval`) is written as `N.compact`, holding every entry so far,
//! and the files it supersedes are removed.

use std::collections::HashMap;
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

impl LogEntry {
    /// The part file's place in the output folder, `window=…/part-…` ([`place_in_output`]).
    pub fn place(&self) -> &str {
        place_in_output(&self.path)
    }

    /// Why the entry is not one the file sink writes, if it is not: it adds (Spark's readers
    /// skip a file a `delete` entry names), a file, at `file://…/window=…/NAME`.
    fn problem(&self) -> Option<String> {
        let (folder, name) = self.place().split_once('/').unwrap_or_default();
        if self.action != "add" {
            Some(format!("has the action {:?}, not \"add\"", self.action))
        } else if self.is_dir {
            Some("says it is a folder".to_string())
        } else if !self.path.starts_with("file:///") || !folder.starts_with("window=") {
            Some(format!(
                "lists {:?}, not a part file of a window= folder",
                self.path
            ))
        } else if name.is_empty() {
            Some(format!("lists {:?}, a folder", self.path))
        } else {
            None
        }
    }
}

/// A part file's place in the output folder, `window=…/part-…`, from its URI: the folder may
/// have been moved, or reached by another path, since the log listed the file, so the rest of
/// the URI does not tell whether a file is listed.
pub fn place_in_output(uri: &str) -> &str {
    uri.rmatch_indices('/')
        .nth(1)
        .map_or(uri, |(at, _)| &uri[at + 1..])
}

/// A part file the log lists: its size, and the batch whose log file lists it, which is that
/// batch's own file (`recent`) unless it is the newest compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub size: u64,
    pub by: u64,
    pub recent: bool,
}

#[derive(Debug)]
pub struct SinkLog {
    dir: PathBuf,
    /// The newest batch in the log: read at open, then kept as batches are written, so that a
    /// batch after a gap knows which ids to fill.
    latest: Option<u64>,
    /// Makes removing superseded files fail, as a full or read-only disk may.
    #[cfg(test)]
    fail_removal: bool,
}

impl SinkLog {
    pub fn open(output: &Path) -> anyhow::Result<Self> {
        let dir = output.join("_spark_metadata");
        durable::create_dir(&dir)?;
        let mut log = SinkLog {
            dir,
            latest: None,
            #[cfg(test)]
            fail_removal: false,
        };
        log.latest = log.ids()?.last().copied();
        log.remove_superseded()?;
        log.check_whole()?;
        Ok(log)
    }

    /// The log must run without a gap from its newest compaction (or batch 0) to its newest
    /// batch: a missing file would hide part files that are the output, so it is an error
    /// naming the file, never a reason to take those files for leftovers.
    fn check_whole(&self) -> anyhow::Result<()> {
        let ids = self.ids()?;
        let Some(&first) = ids.first() else {
            return Ok(());
        };
        let missing = |id: u64| {
            anyhow::anyhow!(
                "{} is missing: the file sink's log (_spark_metadata) has no record of batch \
                 {id}{}, so which part files are the output cannot be told; put the file back, \
                 or start over with --clean (with --sink file) or another --output",
                self.path_of(id).display(),
                if Self::is_compaction(id) {
                    " and the batches before it"
                } else {
                    ""
                }
            )
        };
        if first != 0 && !Self::is_compaction(first) {
            // The log's start is gone: the compaction before `first`, or batch 0.
            let due = (0..first)
                .rev()
                .find(|id| Self::is_compaction(*id))
                .unwrap_or(0);
            return Err(missing(due));
        }
        for pair in ids.windows(2) {
            if pair[1] != pair[0] + 1 {
                return Err(missing(pair[0] + 1));
            }
        }
        Ok(())
    }

    /// The batch ids with a file in the log, ascending.
    fn ids(&self) -> anyhow::Result<Vec<u64>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir)
            .with_context(|| format!("cannot list {}", self.dir.display()))?
        {
            let name = entry?.file_name();
            ids.extend(Self::id_of(&name.to_string_lossy()));
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Removes batch files the newest compaction holds (a crash may come between writing the
    /// compaction and removing them).
    fn remove_superseded(&self) -> anyhow::Result<()> {
        #[cfg(test)]
        if self.fail_removal {
            anyhow::bail!("cannot remove {}: test", self.dir.display());
        }
        let ids = self.ids()?;
        let Some(compaction) = ids
            .iter()
            .rev()
            .copied()
            .find(|id| Self::is_compaction(*id))
        else {
            return Ok(());
        };
        for id in ids.into_iter().take_while(|id| *id < compaction) {
            let path = self.path_of(id);
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        durable::sync_dir(&self.dir)
    }

    /// The batch a log file's name stands for, if it is the name [`Self::path_of`] gives it
    /// (not `07`, nor `5.compact` for a batch that is no compaction).
    fn id_of(name: &str) -> Option<u64> {
        let stem = name.strip_suffix(".compact");
        let id = durable::batch_id(stem.unwrap_or(name))?;
        (Self::is_compaction(id) == stem.is_some()).then_some(id)
    }

    fn is_compaction(batch_id: u64) -> bool {
        (batch_id + 1).is_multiple_of(COMPACT_INTERVAL)
    }

    /// The log file of batch `batch_id`.
    pub fn path_of(&self, batch_id: u64) -> PathBuf {
        if Self::is_compaction(batch_id) {
            self.dir.join(format!("{batch_id}.compact"))
        } else {
            self.dir.join(batch_id.to_string())
        }
    }

    /// The newest batch id in the log, if any.
    pub fn latest_batch_id(&self) -> Option<u64> {
        self.latest
    }

    /// Records batch `batch_id`'s files; compacts on Spark's schedule. Ids skipped since the
    /// newest batch in the log are logged first, with no files (see [`Self::fill_gap`]).
    pub fn add(&mut self, batch_id: u64, entries: &[LogEntry]) -> anyhow::Result<()> {
        if let Some(latest) = self.latest.filter(|latest| batch_id <= *latest) {
            anyhow::bail!("batch {batch_id} is not after the log's newest batch {latest}");
        }
        self.fill_gap(batch_id)?;
        self.record(batch_id, entries)
    }

    /// Logs the ids between the newest batch and `batch_id` as batches with no files: the file
    /// sink may have been off for them (or first switched on now), and Spark's readers need the
    /// ids consecutive, from the newest compaction on. An empty log is filled from batch 0, so
    /// it reads like one the sink wrote from the start. A compaction holds every batch before
    /// it, so of the skipped ids only the newest compaction and those after it need a file.
    fn fill_gap(&mut self, batch_id: u64) -> anyhow::Result<()> {
        let next = self.latest.map_or(0, |id| id + 1);
        let from = (next..=batch_id)
            .rev()
            .find(|id| Self::is_compaction(*id))
            .unwrap_or(next);
        for id in from..batch_id {
            self.record(id, &[])?;
        }
        Ok(())
    }

    /// Writes the log's next batch, as a compaction of everything so far when one is due.
    fn record(&mut self, batch_id: u64, entries: &[LogEntry]) -> anyhow::Result<()> {
        if !Self::is_compaction(batch_id) {
            self.write(batch_id, entries)?;
            self.latest = Some(batch_id);
            return Ok(());
        }
        let mut all = self.all_entries()?;
        all.extend_from_slice(entries);
        self.write(batch_id, &all)?;
        self.latest = Some(batch_id);
        // The batch is in the log once its compaction is durable: files it supersedes that
        // cannot be removed now are removed when the log is next opened, and the batch stands.
        if let Err(e) = self.remove_superseded() {
            tracing::warn!("{e:#}; removed when the output is next opened");
        }
        Ok(())
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

    /// Every entry of the log: the newest compaction and the batches after it (the log is whole
    /// from there, see [`Self::check_whole`]).
    pub fn all_entries(&self) -> anyhow::Result<Vec<LogEntry>> {
        let mut entries = Vec::new();
        for id in self.current_ids()? {
            entries.extend(self.read(id)?);
        }
        Ok(entries)
    }

    /// The ids of the files that hold the log: the newest compaction's and those after it (or
    /// every one, before the first compaction).
    fn current_ids(&self) -> anyhow::Result<Vec<u64>> {
        let mut ids = self.ids()?;
        let from = ids.iter().rposition(|id| Self::is_compaction(*id));
        ids.drain(..from.unwrap_or(0));
        Ok(ids)
    }

    /// The part files the log lists, by their place in the output ([`LogEntry::place`]). Each
    /// entry must be one the file sink writes ([`LogEntry::problem`]) and list a file no other
    /// entry lists (Spark would read it twice), else it is an error naming the log file: damage
    /// is never carried into the next compaction.
    pub fn listed(&self) -> anyhow::Result<HashMap<String, Listed>> {
        let mut listed = HashMap::new();
        for id in self.current_ids()? {
            let recent = !Self::is_compaction(id);
            for entry in self.read(id)? {
                let problem = entry.problem().or_else(|| {
                    let this = Listed {
                        size: entry.size,
                        by: id,
                        recent,
                    };
                    let before = listed.insert(entry.place().to_string(), this);
                    before.map(|_| format!("lists {} a second time", entry.place()))
                });
                if let Some(problem) = problem {
                    anyhow::bail!(
                        "{}: an entry {problem}: the log was damaged or edited, and Spark would \
                         not read the output right; nothing was removed. Put the log back, or \
                         start over with --clean",
                        self.path_of(id).display()
                    );
                }
            }
        }
        Ok(listed)
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
        let mut log = SinkLog::open(dir.path()).unwrap();
        assert_eq!(log.latest_batch_id(), None);
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
        assert_eq!(log.latest_batch_id(), Some(19));
        let names: Vec<_> = fs::read_dir(dir.path().join("_spark_metadata"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["19.compact"]);
    }

    /// A compaction written is the batch logged: superseded files that cannot be removed then
    /// do not undo it (the sink would remove part files it lists); the next open removes them.
    #[test]
    fn a_compaction_stands_when_superseded_files_cannot_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        for id in 0..9 {
            log.add(id, &[entry(id)]).unwrap();
        }
        log.fail_removal = true;
        log.add(9, &[entry(9)]).unwrap();
        assert_eq!(log.latest_batch_id(), Some(9));
        assert_eq!(log.read(9).unwrap().len(), 10);
        assert!(
            dir.path().join("_spark_metadata/5").exists(),
            "left for the next open"
        );
        log.fail_removal = false;
        drop(log);
        SinkLog::open(dir.path()).unwrap();
        assert_eq!(names(dir.path()), ["9.compact"]);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir.join("_spark_metadata"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort_by_key(|n| n.trim_end_matches(".compact").parse::<u64>().unwrap());
        names
    }

    #[test]
    fn skipped_batches_are_logged_empty_so_compaction_keeps_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        for id in 0..3 {
            log.add(id, &[entry(id)]).unwrap();
        }
        // Batches 3 to 11 were not written (the sink was off), 9 being a compaction.
        log.add(12, &[entry(12)]).unwrap();
        assert_eq!(names(dir.path()), ["9.compact", "10", "11", "12"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("_spark_metadata/11")).unwrap(),
            "v1"
        );
        let all = SinkLog::open(dir.path()).unwrap().all_entries().unwrap();
        assert_eq!(all, [0, 1, 2, 12].map(entry));
        assert!(log.add(12, &[]).is_err(), "a batch is logged once");
    }

    #[test]
    fn a_log_first_written_mid_run_reads_as_if_written_from_batch_zero() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        log.add(4, &[entry(4)]).unwrap();
        assert_eq!(names(dir.path()), ["0", "1", "2", "3", "4"]);
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        log.add(25, &[entry(25)]).unwrap();
        assert_eq!(
            names(dir.path()),
            ["19.compact", "20", "21", "22", "23", "24", "25"]
        );
        assert_eq!(log.all_entries().unwrap(), [entry(25)]);
    }

    #[test]
    fn a_log_with_a_gap_or_a_missing_compaction_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        for id in 0..=12 {
            log.add(id, &[entry(id)]).unwrap();
        }
        let meta = dir.path().join("_spark_metadata");
        // A batch in the middle is gone.
        fs::rename(meta.join("11"), dir.path().join("11")).unwrap();
        let err = format!("{:#}", SinkLog::open(dir.path()).unwrap_err());
        assert!(err.contains("_spark_metadata/11 is missing"), "{err}");
        fs::rename(dir.path().join("11"), meta.join("11")).unwrap();
        // The compaction, holding batches 0 to 9, is gone.
        fs::remove_file(meta.join("9.compact")).unwrap();
        let err = format!("{:#}", SinkLog::open(dir.path()).unwrap_err());
        assert!(
            err.contains("_spark_metadata/9.compact is missing"),
            "{err}"
        );
        // Batch 0 of a log not yet compacted.
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        for id in 0..3 {
            log.add(id, &[entry(id)]).unwrap();
        }
        fs::remove_file(dir.path().join("_spark_metadata/0")).unwrap();
        let err = format!("{:#}", SinkLog::open(dir.path()).unwrap_err());
        assert!(err.contains("_spark_metadata/0 is missing"), "{err}");
    }

    #[test]
    fn files_not_named_as_a_batch_are_no_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SinkLog::open(dir.path()).unwrap();
        log.add(0, &[entry(0)]).unwrap();
        for stray in ["07", "+3", "5.compact", "19", "notes"] {
            fs::write(dir.path().join("_spark_metadata").join(stray), "v1").unwrap();
        }
        let mut log = SinkLog::open(dir.path()).unwrap();
        assert_eq!(log.latest_batch_id(), Some(0));
        log.add(1, &[entry(1)]).unwrap();
        assert_eq!(log.all_entries().unwrap(), [entry(0), entry(1)]);
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
