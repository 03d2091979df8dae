//! The command line's own help: shell completions, the manual page, boolean variables, errors
//! that name the variable a bad value came from, and no misleading tips.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, hermetic, output_to_full, output_with_env as window_tui};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn completions_and_the_manual_page() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = window_tui(tmp.path(), &["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("window-tui") && script.contains("export-spark"),
            "{shell}"
        );
        assert!(script.contains("watermark"), "{shell}");
    }
    let out = window_tui(tmp.path(), &["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = window_tui(tmp.path(), &["man"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(".TH window-tui 1") && page.contains("\\-\\-watermark"),
        "{page}"
    );
}

/// The bash script completes a subcommand's options as well as the main command's (clap's
/// script, as generated, completed none of a subcommand's: clap-rs/clap#6421).
#[test]
fn bash_completes_the_options_of_subcommands() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(tmp.path(), &["completions", "bash"], &[]);
    let script = tmp.path().join("window-tui.bash");
    std::fs::write(&script, out.stdout).unwrap();
    let complete = |words: &str| {
        let run = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
                 _window__tui window-tui \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
                 echo \"${{COMPREPLY[*]}}\"",
                script.display()
            ))
            .output()
            .expect("bash");
        String::from_utf8_lossy(&run.stdout).trim().to_string()
    };
    assert_eq!(complete("window-tui --output-m"), "--output-mode");
    assert_eq!(complete("window-tui replay --on-b"), "--on-bad-row");
    assert_eq!(complete("window-tui serve --po"), "--port");
    assert_eq!(complete("window-tui export-spark --forc"), "--force");
}

#[test]
fn boolean_variables_take_1_0_true_false_yes_no() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |headless: &str, no_checkpoint: &str| {
        let dir = tmp.path().join(format!("{headless}-{no_checkpoint}"));
        std::fs::create_dir(&dir).unwrap();
        let out = window_tui(
            &dir,
            &[
                "--count",
                "2",
                "--delay",
                "0ms",
                "--trigger",
                "50ms",
                "--sink",
                "json",
            ],
            &[
                ("WINDOW_TUI_HEADLESS", headless),
                ("WINDOW_TUI_NO_CHECKPOINT", no_checkpoint),
                // Read as the others are, and no error without --source.
                ("WINDOW_TUI_RECONNECT", headless),
            ],
        );
        assert!(
            out.status.success(),
            "{headless} {no_checkpoint}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("stdout is not a terminal"),
            "{headless}: headless as asked, {}",
            stderr(&out)
        );
        dir.join("checkpoint").exists()
    };
    assert!(!run("1", "yes"));
    assert!(!run("true", "1"));
    assert!(run("yes", "0"));
    assert!(run("1", "no"));
    assert!(run("1", "false"));
    let out = window_tui(
        tmp.path(),
        &["--count", "1"],
        &[("WINDOW_TUI_HEADLESS", "maybe")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("WINDOW_TUI_HEADLESS=\"maybe\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_checkpoint_folder_given_is_not_turned_off_by_no_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let live = [
        "--count",
        "1",
        "--delay",
        "0ms",
        "--trigger",
        "50ms",
        "--sink",
        "json",
    ];
    // The command line's folder wins over the variable, which is not even read.
    let mut args = live.to_vec();
    args.extend(["--checkpoint", "mine"]);
    let out = window_tui(tmp.path(), &args, &[("WINDOW_TUI_NO_CHECKPOINT", "1")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(tmp.path().join("mine/metadata").exists());
    // A variable that says false is no --no-checkpoint, and conflicts with nothing.
    let out = window_tui(
        tmp.path(),
        &live,
        &[
            ("WINDOW_TUI_CHECKPOINT", "theirs"),
            ("WINDOW_TUI_NO_CHECKPOINT", "0"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(tmp.path().join("theirs/metadata").exists());
    // Both typed: bad usage, and nothing runs.
    args.push("--no-checkpoint");
    let out = window_tui(tmp.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_value_from_the_environment_names_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(
        tmp.path(),
        &["replay", "e.csv", "--sink", "json"],
        &[("WINDOW_TUI_WINDOW", "15 fortnights")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("WINDOW_TUI_WINDOW=\"15 fortnights\""), "{err}");
    assert!(err.contains("fortnights\" is not a time unit"), "{err}");
    let out = window_tui(
        tmp.path(),
        &["replay", "e.csv"],
        &[("WINDOW_TUI_SINK", "printer")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("WINDOW_TUI_SINK=\"printer\""),
        "{}",
        stderr(&out)
    );
    // Given on the command line, the value is the command line's.
    let out = window_tui(
        tmp.path(),
        &["replay", "e.csv", "--window", "15 fortnights"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("WINDOW_TUI_"), "{}", stderr(&out));
}

#[test]
fn an_unknown_option_is_an_error_without_a_misleading_tip() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(tmp.path(), &["replay", "e.csv", "--output-dir", "out"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unexpected argument '--output-dir'"), "{err}");
    assert!(!err.contains("tip:"), "{err}");
    let out = window_tui(tmp.path(), &["--headles"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("'--headless'"),
        "a typo keeps its tip: {}",
        stderr(&out)
    );
}

#[test]
fn a_variable_yields_to_the_command_line_and_to_other_commands() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("e.csv"),
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,a\n1,2026-11-23T17:34:00Z,b\n",
    )
    .unwrap();
    let replay = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["replay", "e.csv", "--sink", "json", "--flush-at-end"];
        all.extend_from_slice(args);
        let out = window_tui(tmp.path(), &all, env);
        assert!(out.status.success(), "{args:?} {env:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    // The command line's --window is taken; the variable's value is not even parsed.
    let rows = replay(&["--window", "10s"], &[("WINDOW_TUI_WINDOW", "abc")]);
    assert!(rows.contains("\"end\":\"2026-11-23T17:33:10Z\""), "{rows}");
    // The live pipeline's options are not replay's.
    replay(&[], &[("WINDOW_TUI_TRIGGER", "abc")]);
    replay(&[], &[("WINDOW_TUI_NO_CHECKPOINT", "maybe")]);
    // A variable of the other of an exclusive pair yields to the command line's choice.
    let rows = replay(&["--window", "5s"], &[("WINDOW_TUI_SESSION_GAP", "10s")]);
    assert!(rows.contains("\"end\":\"2026-11-23T17:33:05Z\""), "{rows}");
    let rows = replay(
        &["--session-gap", "10s"],
        &[("WINDOW_TUI_WINDOW", "1m"), ("WINDOW_TUI_SLIDE", "abc")],
    );
    assert!(rows.contains("\"end\":\"2026-11-23T17:33:10Z\""), "{rows}");
    // Two variables that conflict name themselves.
    let out = window_tui(
        tmp.path(),
        &["replay", "e.csv", "--sink", "json"],
        &[
            ("WINDOW_TUI_WINDOW", "1m"),
            ("WINDOW_TUI_SESSION_GAP", "10s"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("WINDOW_TUI_WINDOW=\"1m\"") && err.contains("WINDOW_TUI_SESSION_GAP=\"10s\""),
        "{err}"
    );
    // A subcommand's bad value names the subcommand's variable.
    let out = window_tui(
        tmp.path(),
        &["export-spark"],
        &[("WINDOW_TUI_EXPORT_SINK", "printer")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("WINDOW_TUI_EXPORT_SINK=\"printer\""),
        "{}",
        stderr(&out)
    );
    // The exported job's folders have variables of their own: window-tui's would point the
    // job at window-tui's folders, which the two must not share.
    let job = |env: &[(&str, &str)]| {
        let out = window_tui(tmp.path(), &["export-spark", "--sink", "file"], env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let ours = [
        ("WINDOW_TUI_OUTPUT", "wt-own-output"),
        ("WINDOW_TUI_CHECKPOINT", "wt-own-checkpoint"),
    ];
    let text = job(&ours);
    assert!(!text.contains("wt-own-"), "{text}");
    assert!(text.contains("output-spark") && text.contains("checkpoint-spark"));
    let text = job(&[
        ("WINDOW_TUI_EXPORT_OUTPUT", "job-out"),
        ("WINDOW_TUI_EXPORT_CHECKPOINT", "job-ck"),
    ]);
    assert!(
        text.contains("job-out") && text.contains("job-ck"),
        "{text}"
    );
}

#[test]
fn the_help_and_the_manual_page_say_what_the_tool_does() {
    let tmp = tempfile::tempdir().unwrap();
    let text = |args: &[&str]| {
        let out = window_tui(tmp.path(), args, &[("COLUMNS", "80")]);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let page = text(&["man"]);
    let name = page
        .lines()
        .skip_while(|l| *l != ".SH NAME")
        .nth(1)
        .unwrap();
    for what in ["session", "sum", "avg", "update", "complete"] {
        assert!(name.contains(what), "{what}: {name}");
    }
    assert!(!name.contains("count()"), "{name}");
    let replay = text(&["replay", "--help"]);
    assert!(replay.contains("at most GAP apart"), "{replay}");
    let export = text(&["export-spark", "--help"]);
    assert!(export.contains("`batch,<columns>`"), "{export}");
    // On an 80-column terminal no example is wrapped: in the examples, a line is a command or
    // continues one that ends in `\`.
    for help in [
        text(&["--help"]),
        replay,
        export,
        text(&["serve", "--help"]),
    ] {
        let examples = help.lines().skip_while(|l| !l.starts_with("Example"));
        let examples = examples
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '));
        let mut continued = false;
        for line in examples.filter(|l| !l.is_empty()) {
            let command = line.starts_with("  window-tui");
            assert!(
                command || (continued && line.starts_with("    ")),
                "a wrapped example: {line:?}\n{help}"
            );
            continued = line.ends_with('\\');
        }
    }
}

/// A `--progress` or `--record` file that cannot be written (its folder missing, or a folder
/// itself) is refused with exit status 2 before the checkpoint is made: it was found only when
/// the file was opened, after the checkpoint folder had been created and locked.
#[test]
fn an_unwritable_progress_or_record_file_is_refused_before_anything_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tmp.path().join("events.csv");
    std::fs::write(
        &events,
        "batch,event_time,value\n0,2026-11-23T17:33:00Z,1\n",
    )
    .unwrap();
    let events = events.to_str().unwrap();
    for (args, flag) in [
        (
            vec![
                "replay",
                events,
                "--checkpoint",
                "ck",
                "--progress",
                "missing/p.jsonl",
            ],
            "--progress missing/p.jsonl cannot be written: its folder missing does not exist",
        ),
        (
            vec!["replay", events, "--checkpoint", "ck", "--progress", "."],
            "--progress . is a folder",
        ),
        (
            vec![
                "--headless",
                "--checkpoint",
                "ck",
                "--record",
                "missing/r.csv",
            ],
            "--record missing/r.csv cannot be written",
        ),
    ] {
        let out = window_tui(tmp.path(), &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
        assert!(
            !tmp.path().join("ck").exists(),
            "{args:?}: a checkpoint was made"
        );
    }
}

/// The manual page is one page, the only one `window-tui man` prints: it names no other page
/// (`clap_mangen`'s page listed `window-tui-replay(1)` and the like, written and installed
/// nowhere), and each command's options are in it, in a section of its own.
#[test]
fn the_manual_page_holds_every_command_and_names_no_page_that_does_not_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let out = window_tui(tmp.path(), &["man"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        !page.contains("(1)"),
        "a reference to another page:\n{page}"
    );
    assert_eq!(page.matches(".TH ").count(), 1, "{page}");
    // The long help's examples are headed as a manual's are, not with clap_mangen's EXTRA.
    assert!(!page.contains(".SH EXTRA"), "{page}");
    assert!(
        page.contains(".SH EXAMPLES\nExamples:\n  window\\-tui "),
        "{page}"
    );
    for (command, option) in [
        ("SERVE", "\\-\\-port"),
        ("REPLAY", "\\-\\-on\\-bad\\-row"),
        ("EXPORT-SPARK", "\\-\\-replay\\-dir"),
        ("COMPLETIONS", "fish"),
        ("MAN", "man \\-l \\-"),
    ] {
        let heading = format!(".SH \"WINDOW-TUI {command}\"\n");
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section {heading:?}:\n{page}"));
        let section = &page[at + heading.len()..];
        let section = &section[..section.find(".SH ").unwrap_or(section.len())];
        assert!(section.contains(option), "{command}: {option}\n{section}");
    }
}

/// `--help`, `--version` and what the printing commands print, written to a full disk, is a
/// failure said on stderr (exit status 1): clap's help and version swallowed the error, exit 0.
#[test]
fn a_full_stdout_is_a_failure_said_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["replay", "--help"],
        &["help", "serve"],
        &["completions", "bash"],
        &["man"],
        &["export-spark"],
    ] {
        let out = output_to_full(tmp.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("stdout") && err.contains("No space left on device"),
            "{args:?}: {err}"
        );
    }
}

/// A reader that goes away (`window-tui --help | head -1`) is no failure: exit status 0, and
/// nothing said.
#[test]
fn a_closed_stdout_pipe_is_no_failure() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["man"],
        &["completions", "zsh"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd)
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// An empty item in `--group-by` (or `WINDOW_TUI_GROUP_BY`) is refused as one in `--agg` is,
/// exit status 2, saying which option and what is wrong: it was dropped unseen. `""` alone
/// still groups by the window alone, as documented.
#[test]
fn an_empty_group_by_item_is_refused_but_an_empty_list_is_no_keys() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, env, says) in [
        (
            &["--group-by", "value,,"][..],
            &[][..],
            "'--group-by <COLUMNS>'",
        ),
        (&["--group-by", ",value"], &[], "item 1 of 2 is empty"),
        (&["--group-by", "value, ,x"], &[], "item 2 of 3 is empty"),
        (
            &[],
            &[("WINDOW_TUI_GROUP_BY", "value,,")],
            "WINDOW_TUI_GROUP_BY",
        ),
    ] {
        let err = export_refused(tmp.path(), args, env);
        assert!(
            err.contains(says) && err.contains("empty"),
            "{args:?} {env:?}: {err}"
        );
    }
    for (args, env) in [
        (&["--group-by", ""][..], &[][..]),
        (&["--group-by", " "], &[]),
        (&[], &[("WINDOW_TUI_GROUP_BY", "")]),
    ] {
        let mut full = vec!["export-spark"];
        full.extend_from_slice(args);
        let out = window_tui(tmp.path(), &full, env);
        assert!(out.status.success(), "{args:?} {env:?}: {}", stderr(&out));
        let job = String::from_utf8(out.stdout).unwrap();
        assert!(
            job.contains(".groupBy(window(\"timestamp\", \"30 seconds\", \"15 seconds\"))"),
            "{args:?} {env:?}: {job}"
        );
    }
}

/// A bad `--agg` is refused while the arguments are read, so a bad `WINDOW_TUI_AGG` is said to
/// be the variable's, as every other variable's is.
#[test]
fn a_bad_agg_from_the_environment_names_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, env, says) in [
        (&["--agg", "median(x)"][..], &[][..], "'--agg <AGGS>'"),
        (&[], &[("WINDOW_TUI_AGG", "median(x)")], "WINDOW_TUI_AGG"),
        (&[], &[("WINDOW_TUI_AGG", "count,")], "WINDOW_TUI_AGG"),
    ] {
        let err = export_refused(tmp.path(), args, env);
        assert!(
            err.contains(says) && err.contains("is not an aggregate") && !err.contains("--agg \""),
            "{args:?} {env:?}: {err}"
        );
    }
}

/// `window-tui export-spark ARGS` with `env`, refused as bad usage (exit status 2, nothing on
/// stdout): what it says on stderr.
fn export_refused(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut full = vec!["export-spark"];
    full.extend_from_slice(args);
    let out = window_tui(dir, &full, env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} {env:?}");
    err
}
