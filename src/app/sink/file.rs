//! Spark's CSV file sink with `partitionBy("window")`: one folder per window text,
//! `OUTPUT/window=173300-173330/part-00000-<uuid>.c000.csv`, each file one batch's rows of one
//! window (the group-by columns and the aggregates as Spark's CSV writer writes them, no
//! header), written aside and renamed into place, then listed in the log
//! `OUTPUT/_spark_metadata/<batchId>`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;

use super::cells::Cells;
use super::part_name::PartNames;
use super::paths::{escape_path_name, file_uri};
use super::sink_log::{LogEntry, SinkLog};
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
                    "{} holds batches up to {latest}, beyond the checkpoint's next batch {next}; \
                     it belongs to another run: use --clean (with --sink file) or another --output",
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
        let listed: std::collections::HashSet<String> = self
            .log
            .all_entries()?
            .into_iter()
            .map(|e| in_output(&e.path).to_string())
            .collect();
        let logged = self.log.latest_batch_id();
        let (mut left, mut cut_short, mut lost) = (Vec::new(), Vec::new(), Vec::new());
        let mut on_disk = std::collections::HashSet::new();
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
                if listed.contains(in_output(&uri)) {
                    on_disk.insert(in_output(&uri).to_string());
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
        self.check_recent_entries(&on_disk)?;
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
        on_disk: &std::collections::HashSet<String>,
    ) -> anyhow::Result<()> {
        for (id, entries) in self.log.recent_batches()? {
            for entry in entries {
                let file = in_output(&entry.path);
                let name = file.rsplit('/').next().unwrap_or(file);
                let why = match self.names.batch_of(name) {
                    Some(batch) if batch != id => format!("a file of batch {batch}"),
                    _ if !on_disk.contains(file) => "a file that is not there".to_string(),
                    _ => continue,
                };
                anyhow::bail!(
                    "{}: batch {id}'s entry lists {file}, {why}: the log was damaged or edited, \
                     and Spark would not read the output right; nothing was removed. Put the \
                     log back, or start over with --clean",
                    self.root.join("_spark_metadata").display()
                );
            }
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

/// A part file's place in the output folder, `window=…/part-…`, from its URI: the folder may
/// have been moved, or reached by another path, since the log listed the file, so the rest of
/// the URI does not tell whether a file is listed.
fn in_output(uri: &str) -> &str {
    uri.rmatch_indices('/')
        .nth(1)
        .map_or(uri, |(at, _)| &uri[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::sink::window_text::DEFAULT_PATTERN;
    use crate::engine::{MICROS_PER_SECOND, Query, Window, Zone};

    fn batch(id: u64, rows: &[(i64, &str, i64)]) -> BatchOutput {
        let base = 1_795_455_180 * MICROS_PER_SECOND;
        let rows: Vec<(Window, &str, i64)> = rows
            .iter()
            .map(|&(offset, value, count)| {
                let window = Window {
                    start: base + offset * MICROS_PER_SECOND,
                    end: base + (offset + 30) * MICROS_PER_SECOND,
                };
                (window, value, count)
            })
            .collect();
        BatchOutput::of_counts(id, &rows)
    }

    fn sink(dir: &Path) -> FileSink {
        reopen(dir, None)
    }

    fn reopen(dir: &Path, resume: Option<u64>) -> FileSink {
        try_open(dir, resume).unwrap()
    }

    /// The file sink of the seed query, resuming at `resume` (or without a checkpoint).
    fn try_open(dir: &Path, resume: Option<u64>) -> anyhow::Result<FileSink> {
        let cells = Cells::new(&Query::seed(), Zone::utc(), DEFAULT_PATTERN).unwrap();
        let resume = resume.map(|next_batch| Resume {
            next_batch,
            query_id: "q".into(),
        });
        FileSink::open(dir, cells, resume.as_ref())
    }

    #[test]
    fn partitions_by_window_and_logs_each_batch() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let mut sink = sink(&out);
        sink.write_batch(&batch(0, &[])).unwrap();
        sink.write_batch(&batch(
            1,
            &[(0, "a,b", 2), (0, "say \"hi\"", 1), (15, "x", 1)],
        ))
        .unwrap();
        let first = out.join("window=173300-173330");
        let files: Vec<_> = fs::read_dir(&first)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("part-00000-") && name.ends_with(".c000.csv"),
            "{name}"
        );
        assert_eq!(
            fs::read_to_string(&files[0]).unwrap(),
            "\"a,b\",2\nsay \"hi\",1\n"
        );
        assert!(out.join("window=173315-173345").is_dir());
        let log = SinkLog::open(&out).unwrap();
        assert_eq!(log.read(0).unwrap(), vec![]);
        let entries = log.read(1).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].path,
            file_uri(&fs::canonicalize(&files[0]).unwrap())
        );
        assert_eq!(sink.files_written(), 2);
    }

    /// `out` written by a checkpointed run's batches `0..batches`, one row each; its part files.
    fn with_batches(out: &Path, batches: u64) -> Vec<PathBuf> {
        let mut sink = reopen(out, Some(0));
        for id in 0..batches {
            sink.write_batch(&batch(id, &[(id as i64 * 15, "a", 1)]))
                .unwrap();
        }
        drop(sink);
        part_files(out)
    }

    fn part_files(out: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for dir in fs::read_dir(out).unwrap() {
            let dir = dir.unwrap().path();
            if dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("window=")
            {
                files.extend(fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()));
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_restart_after_batches_the_sink_was_off_for_keeps_earlier_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let mut sink = sink(&out);
        sink.write_batch(&batch(0, &[(0, "a", 1)])).unwrap();
        // Switched off for batches 1 to 11, on again for 12.
        sink.write_batch(&batch(12, &[(15, "b", 1)])).unwrap();
        let written = part_files(&out);
        assert_eq!(written.len(), 2);
        drop(sink);
        reopen(&out, Some(13));
        assert_eq!(part_files(&out), written, "no listed file is removed");
    }

    #[test]
    fn a_restart_removes_only_files_of_this_querys_batches_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let mut sink = reopen(&out, Some(0));
        for id in 0..12 {
            sink.write_batch(&batch(id, &[(id as i64 * 15, "a", 1)]))
                .unwrap();
        }
        drop(sink);
        let folder = out.join("window=173300-173330");
        // Batch 12 cut short: its file is written, not logged. A file of another query, one
        // of an older window-tui and the user's own are there too.
        let names = PartNames::for_query("q");
        let cut_short = folder.join(names.name(12));
        fs::write(&cut_short, "a,1\n").unwrap();
        fs::write(folder.join(format!(".{}.tmp", names.name(12))), "a,").unwrap();
        let others = [
            PartNames::for_query("another").name(12),
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv".to_string(),
            "notes.txt".to_string(),
        ];
        for name in &others {
            fs::write(folder.join(name), "mine").unwrap();
        }
        let sink = reopen(&out, Some(12));
        assert!(
            !cut_short.exists(),
            "the batch cut short goes: it runs again"
        );
        for name in &others {
            assert!(folder.join(name).exists(), "{name} is left");
        }
        let notice = sink.notice().unwrap();
        assert!(
            notice.contains("left 3 file(s)") && notice.contains("notes.txt"),
            "{notice}"
        );
        assert_eq!(part_files(&out).len(), 12 + others.len());
    }

    #[test]
    fn a_batch_the_log_cannot_take_leaves_no_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let mut sink = reopen(&out, Some(0));
        sink.write_batch(&batch(0, &[(0, "a", 1)])).unwrap();
        let written = part_files(&out);
        // The log's next file cannot be written (a full disk would do the same).
        fs::create_dir(out.join("_spark_metadata/1")).unwrap();
        let err = sink.write_batch(&batch(1, &[(15, "b", 1)])).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot record batch 1"),
            "{err:#}"
        );
        assert_eq!(
            part_files(&out),
            written,
            "batch 1's part file is not left visible"
        );
    }

    #[test]
    fn a_damaged_log_is_an_error_and_no_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let written = with_batches(&out, 15);
        fs::remove_file(out.join("_spark_metadata/9.compact")).unwrap();
        let err = format!("{:#}", try_open(&out, Some(15)).err().unwrap());
        assert!(
            err.contains("_spark_metadata/9.compact is missing"),
            "{err}"
        );
        fs::write(out.join("_spark_metadata/9.compact"), "v1\n{broken").unwrap();
        let err = format!("{:#}", try_open(&out, Some(15)).err().unwrap());
        assert!(
            err.contains("9.compact") && err.contains("corrupt"),
            "{err}"
        );
        assert_eq!(part_files(&out), written, "every part file is still there");
    }

    #[test]
    fn a_log_missing_committed_batches_is_an_error_and_no_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let written = with_batches(&out, 13);
        let log = out.join("_spark_metadata");
        let saved = tempfile::tempdir().unwrap();
        for name in ["12", "11"] {
            fs::rename(log.join(name), saved.path().join(name)).unwrap();
            let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
            assert!(
                err.contains("_spark_metadata: no entry lists")
                    && err.contains(&format!("of batch {name},")),
                "{err}"
            );
            assert_eq!(part_files(&out), written, "every part file is still there");
        }
        fs::remove_dir_all(&log).unwrap();
        let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
        assert!(err.contains("of batch 0,"), "{err}");
        assert_eq!(part_files(&out), written, "every part file is still there");
    }

    #[test]
    fn a_log_entry_listing_another_batchs_file_or_one_not_there_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let written = with_batches(&out, 13);
        let log = out.join("_spark_metadata");
        let batch_11 = fs::read_to_string(log.join("11")).unwrap();
        let batch_12 = fs::read_to_string(log.join("12")).unwrap();
        // Batch 12's entry replaced by batch 11's: Spark would read that file twice.
        fs::write(log.join("12"), &batch_11).unwrap();
        let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
        assert!(
            err.contains("batch 12's entry lists") && err.contains("a file of batch 11"),
            "{err}"
        );
        // Batch 11's entry naming a file that is not there (a byte changed in its path).
        let part = batch_11.lines().nth(1).unwrap();
        let changed = part.replacen(".c000.csv", ".c001.csv", 1);
        fs::write(log.join("11"), batch_11.replace(part, &changed)).unwrap();
        fs::write(log.join("12"), &batch_12).unwrap();
        let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
        assert!(
            err.contains("batch 11's entry lists") && err.contains("a file that is not there"),
            "{err}"
        );
        assert_eq!(part_files(&out), written, "every part file is still there");
    }

    #[test]
    fn a_moved_output_folder_keeps_its_listed_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        sink(&out).write_batch(&batch(0, &[(0, "a", 1)])).unwrap();
        let moved = dir.path().join("moved");
        fs::rename(&out, &moved).unwrap();
        reopen(&moved, Some(1));
        assert_eq!(part_files(&moved).len(), 1, "the listed part file stays");
    }

    #[test]
    fn listed_files_are_matched_by_their_place_in_the_output() {
        assert_eq!(
            in_output("file:///o/w=1%252F/part-0.csv"),
            "w=1%252F/part-0.csv"
        );
    }

    #[test]
    fn an_unwritable_partition_is_a_clear_error_and_the_batch_is_not_logged() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let mut sink = sink(&out);
        // A file where the partition folder must go: creating the folder fails, as root too.
        fs::write(out.join("window=173300-173330"), "in the way").unwrap();
        let err = format!(
            "{:#}",
            sink.write_batch(&batch(0, &[(0, "a", 1)])).unwrap_err()
        );
        assert!(err.contains("window=173300-173330"), "{err}");
        assert_eq!(SinkLog::open(&out).unwrap().latest_batch_id(), None);
    }
}
