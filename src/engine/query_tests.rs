//! The query family: what resolves, what is refused, and how the query reads as Spark code.

use super::*;

fn request(schema: &str, group_by: &str, aggs: &str) -> QueryRequest {
    QueryRequest {
        schema: schema.parse().unwrap(),
        event_time: EventTime::Column("ts".into()),
        group_by: parse_group_by(group_by),
        aggs: parse_aggs(aggs).unwrap(),
        window: WindowRequest::Sliding {
            size: Duration::from_secs(10),
            slide: Duration::from_secs(5),
        },
        delay: Duration::from_secs(5),
        mode: OutputMode::Append,
        max_windows_per_event: MAX_WINDOWS_PER_EVENT,
    }
}

const SCHEMA: &str = "ts TIMESTAMP, user STRING, bytes LONG, x DOUBLE, n INT";

#[test]
fn columns_are_named_as_the_query_spells_them_as_spark_does() {
    // PySpark 3.5.3: groupBy(window, "user").agg(count(lit(1)), sum("bytes"), max("BYTES")) on
    // columns User and Bytes gives window, user, count, sum(bytes), max(BYTES).
    let schema = "TS TIMESTAMP, User STRING, Bytes LONG";
    let query = Query::new(request(schema, "user", "count,sum(bytes),max(BYTES)")).unwrap();
    assert_eq!(
        query.output_names(),
        ["window", "user", "count", "sum(bytes)", "max(BYTES)"]
    );
    let query = Query::new(request(schema, "User", "sum(Bytes)")).unwrap();
    assert_eq!(query.output_names(), ["window", "User", "sum(Bytes)"]);
    assert!(matches!(
        Query::new(request(schema, "user,USER", "count")),
        Err(QueryError::DuplicateColumn(_))
    ));
}

#[test]
fn aggregates_are_named_and_typed_as_spark_does() {
    let query = Query::new(request(
        SCHEMA,
        "user",
        "count,count(x),sum(bytes),sum(x),avg(n),MIN(user),max(n)",
    ))
    .unwrap();
    let got: Vec<(&str, DataType)> = query
        .aggs()
        .iter()
        .map(|a| (a.name.as_str(), a.output))
        .collect();
    assert_eq!(
        got,
        [
            ("count", DataType::Long),
            ("count(x)", DataType::Long),
            ("sum(bytes)", DataType::Long),
            ("sum(x)", DataType::Double),
            ("avg(n)", DataType::Double),
            ("min(user)", DataType::String),
            ("max(n)", DataType::Int),
        ]
    );
    assert_eq!(
        query.output_names(),
        [
            "window",
            "user",
            "count",
            "count(x)",
            "sum(bytes)",
            "sum(x)",
            "avg(n)",
            "min(user)",
            "max(n)"
        ]
    );
    assert!(
        query.order_sensitive(),
        "sum(x) and avg(n) add in row order"
    );
    let exact = Query::new(request(SCHEMA, "user", "count,sum(bytes),min(user),max(n)")).unwrap();
    assert!(!exact.order_sensitive());
    assert!(Query::seed().counts_only());
}

#[test]
fn refuses_queries_that_cannot_run() {
    let err = |r: QueryRequest| Query::new(r).unwrap_err();
    assert!(matches!(
        err(request(SCHEMA, "nobody", "count")),
        QueryError::UnknownColumn { .. }
    ));
    // Spark casts a STRING to DOUBLE for sum and avg; window-tui refuses, saying so.
    let string = err(request(SCHEMA, "user", "sum(user)"));
    assert!(matches!(string, QueryError::NotNumeric { .. }));
    assert!(string.to_string().contains("Spark casts"), "{string}");
    assert!(matches!(
        err(request(SCHEMA, "user", "sum(nothing)")),
        QueryError::UnknownColumn { .. }
    ));
    let mut r = request(SCHEMA, "user", "count");
    r.event_time = EventTime::Column("user".into());
    assert!(matches!(err(r), QueryError::EventTimeType { .. }));
    assert!(matches!(
        err(request(SCHEMA, "user", "count,count")),
        QueryError::DuplicateColumn(_)
    ));
    let mut r = request(SCHEMA, "", "count");
    r.window = WindowRequest::Session {
        gap: Duration::from_secs(5),
    };
    assert_eq!(err(r), QueryError::SessionWithoutKey);
    let mut r = request(SCHEMA, "user", "count");
    r.window = WindowRequest::Session {
        gap: Duration::from_secs(5),
    };
    r.mode = OutputMode::Update;
    assert_eq!(err(r), QueryError::SessionInUpdateMode);
    let mut r = request(SCHEMA, "user", "count");
    r.window = WindowRequest::Sliding {
        size: Duration::from_secs(86_400),
        slide: Duration::from_micros(1_000),
    };
    let message = err(r).to_string();
    assert!(
        message.contains("86400000 windows") && message.contains("--max-windows-per-event"),
        "{message}"
    );
    assert!(matches!(
        parse_aggs("count,"),
        Err(QueryError::AggSyntax(_))
    ));
    assert!(matches!(
        parse_aggs("sum"),
        Err(QueryError::AggNeedsColumn(_))
    ));
    assert!(matches!(
        parse_aggs("median(x)"),
        Err(QueryError::AggSyntax(_))
    ));
}

/// Spark 3.5.3 fails a query grouped by its event-time column beside the window ("More than
/// one event time columns are available") in append and update mode, and with session windows
/// in complete mode too; `window()` in complete mode runs, with the engine's answers.
#[test]
fn refuses_the_event_time_column_as_a_key_where_spark_does() {
    let session = WindowRequest::Session {
        gap: Duration::from_secs(5),
    };
    for mode in [OutputMode::Append, OutputMode::Update, OutputMode::Complete] {
        for (window, sessions) in [
            (request(SCHEMA, "", "count").window, false),
            (session, true),
        ] {
            for group_by in ["ts", "user,TS"] {
                let mut r = request(SCHEMA, group_by, "count");
                (r.window, r.mode) = (window, mode);
                let refused = sessions || mode != OutputMode::Complete;
                let got = Query::new(r);
                if sessions && mode == OutputMode::Update {
                    assert_eq!(got.unwrap_err(), QueryError::SessionInUpdateMode);
                } else if refused {
                    let message = got.unwrap_err().to_string();
                    assert!(
                        message.starts_with("--group-by \"ts\" is the event-time"),
                        "{message}"
                    );
                    assert!(message.contains("More than one event time"), "{message}");
                } else {
                    assert!(got.is_ok(), "{mode:?} {group_by}");
                }
            }
        }
    }
    // Other TIMESTAMP columns, and the event time in an aggregate, are for any window and mode.
    let schema = "ts TIMESTAMP, at TIMESTAMP, user STRING";
    let mut r = request(schema, "user,at", "max(ts),min(at)");
    r.window = session;
    assert!(Query::new(r).is_ok());
}

#[test]
fn reads_as_spark_code() {
    assert_eq!(
        Query::seed().to_string(),
        "withWatermark(\"timestamp\", \"15 seconds\").groupBy(window(\"timestamp\", \"30 seconds\", \"15 seconds\"), \"value\").count() in append mode"
    );
    let mut r = request(SCHEMA, "user", "count,sum(bytes)");
    r.window = WindowRequest::Session {
        gap: Duration::from_secs(6),
    };
    r.mode = OutputMode::Complete;
    assert_eq!(
        Query::new(r).unwrap().to_string(),
        "withWatermark(\"ts\", \"5 seconds\").groupBy(session_window(\"ts\", \"6 seconds\"), \"user\").agg(count(\"*\").alias(\"count\"), sum(\"bytes\")) in complete mode"
    );
}
