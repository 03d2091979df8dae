//! Checkpoints: the format before continued as that build would, a time zone's other name, and
//! a damaged checkpoint named.

use super::*;

/// Copies the folder `from` into `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The fixture's format-3 checkpoint in `dir/ck`, its metadata naming the replay file
/// `dir/events.csv` as window-tui 095d73b named its input (path, size, CRC-32 of the first 64 KiB).
fn format_3_checkpoint(fixture: &Path, dir: &Path) {
    let events = dir.join("events.csv");
    fs::copy(fixture.join("events.csv"), &events).unwrap();
    let ck = dir.join("ck");
    copy_dir(&fixture.join("checkpoint"), &ck);
    let data = fs::read(ck.join("metadata")).unwrap();
    let newline = data.iter().position(|&b| b == b'\n').unwrap();
    let mut metadata: serde_json::Value = serde_json::from_slice(&data[newline + 1..]).unwrap();
    let text = fs::read(&events).unwrap();
    metadata["spec"]["input"] = format!(
        "replay of {} ({} bytes, crc {:08x})",
        fs::canonicalize(&events).unwrap().display(),
        text.len(),
        crc32fast::hash(&text[..text.len().min(64 * 1024)])
    )
    .into();
    let body = serde_json::to_vec(&metadata).unwrap();
    let header = format!(
        "window-tui-checkpoint v3 metadata {} {:08x}\n",
        body.len(),
        crc32fast::hash(&body)
    );
    fs::write(ck.join("metadata"), [header.as_bytes(), &body].concat()).unwrap();
}

#[test]
fn a_checkpoint_of_the_format_before_is_continued_as_that_build_would() {
    // Made by window-tui 095d73b (checkpoint format 3): a replay of the first 15 ticks of
    // `events.csv` with this query; `resumed.json` is what that build printed when it went on
    // with the whole file, and `resumed-after-crash.json` what it printed with batch 15's commit
    // and delta removed (as a kill between its offsets and its commit leaves them).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkpoint-format-3");
    let query = [
        "--group-by",
        "value",
        "--agg",
        "count,min(event_time)",
        "--output-mode",
        "update",
        "--watermark",
        "2 seconds",
        "--window",
        "4 seconds",
        "--slide",
        "2 seconds",
        "--sink",
        "json",
    ];
    // Run in the zone the fixture was made in (`TZ` unset: the system's, `Etc/UTC`).
    let window_tui = |dir: &Path, args: &[&str]| {
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd)
            .env("TZ", "Etc/UTC")
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run window-tui")
    };
    for (crashed, want, batch) in [
        (false, "resumed.json", 16),
        (true, "resumed-after-crash.json", 15),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        format_3_checkpoint(&fixture, dir);
        if crashed {
            fs::remove_file(dir.join("ck/commits/15")).unwrap();
            fs::remove_file(dir.join("ck/state/15.delta")).unwrap();
        }
        let mut args = vec!["replay", "events.csv", "--checkpoint", "ck"];
        args.extend(query);
        let out = window_tui(dir, &args);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains(&format!("resuming at batch {batch} from the checkpoint ck")),
            "{err}"
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            fs::read_to_string(fixture.join(want)).unwrap(),
            "{want}"
        );
        // The old files are gone, the log holds the run, and a run after this one goes on.
        let mut names: Vec<String> = fs::read_dir(dir.join("ck"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".window-tui.lock", "log", "metadata"]);
        let again = window_tui(dir, &args);
        let next = format!("resuming at batch {}", batch + 10);
        assert!(stderr(&again).contains(&next), "{}", stderr(&again));
    }
}

#[test]
fn a_checkpoint_is_the_same_querys_whatever_the_name_of_its_time_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    events(dir, 3);
    let in_zone = |tz: Option<&str>| {
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd);
        match tz {
            Some(tz) => cmd.env("TZ", tz),
            None => cmd.env_remove("TZ"),
        };
        cmd.current_dir(dir)
            .args([
                "replay",
                "events.csv",
                "--sink",
                "json",
                "--checkpoint",
                "ck",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("cannot run window-tui")
    };
    let first = in_zone(Some("UTC"));
    assert!(first.status.success(), "{}", stderr(&first));
    // `TZ` unset is the system's zone (`Etc/UTC` here, or whatever it is: then refused below).
    let system_is_utc = fs::read_to_string("/etc/timezone").is_ok_and(|z| z.trim() == "Etc/UTC");
    let mut same = vec![Some("Etc/UTC"), Some("Zulu"), Some("UTC0"), Some(":UTC")];
    if system_is_utc {
        same.push(None);
    }
    for tz in same {
        let out = in_zone(tz);
        assert!(out.status.success(), "TZ={tz:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("resuming"),
            "TZ={tz:?}: {}",
            stderr(&out)
        );
    }
    let out = in_zone(Some("Europe/Paris"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("its time zone is UTC, this run's Europe/Paris"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_damaged_checkpoint_is_an_error_naming_what_is_missing_and_clean_starts_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    events(dir, 4);
    let args = [
        "replay",
        "events.csv",
        "--sink",
        "json",
        "--checkpoint",
        "ck",
    ];
    let clean = [&args[..], &["--clean"]].concat();
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!first.stdout.is_empty());
    // Its log gone: an error (exit status 1, a failure: nothing typed is wrong), not a restart.
    fs::remove_dir_all(dir.join("ck/log")).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ck/log holds no log"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "nothing emitted again");
    let again = window_tui(dir, &clean);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(again.stdout, first.stdout, "--clean starts over");
    // Its metadata gone: an error, and the advice to use --clean works.
    fs::remove_file(dir.join("ck/metadata")).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no metadata") && err.contains("--clean"),
        "{err}"
    );
    let again = window_tui(dir, &clean);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("removed the checkpoint"),
        "{}",
        stderr(&again)
    );
    assert_eq!(again.stdout, first.stdout, "--clean starts over");
    // Its metadata corrupt: the same class of error, naming the file.
    let metadata = dir.join("ck/metadata");
    let mut bytes = fs::read(&metadata).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&metadata, bytes).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("ck/metadata"), "{}", stderr(&out));
}

#[test]
fn a_checkpoint_log_cut_short_behind_the_output_is_refused_and_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    events(dir, 8);
    let args = [
        "replay",
        "events.csv",
        "--sink",
        "file",
        "--output",
        "out",
        "--checkpoint",
        "ck",
    ];
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    // The log cut in the middle: it reads as if a kill had cut its last record short, at a
    // batch the output is past, which no crash leaves.
    let log = fs::read_dir(dir.join("ck/log"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = fs::read(&log).unwrap();
    let cut = &bytes[..bytes.len() * 2 / 3];
    fs::write(&log, cut).unwrap();
    let out = window_tui(dir, &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("which no crash leaves")
            && err.contains("the checkpoint lost its newest batches"),
        "{err}"
    );
    assert_eq!(fs::read(&log).unwrap(), cut, "the log is left as it was");
}
