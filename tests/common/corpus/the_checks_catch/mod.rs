//! The checks catch what they must: each test breaks the binary's output (or Spark's
//! expectation, in a copy of a case) a little, on purpose, and makes sure the check then fails
//! with the right message. This module covers the seed's query; [`query_family`] covers what
//! `query.env` adds (typed cells, NULLs, several group-by columns, update and complete mode).

mod query_family;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{iso, json_exact, micros, percent_decode};
use crate::corpus::console::{check_console, normalize_table, verify_console};
use crate::corpus::files::{check_files, is_part_name, verify_files};
use crate::corpus::rows::{check_rows_and_progress, expected_rows, verify_rows_and_progress};
use crate::corpus::{Case, cases, run, run_json};

/// The seed case (`params.env`) with the fewest expected rows that still has some.
pub fn small_case() -> Case {
    smallest("the seed's query", |c| !c.query.general)
}

/// The case with the fewest expected rows (but some) among those that `pick` picks.
pub fn smallest(what: &str, pick: impl Fn(&Case) -> bool) -> Case {
    let mut cases = cases();
    cases.retain(|c| pick(c) && !expected_rows(c).unwrap().is_empty());
    cases
        .into_iter()
        .min_by_key(|c| expected_rows(c).unwrap().values().sum::<usize>())
        .unwrap_or_else(|| panic!("no case with rows and {what}"))
}

pub fn json_and_progress(case: &Case) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let progress = tmp.path().join("p.jsonl");
    let stdout = run_json(case, &progress).unwrap();
    (stdout, fs::read_to_string(progress).unwrap())
}

pub fn must_fail(result: Result<(), String>, what: &str, needle: &str) {
    match result {
        Ok(()) => panic!("the check did not notice: {what}"),
        Err(e) => assert!(e.contains(needle), "{what}: error {e:?} lacks {needle:?}"),
    }
}

/// Rewrites the lines of a JSON-lines text, one object at a time.
pub fn edit_json_line(text: &str, index: usize, edit: impl Fn(&mut Value)) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut o = json_exact(&lines[index]).unwrap();
    edit(&mut o);
    lines[index] = o.to_string();
    lines.join("\n") + "\n"
}

#[test]
fn wrong_rows() {
    let case = small_case();
    let (stdout, progress) = json_and_progress(&case);
    verify_rows_and_progress(&case, &stdout, &progress).unwrap();
    let first = stdout.lines().position(|l| !l.trim().is_empty()).unwrap();

    let bumped = edit_json_line(&stdout, first, |o| {
        o["count"] = (o["count"].as_i64().unwrap() + 1).into();
    });
    must_fail(
        verify_rows_and_progress(&case, &bumped, &progress),
        "a count one too high",
        "emitted rows: 1 expected row(s) missing, 1 unexpected",
    );
    let other_batch = edit_json_line(&stdout, first, |o| {
        o["batch_id"] = (o["batch_id"].as_i64().unwrap() + 1).into();
    });
    must_fail(
        verify_rows_and_progress(&case, &other_batch, &progress),
        "a row in the wrong batch",
        "emitted rows",
    );
    let shifted = edit_json_line(&stdout, first, |o| {
        o["window"]["end"] = "2000-01-01T00:00:00Z".into();
    });
    must_fail(
        verify_rows_and_progress(&case, &shifted, &progress),
        "a wrong window end",
        "emitted rows",
    );
    let dropped: String = stdout.lines().skip(1).flat_map(|l| [l, "\n"]).collect();
    must_fail(
        verify_rows_and_progress(&case, &dropped, &progress),
        "a missing row",
        "1 expected row(s) missing, 0 unexpected",
    );
    let doubled = format!("{}\n{stdout}", stdout.lines().next().unwrap());
    must_fail(
        verify_rows_and_progress(&case, &doubled, &progress),
        "a row emitted twice",
        "0 expected row(s) missing, 1 unexpected",
    );
    must_fail(
        verify_rows_and_progress(&case, &format!("{stdout}not json\n"), &progress),
        "a line that is not JSON",
        "is not a row",
    );
}

#[test]
fn wrong_progress() {
    let case = small_case();
    let (stdout, progress) = json_and_progress(&case);
    let last = progress.lines().count() - 1;
    let fields = [
        "/numInputRows",
        "/stateOperators/0/numRowsTotal",
        "/stateOperators/0/numRowsUpdated",
        "/stateOperators/0/numRowsRemoved",
        "/stateOperators/0/numRowsDroppedByWatermark",
    ];
    for field in fields {
        let name = field.rsplit('/').next().unwrap();
        let wrong = edit_json_line(&progress, last, |o| {
            let v = o.pointer_mut(field).unwrap();
            *v = (v.as_i64().unwrap() + 1).into();
        });
        must_fail(
            verify_rows_and_progress(&case, &stdout, &wrong),
            &format!("{name} one too high"),
            &format!(": {name} is "),
        );
        let missing = edit_json_line(&progress, last, |o| {
            let (parent, key) = field.rsplit_once('/').unwrap();
            let parent = if parent.is_empty() {
                o
            } else {
                o.pointer_mut(parent).unwrap()
            };
            parent.as_object_mut().unwrap().remove(key);
        });
        must_fail(
            verify_rows_and_progress(&case, &stdout, &missing),
            &format!("{name} missing"),
            &format!(": {name} is missing"),
        );
    }
    let late = edit_json_line(&progress, last, |o| {
        let wm = micros(o["eventTime"]["watermark"].as_str().unwrap()).unwrap();
        o["eventTime"]["watermark"] = iso(wm + 1_000).into();
    });
    must_fail(
        verify_rows_and_progress(&case, &stdout, &late),
        "a watermark 1 ms late",
        "watermark is",
    );
    let short: String = progress
        .lines()
        .take(last)
        .flat_map(|l| [l, "\n"])
        .collect();
    must_fail(
        verify_rows_and_progress(&case, &stdout, &short),
        "a batch missing from the progress log",
        "progress: batch ids",
    );
    let twice = format!("{progress}{}\n", progress.lines().next().unwrap());
    must_fail(
        verify_rows_and_progress(&case, &stdout, &twice),
        "a batch reported twice",
        "reported twice",
    );
}

/// Console output with one table edited.
pub fn console_with(case: &Case, edit: impl Fn(&mut Vec<String>)) -> (String, String) {
    let stdout = run(case, &["--sink".as_ref(), "console".as_ref()]).unwrap();
    let mut lines: Vec<String> = stdout.split('\n').map(str::to_string).collect();
    edit(&mut lines);
    (stdout, lines.join("\n"))
}

/// Index of the first data row of the first table with at least two rows.
pub fn first_rows(lines: &[String]) -> usize {
    (0..lines.len())
        .find(|&i| {
            lines[i].starts_with("|window")
                && lines.get(i + 2).is_some_and(|l| l.starts_with('|'))
                && lines.get(i + 3).is_some_and(|l| l.starts_with('|'))
        })
        .expect("a table with two rows")
        + 2
}

#[test]
fn wrong_console_tables() {
    let case = small_case();
    let (stdout, swapped) = console_with(&case, |lines| {
        let i = first_rows(lines);
        lines.swap(i, i + 1);
    });
    verify_console(&case, &stdout).unwrap();
    assert_ne!(stdout, swapped);
    verify_console(&case, &swapped).expect("row order inside a table is free");

    let (_, wrong_count) = console_with(&case, |lines| {
        let i = first_rows(lines);
        let line = &lines[i];
        let cut = line[..line.len() - 1].rfind('|').unwrap() + 1;
        lines[i] = format!("{}{}", &line[..cut], "9".repeat(line.len() - cut - 1) + "|");
    });
    must_fail(
        verify_console(&case, &wrong_count),
        "a wrong count cell",
        "table line",
    );
    let (_, wider) = console_with(&case, |lines| {
        let i = first_rows(lines);
        lines[i].push(' ');
    });
    must_fail(
        verify_console(&case, &wider),
        "a trailing blank",
        "table line",
    );
    let (_, no_batch_0) = console_with(&case, |lines| {
        lines[1] = "Batch: 1000000".to_string();
    });
    must_fail(
        verify_console(&case, &no_batch_0),
        "a missing batch",
        "console: batches",
    );
    let doubled = format!("{stdout}{stdout}");
    must_fail(
        verify_console(&case, &doubled),
        "every batch printed twice",
        "printed twice",
    );
}

#[test]
fn truncated_tables_are_compared_by_shape() {
    let twenty_one: Vec<String> = ["+-+", "|w|", "+-+"]
        .iter()
        .map(ToString::to_string)
        .chain((0..21).map(|i| format!("|{i}|")))
        .chain(["+-+".to_string(), "only showing top 20 rows".to_string()])
        .collect();
    let (table, truncated) = normalize_table(&twenty_one);
    assert!(truncated);
    assert_eq!(table.len(), 25);
    // Sorted as strings, as Python sorts them.
    assert_eq!(table[3], "|0|");
    assert_eq!(table[4], "|10|");
    assert_eq!(table[13], "|19|");
    assert_eq!(table[14], "|1|");
    assert_eq!(table[24], "+-+");
}

/// Copies a case folder, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_wrong_expectation_in_a_copy_of_the_corpus() {
    let case = small_case();
    let tmp = tempfile::tempdir().unwrap();
    let copy_dir_path = tmp.path().join(&case.name);
    copy_dir(&case.dir, &copy_dir_path);
    let copy = Case::load(&copy_dir_path).unwrap();
    check_rows_and_progress(&copy).unwrap();
    check_console(&copy).unwrap();
    check_files(&copy).unwrap();

    // One count in expected.csv off by one: rows and files must notice.
    let path = copy.dir.join("expected.csv");
    let original = fs::read(&path).unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let count = headers.iter().position(|h| h == "count").unwrap();
    let mut records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let n: i64 = records[0][count].parse().unwrap();
    records[0] = records[0]
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == count {
                (n + 1).to_string()
            } else {
                f.to_string()
            }
        })
        .collect();
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for r in &records {
        writer.write_record(r).unwrap();
    }
    writer.flush().unwrap();
    must_fail(
        check_rows_and_progress(&copy),
        "expected.csv edited",
        "emitted rows",
    );
    must_fail(check_files(&copy), "expected.csv edited", "file sink rows");
    fs::write(&path, original).unwrap();
    check_rows_and_progress(&copy).unwrap();

    // A watermark in progress.jsonl off by a millisecond.
    let path = copy.dir.join("progress.jsonl");
    let text = fs::read_to_string(&path).unwrap();
    let last = text.lines().count() - 1;
    let text = edit_json_line(&text, last, |o| {
        let wm = micros(o["watermark"].as_str().unwrap()).unwrap();
        o["watermark"] = iso(wm - 1_000).into();
    });
    fs::write(&path, text).unwrap();
    must_fail(
        check_rows_and_progress(&copy),
        "progress.jsonl edited",
        "watermark",
    );

    // A border in console.txt one dash longer.
    let path = copy.dir.join("console.txt");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen("+-----+\n", "+------+\n", 1)).unwrap();
    must_fail(check_console(&copy), "console.txt edited", "table line");

    // A partition Spark wrote that we do not.
    fs::create_dir(copy.dir.join("files/window=000000-000030")).unwrap();
    must_fail(check_files(&copy), "a partition more", "Spark wrote");
}

/// The file sink's output for a case, in a temporary folder, for tampering.
pub fn file_output(case: &Case) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run(
        case,
        &[
            "--sink".as_ref(),
            "file".as_ref(),
            "--output".as_ref(),
            out.as_os_str(),
        ],
    )
    .unwrap();
    verify_files(case, &out).unwrap();
    (tmp, out)
}

pub fn a_part_file(out: &Path) -> PathBuf {
    let dir = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("window=")
        })
        .min()
        .unwrap();
    fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path()
}

#[test]
fn wrong_file_output() {
    let case = small_case();
    let uuid = "part-00000-01234567-89ab-cdef-0123-456789abcdef.c000.csv";

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    fs::remove_file(&part).unwrap();
    must_fail(
        verify_files(&case, &out),
        "a part file removed",
        "file sink",
    );

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    let mut text = fs::read_to_string(&part).unwrap();
    text.push_str("extra,1\n");
    fs::write(&part, text).unwrap();
    must_fail(verify_files(&case, &out), "a row added", "file sink rows");

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    fs::write(&part, "a,b,1\n").unwrap();
    must_fail(
        verify_files(&case, &out),
        "three columns",
        "is not value,count",
    );

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    fs::rename(&part, part.with_file_name("part-0-x.csv")).unwrap();
    must_fail(
        verify_files(&case, &out),
        "a badly named part",
        "unexpected file name",
    );

    // Hidden files are ignored; an empty, unlisted part file is not.
    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    fs::write(part.with_file_name(".hidden.crc"), "x").unwrap();
    verify_files(&case, &out).expect("hidden files are passed over");
    fs::write(part.with_file_name(uuid), "").unwrap();
    must_fail(
        verify_files(&case, &out),
        "an unlisted part file",
        "file sink log lists",
    );

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    let dir = part.parent().unwrap();
    fs::rename(dir, out.join("window=000000-000030")).unwrap();
    must_fail(
        verify_files(&case, &out),
        "a partition renamed",
        "partitions",
    );

    let (_tmp, out) = file_output(&case);
    fs::create_dir(out.join("window=000000-000030")).unwrap();
    must_fail(
        verify_files(&case, &out),
        "an empty partition",
        "without rows",
    );

    let (_tmp, out) = file_output(&case);
    fs::write(out.join("stray.txt"), "").unwrap();
    must_fail(
        verify_files(&case, &out),
        "a stray file",
        "unexpected entry",
    );
}

#[test]
fn wrong_sink_log() {
    let case = small_case();
    let log_files = |out: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(out.join("_spark_metadata"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    };
    let listing = |out: &Path| -> PathBuf {
        log_files(out)
            .into_iter()
            .find(|f| fs::read_to_string(f).unwrap().lines().count() > 1)
            .expect("a log file that lists files")
    };

    let (_tmp, out) = file_output(&case);
    fs::remove_dir_all(out.join("_spark_metadata")).unwrap();
    must_fail(verify_files(&case, &out), "no log", "no _spark_metadata");

    let (_tmp, out) = file_output(&case);
    let file = listing(&out);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replacen("v1", "v2", 1)).unwrap();
    must_fail(
        verify_files(&case, &out),
        "log version v2",
        "first line must be v1",
    );

    let (_tmp, out) = file_output(&case);
    let file = listing(&out);
    let text = fs::read_to_string(&file).unwrap();
    let fewer: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
    fs::write(&file, fewer.join("\n") + "\n").unwrap();
    must_fail(
        verify_files(&case, &out),
        "an entry dropped",
        "file sink log lists",
    );

    let (_tmp, out) = file_output(&case);
    let file = listing(&out);
    let text = fs::read_to_string(&file).unwrap();
    let last = text.lines().last().unwrap().to_string();
    fs::write(&file, format!("{}\n{last}", text.trim_end())).unwrap();
    must_fail(
        verify_files(&case, &out),
        "an entry twice",
        "file sink log lists",
    );

    // A batch that wrote nothing still has its (empty) log entry.
    let (_tmp, out) = file_output(&case);
    let empty = log_files(&out)
        .into_iter()
        .find(|f| fs::read_to_string(f).unwrap().lines().count() == 1)
        .expect("a batch without files");
    fs::remove_file(&empty).unwrap();
    must_fail(
        verify_files(&case, &out),
        "an empty batch unlogged",
        "every batch after it",
    );

    let (_tmp, out) = file_output(&case);
    fs::write(out.join("_spark_metadata/notes"), "v1\n").unwrap();
    must_fail(
        verify_files(&case, &out),
        "a stray log file",
        "unexpected file notes",
    );

    let (_tmp, out) = file_output(&case);
    let file = listing(&out);
    fs::rename(&file, file.with_extension("compact")).unwrap();
    must_fail(
        verify_files(&case, &out),
        "a compaction out of place",
        "file sink log",
    );
}

#[test]
fn part_names() {
    assert!(is_part_name(
        "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv"
    ));
    for bad in [
        "part-0000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv",
        "part-00000-2D15DA60-4270-4989-a290-1f98e4ee4180.c000.csv",
        "part-00000-2d15da60-4270-4989-a290-1f98e4ee418.c000.csv",
        "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c001.csv",
        "part-00000-2d15da60_4270-4989-a290-1f98e4ee4180.c000.csv",
        "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv.tmp",
    ] {
        assert!(!is_part_name(bad), "{bad}");
    }
    assert_eq!(percent_decode("/a%20b/w=17%3A33%2"), "/a b/w=17:33%2");
}
