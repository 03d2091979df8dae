//! What a checkpoint is for and must hold: another query's is refused, one zone by another
//! name is the same, and batches without their metadata are refused.

use super::*;

#[test]
fn another_query_is_refused_naming_both() {
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
    let format = QuerySpec::new(&query(), "%H:%M", "UTC", "socket, arrival time".into());
    assert!(Checkpoint::open(dir.path(), query(), &format).is_err());
    let zone = QuerySpec {
        time_zone: "Pacific/Kiritimati".into(),
        ..spec()
    };
    let err = format!(
        "{:#}",
        Checkpoint::open(dir.path(), query(), &zone).err().unwrap()
    );
    assert!(err.contains("in Pacific/Kiritimati"), "{err}");
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
    assert!(err.is::<BadInput>());
}
