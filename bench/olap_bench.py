#!/usr/bin/env python3
"""DuckDB and Polars beside window-tui for bench/run.sh's shapes (issue 15, target 5): the same
windowed count on the same replay file, as a batch query, in each engine's best case.

    olap_bench.py duckdb|polars EVENTS.csv --window-us N --slide-us N [--runs N]

Prints "MEDIAN_S ROWS T1 T2 ...": the median wall time of reading the CSV, counting per
(window, value) and writing every result row as CSV to a scratch file (window-tui writes JSON
to /dev/null), timed in-process (imports and interpreter start-up excluded); ROWS is the
number of result rows.

The query is written the way that suits a batch engine best, and the way window-tui itself
counts: rows are counted per (pane, value), a pane being the slide, then each pane's counts are
added into the `window / slide` windows that hold it. As a batch job it sees every row at once:
there is no watermark, so it drops no late row and also emits the windows that window-tui's
append mode still holds open at the end of the file (a few hundred rows more than window-tui
prints on the seed file). Both engines use every core (2 here).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time


def duckdb_query(path, window_us, slide_us, out):
    import duckdb

    panes = window_us // slide_us
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          WITH events AS (
            SELECT epoch_us(CAST(event_time AS TIMESTAMPTZ)) AS t, value
            FROM read_csv('{path}', header = true,
                          columns = {{'batch': 'BIGINT', 'event_time': 'VARCHAR', 'value': 'VARCHAR'}})
          ),
          panes AS (
            SELECT floor(t / {slide_us})::BIGINT * {slide_us} AS pane, value, count(*) AS n
            FROM events GROUP BY ALL
          )
          SELECT make_timestamp(pane - k * {slide_us}) AS window_start, value, sum(n)::BIGINT AS count
          FROM panes, range(0, {panes}) AS r(k)
          GROUP BY ALL
        ) TO '{out}' (FORMAT csv, HEADER)
        """
    )
    con.close()


def polars_query(path, window_us, slide_us, out):
    import polars as pl

    panes = window_us // slide_us
    counted = (
        pl.scan_csv(path, schema={"batch": pl.Int64, "event_time": pl.String, "value": pl.String})
        .select(
            pl.col("event_time").str.to_datetime(time_unit="us", time_zone="UTC").dt.epoch("us").alias("t"),
            pl.col("value"),
        )
        .group_by((pl.col("t").floordiv(slide_us) * slide_us).alias("pane"), "value")
        .agg(pl.len().alias("n"))
    )
    windows = (
        counted.join(pl.LazyFrame({"k": range(panes)}, schema={"k": pl.Int64}), how="cross")
        .group_by((pl.col("pane") - pl.col("k") * slide_us).alias("window_start"), "value")
        .agg(pl.col("n").sum().alias("count"))
    )
    windows.sink_csv(out)


def count_rows(out):
    with open(out, "rb") as f:
        return sum(1 for _ in f) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("engine", choices=["duckdb", "polars"])
    ap.add_argument("events")
    ap.add_argument("--window-us", type=int, required=True)
    ap.add_argument("--slide-us", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.window_us % args.slide_us:
        sys.exit("olap_bench.py: the window must be a multiple of the slide")
    query = {"duckdb": duckdb_query, "polars": polars_query}[args.engine]
    path = os.path.abspath(args.events)
    times, rows = [], 0
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "result.csv")
        for _ in range(args.runs):
            t0 = time.perf_counter()
            query(path, args.window_us, args.slide_us, out)
            times.append(time.perf_counter() - t0)
            rows = count_rows(out)
            os.remove(out)
    print("%.6f %d %s" % (statistics.median(times), rows, " ".join("%.4f" % t for t in times)))


if __name__ == "__main__":
    main()
