//! What a checkpoint is for and must hold: another query's is refused, one zone by another
//! name is the same, and batches without their metadata, or metadata whose batches are gone,
//! are a damaged checkpoint, told from what a kill leaves.

use super::*;

#[test]
fn another_query_is_refused_naming_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let other = Query::sliding_count(
        Duration::from_secs(60),
        Duration::from_secs(15),
        Duration::from_secs(15),
    )
    .unwrap();
    let other_spec = QuerySpec::new(&other, "%H%M%S", "UTC", "socket, arrival time".into());
    let err = Checkpoint::open(dir.path(), other, &other_spec)
        .err()
        .unwrap();
    let text = format!("{err:#}");
    assert!(
        text.contains(r#"window("timestamp", "30 seconds""#)
            && text.contains(r#"window("timestamp", "1 minute""#),
        "{text}"
    );
    assert!(err.is::<BadInput>(), "exit status 2");
    // What differs comes first, each part with both values.
    assert!(
        text.contains("another query: its query is ")
            && !text.contains("--window-format is")
            && !text.contains("input is"),
        "{text}"
    );
    let refusal = |spec: &QuerySpec| {
        let err = Checkpoint::open(dir.path(), query(), spec).err().unwrap();
        format!("{err:#}")
    };
    let format = QuerySpec::new(&query(), "%H:%M", "UTC", "socket, arrival time".into());
    let err = refusal(&format);
    assert!(
        err.contains("another query: its --window-format is %H%M%S, this run's %H:%M."),
        "{err}"
    );
    // The same Spark code from a name spelled otherwise, and a column of another type.
    let mut request = spec().query;
    request.group_by = vec!["VALUE".into()];
    request.schema = "value STRING, extra INT".parse().unwrap();
    let named = QuerySpec {
        query: request,
        ..spec()
    };
    let err = refusal(&named);
    assert!(
        err.contains("another query: its columns are named arrival, value, this run's arrival, VALUE; its columns are ")
            && err.contains("extra INT"),
        "{err}"
    );
    let zone = QuerySpec {
        time_zone: "Pacific/Kiritimati".into(),
        input: "replay events.csv".into(),
        ..spec()
    };
    let err = refusal(&zone);
    assert!(
        err.contains(
            "another query: its time zone is UTC, this run's Pacific/Kiritimati; its input is \
             socket, arrival time, this run's replay events.csv."
        ),
        "{err}"
    );
}

#[test]
fn one_zone_by_another_name_is_the_same_query() {
    let dir = tempfile::tempdir().unwrap();
    Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let named = |zone: &str| QuerySpec {
        time_zone: zone.into(),
        ..spec()
    };
    for zone in ["Etc/UTC", "Zulu", "GMT", "UTC"] {
        Checkpoint::open(dir.path(), query(), &named(zone))
            .unwrap_or_else(|e| panic!("{zone}: {e:#}"));
    }
    for zone in ["Europe/London", "GMT+01:00", "Nowhere/Land"] {
        let err = Checkpoint::open(dir.path(), query(), &named(zone)).err();
        assert!(err.is_some_and(|e| e.is::<BadInput>()), "{zone}");
    }
    // The metadata still names the zone of the run that made it.
    let (_, metadata) = read_metadata(&dir.path().join("metadata")).unwrap();
    assert_eq!(metadata.spec.time_zone, "UTC");
}

#[test]
fn batches_without_metadata_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 1);
    std::fs::remove_file(dir.path().join("metadata")).unwrap();
    let err = Checkpoint::open(dir.path(), query(), &spec())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no metadata"), "{err:#}");
    assert!(!err.is::<BadInput>(), "a damaged checkpoint: exit status 1");
}

#[test]
fn a_checkpoint_whose_log_is_gone_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 3);
    drop(checkpoint);
    std::fs::remove_dir_all(dir.path().join(LOGS)).unwrap();
    let err = refusal(dir.path());
    assert!(
        err.contains("damaged") && err.contains("holds no log"),
        "{err}"
    );
    assert!(
        !dir.path().join(LOGS).exists(),
        "the refusal changed nothing"
    );
    std::fs::create_dir(dir.path().join(LOGS)).unwrap();
    assert!(
        refusal(dir.path()).contains("holds no log"),
        "nor with log/ empty"
    );
}

/// `--clean` first marks the batches forgotten, then removes them, then the metadata: a kill
/// between the last two leaves a folder that opens as a new checkpoint of the same query.
#[test]
fn a_clean_killed_before_the_metadata_went_leaves_a_new_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    let mut engine = restored.engine;
    run(&checkpoint, &mut engine, 3);
    drop(checkpoint);
    forget_batches(dir.path()).unwrap();
    let (_, metadata) = read_metadata(&dir.path().join("metadata")).unwrap();
    assert!(!metadata.logged);
    std::fs::remove_dir_all(dir.path().join(LOGS)).unwrap();
    let (_, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
    assert!(restored.last.is_none(), "started afresh");
}

#[test]
fn metadata_alone_is_a_new_checkpoint_when_no_log_was_written_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata");
    // What a kill leaves between the metadata and the first log: this build's, and an earlier
    // build's (without `logged`), whose log may have been written or not.
    for logged in [Some(false), None] {
        let mut json = serde_json::json!({ "id": "q-1", "spec": spec() });
        if let Some(logged) = logged {
            json["logged"] = logged.into();
        }
        framed::write(&path, "metadata", &serde_json::to_vec(&json).unwrap()).unwrap();
        let (checkpoint, restored) = Checkpoint::open(dir.path(), query(), &spec()).unwrap();
        assert!(restored.last.is_none() && restored.query_id == "q-1");
        let mut engine = restored.engine;
        run(&checkpoint, &mut engine, 1);
        drop(checkpoint);
        let (_, metadata) = read_metadata(&path).unwrap();
        assert!(metadata.logged, "set once the log is there");
        std::fs::remove_dir_all(dir.path().join(LOGS)).unwrap();
    }
}
