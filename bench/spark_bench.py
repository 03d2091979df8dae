#!/usr/bin/env python3
"""Spark 3.5 baseline for bench/run.sh (issue 6, row 7): the same query as window-tui's replay,
on the same replay file, in local[2], in Spark's best case.

    spark_bench.py EVENTS.csv SCRATCH_DIR [--runs N] [--window 30s] [--slide 15s] [--watermark 15s]

The file is staged (hard link, else copy) alone in a folder that a streaming CSV source reads
(`batch INT, event_time TIMESTAMP, value STRING`; `batch` is read and ignored) with
`trigger(availableNow=True)`, so the whole file is ONE micro-batch (plus the no-data batch the
watermark asks for). The query is `withWatermark("event_time", WM).groupBy("value",
window("event_time", W, S)).count()`, append mode, into the `noop` sink. Only
`query.awaitTermination()` is timed: JVM start-up, SparkSession creation and query start are not.
The query runs N times in one JVM (a fresh checkpoint each time, so each run reads the whole file
again) and the median is reported, which also gives Spark a JIT-warmed JVM.
spark.sql.shuffle.partitions is 2 (one per core) rather than the default 200, also Spark's favour.

Prints one line: `ok MEDIAN_S ROWS_PER_RUN FIRST_RUN_S ALL_RUNS_S...`, or `skipped REASON`.
Never fails: any problem prints `skipped ...` and exits 0.
"""
import os
import shutil
import statistics
import sys
import time


def main():
    args = sys.argv[1:]
    opts = {"--runs": "5", "--window": "30 seconds", "--slide": "15 seconds",
            "--watermark": "15 seconds"}
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    events, scratch = pos
    runs = int(opts["--runs"])
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
        from pyspark.sql.functions import window
    except Exception as e:  # noqa: BLE001
        print(f"skipped (PySpark not installed: {type(e).__name__})")
        return 0

    shutil.rmtree(scratch, ignore_errors=True)
    src = os.path.join(scratch, "input")
    os.makedirs(src)
    staged = os.path.join(src, "events.csv")
    try:
        os.link(events, staged)
    except OSError:
        shutil.copyfile(events, staged)
    rows = -1  # counted by Spark's progress below

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("window-tui-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.driver.memory", "2g")
             .config("spark.sql.streaming.noDataMicroBatches.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    times = []
    try:
        for r in range(runs):
            df = (spark.readStream.format("csv")
                  .schema("batch INT, event_time TIMESTAMP, value STRING")
                  .option("header", "true")
                  .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
                  .load(src))
            counts = (df.withWatermark("event_time", opts["--watermark"])
                      .groupBy("value", window("event_time", opts["--window"], opts["--slide"]))
                      .count())
            ckpt = os.path.join(scratch, f"checkpoint-{r}")
            query = (counts.writeStream.outputMode("append").format("noop")
                     .option("checkpointLocation", ckpt)
                     .trigger(availableNow=True).start())
            t0 = time.perf_counter()
            query.awaitTermination()
            times.append(time.perf_counter() - t0)
            progress = query.recentProgress
            rows = sum(p["numInputRows"] for p in progress)
            data_batches = sum(1 for p in progress if p["numInputRows"] > 0)
            if data_batches != 1:
                print(f"skipped (Spark used {data_batches} data batches, not 1)")
                return 0
    finally:
        spark.stop()
    print("ok %.3f %d %.3f %s" % (statistics.median(times), rows, times[0],
                                  " ".join("%.3f" % t for t in times)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001
        msg = str(e).strip().splitlines()
        print(f"skipped (Spark failed: {type(e).__name__}: {msg[0] if msg else ''})"[:200])
        sys.exit(0)
