//! A restart deletes no part file it cannot prove its own (a damaged sink log is named), and
//! the progress log has each batch once after kills.

use super::*;

/// The part files under a file sink's folder, by `window=…/name`.
fn part_files(out: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for folder in names(out).into_iter().filter(|n| n.starts_with("window=")) {
        for name in names(&out.join(&folder)) {
            files.push(format!("{folder}/{name}"));
        }
    }
    files
}

#[test]
fn a_damaged_sink_log_deletes_no_part_file_on_restart_and_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 305);
    let events = events.to_str().unwrap();
    let args = ["replay", events, "--sink", "file", "--checkpoint", "ck"];
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let written = part_files(&dir.join("output"));
    assert!(written.len() > 100, "{}", written.len());

    fs::remove_file(dir.join("output/_spark_metadata/299.compact")).unwrap();
    let again = window_tui(dir, &args);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("_spark_metadata/299.compact is missing"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        part_files(&dir.join("output")),
        written,
        "no part file deleted"
    );
}

#[test]
fn a_restart_leaves_part_files_it_cannot_prove_its_own_and_says_so_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 12);
    let events = events.to_str().unwrap();
    let args = ["replay", events, "--sink", "file", "--checkpoint", "ck"];
    let first = window_tui(dir, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let folder = dir.join("output/window=173300-173330");
    let stranger = "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv";
    write(&folder, stranger, "x,1\n");
    let again = window_tui(dir, &args);
    assert!(again.status.success(), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(folder.join(stranger).exists(), "left where it is");
    assert_eq!(err.matches(stranger).count(), 1, "said once: {err}");
    assert!(err.contains("no _spark_metadata entry lists"), "{err}");
}

#[test]
fn the_progress_log_has_each_batch_once_after_kill_9s() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let events = events(dir, 400);
    let mut kills = 0;
    for round in 0u64.. {
        let mut cmd = common::window_tui_in(dir);
        cmd.arg("replay").arg(&events).args([
            "--sink",
            "file",
            "--checkpoint",
            "ck",
            "--progress",
            "p.jsonl",
        ]);
        let mut run = common::Running::spawn(&mut cmd);
        std::thread::sleep(std::time::Duration::from_millis(20 + (round * 37) % 150));
        if run.is_running() && kills < 15 {
            run.kill();
            kills += 1;
            continue;
        }
        let done = run.wait(T);
        assert!(done.status.success(), "{}", done.stderr);
        break;
    }
    let ids: Vec<u64> = common::read_progress(&dir.join("p.jsonl"))
        .iter()
        .map(|p| p["batchId"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = (0..ids.len() as u64).collect();
    assert_eq!(ids, want, "each batch once, in order ({kills} kills)");
    assert!(ids.len() > 400, "{}", ids.len());
}
