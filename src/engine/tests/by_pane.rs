//! State kept by pane against state by window, the engine's first and longest-tested way: the
//! same query and stream through both give the same rows, progress and open state, batch by
//! batch (its rows in window order, as state by window emits them), with averages of values big
//! enough that a batch must leave panes for windows, on a clock that wanders back (late rows in
//! panes a close already merged), and with either engine's checkpoint (or state by pane's
//! deltas) restored into a fresh engine, which keeps by pane only what was written by pane.

use proptest::prelude::*;

use super::super::core::Windows;
use super::super::*;
use proptest::test_runner::TestCaseError;

use super::model::{Batches, Input, open, query, report, run, ticks};

fn by_pane(engine: &Engine) -> bool {
    matches!(engine.windows, Windows::Panes { .. })
}

fn stream() -> impl Strategy<Value = (WindowRequest, i64, Batches)> {
    // Values past 2^50 now and then: their averages stop being exact by pane within a few rows;
    // times before the epoch too.
    let value = prop_oneof![
        6 => -5i64..20,
        1 => (1i64 << 50)..(1i64 << 52),
        1 => -(1i64 << 52)..-(1i64 << 50),
    ];
    let row = (
        -60_000i64..120_000,
        prop::sample::select(vec![Some("a"), Some("b"), Some("c"), None]),
        prop::option::weighted(0.8, value),
    )
        .prop_map(|(ms, k, x): (i64, _, _)| -> Input { (ms * 1000 + 7, k, x) });
    let window =
        (1i64..=4, 5i64..=12, any::<bool>()).prop_map(|(slide, n, half)| WindowRequest::Sliding {
            size: Duration::from_secs(slide * n + if half { slide / 2 } else { 0 }),
            slide: Duration::from_secs(slide),
        });
    (
        window,
        0i64..=8,
        prop::collection::vec(prop::collection::vec(row, 0..12), 1..16),
    )
}

/// A stream on a clock that wanders: most rows a little after the last, one in five up to 20 s
/// before it, over many batches, with small values (so state stays by pane). Its batches close
/// a few windows at a time, and late rows land in panes a close already merged.
fn wandering_stream() -> impl Strategy<Value = (WindowRequest, i64, Batches)> {
    let step = prop_oneof![4 => 0i64..2_000, 1 => -20_000i64..0];
    let row = (
        step,
        prop::sample::select(vec![Some("a"), Some("b"), None]),
        prop::option::weighted(0.9, -5i64..20),
    );
    let window = (1i64..=2, 5i64..=12).prop_map(|(slide, n)| WindowRequest::Sliding {
        size: Duration::from_secs(slide * n),
        slide: Duration::from_secs(slide),
    });
    let batches = prop::collection::vec(prop::collection::vec(row, 0..8), 8..40);
    (window, 0i64..=3, batches).prop_map(|(window, delay, batches)| {
        let mut ms = 0;
        let batches = (batches.into_iter())
            .map(|rows| {
                (rows.into_iter())
                    .map(|(step, k, x)| {
                        ms += step;
                        (ms * 1000 + 7, k, x)
                    })
                    .collect()
            })
            .collect();
        (window, delay, batches)
    })
}

/// Runs `batches` through state by pane and state by window and holds them to the same rows,
/// progress and open state, batch by batch; at tick `cut`, either engine's snapshot and the
/// state by pane's deltas until then, each restored into a fresh engine, go on alike. Returns
/// the engine kept by pane and its outputs.
fn same_as_by_window(
    window: WindowRequest,
    delay: i64,
    batches: &Batches,
    cut: usize,
) -> Result<(Engine, Vec<BatchOutput>), TestCaseError> {
    let q = query(window, delay, OutputMode::Append);
    let mut panes = Engine::new(q.clone());
    prop_assert!(by_pane(&panes));
    let mut windows = Engine::new(q.clone());
    windows.state_by_window();
    prop_assert!(!by_pane(&windows));
    let mut restored: Vec<Engine> = Vec::new();
    // Follows state by pane through its deltas only, as a restart replays them, until `cut`.
    let mut follower = Some(Engine::new(q.clone()));
    let mut outputs = Vec::new();
    for (i, rows) in ticks(batches).into_iter().enumerate() {
        if i == cut {
            for engine in [&panes, &windows] {
                let mut snapshot = Vec::new();
                engine.encode_snapshot(&mut snapshot);
                let mut fresh = Engine::new(q.clone());
                fresh.apply_state(&snapshot).unwrap();
                prop_assert_eq!(by_pane(&fresh), by_pane(engine));
                restored.push(fresh);
            }
            restored.extend(follower.take());
        }
        let tick = windows.tick(!rows.is_empty());
        prop_assert_eq!(panes.tick(!rows.is_empty()), tick);
        let Tick::Run(kind) = tick else { continue };
        let want = report(&run(&mut windows, kind, rows));
        let got = run(&mut panes, kind, rows);
        let in_order = got.rows.windows(2).all(|w| w[0].window <= w[1].window);
        prop_assert!(in_order, "rows not in window order");
        prop_assert_eq!(&report(&got), &want);
        prop_assert_eq!(open(&panes), open(&windows));
        prop_assert_eq!(panes.state_rows(), windows.state_rows());
        prop_assert_eq!(panes.open_windows(), windows.open_windows());
        // Keys are let go of with their last window, whichever way the state is kept.
        prop_assert_eq!(panes.distinct_keys(), windows.distinct_keys());
        for engine in &mut restored {
            prop_assert_eq!(&report(&run(engine, kind, rows)), &want);
        }
        if let Some(follower) = follower.as_mut() {
            let mut delta = Vec::new();
            panes.encode_delta(&mut delta);
            follower.apply_state(&delta).unwrap();
        }
        outputs.push(got);
    }
    Ok((panes, outputs))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn panes_give_what_windows_give((window, delay, batches) in stream(), cut in 0usize..32) {
        same_as_by_window(window, delay, &batches, cut)?;
    }

    #[test]
    fn panes_give_what_windows_give_on_a_wandering_clock(
        (window, delay, batches) in wandering_stream(),
        cut in 0usize..80,
    ) {
        same_as_by_window(window, delay, &batches, cut)?;
    }
}

/// A close that goes on from the stacks the last one kept, then a late row for a pane they
/// merged (its later windows still open): the next close must count it.
#[test]
fn a_late_row_in_a_merged_pane_reaches_the_windows_still_open() {
    let s = MICROS_PER_SECOND;
    let a = |t: i64, x: i64| (t, Some("a"), Some(x));
    let batches: Vec<Vec<Input>> = vec![
        (0..=20).map(|i| a(i * s, 1)).collect(),
        vec![a(21 * s, 1)],
        vec![a(15 * s + s / 2, 100), a(23 * s, 1)],
        vec![a(16 * s, 1), (24 * s, Some("b"), Some(1))],
    ];
    // Restored from a checkpoint after the first close, too.
    let (panes, outputs) = same_as_by_window(ten_by_one_window(), 0, &batches, 2).unwrap();
    // The windows whose `max(x)` is the late row's 100.
    let hundreds: usize = (outputs.iter())
        .map(|out| {
            (out.rows.iter())
                .filter(|r| out.aggs(r).any(|v| v == Value::Long(100)))
                .count()
        })
        .sum();
    assert!(by_pane(&panes));
    assert!(hundreds >= 2, "the late row reached no closed window");
}

#[test]
fn only_append_mode_with_many_windows_and_order_free_aggregates_goes_by_pane() {
    let many = WindowRequest::Sliding {
        size: Duration::from_secs(60),
        slide: Duration::from_secs(1),
    };
    let few = WindowRequest::Sliding {
        size: Duration::from_secs(30),
        slide: Duration::from_secs(15),
    };
    assert!(by_pane(&Engine::new(query(many, 5, OutputMode::Append))));
    assert!(!by_pane(&Engine::new(query(few, 5, OutputMode::Append))));
    assert!(!by_pane(&Engine::new(query(many, 5, OutputMode::Update))));
    assert!(!by_pane(&Engine::new(query(many, 5, OutputMode::Complete))));
    let with = |aggs: &str| {
        Engine::new(
            Query::new(QueryRequest {
                schema: "t TIMESTAMP, k STRING, x BIGINT, d DOUBLE".parse().unwrap(),
                event_time: EventTime::Column("t".into()),
                group_by: vec!["k".into()],
                aggs: parse_aggs(aggs).unwrap(),
                window: many,
                delay: Duration::from_secs(5),
                mode: OutputMode::Append,
                max_windows_per_event: MAX_WINDOWS_PER_EVENT,
            })
            .unwrap(),
        )
    };
    assert!(by_pane(&with("count,sum(x),avg(x),min(x),max(x)")));
    assert!(
        !by_pane(&with("sum(d)")),
        "a double sum depends on row order"
    );
    assert!(!by_pane(&with("min(k)")), "string extremes hold references");
}

fn ten_by_one_window() -> WindowRequest {
    WindowRequest::Sliding {
        size: Duration::from_secs(10),
        slide: Duration::from_secs(1),
    }
}

fn ten_by_one() -> Query {
    query(ten_by_one_window(), 0, OutputMode::Append)
}

#[test]
fn averaged_magnitudes_are_held_only_while_their_panes_are() {
    // One value of 2^50 every 20 s: 2^56 in all, never more than 2^51 held at once.
    let mut engine = Engine::new(ten_by_one());
    for i in 0..64 {
        run(
            &mut engine,
            BatchKind::Data,
            &[(i * 20 * MICROS_PER_SECOND, Some("a"), Some(1 << 50))],
        );
    }
    assert!(by_pane(&engine), "state by pane left for windows");
}

#[test]
fn a_checkpoint_keeps_the_averaged_magnitudes_held() {
    let big = 1i64 << 52;
    let mut original = Engine::new(ten_by_one());
    run(&mut original, BatchKind::Data, &[(0, Some("a"), Some(big))]);
    let mut snapshot = Vec::new();
    original.encode_snapshot(&mut snapshot);
    let mut restored = Engine::new(ten_by_one());
    restored.apply_state(&snapshot).unwrap();
    assert!(by_pane(&original) && by_pane(&restored));
    // Past 2^53 held: both go by window.
    let rows = [(MICROS_PER_SECOND, Some("a"), Some(big + 2))];
    let want = report(&run(&mut original, BatchKind::Data, &rows));
    assert_eq!(report(&run(&mut restored, BatchKind::Data, &rows)), want);
    assert!(!by_pane(&original));
    assert!(
        !by_pane(&restored),
        "the restored engine forgot what was held"
    );
}

#[test]
fn open_rows_skip_the_windows_no_pane_is_in() {
    // Two keys ~8,000 years apart (as many windows of a second): the rows come at once.
    let mut engine = Engine::new(ten_by_one());
    let far = 253_000_000_000 * MICROS_PER_SECOND;
    run(
        &mut engine,
        BatchKind::Data,
        &[(0, Some("a"), Some(1)), (far, Some("b"), Some(2))],
    );
    assert!(by_pane(&engine));
    let rows = open(&engine);
    assert_eq!(rows.len(), 20);
    assert_eq!(rows.len(), engine.state_rows());
    assert_eq!(rows[10].0.start, far - 9 * MICROS_PER_SECOND);
}

proptest! {
    /// The count of state rows by runs of consecutive panes is the count pane by pane.
    #[test]
    fn windows_held_by_runs_is_the_count_pane_by_pane(
        (slide, n, extra) in (2i64..=4, 1i64..=12, 0i64..4),
        panes in prop::collection::btree_set(-40i64..40, 0..30),
        from in -50i64..50,
    ) {
        use super::super::pane_state::{Geometry, windows_held};
        // A size that is not a multiple of the slide makes panes shorter than the slide.
        let geometry = Geometry::new(WindowSpec::new(slide * n + extra % slide, slide));
        let panes: Vec<i64> = panes.into_iter().collect();
        let (mut next, mut count) = (from, 0);
        for &p in &panes {
            let (lo, hi) = geometry.windows_of(p);
            let lo = lo.max(next);
            if hi >= lo {
                count += (hi - lo + 1) as u64;
                next = hi + 1;
            }
        }
        prop_assert_eq!(windows_held(&geometry, &panes, from), count);
    }
}

proptest! {
    /// A batch's entries in key then unit order, by the counting sort (small ids) or the
    /// comparison sort (sparse ids), whatever order they came in.
    #[test]
    fn entries_come_in_key_then_unit_order(
        units in prop::collection::btree_set(
            (-50i64..50, prop_oneof![3 => 0u32..40, 1 => 0u32..5000]),
            0..300,
        )
        .prop_map(|units| units.into_iter().collect::<Vec<_>>())
        .prop_shuffle(),
    ) {
        let order = super::super::sliding::key_then_unit_order(&units);
        let mut want: Vec<usize> = (0..units.len()).collect();
        want.sort_by_key(|&at| (units[at].1, units[at].0));
        prop_assert_eq!(order, want);
    }
}
