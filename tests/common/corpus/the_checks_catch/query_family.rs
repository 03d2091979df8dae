//! The checks catch what `query.env` adds to the seed's query: its command line, the typing of
//! every output column (a wrong aggregate value or type, a NULL made a value or a value made
//! NULL, a missing group-by column), typed file sink cells, and the refusal of the file sink in
//! update and complete mode.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use serde_json::Value;

use super::{a_part_file, smallest};
use super::{console_with, copy_dir, edit_json_line, file_output, json_and_progress, must_fail};
use crate::common::{iso, json_exact, json_int, micros};
use crate::corpus::cells::{Cell, Class, Column, Float, class, file_cell, typed_json, typed_text};
use crate::corpus::console::verify_console;
use crate::corpus::files::{check_files, verify_files, verify_refusal};
use crate::corpus::rows::{check_rows_and_progress, expected_rows, verify_rows_and_progress};
use crate::corpus::{Case, Query, cases};

/// The append-mode case with a NULL in its expected rows and a `DOUBLE` aggregate.
fn nulls_case() -> Case {
    smallest("a NULL and a DOUBLE column, in append mode", |c| {
        c.query.mode() == "append"
            && c.query.columns.iter().any(|col| col.kind == "DOUBLE")
            && expected_rows(c)
                .unwrap()
                .keys()
                .any(|r| r.cells.contains(&Cell::Null))
    })
}

fn column(name: &str, kind: &str) -> Column {
    Column {
        name: name.to_string(),
        kind: kind.to_string(),
    }
}

#[test]
fn the_command_line_is_check_py_s() {
    let seed = "WINDOW=\"30 seconds\"\nSLIDE=\"15 seconds\"\nWATERMARK=\"15 seconds\"\n";
    let seed = Query::parse(seed, false).unwrap();
    let args = [
        "--window",
        "30 seconds",
        "--slide",
        "15 seconds",
        "--watermark",
        "15 seconds",
    ];
    assert_eq!(seed.args().unwrap(), args);
    assert_eq!(
        seed.columns,
        [column("value", "STRING"), column("count", "LONG")]
    );

    let session = r#"SCHEMA="event_time TIMESTAMP, user STRING, bytes LONG"
EVENT_TIME="event_time"
GROUP_BY="user"
AGGS="count,sum(bytes)"
SESSION_GAP="6 seconds"
WATERMARK="4 seconds"
OUTPUT_MODE="update"
"#;
    let session = Query::parse(session, true).unwrap();
    let args = [
        "--schema",
        "event_time TIMESTAMP, user STRING, bytes LONG",
        "--event-time",
        "event_time",
        "--group-by",
        "user",
        "--agg",
        "count,sum(bytes)",
        "--session-gap",
        "6 seconds",
        "--watermark",
        "4 seconds",
        "--output-mode",
        "update",
    ];
    assert_eq!(session.args().unwrap(), args);

    let sliding =
        "GROUP_BY=\"\"\nWINDOW=\"10 seconds\"\nSLIDE=\"5 seconds\"\nWATERMARK=\"5 seconds\"";
    let sliding = Query::parse(sliding, true).unwrap();
    let args = sliding.args().unwrap();
    assert_eq!(
        args[..8],
        [
            "--schema",
            "event_time TIMESTAMP, value STRING",
            "--event-time",
            "event_time",
            "--group-by",
            "",
            "--agg",
            "count"
        ]
    );
    assert_eq!(
        args[8..],
        [
            "--window",
            "10 seconds",
            "--slide",
            "5 seconds",
            "--watermark",
            "5 seconds",
            "--output-mode",
            "append"
        ]
    );
    assert_eq!(sliding.columns, [column("count", "LONG")]);
    let no_window = Query::parse("WATERMARK=\"5 seconds\"", true).unwrap();
    assert!(no_window.args().unwrap_err().contains("WINDOW"));
}

#[test]
fn column_types_are_check_py_s() {
    let query = r#"SCHEMA="ts TIMESTAMP, k STRING, x DOUBLE, n LONG, i INT, f float"
GROUP_BY="k, ts"
AGGS="count, count(x),sum(x),sum(i),sum(f),avg(n),min(x),max(n),max(ts),min(k)"
"#;
    let query = Query::parse(query, true).unwrap();
    let want = [
        column("k", "STRING"),
        column("ts", "TIMESTAMP"),
        column("count", "LONG"),
        column("count(x)", "LONG"),
        column("sum(x)", "DOUBLE"),
        column("sum(i)", "LONG"),
        column("sum(f)", "DOUBLE"),
        column("avg(n)", "DOUBLE"),
        column("min(x)", "DOUBLE"),
        column("max(n)", "LONG"),
        column("max(ts)", "TIMESTAMP"),
        column("min(k)", "STRING"),
    ];
    assert_eq!(query.columns, want);
    assert_eq!(query.group, ["k", "ts"]);
    for bad in [
        "GROUP_BY=\"nope\"",
        "AGGS=\"median(value)\"",
        "AGGS=\"sum\"",
        "SCHEMA=\"ts\"",
    ] {
        assert!(Query::parse(bad, true).is_err(), "{bad}");
    }
}

#[test]
fn cells_are_typed_as_check_py_types_them() {
    let text = |kind: &str, t: &str| typed_text(kind, t).unwrap();
    for kind in ["LONG", "DOUBLE", "TIMESTAMP", "STRING"] {
        assert_eq!(text(kind, "\\N"), Cell::Null, "{kind}");
    }
    // Floats compare exactly, as numbers.
    let three = Cell::Float(Float(3.0));
    for same in ["3", "3.0", "3.00", "0.3E1", " 3.0 "] {
        assert_eq!(text("DOUBLE", same), three, "{same}");
    }
    assert_eq!(text("DOUBLE", "-0.0"), text("DOUBLE", "0.0"));
    assert_ne!(text("DOUBLE", "0.1"), Cell::Float(Float(0.1_f64.next_up())));
    assert_ne!(text("DOUBLE", "1.0"), Cell::Integer(1));
    assert_eq!(text("LONG", " 4 "), Cell::Integer(4));
    assert!(typed_text("LONG", "4.0").is_err());
    assert!(typed_text("DOUBLE", "four").is_err());
    assert_eq!(
        text("TIMESTAMP", "2026-11-23T17:33:00.000000Z"),
        text("TIMESTAMP", "2026-11-23 17:33:00+00:00")
    );
    assert_eq!(text("STRING", ""), Cell::Text(String::new()));

    // In a file sink part, an empty cell is NULL except in a STRING column of the seed's query.
    assert_eq!(
        file_cell("STRING", "", false).unwrap(),
        Cell::Text(String::new())
    );
    assert_eq!(file_cell("STRING", "", true).unwrap(), Cell::Null);
    assert_eq!(file_cell("LONG", "", false).unwrap(), Cell::Null);
    assert_eq!(file_cell("DOUBLE", "", true).unwrap(), Cell::Null);

    // Floats in JSON are read exactly (serde_json's own parsing is one ulp off for this one).
    let exact = json_exact(r#"{"sum(x)": 1.2345684500500001E7}"#).unwrap();
    let sum = typed_json("DOUBLE", &exact["sum(x)"]).unwrap();
    assert_eq!(sum, text("DOUBLE", "12345684.500500001"));
    assert_ne!(sum, text("DOUBLE", "12345684.5005"));

    let json = |kind: &str, v: Value| typed_json(kind, &v);
    assert_eq!(json("DOUBLE", 3.into()).unwrap(), three);
    assert_eq!(json("DOUBLE", "3.0".into()).unwrap(), three);
    assert_eq!(json("LONG", "4".into()).unwrap(), Cell::Integer(4));
    assert_eq!(json("LONG", Value::Null).unwrap(), Cell::Null);
    assert_eq!(json("STRING", "\\N".into()).unwrap(), Cell::Null);
    assert_ne!(json("STRING", 3.into()).unwrap(), Cell::Text("3".into()));
    assert!(json("LONG", 4.5.into()).is_err());
    assert!(json("LONG", true.into()).is_err());
    assert!(json("TIMESTAMP", 0.into()).is_err());
    assert!(json("STRING", serde_json::json!(["a"])).is_err());
}

/// A value that compares differently from `v` in a column of class `class`; for NULL, the
/// value it is most easily confused with.
fn changed(class: Class, v: &Value) -> Value {
    match (class, v) {
        (Class::Integer, Value::Null) => 0.into(),
        (Class::Float, Value::Null) => 0.0.into(),
        (Class::Time, Value::Null) => "1970-01-01T00:00:00Z".into(),
        (Class::Text, Value::Null) => "".into(),
        (Class::Integer, _) => (json_int(v).unwrap() + 1).into(),
        (Class::Float, _) => v.as_f64().unwrap().next_up().into(),
        (Class::Time, _) => iso(micros(v.as_str().unwrap()).unwrap() + 1).into(),
        (Class::Text, _) => format!("{} ", v.as_str().unwrap()).into(),
    }
}

/// A value of the wrong type for a column of class `class`, and what the check then says.
fn wrong_type(class: Class) -> (Value, &'static str) {
    match class {
        Class::Integer => (0.5.into(), "is not a row"),
        Class::Float => ("one".into(), "is not a row"),
        Class::Time => (0.into(), "is not a row"),
        // Python keeps a number where text was due, and it equals no text.
        Class::Text => (1.into(), "emitted rows"),
    }
}

#[test]
fn wrong_cells_in_every_column() {
    for case in cases() {
        if expected_rows(&case).unwrap().is_empty() {
            continue;
        }
        let (stdout, progress) = json_and_progress(&case);
        let check = |text: &str| verify_rows_and_progress(&case, text, &progress);
        check(&stdout).unwrap();
        let objects: Vec<(usize, Value)> = stdout
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i, json_exact(l).unwrap()))
            .collect();
        let first = objects[0].0;
        let same_start = edit_json_line(&stdout, first, |o| {
            let start = micros(o["window"]["start"].as_str().unwrap()).unwrap();
            o["window"]["start"] = iso(start).replace('Z', "+00:00").into();
        });
        check(&same_start).expect("the same window start, written another way");

        for col in &case.query.columns {
            let (name, class) = (col.name.as_str(), class(&col.kind));
            let what = |edit: &str| format!("{}: {edit} in column {name}", case.name);
            let line = |null: bool| objects.iter().find(|(_, o)| o[name].is_null() == null);
            if let Some((i, o)) = line(false) {
                let edit = |f: &dyn Fn(&mut Value)| edit_json_line(&stdout, *i, f);
                let removed = edit(&|o| {
                    o.as_object_mut().unwrap().remove(name);
                });
                must_fail(check(&removed), &what("the key removed"), "is not a row");
                let value = edit(&|o| o[name] = changed(class, &o[name]));
                must_fail(check(&value), &what("a value changed"), "emitted rows");
                let null = edit(&|o| o[name] = Value::Null);
                must_fail(check(&null), &what("a value made NULL"), "emitted rows");
                let (wrong, needle) = wrong_type(class);
                let typed = edit(&|o| o[name] = wrong.clone());
                must_fail(check(&typed), &what("a value of the wrong type"), needle);
                if class == Class::Float {
                    // The same number in another notation: `1.25e-1` for 0.125.
                    let x = o[name].as_f64().unwrap();
                    let text =
                        edit(&|o| o[name] = "@@".into()).replacen("\"@@\"", &format!("{x:e}"), 1);
                    check(&text).unwrap_or_else(|e| panic!("{}: {e}", what(&format!("{x:e}"))));
                }
            }
            if let Some((i, _)) = line(true) {
                let value = edit_json_line(&stdout, *i, |o| o[name] = changed(class, &o[name]));
                must_fail(check(&value), &what("a NULL made a value"), "emitted rows");
            }
        }
    }
}

#[test]
fn group_by_values_swapped() {
    let case = smallest("two group-by columns", |c| c.query.group.len() > 1);
    let (stdout, progress) = json_and_progress(&case);
    let (one, two) = (&case.query.group[0], &case.query.group[1]);
    let line = stdout
        .lines()
        .position(|l| {
            let row = json_exact(l).unwrap();
            row[one] != row[two]
        })
        .expect("a row whose group-by values differ");
    let swapped = edit_json_line(&stdout, line, |row| {
        let (first, second) = (row[one].clone(), row[two].clone());
        row[one] = second;
        row[two] = first;
    });
    must_fail(
        verify_rows_and_progress(&case, &swapped, &progress),
        "two group-by values swapped",
        "emitted rows",
    );
}

/// Rewrites the first cell of the file sink's parts (partitions and parts in name order) for
/// which `pick` holds with `edit`; says whether a cell was picked.
fn edit_part_cell(
    case: &Case,
    out: &Path,
    pick: impl Fn(&Column, &str) -> bool,
    edit: impl Fn(&str) -> String,
) -> bool {
    let sorted = |dir: &Path| {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
    };
    for dir in sorted(out) {
        if !dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("window=")
        {
            continue;
        }
        for part in sorted(&dir) {
            let mut records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_path(&part)
                .unwrap()
                .records()
                .map(Result::unwrap)
                .collect();
            for record in &mut records {
                let columns = case.query.columns.iter().zip(record.iter());
                if let Some(at) = columns.clone().position(|(c, t)| pick(c, t)) {
                    *record = record
                        .iter()
                        .enumerate()
                        .map(|(i, t)| if i == at { edit(t) } else { t.to_string() })
                        .collect();
                    let mut writer = csv::Writer::from_path(&part).unwrap();
                    for r in &records {
                        writer.write_record(r).unwrap();
                    }
                    writer.flush().unwrap();
                    return true;
                }
            }
        }
    }
    false
}

/// Which cell of a part file to edit (by its column and text), and how.
type Pick<'a> = &'a dyn Fn(&Column, &str) -> bool;
type Edit<'a> = &'a dyn Fn(&str) -> String;

#[test]
fn wrong_file_sink_cells() {
    let case = nulls_case();
    let double = |c: &Column| c.kind == "DOUBLE";
    let cases: [(&str, Pick, Edit, &str); 5] = [
        (
            "a NULL written as 0",
            &|c, t| double(c) && t.is_empty(),
            &|_| "0".into(),
            "file sink rows",
        ),
        (
            "a NULL group-by value written as a blank",
            &|c, t| c.kind == "STRING" && t.is_empty(),
            &|_| " ".into(),
            "file sink rows",
        ),
        (
            "a DOUBLE one ulp off",
            &|c, t| double(c) && !t.is_empty(),
            &|t| t.parse::<f64>().unwrap().next_up().to_string(),
            "file sink rows",
        ),
        (
            "a value made NULL",
            &|c, t| double(c) && !t.is_empty(),
            &|_| String::new(),
            "file sink rows",
        ),
        (
            "a LONG written as a float",
            &|c, t| c.kind == "LONG" && !t.is_empty(),
            &|t| format!("{t}.0"),
            "is not a LONG value",
        ),
    ];
    for (what, pick, edit, needle) in cases {
        let (_tmp, out) = file_output(&case);
        assert!(
            edit_part_cell(&case, &out, pick, edit),
            "no cell for {what}"
        );
        must_fail(verify_files(&case, &out), what, needle);
    }

    let (_tmp, out) = file_output(&case);
    let notation = |t: &str| format!("{:e}", t.parse::<f64>().unwrap());
    assert!(edit_part_cell(
        &case,
        &out,
        |c, t| double(c) && !t.is_empty(),
        notation
    ));
    verify_files(&case, &out).expect("the same number in another notation");

    let (_tmp, out) = file_output(&case);
    let part = a_part_file(&out);
    let text = fs::read_to_string(&part).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let (fewer, _) = first.rsplit_once(',').unwrap();
    fs::write(&part, format!("{fewer}\n{rest}")).unwrap();
    let names: Vec<&str> = case.query.columns.iter().map(|c| c.name.as_str()).collect();
    must_fail(
        verify_files(&case, &out),
        "a column fewer",
        &format!("is not {}", names.join(",")),
    );
}

#[test]
fn a_file_sink_accepted_in_update_mode() {
    let case = smallest("update or complete mode", |c| c.query.mode() != "append");
    check_files(&case).unwrap();
    let mode = case.query.mode();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let exit = |code: i32| ExitStatus::from_raw(code << 8);
    let refusal = "window-tui: error: the file sink takes append mode only";
    verify_refusal(mode, exit(2), refusal, &out).unwrap();
    let clap = "error: unexpected argument '--output-mode' found\n\n  tip: try --sink json \
                (append mode)";
    for (what, status, stderr) in [
        ("accepted", exit(0), ""),
        ("accepted, saying append", exit(0), refusal),
        (
            "failed, not saying why",
            exit(1),
            "window-tui: error: cannot start",
        ),
        ("refused as an unknown option", exit(2), clap),
    ] {
        must_fail(
            verify_refusal(mode, status, stderr, &out),
            what,
            "Spark refuses it (append mode only)",
        );
    }
    fs::create_dir_all(out.join("window=173300-173330")).unwrap();
    must_fail(
        verify_refusal(mode, exit(2), refusal, &out),
        "refused after writing a partition",
        "wrote",
    );
}

/// Copies a case folder into a temporary folder, as a case.
fn copy_of(case: &Case) -> (tempfile::TempDir, Case) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(&case.name);
    copy_dir(&case.dir, &dir);
    let copy = Case::load(&dir).unwrap();
    (tmp, copy)
}

#[test]
fn a_wrong_query_or_expectation_in_a_copy_of_the_corpus() {
    // The output mode reaches the binary: an append case run in update mode emits other rows
    // (and has its file sink refused).
    let case = smallest("sliding windows, two aggregates and append mode", |c| {
        let aggregates = c.query.columns.len() - c.query.group.len();
        c.query.general
            && c.query.mode() == "append"
            && !c.query.settings.contains_key("SESSION_GAP")
            && aggregates > 1
    });
    let (_tmp, copy) = copy_of(&case);
    let env = copy.dir.join("query.env");
    let original = fs::read_to_string(&env).unwrap();
    let update = original.replace("OUTPUT_MODE=\"append\"", "OUTPUT_MODE=\"update\"");
    assert_ne!(update, original);
    fs::write(&env, update).unwrap();
    let copy = Case::load(&copy.dir).unwrap();
    must_fail(
        check_rows_and_progress(&copy),
        "update mode",
        "emitted rows",
    );
    check_files(&copy).expect("the file sink refused in update mode");

    // An aggregate dropped from the query: expected.csv no longer matches it.
    let last = case.query.columns.last().unwrap().name.clone();
    let aggs = &case.query.settings["AGGS"];
    let fewer = aggs
        .strip_suffix(&format!(",{last}"))
        .expect("two aggregates");
    fs::write(
        &env,
        original.replace(&format!("AGGS=\"{aggs}\""), &format!("AGGS=\"{fewer}\"")),
    )
    .unwrap();
    let copy = Case::load(&copy.dir).unwrap();
    must_fail(
        check_rows_and_progress(&copy),
        "an aggregate dropped",
        "header",
    );

    // A NULL in expected.csv made a value.
    let case = nulls_case();
    let (_tmp, copy) = copy_of(&case);
    let path = copy.dir.join("expected.csv");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen(",\\N", ",0", 1)).unwrap();
    must_fail(
        check_rows_and_progress(&copy),
        "a NULL made 0",
        "emitted rows",
    );
    must_fail(check_files(&copy), "a NULL made 0", "file sink rows");
}

#[test]
fn wrong_console_cells() {
    let case = nulls_case();
    let (stdout, null) = console_with(&case, |lines| {
        let i = lines
            .iter()
            .position(|l| l.starts_with('|') && l.contains("|NULL"))
            .expect("a NULL in a table");
        lines[i] = lines[i].replacen("|NULL", "|null", 1);
    });
    verify_console(&case, &stdout).unwrap();
    must_fail(verify_console(&case, &null), "NULL as null", "table line");
    let header = &case.query.columns.last().unwrap().name;
    let (_, renamed) = console_with(&case, |lines| {
        let i = lines.iter().position(|l| l.starts_with("|window")).unwrap();
        lines[i] = lines[i].replacen(header.as_str(), &"x".repeat(header.len()), 1);
    });
    must_fail(
        verify_console(&case, &renamed),
        "an aggregate column renamed",
        "table line",
    );
}
