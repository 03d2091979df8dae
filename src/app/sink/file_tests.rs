//! The file sink's tests: its layout, its log, and what a restart removes or refuses.

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
        err.contains("_spark_metadata/12: an entry lists window=") && err.contains("a second time"),
        "{err}"
    );
    // ... or moved there from batch 11's file.
    fs::write(log.join("11"), "v1").unwrap();
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
fn a_log_entry_the_sink_does_not_write_is_an_error_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let written = with_batches(&out, 13);
    let compaction = out.join("_spark_metadata/9.compact");
    let text = fs::read_to_string(&compaction).unwrap();
    let entry = text.lines().nth(2).unwrap();
    for (damaged, why) in [
        (
            entry.replace(r#""action":"add""#, r#""action":"delete""#),
            "\"delete\"",
        ),
        (
            entry.replace(r#""isDir":false"#, r#""isDir":true"#),
            "a folder",
        ),
        (
            entry.replace("file:///", "hdfs://nn:8020/"),
            "not a part file",
        ),
        (format!("{entry}\n{entry}"), "a second time"),
    ] {
        fs::write(&compaction, text.replace(entry, &damaged)).unwrap();
        let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
        assert!(
            err.contains("_spark_metadata/9.compact: an entry") && err.contains(why),
            "{why}: {err}"
        );
        assert_eq!(
            part_files(&out),
            written,
            "{why}: every part file is still there"
        );
    }
    fs::write(&compaction, &text).unwrap();
    // A listed part file cut short.
    let part = &written[3];
    let bytes = fs::read(part).unwrap();
    fs::write(part, &bytes[..bytes.len() - 1]).unwrap();
    let err = format!("{:#}", try_open(&out, Some(13)).err().unwrap());
    assert!(
        err.contains(&format!("{}: {} bytes", part.display(), bytes.len() - 1))
            && err.contains("changed or cut short"),
        "{err}"
    );
    assert_eq!(part_files(&out), written, "every part file is still there");
    fs::write(part, &bytes).unwrap();
    reopen(&out, Some(13));
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
        place_in_output("file:///o/w=1%252F/part-0.csv"),
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
