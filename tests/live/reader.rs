//! What the live reader takes: every good line once whatever the server does, event times
//! from the lines (`--event-time payload`), and a server that is not up yet.

use super::*;

/// Every good line exactly once, with its exact value, whatever the server does to the stream:
/// lines split across writes, CRLF, a 5 MiB line, invalid UTF-8, a last line without LF, the
/// server closing and coming back later (`--reconnect`).
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one connection's story, told in order"
)]
fn the_reader_keeps_every_good_line_once_across_bad_input_and_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = now_micros();
    let mut run = headless_from(
        dir.path(),
        port,
        &[
            "--reconnect",
            "--sink",
            "json",
            "--trigger",
            "200ms",
            "--record",
            path_arg(&record),
            "--window",
            "1s",
            "--slide",
            "1s",
            "--watermark",
            "0s",
        ],
    );

    let mut want: Vec<String> = Vec::new();
    let mut first = accept_within(&listener, T);
    write_all(&mut first, b"alpha\n");
    want.push("alpha".into());
    // Lines split across writes, a CR apart from its LF.
    write_apart(
        &mut first,
        &[b"par", b"tial-1\npar", b"tial-2\r", b"\nsplit-", b"3\r\n"],
    );
    want.extend(["partial-1", "partial-2", "split-3"].map(String::from));
    write_all(
        &mut first,
        b"crlf-1\r\ncrlf-2\r\nsay \"hi\", ok\r\n\r\n  spaced  \n\n",
    );
    want.extend(["crlf-1", "crlf-2", "say \"hi\", ok", "", "  spaced  ", ""].map(String::from));
    // A 5 MiB line (over the default 1 MiB), the line after it survives.
    write_all(&mut first, b"huge-");
    let huge = vec![b'x'; 64 << 10];
    for _ in 0..80 {
        write_all(&mut first, &huge);
    }
    write_all(&mut first, b"\nafter-huge\n");
    want.push("after-huge".into());
    // Invalid UTF-8, then a burst of lines in one write.
    write_all(&mut first, b"caf\xe9\n");
    let burst = (0..100)
        .map(|i| format!("n-{i}\n"))
        .collect::<Vec<_>>()
        .concat();
    write_all(&mut first, burst.as_bytes());
    want.extend((0..100).map(|i| format!("n-{i}")));
    // The last line has no LF: the end of the stream ends it.
    write_all(&mut first, b"tail-no-newline");
    want.push("tail-no-newline".into());
    drop(first);
    drop(listener);

    // The server is gone: the reader retries (with backoff) until it is back.
    poll(
        T,
        || format!("two refused attempts expected; stderr:\n{}", run.stderr()),
        || (count_of(&run.stderr(), "cannot connect") >= 2).then_some(()),
    );
    run.wait_for_stderr("retrying", T);
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port again");
    let mut second = accept_within(&listener, T);
    let more = (0..50)
        .map(|i| format!("m-{i}\r\n"))
        .collect::<Vec<_>>()
        .concat();
    write_apart(
        &mut second,
        &[b"second-1\nsec", b"ond-2\r\n", more.as_bytes()],
    );
    want.extend(["second-1", "second-2"].map(String::from));
    want.extend((0..50).map(|i| format!("m-{i}")));
    drop(second);

    wait_for_record(&run, &record, want.len());
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);

    let recorded = read_record(&record);
    let got: Vec<String> = recorded.iter().map(|(_, _, v)| v.clone()).collect();
    assert_eq!(
        got, want,
        "every good line exactly once, in order, with its exact value"
    );
    // Stamped with the arrival time, in tick order.
    let finished = now_micros();
    for (tick, t, value) in &recorded {
        assert!(
            (started - 1_000_000..=finished).contains(t),
            "{value:?} at tick {tick} stamped {}",
            common::iso(*t)
        );
    }
    assert!(
        recorded
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
    );
    let (_, rows, rejected) = headless_summary(&done.stderr);
    assert_eq!(rows, want.len() as u64, "{}", done.stderr);
    assert_eq!(rejected, "1 too long, 1 not UTF-8", "{}", done.stderr);
    // What the json sink emitted is made of those lines only.
    let emitted = json_rows(&done.stdout).unwrap();
    let good: BTreeSet<&String> = want.iter().collect();
    for row in emitted.keys() {
        assert!(good.contains(&row.value), "emitted {row:?}");
    }
}

/// `--event-time payload` (short for `--format csv --schema "timestamp TIMESTAMP, value STRING"
/// --event-time timestamp`): CSV lines carry their event time (RFC 3339 or epoch milliseconds);
/// lines that do not fit the two columns are rejected and counted.
#[test]
fn payload_event_times_come_from_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let run = headless_from(
        dir.path(),
        port,
        &[
            "--event-time",
            "payload",
            "--sink",
            "json",
            "--trigger",
            "100ms",
            "--record",
            path_arg(&record),
            "--window",
            "10s",
            "--slide",
            "10s",
            "--watermark",
            "0s",
        ],
    );
    let mut server = accept_within(&listener, T);
    write_all(
        &mut server,
        b"2026-11-23T17:33:00Z,a\n\
          1795455185000,b\r\n\
          no comma here\n\
          2026-11-23T17:33:07.250+01:00,c\n\
          yesterday,d\n\
          2026-11-23T17:33:12Z,a,b\n\
          2026-11-23T17:34:00Z,z\n",
    );
    let want: Vec<(i64, &str)> = [
        ("2026-11-23T17:33:00Z", "a"),
        ("2026-11-23T17:33:05Z", "b"),
        ("2026-11-23T16:33:07.25Z", "c"),
        ("2026-11-23T17:34:00Z", "z"),
    ]
    .map(|(t, v)| (micros(t).unwrap(), v))
    .to_vec();
    wait_for_record(&run, &record, want.len());
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);

    let recorded = read_record(&record);
    let recorded: Vec<(i64, &str)> = recorded.iter().map(|(_, t, v)| (*t, v.as_str())).collect();
    assert_eq!(recorded, want);
    let header = std::fs::read_to_string(&record).unwrap();
    assert!(
        header.starts_with("batch,timestamp,value\n"),
        "the shorthand's columns: {header}"
    );
    let (_, rows, rejected) = headless_summary(&done.stderr);
    assert_eq!(rows, 4);
    assert_eq!(
        rejected, "2 wrong field count, 1 bad event time",
        "{}",
        done.stderr
    );

    // The windows come from the payload times. `c` (16:33:07.25 UTC) is late once 17:33:00 set
    // the watermark, unless it arrived in the same batch; the others are all emitted, since
    // 17:34:00 moves the watermark past their windows.
    let emitted: Bag<(String, String, String, i64)> = bag(json_rows(&done.stdout)
        .unwrap()
        .into_iter()
        .flat_map(|(r, n)| std::iter::repeat_n(r, n))
        .map(|r| (common::iso(r.start), common::iso(r.end), r.value, r.count)));
    let window = |start: &str, end: &str, value: &str| {
        (
            common::iso(micros(start).unwrap()),
            common::iso(micros(end).unwrap()),
            value.to_string(),
            1,
        )
    };
    for key in [
        window("2026-11-23T17:33:00Z", "2026-11-23T17:33:10Z", "a"),
        window("2026-11-23T17:33:00Z", "2026-11-23T17:33:10Z", "b"),
    ] {
        assert_eq!(emitted.get(&key), Some(&1), "{key:?} in {emitted:?}");
    }
    assert!(
        emitted.keys().all(|(_, _, v, _)| v != "z"),
        "z's window is still open"
    );
}

/// `--source` before the server is up: the reader says it is retrying, and reads once it is.
#[test]
fn a_source_that_is_not_up_yet_is_retried_until_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("rec.csv");
    let port = common::free_port();
    let mut run = headless_from(
        dir.path(),
        port,
        &[
            "--trigger",
            "100ms",
            "--sink",
            "json",
            "--record",
            path_arg(&record),
        ],
    );
    let stderr = run.wait_for_stderr("retrying", T);
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(
        run.is_running(),
        "a server that is not up is no reason to stop"
    );
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let mut server = accept_within(&listener, T);
    write_all(&mut server, b"hello\nworld\n");
    let recorded = wait_for_record(&run, &record, 2);
    assert_eq!(
        recorded.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
        ["hello", "world"]
    );
    run.wait_for_stderr(&format!("connected to 127.0.0.1:{port}"), T);
    run.signal("TERM");
    let done = run.wait(T);
    assert!(done.status.success(), "{:?}\n{}", done.status, done.stderr);
    let (_, rows, _) = headless_summary(&done.stderr);
    assert_eq!(rows, 2);
}
