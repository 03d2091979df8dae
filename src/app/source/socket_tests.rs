//! The socket reader against real local servers: lines split across reads, resets, retries,
//! back-pressure and the payload formats.

use super::*;
use crate::app::source::decode::Format;
use crate::engine::{DataType, Micros, Row, Schema, Value, Zone};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const T: Duration = Duration::from_secs(20);

/// How lines are read: the seed's (the whole line, stamped on arrival), or
/// `TIMESTAMP,VALUE` lines.
#[derive(Clone, Copy)]
enum Lines {
    Arrival,
    Payload,
}

fn config(port: u16, max_line_bytes: usize, lines: Lines, reconnect: Reconnect) -> ReaderConfig {
    let decoder = match lines {
        Lines::Arrival => LineDecoder::new(Format::Text, Schema::value_string(), None, Zone::utc()),
        Lines::Payload => LineDecoder::new(
            Format::Csv,
            "timestamp TIMESTAMP, value STRING".parse().unwrap(),
            Some(0),
            Zone::utc(),
        ),
    };
    ReaderConfig {
        host: "127.0.0.1".into(),
        port,
        max_line_bytes,
        decoder,
        reconnect,
    }
}

/// Polls `check` every 5 ms until it holds, or panics after `T` with `what`.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + T;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The rows waiting, as `(event time, value)`: the last column, a string or NULL (`""`).
/// The rows the reader put in `inbox`, as `(event time, value)`.
fn taken(inbox: &Inbox, lines: Lines) -> Vec<(Micros, String)> {
    let mut rows = Rows::default();
    inbox.take(&mut rows);
    let (types, value): (&[DataType], usize) = match lines {
        Lines::Arrival => (&[DataType::String], 0),
        Lines::Payload => (&[DataType::Timestamp, DataType::String], 1),
    };
    rows.iter(types)
        .map(|(t, row)| match row.get(value) {
            Value::Str(v) => (t, v.to_string()),
            Value::Null => (t, "NULL".to_string()),
            other => panic!("not a string: {other:?}"),
        })
        .collect()
}

/// Writes each piece with a pause, so the reader gets them in separate reads.
async fn write_apart(stream: &mut TcpStream, pieces: &[&[u8]]) {
    for piece in pieces {
        stream.write_all(piece).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A port nobody listens on (it was free a moment ago).
async fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn one_stream_read_to_its_end_without_reconnect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let pieces: &[&[u8]] = &[
        b"1\n2",
        b"3\r",
        b"\nlong-line-",
        b"over-the-limit\nok\r\n",
        b"caf\xe9\n",
        b"0123456789\n",
        b"abcdefghij\r",
        b"\nabcdefghijk",
        b"\r\n\r\n",
        b"last",
    ];
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        write_apart(&mut stream, pieces).await;
    });
    let inbox = Arc::new(Inbox::new(1 << 20));
    let stats = Arc::new(ReaderStats::default());
    assert_eq!(stats.connection(), Connection::Connecting);
    let (_paused, paused_rx) = watch::channel(false);
    let before = now_micros();
    tokio::time::timeout(
        T,
        run(
            config(port, 10, Lines::Arrival, Reconnect::Never),
            inbox.clone(),
            stats.clone(),
            paused_rx,
        ),
    )
    .await
    .expect("without reconnect the end of the stream ends the reader");
    server.await.unwrap();
    let after = now_micros();

    let rows = taken(&inbox, Lines::Arrival);
    let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        values,
        ["1", "23", "ok", "0123456789", "abcdefghij", "", "last"]
    );
    assert!(rows.iter().all(|(t, _)| (before..=after).contains(t)));
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "arrival order");
    assert_eq!(stats.accepted(), 7);
    let sent: usize = pieces.iter().map(|p| p.len()).sum();
    assert_eq!(stats.bytes(), sent as u64);
    assert_eq!(
        stats.rejected(),
        Rejection::ALL.map(|r| (
            r,
            match r {
                Rejection::TooLong => 2,
                Rejection::NotUtf8 => 1,
                _ => 0,
            }
        ))
    );
    assert_eq!(stats.rejected_total(), 3);
    assert_eq!(stats.connection(), Connection::Finished);
}

#[tokio::test]
async fn payload_times_and_bad_payloads() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream
            .write_all(
                b"1795455185000,b\r\n2026-11-23T17:33:00Z,a,b\nnonsense\n\
                  tomorrow,x\n1,\xff\n2026-11-23T18:33:00+01:00,\n",
            )
            .await
            .unwrap();
    });
    let inbox = Arc::new(Inbox::new(1 << 20));
    let stats = Arc::new(ReaderStats::default());
    let (_paused, paused_rx) = watch::channel(false);
    tokio::time::timeout(
        T,
        run(
            config(port, 1 << 20, Lines::Payload, Reconnect::Never),
            inbox.clone(),
            stats.clone(),
            paused_rx,
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        taken(&inbox, Lines::Payload),
        [
            (1_795_455_185_000_000, "b".to_string()),
            (1_795_455_180_000_000, "NULL".to_string()), // an empty CSV field
        ]
    );
    assert_eq!(
        stats.rejected(),
        Rejection::ALL.map(|r| (
            r,
            match r {
                Rejection::FieldCount => 2,
                Rejection::NotUtf8 | Rejection::BadTime => 1,
                _ => 0,
            }
        ))
    );
    assert_eq!(stats.accepted(), 2);
}

#[tokio::test]
async fn retrying_while_the_server_is_down_connected_once_it_is_up() {
    let port = closed_port().await;
    let inbox = Arc::new(Inbox::new(1 << 20));
    let stats = Arc::new(ReaderStats::default());
    let (_paused, paused_rx) = watch::channel(false);
    let reader = tokio::spawn(run(
        config(port, 1 << 20, Lines::Arrival, Reconnect::Always),
        inbox.clone(),
        stats.clone(),
        paused_rx,
    ));

    // Down: retrying, with a growing backoff.
    let mut backoffs = Vec::new();
    until("two refused attempts", || {
        if let Connection::Retrying { reason, backoff } = stats.connection() {
            assert!(reason.contains("cannot connect"), "{reason}");
            if backoffs.last() != Some(&backoff) {
                backoffs.push(backoff);
            }
        }
        backoffs.len() >= 2
    })
    .await;
    assert_eq!(
        backoffs[..2],
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
    assert!(
        !reader.is_finished(),
        "a reconnecting reader never gives up"
    );

    // Up: connected, and the lines arrive.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("the reader comes back within its backoff")
        .unwrap();
    until("connected", || stats.connection() == Connection::Connected).await;
    stream.write_all(b"a\nb\n").await.unwrap();
    until("two rows", || inbox.len() == 2).await;

    // The server closes: retrying, then connected again; nothing is lost or repeated.
    stream.write_all(b"c").await.unwrap();
    drop(stream);
    until("retrying after the close", || {
        matches!(stats.connection(), Connection::Retrying { reason, .. }
            if reason.contains("closed"))
    })
    .await;
    let (mut stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .unwrap()
        .unwrap();
    until("connected again", || {
        stats.connection() == Connection::Connected
    })
    .await;
    stream.write_all(b"d\n").await.unwrap();
    until("four rows", || inbox.len() == 4).await;
    let values: Vec<String> = taken(&inbox, Lines::Arrival)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["a", "b", "c", "d"]);
    assert_eq!(stats.accepted(), 4);
    reader.abort();
}

/// An external server's default: tried until it is up, and again when it closes before it
/// sends anything; the end of a stream that brought lines ends the reader, as Spark's socket
/// source ends with its connection (a server that sends every client its stream from the
/// start, as `window-tui serve` does, would otherwise be counted again and again).
#[tokio::test]
async fn by_default_the_end_of_a_stream_that_brought_lines_ends_the_reader() {
    let port = closed_port().await;
    let inbox = Arc::new(Inbox::new(1 << 20));
    let stats = Arc::new(ReaderStats::default());
    let (_paused, paused_rx) = watch::channel(false);
    let reader = tokio::spawn(run(
        config(port, 1 << 20, Lines::Arrival, Reconnect::UntilStream),
        inbox.clone(),
        stats.clone(),
        paused_rx,
    ));
    until("a refused attempt", || {
        matches!(stats.connection(), Connection::Retrying { .. })
    })
    .await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    // Accepted and closed at once: no stream yet, so it is tried again.
    let (empty, _) = tokio::time::timeout(T, listener.accept())
        .await
        .unwrap()
        .unwrap();
    drop(empty);
    let (mut stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("a connection that brought nothing is retried")
        .unwrap();
    stream.write_all(b"a\nb").await.unwrap();
    drop(stream);
    tokio::time::timeout(T, reader)
        .await
        .expect("the end of a stream that brought lines ends the reader")
        .unwrap();
    assert_eq!(stats.connection(), Connection::Finished);
    let values: Vec<String> = taken(&inbox, Lines::Arrival)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["a", "b"]);
    // No third connection: the listener sees none within two backoffs.
    let third = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
    assert!(third.is_err(), "connected again after the stream ended");
}

#[tokio::test]
async fn a_reset_keeps_the_last_line_read_as_an_eof_does() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Inbox::new(1 << 20));
    let stats = Arc::new(ReaderStats::default());
    let (_paused, paused_rx) = watch::channel(false);
    let reader = tokio::spawn(run(
        config(port, 1 << 20, Lines::Arrival, Reconnect::Never),
        inbox.clone(),
        stats.clone(),
        paused_rx,
    ));
    let (mut stream, _) = listener.accept().await.unwrap();
    stream.write_all(b"a\nb").await.unwrap();
    until("a\\nb read", || stats.bytes() == 3).await;
    stream.set_zero_linger().unwrap();
    drop(stream);
    tokio::time::timeout(T, reader)
        .await
        .expect("without reconnect a reset ends the reader")
        .unwrap();
    let values: Vec<String> = taken(&inbox, Lines::Arrival)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["a", "b"]);
    assert_eq!(stats.accepted(), 2);
}

#[tokio::test]
async fn a_server_that_closes_at_once_is_retried_ever_more_slowly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_paused, paused_rx) = watch::channel(false);
    let reader = tokio::spawn(run(
        config(port, 1 << 20, Lines::Arrival, Reconnect::Always),
        Arc::new(Inbox::new(1 << 20)),
        Arc::new(ReaderStats::default()),
        paused_rx,
    ));
    // Accepts and closes for 1.6 s: with the backoff doubling from 100 ms, the attempts come
    // at about 0, 0.1, 0.3, 0.7 and 1.5 s; a backoff that starts over would make 16.
    let mut connections = 0;
    let window = tokio::time::sleep(Duration::from_millis(1600));
    tokio::pin!(window);
    loop {
        tokio::select! {
            accepted = listener.accept() => drop(accepted.unwrap()),
            () = &mut window => break,
        }
        connections += 1;
    }
    assert!((3..=6).contains(&connections), "{connections} connections");
    reader.abort();
}

/// A reader (with reconnect) started against a fresh listener, and the stream it connected
/// with; the inbox holds `inbox_bytes` of values, the reader starts paused or not.
struct Connected {
    reader: tokio::task::JoinHandle<()>,
    stream: TcpStream,
    inbox: Arc<Inbox>,
    stats: Arc<ReaderStats>,
    paused: watch::Sender<bool>,
}

async fn connected(inbox_bytes: usize, paused: bool) -> Connected {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Inbox::new(inbox_bytes));
    let stats = Arc::new(ReaderStats::default());
    let (paused, paused_rx) = watch::channel(paused);
    let reader = tokio::spawn(run(
        config(port, 1 << 20, Lines::Arrival, Reconnect::Always),
        inbox.clone(),
        stats.clone(),
        paused_rx,
    ));
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .unwrap()
        .unwrap();
    Connected {
        reader,
        stream,
        inbox,
        stats,
        paused,
    }
}

#[tokio::test]
async fn a_paused_reader_reads_nothing_until_resumed() {
    let Connected {
        reader,
        mut stream,
        inbox,
        stats,
        paused,
    } = connected(1 << 20, true).await;
    stream.write_all(b"x\ny\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(stats.bytes(), 0, "paused: nothing read");
    assert!(inbox.is_empty());
    paused.send(false).unwrap();
    until("two rows after resuming", || inbox.len() == 2).await;
    reader.abort();
}

#[tokio::test]
async fn a_full_inbox_holds_the_reader_back() {
    // Full at one byte of values.
    let Connected {
        reader,
        mut stream,
        inbox,
        stats,
        paused: _paused,
    } = connected(1, false).await;
    stream.write_all(b"a\n").await.unwrap();
    until("a", || inbox.len() == 1).await;
    stream.write_all(b"b\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(inbox.len(), 1, "the reader waits for the trigger to drain");
    assert_eq!(stats.bytes(), 2);
    let first: Vec<String> = taken(&inbox, Lines::Arrival)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(first, ["a"]);
    until("b once drained", || inbox.len() == 1).await;
    assert_eq!(stats.bytes(), 4);
    let second: Vec<String> = taken(&inbox, Lines::Arrival)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(second, ["b"]);
    reader.abort();
}

#[test]
fn the_first_rejected_lines_are_shown_escaped_and_cut() {
    let stats = ReaderStats::default();
    let long = [b'x'; 300];
    let shown: Vec<Option<String>> = [
        Some(&b"{\"ts\":1,\x1b[2J}"[..]),
        None,
        Some(&long[..]),
        Some(b"a"),
        Some(b"b"),
        Some(b"c"),
    ]
    .into_iter()
    .map(|line| stats.shown_rejection(Rejection::BadJson, line))
    .collect();
    let first = shown[0].as_deref().unwrap();
    assert!(
        first.contains("not a JSON object") && first.contains("\\u{1b}[2J"),
        "{first}"
    );
    assert!(
        !first.contains('\x1b'),
        "no control byte reaches the terminal raw"
    );
    assert_eq!(
        shown[1].as_deref(),
        Some("a line was rejected (not a JSON object)")
    );
    let cut = shown[2].as_deref().unwrap();
    assert!(
        cut.ends_with("\"…") && cut.matches('x').count() == 200,
        "{cut}"
    );
    assert!(shown[4].as_deref().unwrap().ends_with("counted, not shown"));
    assert_eq!(shown[5], None, "five at most");
}
