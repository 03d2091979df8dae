//! The config layer's tests: what a command line becomes, and the help's examples.

use clap::{CommandFactory, Parser};

use super::help::{
    COMPLETIONS_EXAMPLES, EXPORT_EXAMPLES, MAIN_EXAMPLES, REPLAY_EXAMPLES, SERVE_EXAMPLES,
};
use super::*;
use crate::engine::{Duration, OutputMode, WindowKind};

/// The commands of a help text's examples: each line starting with `window-tui`, joined to
/// the lines it continues onto (ending in `\`), up to its description (two spaces), a pipe,
/// `&&` or a redirection, split as a shell would.
fn examples(help: &str) -> Vec<Vec<String>> {
    let mut commands: Vec<String> = Vec::new();
    let mut open = false;
    for line in help.lines().map(str::trim) {
        let (text, goes_on) = match line.strip_suffix('\\') {
            Some(text) => (text, true),
            None => (line, false),
        };
        match commands.last_mut() {
            Some(command) if open => command.push_str(text),
            _ if text.starts_with("window-tui") => commands.push(text.to_owned()),
            _ => {}
        }
        open = goes_on;
    }
    commands
        .iter()
        .map(|line| {
            let line = line.split("  ").next().unwrap_or(line);
            let line = line.split(['|', '>']).next().unwrap_or(line);
            let line = line.split("&&").next().unwrap_or(line);
            let mut words = Vec::new();
            let (mut word, mut quoted, mut any) = (String::new(), false, false);
            for c in line.chars() {
                match c {
                    '\'' => (quoted, any) = (!quoted, true),
                    ' ' if !quoted => {
                        if any {
                            words.push(std::mem::take(&mut word));
                        }
                        any = false;
                    }
                    c => (word.push(c), any = true).0,
                }
            }
            if any {
                words.push(word);
            }
            words
        })
        .collect()
}

#[test]
fn a_window_alone_tumbles_as_sparks_window_without_a_slide() {
    let window = |args: &[&str]| {
        let cli = Cli::try_parse_from([&["window-tui"], args].concat()).unwrap();
        let Some(config::Command::Live(live)) = cli.into_command(Zone::utc()).ok() else {
            panic!("a live run expected")
        };
        match live.query.window() {
            WindowKind::Sliding(spec) => (spec.size() / 1_000_000, spec.slide() / 1_000_000),
            WindowKind::Session { .. } => panic!("sliding expected"),
        }
    };
    assert_eq!(window(&[]), (30, 15), "the seed's");
    assert_eq!(window(&["--window", "10 seconds"]), (10, 10));
    assert_eq!(window(&["--window", "1m", "--slide", "20s"]), (60, 20));
    assert_eq!(window(&["--slide", "10s"]), (30, 10));
}

#[test]
fn every_help_example_works_as_written() {
    let helps = [
        MAIN_EXAMPLES,
        REPLAY_EXAMPLES,
        SERVE_EXAMPLES,
        EXPORT_EXAMPLES,
        COMPLETIONS_EXAMPLES,
        "  window-tui man",
    ];
    for line in helps.iter().flat_map(|h| h.lines()) {
        assert!(
            line.chars().count() <= 80 || !line.starts_with("  "),
            "{line}"
        );
    }
    let all: Vec<Vec<String>> = helps.iter().flat_map(|h| examples(h)).collect();
    assert!(all.len() > 20, "{all:?}");
    let continued = ["--output-mode", "complete", "-o", "sessions.py"];
    assert!(
        all.iter()
            .any(|words| words.ends_with(&continued.map(String::from)))
    );
    for words in all {
        let cli = Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{words:?}: {e}"));
        let command = cli
            .into_command(Zone::utc())
            .unwrap_or_else(|e| panic!("{words:?}: {e}"));
        // A file an example names is there (the command runs from the project's folder).
        if let config::Command::Serve(serve) = &command {
            crate::app::source::server::Program::new(&serve.generator)
                .unwrap_or_else(|e| panic!("{words:?}: {e:#}"));
        }
    }
}

#[test]
fn the_output_mode_is_read_in_any_case_as_spark_reads_it() {
    for (given, mode) in [
        ("Update", OutputMode::Update),
        ("COMPLETE", OutputMode::Complete),
        ("append", OutputMode::Append),
    ] {
        let cli = Cli::try_parse_from(["window-tui", "--output-mode", given]).unwrap();
        let Some(config::Command::Live(live)) = cli.into_command(Zone::utc()).ok() else {
            panic!("a live run expected")
        };
        assert_eq!(live.query.mode(), mode, "{given}");
    }
}

#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn byte_sizes() {
    assert_eq!("1MiB".parse(), Ok(ByteSize(1 << 20)));
    assert_eq!("64 KiB".parse(), Ok(ByteSize(64 << 10)));
    assert_eq!("1048576".parse(), Ok(ByteSize(1 << 20)));
    assert_eq!("2MB".parse(), Ok(ByteSize(2_000_000)));
    assert!("0".parse::<ByteSize>().is_err());
    assert_eq!("1GiB".parse(), Ok(ByteSize(1 << 30)));
    assert_eq!(playback_speed("0.125"), Ok(0.125));
    for bad in ["1e-30", "2000", "0", "-1", "NaN", "inf", "fast"] {
        assert!(playback_speed(bad).is_err(), "{bad}");
    }
    assert!("1025MiB".parse::<ByteSize>().is_err());
    assert!("99999999999999999999GiB".parse::<ByteSize>().is_err());
    assert!("1 parsec".parse::<ByteSize>().is_err());
    // A fraction is said to be one, not taken for a unit (".5mib").
    let fraction = "1.5MiB".parse::<ByteSize>().unwrap_err();
    assert!(fraction.contains("no fraction"), "{fraction}");
}

#[test]
fn host_ports() {
    assert_eq!(
        parse_host_port("localhost:9999"),
        Ok(("localhost".into(), 9999))
    );
    assert_eq!(parse_host_port("127.0.0.1:1"), Ok(("127.0.0.1".into(), 1)));
    assert_eq!(parse_host_port("[::1]:80"), Ok(("::1".into(), 80)));
    assert!(parse_host_port("nohost").is_err());
    assert!(parse_host_port(":80").is_err());
    assert!(parse_host_port("h:port").is_err());
}

#[test]
fn spark_durations_on_the_command_line() {
    let cli = Cli::try_parse_from([
        "window-tui",
        "replay",
        "e.csv",
        "--window",
        "1 minute",
        "--slide",
        "15s",
        "--sink",
        "console,json",
        "--sink",
        "file",
    ])
    .unwrap();
    let Some(Command::Replay(args)) = cli.command else {
        panic!("replay expected")
    };
    assert_eq!(args.query.window, Some(Duration::from_secs(60)));
    assert_eq!(args.query.slide, Some(Duration::from_secs(15)));
    assert_eq!(
        args.sinks.sinks,
        vec![SinkKind::Console, SinkKind::Json, SinkKind::File]
    );
    let err = Cli::try_parse_from(["window-tui", "--window", "15 fortnights"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("fortnights"));
}

/// `--file` is read by the file generator only: given to the random one it would be ignored, an
/// error that says what to add; beside an external `--source` it is a usage error.
#[test]
fn a_file_for_no_file_generator_is_refused() {
    let error = |args: &[&str]| {
        let cli = Cli::try_parse_from([&["window-tui"], args].concat()).unwrap();
        cli.into_command(Zone::utc()).err().map(|e| e.to_string())
    };
    let live = error(&["--headless", "--file", "lines.txt"]).unwrap();
    assert!(live.contains("add --generator file"), "{live}");
    let serve = error(&["serve", "--file", "lines.txt"]).unwrap();
    assert!(serve.contains("add --output file"), "{serve}");
    let external = Cli::try_parse_from(["window-tui", "--source", "h:1", "--file", "l.txt"]);
    assert_eq!(external.err().map(|e| e.exit_code()), Some(2));
    assert_eq!(error(&["--generator", "file", "--file", "lines.txt"]), None);
    assert_eq!(
        error(&["serve", "--output", "file", "--file", "lines.txt"]),
        None
    );
}
