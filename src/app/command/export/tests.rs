//! The exported program's text: patterns, placeholders, quoting.
use super::*;

fn spec(source: ExportSource) -> JobSpec {
    JobSpec {
        format: crate::app::config::Format::Text,
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

fn pattern(chrono: &str) -> String {
    WindowPattern::from_chrono(chrono)
        .unwrap()
        .spark()
        .to_string()
}

#[test]
fn chrono_patterns_become_spark_patterns() {
    assert_eq!(pattern("%H%M%S"), "HHmmss");
    assert_eq!(
        WindowPattern::default(),
        WindowPattern::from_chrono("%H%M%S").unwrap()
    );
    assert_eq!(pattern("%Y-%m-%d %H:%M:%S"), "yyyy-MM-dd HH:mm:ss");
    assert_eq!(pattern("%F %T%.3f"), "yyyy-MM-dd HH:mm:ss.SSS");
    assert_eq!(pattern("%Hh%M"), "HH'h'mm");
    assert_eq!(pattern("at %-H o'clock"), "'at 'H' o''clock'");
    assert_eq!(pattern("%d %b %Y, %I %p %:z"), "dd MMM yyyy, hh a xxx");
    assert_eq!(pattern("100%% %j"), "100% DDD");
}

#[test]
fn refuses_patterns_spark_cannot_write() {
    for bad in ["%e", "%s", "%Z", "%U", "%.f", "%Q", ""] {
        let err = WindowPattern::from_chrono(bad).unwrap_err().to_string();
        assert!(err.contains("--window-format"), "{bad:?}: {err}");
    }
}

#[test]
fn every_placeholder_and_marker_is_filled_in() {
    let replay = ExportSource::ReplayDir("staged".into());
    for source in [socket(), replay] {
        let text = job(&spec(source.clone()));
        let leftover = text.split('@').skip(1).step_by(2).find(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        assert_eq!(leftover, None, "{source:?}");
        assert!(!text.contains("# <"), "{source:?}: a block marker is left");
        assert_eq!(text.matches("def load_input_stream").count(), 1);
    }
}

#[test]
fn the_job_says_what_it_runs() {
    let text = job(&spec(socket()));
    for needle in [
        "SPARK_VERSION = \"3.5.3\"",
        "WINDOW = \"30 seconds\"",
        "SLIDE = \"15 seconds\"",
        "WATERMARK = \"15 seconds\"",
        "TRIGGER = \"15 seconds\"",
        "STREAM_HOST = \"localhost\"",
        "STREAM_PORT = 9999",
        "SINK = \"console\"",
        "WINDOW_PATTERN = \"HHmmss\"",
        "local[*]",
        "window-tui --source localhost:9999 --window '30 seconds'",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
    assert!(!text.contains("REPLAY_DIR"));
}

#[test]
fn user_text_cannot_break_out_of_strings() {
    let mut s = spec(ExportSource::ReplayDir(r#"dir """\N{x}"#.into()));
    s.output = "out\nput".into();
    let text = job(&s);
    assert!(
        text.contains(r#"REPLAY_DIR = "dir \"\"\"\\N{x}""#),
        "{text}"
    );
    assert!(text.contains(r#"APP_DATA_OUTPUT_DIR = "out\nput""#));
    let plain = job(&spec(ExportSource::ReplayDir("staged".into())));
    let quotes = |t: &str| t.matches("\"\"\"").count();
    assert_eq!(
        quotes(&text),
        quotes(&plain),
        "no docstring opened or closed"
    );
}

#[test]
fn helpers() {
    assert_eq!(shell_word("30 seconds"), "'30 seconds'");
    assert_eq!(shell_word("it's"), r"'it'\''s'");
    assert_eq!(shell_word("[::1]:9999"), "'[::1]:9999'");
    assert_eq!(py_str("a\u{7}\t\"b\\"), r#""a\x07\t\"b\\""#);
    let values = [("A", "@B@".to_string()), ("B", "b".to_string())];
    assert_eq!(substitute("x@A@y@B@ a@b @C@", &values), "x@B@yb a@b @C@");
    assert_eq!(
        wrap("one two three four", 12, 3, "  "),
        "one two\n  three four"
    );
}
