//! Spark's CSV file sink with `partitionBy("window")`: one folder per window text,
//! `OUTPUT/window=173300-173330/part-00000-<uuid>.c000.csv`, each file one batch's rows of one
//! window (the group-by columns and the aggregates as Spark's CSV writer writes them, no
//! header), written aside and renamed into place, then listed in the log
//! `OUTPUT/_spark_metadata/<batchId>`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;

use super::cells::Cells;
use super::part_name::PartNames;
use super::paths::{escape_path_name, file_uri};
use super::sink_log::{Listed, LogEntry, SinkLog, place_in_output};
use super::{Resume, Sink};
use crate::app::durable;
use crate::app::error::BadInput;
use crate::app::lock;
use crate::engine::{BatchOutput, EmittedRow};

pub struct FileSink {
    root: PathBuf,
    log: SinkLog,
    cells: Cells,
    names: PartNames,
    files_written: u64,
    /// What opening the folder found to say (files left in it), once.
    notice: Option<String>,
}

impl FileSink {
    /// Opens (creating and locking) the output folder. `resume` is where a checkpointed run
    /// resumes: batches the log already holds up to its next batch are skipped, so each is written
    /// once. Without a checkpoint (`None`) the folder must hold no batch of an earlier run.
    ///
    /// The log must be whole (no gap, no missing compaction, every entry readable), else it is
    /// an error naming the file. A part file no entry lists is removed only when its name proves
    /// it is from a batch of this query that the log does not hold and the checkpoint has not
    /// committed (a batch cut short, which runs again); one of a committed batch means the log
    /// lost its entry, an error naming the log, and nothing is removed. Any other is left where
    /// it is, and [`FileSink::notice`] says so.
    pub fn open(output: &Path, cells: Cells, resume: Option<&Resume>) -> anyhow::Result<Self> {
        lock::hold(output, "the output folder", "--output")?;
        let root = fs::canonicalize(output)
            .with_context(|| format!("cannot resolve {}", output.display()))?;
        let log = SinkLog::open(&root)?;
        match (log.latest_batch_id(), resume.map(|r| r.next_batch)) {
            (Some(latest), None) => {
                return Err(BadInput(format!(
                    "{} already holds batches up to {latest} of an earlier run (its _spark_metadata); \
                     use --clean (with --sink file), another --output, or the run's --checkpoint",
                    output.display()
                ))
                .into());
            }
            (Some(latest), Some(next)) if latest > next => {
                return Err(BadInput(format!(
                    "{} holds batches up to {latest}, beyond the checkpoint's next batch {next}, \
                     which no crash leaves: the output is another run's, or the checkpoint lost \
                     its newest batches (a log file cut short, or put back from an older copy). \
                     Nothing was changed: give the run's own --output and --checkpoint, or \
                     another --output; --clean (with --sink file) starts both over",
                    output.display()
                ))
                .into());
            }
            _ => {}
        }
        let names = resume.map_or_else(PartNames::random, |r| PartNames::for_query(&r.query_id));
        let mut sink = FileSink {
            log,
            root,
            cells,
            names,
            files_written: 0,
            notice: None,
        };
        let left = sink.remove_cut_short(resume.map(|r| r.next_batch))?;
        if !left.is_empty() {
            let mut shown: Vec<&str> = left.iter().take(3).map(String::as_str).collect();
            let more = format!("and {} more", left.len().saturating_sub(3));
            if left.len() > 3 {
                shown.push(&more);
            }
            let notice = format!(
                "{}: left {} file(s) that no _spark_metadata entry lists and that are not from a \
                 batch of this query cut short, so Spark does not read them: {}",
                output.display(),
                left.len(),
                shown.join(", ")
            );
            tracing::warn!("{notice}");
            sink.notice = Some(notice);
        }
        Ok(sink)
    }

    /// What opening the folder left in it that is not the output's, to say once.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Removes the part files (and files left aside) of this query's batches that the log does
    /// not hold, from `next_batch` (the checkpoint's) on: batches cut short, which run again.
    /// Returns the other unlisted files, by their `window=…/name` path, which are left as they
    /// are. Such a file of a batch before `next_batch`, which the checkpoint committed after the
    /// log had it, is an error, before anything is removed.
    fn remove_cut_short(&self, next_batch: Option<u64>) -> anyhow::Result<Vec<String>> {
        let listed = self.log.listed()?;
        let logged = self.log.latest_batch_id();
        let (mut left, mut cut_short, mut lost) = (Vec::new(), Vec::new(), Vec::new());
        let mut on_disk = HashSet::new();
        for entry in fs::read_dir(&self.root)? {
            let dir = entry?.path();
            let folder = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !folder.starts_with("window=") || !dir.is_dir() {
                continue;
            }
            for file in fs::read_dir(&dir)? {
                let path = file?.path();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let uri = file_uri(&path);
                let place = place_in_output(&uri);
                if let Some(entry) = listed.get(place) {
                    self.check_size(&path, *entry)?;
                    on_disk.insert(place.to_string());
                    continue;
                }
                match self.names.batch_of(&name) {
                    Some(batch) if next_batch.is_some_and(|next| batch < next) => {
                        lost.push((batch, format!("{folder}/{name}")));
                    }
                    Some(batch) if logged.is_none_or(|latest| batch > latest) => {
                        cut_short.push(path);
                    }
                    _ => left.push(format!("{folder}/{name}")),
                }
            }
        }
        self.check_recent_entries(&listed, &on_disk)?;
        if let Some((batch, file)) = lost.iter().min() {
            return Err(anyhow::anyhow!(
                "{}: no entry lists {file}, of batch {batch}, which the checkpoint committed \
                 ({} such file(s)): the log lost entries (removed, or put back from an older \
                 copy), or the file sink was off when that batch ran again after a crash. \
                 Nothing was removed: put the log back, or move such files out if the sink was \
                 off, or start over with --clean",
                self.root.join("_spark_metadata").display(),
                lost.len()
            ));
        }
        for path in cut_short {
            tracing::info!("removing {} (a batch cut short left it)", path.display());
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        left.sort();
        Ok(left)
    }

    /// Each batch's own log file (after the newest compaction) lists files of that batch that
    /// are there (`on_disk`, by their place in the output): one edited or damaged into listing
    /// another batch's file (which Spark would read twice) or a file that is gone (which Spark
    /// cannot read) is an error naming it.
    fn check_recent_entries(
        &self,
        listed: &HashMap<String, Listed>,
        on_disk: &HashSet<String>,
    ) -> anyhow::Result<()> {
        let mut recent: Vec<_> = listed.iter().filter(|(_, entry)| entry.recent).collect();
        recent.sort_unstable_by_key(|(file, entry)| (entry.by, *file));
        for (file, entry) in recent {
            let (id, name) = (entry.by, file.rsplit('/').next().unwrap_or(file));
            let why = match self.names.batch_of(name) {
                Some(batch) if batch != id => format!("a file of batch {batch}"),
                _ if !on_disk.contains(file) => "a file that is not there".to_string(),
                _ => continue,
            };
            anyhow::bail!(
                "{}: batch {id}'s entry lists {file}, {why}: the log was damaged or edited, \
                 and Spark would not read the output right; nothing was removed. Put the log \
                 back, or start over with --clean",
                self.log.path_of(id).display()
            );
        }
        Ok(())
    }

    /// A listed part file must have the size its entry gives: one cut short or changed since
    /// is an error naming it (Spark would read it by that size).
    fn check_size(&self, path: &Path, entry: Listed) -> anyhow::Result<()> {
        let size = fs::metadata(path)
            .with_context(|| format!("cannot stat {}", path.display()))?
            .len();
        if size != entry.size {
            anyhow::bail!(
                "{}: {size} bytes, where {} lists {} bytes: the file was changed or cut short \
                 since batch {} wrote it; nothing was removed. Put it back, or start over with \
                 --clean",
                path.display(),
                self.log.path_of(entry.by).display(),
                entry.size,
                entry.by
            );
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes one window's rows as a part file; returns its log entry.
    fn write_part(
        &mut self,
        dir: &Path,
        file_name: &str,
        batch: &BatchOutput,
        rows: &[&EmittedRow],
    ) -> anyhow::Result<LogEntry> {
        durable::create_dir(dir)?;
        let path = dir.join(file_name);
        let mut text = Vec::new();
        for row in rows {
            self.cells.csv(batch, row, &mut text);
        }
        durable::write_atomically(&path, |out| out.write_all(&text))?;
        let meta =
            fs::metadata(&path).with_context(|| format!("cannot stat {}", path.display()))?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64);
        Ok(LogEntry {
            path: file_uri(&path),
            size: meta.len(),
            is_dir: false,
            modification_time: modified,
            block_replication: 1,
            block_size: 33_554_432,
            action: "add".to_string(),
        })
    }
}

impl Sink for FileSink {
    fn write_batch(&mut self, batch: &BatchOutput) -> anyhow::Result<()> {
        // Batches up to the log's newest are written already: a re-run after a restart skips them.
        if self.log.latest_batch_id().is_some_and(|id| batch.id <= id) {
            tracing::info!(
                "file sink: batch {} is in the log already; skipped",
                batch.id
            );
            return Ok(());
        }
        // One part file per partition: windows whose text is the same (a coarse
        // --window-format) share a folder, and so a file.
        let mut partitions: BTreeMap<String, Vec<&EmittedRow>> = BTreeMap::new();
        for group in batch.rows.chunk_by(|a, b| a.window == b.window) {
            let text = escape_path_name(self.cells.window(group[0].window));
            partitions.entry(text).or_default().extend(group);
        }
        let file_name = self.names.name(batch.id);
        let mut entries = Vec::new();
        let mut written = Vec::new();
        let result = (|| {
            for (text, rows) in &partitions {
                let dir = self.root.join(format!("window={text}"));
                entries.push(self.write_part(&dir, &file_name, batch, rows)?);
                written.push(dir.join(&file_name));
            }
            self.log
                .add(batch.id, &entries)
                .with_context(|| format!("file sink: cannot record batch {}", batch.id))
        })();
        if let Err(e) = result {
            // The batch is not in the log: its files, just written, are not the output (a full
            // disk, say); they go, so that nothing unlisted is visible. A retry writes them again.
            for path in &written {
                let _ = fs::remove_file(path);
            }
            return Err(e);
        }
        self.files_written += entries.len() as u64;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("FileSink[{}]", self.root.display())
    }

    fn files_written(&self) -> u64 {
        self.files_written
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
