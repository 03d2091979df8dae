//! The exported program's text: patterns, placeholders, quoting, and each part of the query
//! family as Python; the window-tui command it gives parses back to the same query.
use clap::Parser as _;

use super::text::{keep_blocks, shell_word, substitute};
use super::*;
use crate::app::cli::Cli;
use crate::app::command::replay;
use crate::app::config::Command;
use crate::engine::Zone;

/// The job `window-tui export-spark ARGS` describes.
fn spec_of(args: &[&str]) -> JobSpec {
    let words = ["window-tui", "export-spark"].iter().chain(args);
    let cli = Cli::try_parse_from(words).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    match cli.into_command(Zone::utc()) {
        Ok(Command::Export(config)) => JobSpec::new(&config).unwrap(),
        Ok(_) => panic!("{args:?}: not an export"),
        Err(e) => panic!("{args:?}: {e}"),
    }
}

fn seed(source: ExportSource) -> JobSpec {
    JobSpec {
        format: Format::Text,
        query: Query::seed(),
        trigger: Duration::from_secs(15),
        sink: SinkKind::Console,
        output: "output".into(),
        checkpoint: "checkpoint".into(),
        source,
        window_pattern: WindowPattern::default(),
    }
}

fn socket() -> ExportSource {
    ExportSource::Socket {
        host: "localhost".into(),
        port: 9999,
    }
}

const CSV: &[&str] = &[
    "--format",
    "csv",
    "--schema",
    "ts TIMESTAMP, user STRING, bytes LONG",
    "--event-time",
    "ts",
    "--group-by",
    "user",
    "--agg",
    "count,sum(bytes),avg(bytes),min(bytes),max(bytes),count(bytes)",
];

/// A query of each kind: sources, formats, window kinds, output modes.
fn family() -> Vec<Vec<&'static str>> {
    let with = |extra: &[&'static str]| CSV.iter().chain(extra).copied().collect::<Vec<_>>();
    vec![
        vec![],
        vec!["--replay-dir", "staged"],
        vec!["--output-mode", "update"],
        vec!["--output-mode", "complete", "--group-by", ""],
        with(&[]),
        with(&["--sink", "file"]),
        with(&["--replay-dir", "staged", "--output-mode", "update"]),
        with(&["--session-gap", "10 seconds", "--output-mode", "complete"]),
        [&["--format", "json"], &CSV[2..], &["--session-gap", "5s"]].concat(),
        vec![
            "--format",
            "json",
            "--schema",
            "`a.b` STRING, `event time` TIMESTAMP",
            "--group-by",
            "a.b",
            "--agg",
            "max(`event time`)",
        ],
        vec![
            "--format",
            "text",
            "--schema",
            "line STRING",
            "--group-by",
            "line",
        ],
        vec!["--event-time", "payload", "--replay-dir", "staged"],
    ]
}

#[test]
fn every_placeholder_and_marker_is_filled_in() {
    for args in family() {
        let text = job(&spec_of(&args));
        let leftover = text.split('@').skip(1).step_by(2).find(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        assert_eq!(leftover, None, "{args:?}");
        assert!(!text.contains("# <"), "{args:?}: a block marker is left");
        assert!(
            !text.contains("\n\n\n\n"),
            "{args:?}: more than two blank lines"
        );
        for function in ["def load_input_stream", "def transformations"] {
            assert_eq!(text.matches(function).count(), 1, "{args:?}: {function}");
        }
        let socket = !args.contains(&"--replay-dir");
        assert_eq!(text.matches("def parse_lines").count(), usize::from(socket));
        let typed = args.contains(&"csv") || args.contains(&"json");
        assert_eq!(text.contains("def read_cell"), typed || !socket, "{args:?}");
    }
}

#[test]
fn the_job_says_what_it_runs() {
    let text = job(&seed(socket()));
    for needle in [
        "\"\"\"Windowed counts in append mode, with Apache Spark Structured Streaming.",
        "    stream.withWatermark(\"timestamp\", \"15 seconds\")\n          .groupBy(window(",
        "SPARK_VERSION = \"3.5.3\"",
        "WINDOW = \"30 seconds\"",
        "SLIDE = \"15 seconds\"",
        "WATERMARK = \"15 seconds\"",
        "OUTPUT_MODE = \"append\"",
        "TRIGGER = \"15 seconds\"",
        "STREAM_HOST = \"localhost\"",
        "STREAM_PORT = 9999",
        "SINK = \"console\"",
        "WINDOW_PATTERN = \"HHmmss\"",
        "return lines.select(F.col(\"value\").alias(\"value\"), F.col(\"timestamp\").alias(ARRIVAL))",
        "local[*]",
        "window-tui --source localhost:9999 --window '30 seconds'",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
    assert!(!text.contains("REPLAY_DIR"));
    assert!(!text.contains("CORRUPT"));
    assert!(text.lines().all(|l| l.len() <= 100));
}

#[test]
fn each_part_of_the_family_as_python() {
    let spec = spec_of(CSV);
    let q = &spec.query;
    assert_eq!(
        query::group_by(q),
        "F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\"), \"user\""
    );
    assert_eq!(
        query::aggregates(q),
        "\n            F.count(F.lit(1)).alias(\"count\"),\n            \
         F.sum(\"bytes\").alias(\"sum(bytes)\"),\n            \
         F.avg(\"bytes\").alias(\"avg(bytes)\"),\n            \
         F.min(\"bytes\").alias(\"min(bytes)\"),\n            \
         F.max(\"bytes\").alias(\"max(bytes)\"),\n            \
         F.count(\"bytes\").alias(\"count(bytes)\"),\n        "
    );
    assert_eq!(
        query::output_columns(q),
        "\n            stringify_window(\"window\").alias(\"window\"),\n            \"user\",\n            \
         \"count\",\n            \"`sum(bytes)`\",\n            \"`avg(bytes)`\",\n            \
         \"`min(bytes)`\",\n            \"`max(bytes)`\",\n            \"`count(bytes)`\",\n        "
    );
    assert_eq!(
        query::columns_list(q.schema()),
        "[(\"ts\", \"TIMESTAMP\"), (\"user\", \"STRING\"), (\"bytes\", \"BIGINT\")]"
    );
    assert_eq!(query::title(q), "Windowed aggregates in append mode");
    assert_eq!(
        query::code(q),
        "    stream.withWatermark(\"ts\", \"15 seconds\")\n          .groupBy(window(\"ts\", \
         \"30 seconds\", \"15 seconds\"), \"user\")\n          .agg(count(\"*\").alias(\"count\"), \
         sum(\"bytes\"), avg(\"bytes\"), min(\"bytes\"), max(\"bytes\"),\n               \
         count(\"bytes\"))"
    );
    let text = job(&spec);
    for needle in [
        "EVENT_TIME = \"ts\"",
        "COLUMNS = [(\"ts\", \"TIMESTAMP\"), (\"user\", \"STRING\"), (\"bytes\", \"BIGINT\")]",
        "CORRUPT = \"_corrupt_record\"",
        "F.from_csv(\"value\"",
        "value = read_cell(text, data_type, epoch_millis=True)",
        "`user,count,sum(bytes),avg(bytes),min(bytes),max(bytes),count(bytes)` rows",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }

    let session = spec_of(
        &[
            CSV,
            &["--session-gap", "10 seconds", "--output-mode", "complete"],
        ]
        .concat(),
    );
    let q = &session.query;
    assert_eq!(query::window_constants(q), "SESSION_GAP = \"10 seconds\"");
    assert!(query::group_by(q).starts_with(
        "F.session_window(quoted(EVENT_TIME), SESSION_GAP).alias(\"window\"), \"user\""
    ));
    assert_eq!(
        query::title(q),
        "Session-windowed aggregates in complete mode"
    );
    let text = job(&session);
    assert!(text.contains("SINKS = [\"console\"]"), "{text}");
    assert!(text.contains("(no file sink: Spark's file sink takes append mode only"));
    assert!(text.contains("In complete mode: each micro-batch writes the whole"));

    let update = spec_of(&["--output-mode", "update", "--group-by", ""]);
    assert_eq!(
        query::output_columns(&update.query),
        "stringify_window(\"window\").alias(\"window\"), \"count\""
    );
    assert!(job(&update).contains("In update mode: each micro-batch writes the rows"));
    assert!(
        job(&update)
            .contains(".groupBy(F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\"))")
    );

    let json = spec_of(&[
        "--format",
        "json",
        "--schema",
        "`a.b` STRING, timestamp STRING, _corrupt_record LONG",
        "--group-by",
        "a.b",
        "--agg",
        "sum(_corrupt_record)",
    ]);
    let text = job(&json);
    for needle in [
        "ARRIVAL = \"arrival_timestamp\"",
        "EVENT_TIME = \"arrival_timestamp\"",
        "CORRUPT = \"_corrupt_record_\"",
        "F.from_json(\"value\"",
        ".groupBy(F.window(quoted(EVENT_TIME), WINDOW, SLIDE).alias(\"window\"), \"`a.b`\")",
        ".agg(F.sum(\"_corrupt_record\").alias(\"sum(_corrupt_record)\"))",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
}

#[test]
fn staged_files_are_a_recording() {
    let seed = spec_of(&["--replay-dir", "staged"]);
    let staged = query::staged_query(&seed.query).unwrap();
    assert_eq!(
        staged.schema().to_string(),
        "event_time TIMESTAMP, value STRING"
    );
    assert_eq!(staged.event_time_name(), "event_time");
    let text = job(&seed);
    for needle in [
        "REPLAY_DIR = \"staged\"",
        "COLUMNS = [(\"event_time\", \"TIMESTAMP\"), (\"value\", \"STRING\")]",
        "EVENT_TIME = \"event_time\"",
        "header `batch,event_time,value`",
        ".option(\"nullValue\", \"\\u0000\")",
        "def read_staged(text, name, data_type):",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
    let typed = spec_of(&[CSV, &["--replay-dir", "staged"]].concat());
    assert_eq!(query::staged_query(&typed.query).unwrap(), typed.query);
    assert!(job(&typed).contains("header `batch,ts,user,bytes`"));
}

/// The words of the docstring's window-tui command, parsed by window-tui's own command line.
fn parse_back(words: &[String]) -> Command {
    let cli = Cli::try_parse_from(words).unwrap_or_else(|e| panic!("{words:?}: {e}"));
    cli.into_command(Zone::utc())
        .unwrap_or_else(|e| panic!("{words:?}: {e}"))
}

#[test]
fn the_window_tui_command_runs_the_same_query() {
    for args in family() {
        let spec = spec_of(&args);
        let words = command::window_tui_words(&spec);
        match (parse_back(&words), &spec.source) {
            (Command::Live(live), ExportSource::Socket { .. }) => {
                assert_eq!(live.query, spec.query, "{words:?}");
                assert_eq!(live.format, spec.format, "{words:?}");
                assert_eq!(live.trigger, spec.trigger, "{words:?}");
            }
            (Command::Replay(config), ExportSource::ReplayDir(_)) => {
                let staged = query::staged_query(&spec.query).unwrap();
                let columns: Vec<String> = staged
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                let (query, _) = replay::query_of(&config.query, &columns).unwrap();
                assert_eq!(query, staged, "{words:?}");
            }
            _ => panic!("{words:?}: not the command of {:?}", spec.source),
        }
    }
    let words = command::window_tui_words(&spec_of(&[CSV, &["--sink", "file"]].concat()));
    assert!(
        words.ends_with(&["--sink".into(), "file".into()]),
        "{words:?}"
    );
}

#[test]
fn the_file_sink_takes_append_mode_only() {
    assert!(check_sink(SinkKind::File, OutputMode::Append).is_ok());
    assert!(check_sink(SinkKind::Console, OutputMode::Update).is_ok());
    for mode in [OutputMode::Update, OutputMode::Complete] {
        let err = check_sink(SinkKind::File, mode).unwrap_err().to_string();
        assert!(err.contains("append mode only"), "{err}");
    }
}

#[test]
fn user_text_cannot_break_out_of_strings() {
    let mut s = seed(ExportSource::ReplayDir(r#"dir """\N{x}"#.into()));
    s.output = "out\nput".into();
    let text = job(&s);
    assert!(
        text.contains(r#"REPLAY_DIR = "dir \"\"\"\\N{x}""#),
        "{text}"
    );
    assert!(text.contains(r#"APP_DATA_OUTPUT_DIR = "out\nput""#));
    let plain = job(&seed(ExportSource::ReplayDir("staged".into())));
    let quotes = |t: &str| t.matches("\"\"\"").count();
    assert_eq!(
        quotes(&text),
        quotes(&plain),
        "no docstring opened or closed"
    );
    let odd = spec_of(&[
        "--format",
        "csv",
        "--schema",
        r#"`x"""y` STRING, `\N` LONG"#,
        "--group-by",
        r#"x"""y"#,
        "--agg",
        r"sum(`\N`)",
    ]);
    let plain = spec_of(&[
        "--format",
        "csv",
        "--schema",
        "a STRING, b LONG",
        "--group-by",
        "a",
        "--agg",
        "sum(b)",
    ]);
    let text = job(&odd);
    assert_eq!(quotes(&text), quotes(&job(&plain)), "{text}");
    assert!(!text.contains(r"\N`") || text.contains(r"\\N`"), "{text}");
}

#[test]
fn helpers() {
    assert_eq!(shell_word("30 seconds"), "'30 seconds'");
    assert_eq!(shell_word("it's"), r"'it'\''s'");
    assert_eq!(shell_word("[::1]:9999"), "'[::1]:9999'");
    assert_eq!(text::py_str("a\u{7}\t\"b\\"), r#""a\x07\t\"b\\""#);
    assert_eq!(text::doc_text(r#"say "hi" """ \"#), r#"say "hi" \"\"" \\"#);
    let values = [("A", "@B@".to_string()), ("B", "b".to_string())];
    assert_eq!(substitute("x@A@y@B@ a@b @C@", &values), "x@B@yb a@b @C@");
    assert_eq!(
        text::wrap("one two three four", 12, 3, "  "),
        "one two\n  three four"
    );
    let words: Vec<String> = ["window-tui", "--window", "30 seconds", "--sink", "file"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        text::shell_lines(&words, 30, "  "),
        "window-tui \\\n  --window '30 seconds' \\\n  --sink file"
    );
    assert_eq!(
        keep_blocks("a\n# <x>\nx\n# </x>\n# <y>\ny\n# </y>\n\n\n\n\nb\n", &["y"]),
        "a\ny\n\n\nb\n"
    );
}

/// The docstring's server sends what the job reads: the seed's integers to a job of text
/// lines, a file of records to a job of CSV or JSON lines (integers it would reject).
#[test]
fn the_server_the_docstring_starts_sends_what_the_job_reads() {
    let seed = render(&seed(socket()), "job.py");
    assert!(
        seed.contains("    window-tui serve --port 9999 &"),
        "{seed}"
    );
    let csv = render(&spec_of(CSV), "job.py");
    assert!(
        csv.contains("window-tui serve --port 9999 --output file --file records.csv &"),
        "{csv}"
    );
    let mut json = CSV.to_vec();
    json[1] = "json";
    let json = render(&spec_of(&json), "job.py");
    assert!(
        json.contains("--output file --file records.jsonl &"),
        "{json}"
    );
    for job in [seed, csv, json] {
        let serve = job.lines().find(|line| line.contains("window-tui serve"));
        assert!(serve.is_some_and(|line| line.len() <= 100), "{job}");
    }
}

/// Staged files are CSV: a job reading them takes a typed schema without `--format csv`.
#[test]
fn a_replay_dir_job_takes_a_typed_schema_without_a_format() {
    // CSV's options but --format csv.
    let args: Vec<&str> = ["--replay-dir", "staged"]
        .iter()
        .chain(&CSV[2..])
        .copied()
        .collect();
    let spec = spec_of(&args);
    assert_eq!(spec.job_query().output_names()[1], "user");
}

/// The closing line names the columns the job reads: a job of staged files, `event_time`.
#[test]
fn the_closing_line_states_the_query_the_job_runs() {
    let spec = spec_of(&["--session-gap", "10s", "--replay-dir", "staged"]);
    let said = written(&spec, std::path::Path::new("job.py"));
    assert!(said.contains("session_window(\"event_time\""), "{said}");
    assert!(!said.contains("\"timestamp\""), "{said}");
}
