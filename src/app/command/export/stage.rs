//! A replay file staged for an exported job (`export-spark --replay-dir`): its rows, batch by
//! batch, one CSV file per batch under the file's own header (`batch,<columns>`), as the job
//! reads them. The files are written in a hidden folder beside the one asked for, synced to
//! disk, and renamed into place once all are (the rename synced too): neither an error nor a
//! crash leaves a torn batch where the job reads. Their modification times ascend a second
//! apart in batch order, the order in which Spark's file source reads them, one per
//! micro-batch. The rows are copied as they are: a row the replay would skip
//! (`--on-bad-row skip`) is staged, and stops the job.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;

use crate::app::durable;
use crate::app::error::BadInput;

/// What was staged: files (one a batch with rows) and rows, and the idle ticks between them
/// (batch numbers no row has), which get no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged {
    pub files: u64,
    pub rows: u64,
    pub idle: u64,
}

impl Staged {
    /// What to say of the rows of `events` staged in `dir`.
    pub fn said(self, events: &Path, dir: &Path) -> String {
        format!(
            "staged the {} rows of {} in {}, one file per batch ({}){}",
            self.rows,
            events.display(),
            dir.display(),
            self.files(),
            self.idle()
        )
    }

    /// How many files: `1 file`, `2 files`.
    pub fn files(self) -> String {
        format!("{} file{}", self.files, plural(self.files))
    }

    /// [`Staged::idle`] in a few words, for the dashboard's footer: `, 1 idle tick Spark
    /// skips`.
    pub fn idle_briefly(self) -> String {
        if self.idle == 0 {
            return String::new();
        }
        format!(", {} idle tick{} Spark skips", self.idle, plural(self.idle))
    }

    /// What the idle ticks change, if there are any. Spark's file source runs staged files back
    /// to back, so where the replay ran a no-data batch for an idle tick, Spark runs none, and
    /// what that batch emitted comes with the next file's.
    pub fn idle(self) -> String {
        if self.idle == 0 {
            return String::new();
        }
        format!(
            "; {} idle tick{} between them: Spark runs the files back to back, so a window the \
             replay emitted in a no-data batch there comes a batch later",
            self.idle,
            plural(self.idle)
        )
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The staged files' modification times start this long before now: every file is in the past,
/// a second after the one before.
const BACKDATE: Duration = Duration::from_secs(1_000_000);

/// Stages the rows of the replay file `events` in the folder `dir`, which is made if missing and
/// must otherwise be empty: nothing is overwritten, and no earlier staging mixes in. The file's
/// header must be `columns` when they are given (`batch` and the job's columns, in order). A row
/// that is not CSV, or whose batch is not a number at least the row before's, is an error
/// naming its line.
pub fn stage(events: &Path, dir: &Path, columns: Option<&[&str]>) -> anyhow::Result<Staged> {
    let (reader, header) = open(events)?;
    let order = ready(events, &header, dir, columns)?;
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = dir
        .file_name()
        .map_or_else(|| "staged".into(), |n| n.to_string_lossy());
    let aside = parent.join(format!(".{name}.staging-{}", std::process::id()));
    fs::create_dir(&aside).with_context(|| format!("cannot create {}", aside.display()))?;
    let staged = write_batches(events, (reader, &header), order.as_deref(), &aside);
    let staged = staged.and_then(|staged| {
        durable::sync_dir(&aside)?;
        fs::rename(&aside, dir)
            .with_context(|| format!("cannot rename {} to {}", aside.display(), dir.display()))?;
        durable::sync_dir(parent)?;
        Ok(staged)
    });
    if staged.is_err() {
        let _ = fs::remove_dir_all(&aside);
    }
    staged
}

/// Writes the rows of `events` (`reader`, past its `header`), a file per batch, in the folder
/// `dir`, their fields in the job's `order` when it is not the file's.
fn write_batches(
    events: &Path,
    (mut reader, header): (csv::Reader<File>, &csv::ByteRecord),
    order: Option<&[usize]>,
    dir: &Path,
) -> anyhow::Result<Staged> {
    // A row of another length is copied as it is: the job stops on it.
    let in_order = |record: csv::ByteRecord| match order {
        Some(order) if record.len() == order.len() => order.iter().map(|&at| &record[at]).collect(),
        _ => record,
    };
    let header = &in_order(header.clone());
    let bad = |line: u64, what: String| BadInput(format!("{}:{line}: {what}", events.display()));
    let mut staged = Staged {
        files: 0,
        rows: 0,
        idle: 0,
    };
    let mut open: Option<(u64, Batch)> = None;
    let base = SystemTime::now() - BACKDATE;
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            bad(line, e.to_string())
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        // The batch is where the file has it, whatever the row's length.
        let batch = record
            .get(order.map_or(0, |order| order[0]))
            .unwrap_or_default();
        let batch = std::str::from_utf8(batch)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| bad(line, "the batch is not a whole number".into()))?;
        match &open {
            Some((last, _)) if batch < *last => {
                return Err(bad(line, format!("batch {batch} after batch {last}")).into());
            }
            Some((last, _)) if batch == *last => {}
            _ => {
                if let Some((last, done)) = open.take() {
                    done.finish(base + Duration::from_secs(staged.files))?;
                    staged.files += 1;
                    staged.idle += batch - last - 1;
                }
                open = Some((batch, Batch::start(dir, batch, header)?));
            }
        }
        if let Some((_, writer)) = &mut open {
            writer.write(&in_order(record))?;
        }
        staged.rows += 1;
    }
    if let Some((_, done)) = open {
        done.finish(base + Duration::from_secs(staged.files))?;
        staged.files += 1;
    }
    Ok(staged)
}

/// A reader of `events` past its header, and the header.
fn open(events: &Path) -> anyhow::Result<(csv::Reader<File>, csv::ByteRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(events)
        .map_err(|e| BadInput(format!("cannot read {}: {e}", events.display())))?;
    let mut header = csv::ByteRecord::new();
    let read = reader
        .read_byte_record(&mut header)
        .map_err(|e| BadInput(format!("{}:1: {e}", events.display())))?;
    if !read {
        return Err(BadInput(format!(
            "{}:1: no header (`batch,<columns>`)",
            events.display()
        ))
        .into());
    }
    Ok((reader, header))
}

/// Whether `events` can be staged in `dir`: its `header` names `columns` (when given), in
/// any order and case, as the replay reads it, and the folder is missing or empty. Returns
/// where each of `columns` is in the header, when that is not where the job reads it.
fn ready(
    events: &Path,
    header: &csv::ByteRecord,
    dir: &Path,
    columns: Option<&[&str]>,
) -> anyhow::Result<Option<Vec<usize>>> {
    let find = |column: &str| {
        let mut found = header
            .iter()
            .enumerate()
            .filter(|(_, name)| name.eq_ignore_ascii_case(column.as_bytes()));
        found
            .next()
            .filter(|_| found.next().is_none())
            .map(|(at, _)| at)
    };
    // Where each of the job's columns is in the header (none: the job takes the file's order).
    let mut order = None;
    if let Some(columns) = columns {
        order = (header.len() == columns.len())
            .then(|| columns.iter().map(|c| find(c)).collect::<Option<Vec<_>>>())
            .flatten();
    }
    if let Some(columns) = columns
        && order.is_none()
    {
        return Err(BadInput(format!(
            "{}: its header is `{}`; the job reads `{}` (give the query's options as the replay \
             of this file takes them)",
            events.display(),
            header
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(","),
            columns.join(",")
        ))
        .into());
    }
    if dir.exists() && !dir.is_dir() {
        return Err(BadInput(format!(
            "--replay-dir {} is not a folder: stage the batches in a new folder",
            dir.display()
        ))
        .into());
    }
    if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(BadInput(format!(
            "{} is not empty: stage the batches in a new folder",
            dir.display()
        ))
        .into());
    }
    Ok(order.filter(|order| !order.iter().copied().eq(0..order.len())))
}

/// One batch's file, being written.
struct Batch {
    writer: csv::Writer<File>,
    path: PathBuf,
}

impl Batch {
    fn start(dir: &Path, batch: u64, header: &csv::ByteRecord) -> anyhow::Result<Self> {
        let path = dir.join(format!("batch-{batch:06}.csv"));
        let file =
            File::create_new(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut batch = Batch {
            writer: csv::WriterBuilder::new()
                .flexible(true) // a row of another length too: it stops the job, as it is
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(file),
            path,
        };
        batch.write(header)?;
        Ok(batch)
    }

    fn write(&mut self, record: &csv::ByteRecord) -> anyhow::Result<()> {
        self.writer
            .write_byte_record(record)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Closes the file, modified at `modified`.
    fn finish(self, modified: SystemTime) -> anyhow::Result<()> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", self.path.display(), e.error()))?;
        file.set_modified(modified)
            .with_context(|| format!("cannot set the time of {}", self.path.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modified(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    /// Each batch's rows, as they are, under the header, in a file of its own, the files'
    /// times ascending in batch order; a tick without rows has no file.
    #[test]
    fn each_batch_is_a_file_under_the_header() {
        let tmp = tempfile::tempdir().unwrap();
        let events = tmp.path().join("events.csv");
        fs::write(
            &events,
            "batch,event_time,value\n\
             0,2026-11-23T17:33:00Z,a\n\
             0,2026-11-23T17:33:01Z,\"b,\"\"c\"\"\nd\"\n\
             3,2026-11-23T17:33:02Z,\\N\n\
             3,2026-11-23T17:33:03Z,\n",
        )
        .unwrap();
        let dir = tmp.path().join("staged");
        let staged = stage(&events, &dir, None).unwrap();
        let want = Staged {
            files: 2,
            rows: 4,
            idle: 2,
        };
        assert_eq!(staged, want, "batches 0 and 3: ticks 1 and 2 are idle");
        assert!(
            staged.said(&events, &dir).ends_with(
                "; 2 idle ticks between them: Spark runs the files back to back, so a \
                     window the replay emitted in a no-data batch there comes a batch later"
            ),
            "{}",
            staged.said(&events, &dir)
        );
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["batch-000000.csv", "batch-000003.csv"]);
        assert_eq!(
            fs::read_to_string(dir.join(&names[0])).unwrap(),
            "batch,event_time,value\n\
             0,2026-11-23T17:33:00Z,a\n\
             0,2026-11-23T17:33:01Z,\"b,\"\"c\"\"\nd\"\n"
        );
        assert_eq!(
            fs::read_to_string(dir.join(&names[1])).unwrap(),
            "batch,event_time,value\n3,2026-11-23T17:33:02Z,\\N\n3,2026-11-23T17:33:03Z,\n"
        );
        let (first, second) = (
            modified(&dir.join(&names[0])),
            modified(&dir.join(&names[1])),
        );
        assert_eq!(
            second.duration_since(first).unwrap(),
            Duration::from_secs(1)
        );
        assert!(second < SystemTime::now());
    }

    /// A folder with anything in it is refused and left as it was; a bad batch names its line.
    #[test]
    fn a_used_folder_and_bad_batches_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let events = tmp.path().join("events.csv");
        fs::write(
            &events,
            "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n",
        )
        .unwrap();
        let used = tmp.path().join("used");
        fs::create_dir(&used).unwrap();
        fs::write(used.join("mine.txt"), "keep").unwrap();
        let err = stage(&events, &used, None).unwrap_err();
        assert!(err.is::<BadInput>(), "{err:#}");
        assert!(err.to_string().contains("is not empty"), "{err:#}");
        assert_eq!(fs::read_dir(&used).unwrap().count(), 1);

        for (rows, line, what) in [
            ("x,2026-11-23T17:33:00Z,a\n", 2, "not a whole number"),
            (
                "2,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:33:01Z,b\n",
                3,
                "batch 1 after batch 2",
            ),
        ] {
            fs::write(&events, format!("batch,event_time,value\n{rows}")).unwrap();
            let err = stage(&events, &tmp.path().join(format!("s{line}")), None).unwrap_err();
            let at = format!("{}:{line}: ", events.display());
            assert!(err.to_string().starts_with(&at), "{err:#}");
            assert!(err.to_string().contains(what), "{err:#}");
            // Nothing is left: no folder, no file of the batches before the bad row.
            let mut left: Vec<String> = fs::read_dir(tmp.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            assert_eq!(left, ["events.csv", "used"], "{what}");
        }
    }

    /// A header other than the job's columns is refused before anything is written.
    #[test]
    fn a_header_not_the_jobs_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let events = tmp.path().join("events.csv");
        fs::write(&events, "batch,ts,user\n0,2026-11-23T17:33:00Z,a\n").unwrap();
        let dir = tmp.path().join("staged");
        let err = stage(&events, &dir, Some(&["batch", "event_time", "value"])).unwrap_err();
        assert!(err.is::<BadInput>(), "{err:#}");
        assert!(
            err.to_string()
                .contains("its header is `batch,ts,user`; the job reads `batch,event_time,value`"),
            "{err:#}"
        );
        assert!(!dir.exists());
        stage(&events, &dir, Some(&["batch", "ts", "user"])).unwrap();
        assert!(dir.join("batch-000000.csv").is_file());
    }

    /// The replay reads a file's columns by name: staged, they come in the job's order.
    #[test]
    fn a_header_of_the_jobs_columns_in_another_order_is_staged_in_the_jobs() {
        let tmp = tempfile::tempdir().unwrap();
        let events = tmp.path().join("events.csv");
        fs::write(
            &events,
            "TS,batch,user\n2026-11-23T17:33:00Z,0,\"a,b\"\nx,0\n",
        )
        .unwrap();
        let dir = tmp.path().join("staged");
        stage(&events, &dir, Some(&["batch", "user", "ts"])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("batch-000000.csv")).unwrap(),
            "batch,user,TS\n0,\"a,b\",2026-11-23T17:33:00Z\nx,0\n",
            "a row of another length is copied as it is: the job stops on it"
        );
    }
}
