//! Bad rows: their `file:line` messages and exit status, `--on-bad-row skip`,
//! `--max-line-bytes`, and what a replay stopped by one leaves behind.

use super::*;

#[test]
fn a_bad_row_stops_the_replay_with_file_and_line() {
    for &(what, bad) in BAD_LINES {
        let tmp = tempfile::tempdir().unwrap();
        let events = file_with_bad_line_8(tmp.path(), bad);
        let out = tmp.path().join("out");
        let progress = tmp.path().join("progress.jsonl");
        let output = run(&[
            &"replay",
            &events,
            &"--sink",
            &"file",
            &"--output",
            &out,
            &"--progress",
            &progress,
        ]);
        assert_error_at(&output, &events, 8, what);
        assert!(output.stdout.is_empty(), "{what}: {}", stdout(&output));

        // Batches 0, 1 and 2 (ticks 0..=2) are complete; batch 3, holding the bad row, is not.
        let (parts, ids, listed) = file_sink_state(&out);
        assert_eq!(ids, [0, 1, 2], "{what}: log entries");
        assert_eq!(
            listed,
            parts.iter().cloned().collect::<Vec<_>>(),
            "{what}: the log lists exactly the part files"
        );
        let want = common::bag([
            ("window=173245-173315".to_string(), "a".to_string(), 1),
            ("window=173245-173315".to_string(), "b".to_string(), 1),
            ("window=173300-173330".to_string(), "a".to_string(), 1),
            ("window=173300-173330".to_string(), "b".to_string(), 1),
        ]);
        assert_eq!(part_rows(&out, &parts), want, "{what}: rows of batch 2");
        let batches: Vec<i64> = fs::read_to_string(&progress)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["batchId"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(batches, [0, 1, 2], "{what}: progress");
    }
}

#[test]
fn a_bad_row_with_the_json_sink_keeps_earlier_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"3,yesterday,g");
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 8, "json sink");
    let rows = json_rows(&stdout(&output)).unwrap();
    assert_eq!(rows.values().sum::<usize>(), 4, "batch 2's rows: {rows:?}");
    assert!(rows.keys().all(|r| r.batch == 2 && r.count == 1));
}

#[test]
fn a_missing_or_wrong_header_is_line_1() {
    let files: &[(&str, &[u8])] = &[
        ("no header", b"0,2026-11-23T17:33:00Z,a\n"),
        ("another header", b"time,value\n2026-11-23T17:33:00Z,a\n"),
        ("columns swapped", b"event_time,batch,value\n"),
        ("an empty file", b""),
        ("a blank file", b"\n\n"),
    ];
    for &(what, bytes) in files {
        let tmp = tempfile::tempdir().unwrap();
        let events = write(tmp.path(), "events.csv", bytes);
        let out = tmp.path().join("out");
        let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
        assert_error_at(&output, &events, 1, what);
        assert!(output.stdout.is_empty(), "{what}");
        if out.exists() {
            let (parts, ids, _) = file_sink_state(&out);
            assert!(
                parts.is_empty() && ids.is_empty(),
                "{what}: {parts:?} {ids:?}"
            );
        }
    }
}

#[test]
fn line_numbers_count_physical_lines() {
    // A quoted value over two lines (2-3), a blank line (4), CRLF endings, then a bad row on 6.
    let tmp = tempfile::tempdir().unwrap();
    let events = write(
        tmp.path(),
        "multi.csv",
        "batch,event_time,value\r\n\
         0,2026-11-23T17:33:00Z,\"two\r\nlines\"\r\n\
         \r\n\
         0,2026-11-23T17:33:01Z,b\r\n\
         0,half past five,c\r\n",
    );
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 6, "after a multi-line value");

    let events = write(
        tmp.path(),
        "blank.csv",
        "batch,event_time,value\n\n\n0,2026-11-23T17:33:00Z,a\n\n1,2026-11-23T17:33:00Z\n",
    );
    let output = run(&[&"replay", &events, &"--sink", &"json"]);
    assert_error_at(&output, &events, 6, "after blank lines");
}

#[test]
fn bad_rows_can_be_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = write(
        tmp.path(),
        "clean.csv",
        GOOD_START.to_string() + "3,2026-11-23T17:35:02Z,g\n4,2026-11-23T17:36:00Z,h\n",
    );
    // The same rows with four bad ones among them (lines 4, 6, 10 and 11).
    let mut dirty = Vec::new();
    dirty.extend_from_slice(
        b"batch,event_time,value\n\
          0,2026-11-23T17:33:00Z,a\n\
          0,2026-11-23T17:33:01Z,b\n\
          0,notatime,x\n\
          1,2026-11-23T17:34:00Z,c\n\
          1,2026-11-23T17:34:00Z\n\
          2,2026-11-23T17:34:01Z,d\n\
          3,2026-11-23T17:35:00Z,e\n\
          3,2026-11-23T17:35:01Z,f\n\
          3,2026-11-23T17:35:01Z,caf\xe9\n\
          0,2026-11-23T17:35:01Z,late\n\
          3,2026-11-23T17:35:02Z,g\n\
          4,2026-11-23T17:36:00Z,h\n",
    );
    let dirty = write(tmp.path(), "dirty.csv", dirty);

    let want = rows_of(&run(&[&"replay", &clean, &"--sink", &"json"]));
    assert!(
        want.keys().any(|r| r.value == "g") && want.keys().any(|r| r.value == "a"),
        "{want:?}"
    );
    let output = run(&[
        &"replay",
        &dirty,
        &"--sink",
        &"json",
        &"--on-bad-row",
        &"skip",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("skipped 4 bad row"), "{err}");
    assert!(err.contains(&format!("{}:4: ", dirty.display())), "{err}");
    assert_eq!(rows_of(&output), want, "the good rows all count");

    // The default is to stop.
    let output = run(&[&"replay", &dirty, &"--sink", &"json"]);
    assert_error_at(&output, &dirty, 4, "default --on-bad-row");
}

/// `--max-line-bytes`: a row one byte over it is a bad row, however short, and a row exactly
/// at it is read, on every read path (ticks counted ahead on threads; rows one by one, as
/// with `--max-state-rows`).
#[test]
fn a_row_over_max_line_bytes_is_a_bad_row_and_one_at_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    // Four ticks of 1,500 rows (enough to be counted ahead); tick 1 holds a row of exactly
    // 100 bytes, tick 2 one of 101.
    let mut text = String::from("batch,event_time,value\n");
    let (mut line, mut long_line) = (1, 0);
    for tick in 0..4u64 {
        for row in 0..1500u64 {
            line += 1;
            let head = format!("{tick},2026-11-23T17:{}:{:02}Z,", 33 + tick, row % 60);
            let len = match (tick, row) {
                (1, 700) => 100,
                (2, 700) => {
                    long_line = line;
                    101
                }
                _ => 0,
            };
            if len == 0 {
                writeln!(text, "{head}{}", row % 7).unwrap();
            } else {
                writeln!(text, "{head}{}", "x".repeat(len - head.len())).unwrap();
            }
        }
    }
    let events = write(tmp.path(), "events.csv", &text);
    let too_long = format!(
        "{}:{long_line}: row is longer than 100 bytes (--max-line-bytes)",
        events.display()
    );
    for path in [&[][..], &["--max-state-rows", "1000000"][..]] {
        let replay = |policy: &str| {
            window_tui()
                .arg("replay")
                .arg(&events)
                .args([
                    "--sink",
                    "json",
                    "--max-line-bytes",
                    "100",
                    "--on-bad-row",
                    policy,
                ])
                .args(path)
                .output()
                .unwrap()
        };
        let output = replay("error");
        assert_error_at(&output, &events, long_line, "a row over --max-line-bytes");
        assert!(
            stderr(&output).contains(&too_long),
            "{path:?}: {}",
            stderr(&output)
        );
        let output = replay("skip");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{path:?}: {err}");
        assert!(
            err.contains("batches, 5999 rows; bad rows skipped: 1\n"),
            "{path:?}: the row at the limit counts: {err}"
        );
        assert!(err.contains(&too_long), "{path:?}: {err}");
    }
}

#[test]

fn a_bad_row_opening_a_new_tick_keeps_the_ticks_before_it() {
    // Ticks 0..=3 (lines 2-7) are whole before the bad row on line 8, which belongs to tick 4.
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"4,yesterday,g");
    let out = tmp.path().join("out");
    let output = run(&[&"replay", &events, &"--sink", &"file", &"--output", &out]);
    assert_error_at(&output, &events, 8, "bad first row of tick 4");
    let (parts, ids, listed) = file_sink_state(&out);
    assert_eq!(listed, parts.iter().cloned().collect::<Vec<_>>());
    assert_eq!(ids, [0, 1, 2, 3], "tick 3 was complete before line 8");
}

#[test]
fn a_checkpointed_replay_stopped_by_a_bad_row_stops_there_again() {
    let tmp = tempfile::tempdir().unwrap();
    let events = file_with_bad_line_8(tmp.path(), b"4,yesterday,g");
    let out = tmp.path().join("out");
    let checkpoint = tmp.path().join("checkpoint");
    let replay = || {
        run(&[
            &"replay",
            &events,
            &"--sink",
            &"file",
            &"--output",
            &out,
            &"--checkpoint",
            &checkpoint,
        ])
    };
    let first = replay();
    assert_error_at(&first, &events, 8, "first run");
    // The restart resumes at the bad row (not at the header), so it says the same.
    let again = replay();
    assert_error_at(&again, &events, 8, "the same command again");
    let error_line = |output| {
        stderr(output)
            .lines()
            .find(|l| l.contains("error:"))
            .map(str::to_string)
    };
    assert_eq!(error_line(&again), error_line(&first));
    let (parts, ids, listed) = file_sink_state(&out);
    assert_eq!(listed, parts.iter().cloned().collect::<Vec<_>>());
    assert_eq!(
        ids,
        [0, 1, 2, 3],
        "nothing written twice or past the bad row"
    );
}
