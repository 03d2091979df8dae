#!/usr/bin/env python3
"""Helpers for bench/run.sh (Python 3 standard library only). One subcommand per job:

  time RUNS [--fresh PATH]... -- CMD...   run CMD RUNS times (stdout to /dev/null); print
                                          "MEDIAN_S PEAK_KB T1 T2 ...": wall time by
                                          perf_counter around fork/exec/wait, peak RSS from
                                          wait4's ru_maxrss (the figure /usr/bin/time -f %M
                                          prints, without its 10 ms time resolution).
                                          --fresh paths are removed before each run (untimed).
  time-pair RUNS -- CMD_A... -- CMD_B...  run CMD_A and CMD_B alternately, RUNS times each;
                                          print "MEDIAN_A_S MEDIAN_B_S": their ratio does not
                                          drift with the VM's speed between two series of runs
  median X...                             the median of numbers
  gen-distinct N OUT                      a replay file of N rows, N distinct values, event
                                          times 1 us apart from 17:33:00Z (all in one second)
  progress-sum FILE                       sum of numInputRows in a progress log
  wait-sum FILE N TIMEOUT_S [--done F] [--idle S] [--pid P]
                                          poll FILE every 50 ms until the sum reaches N;
                                          print the sum (exit 1 on giving up, see there)
  ingest FILE TIMES N                     socket ingest figures, see ingest()
  state FILE                              state figures of the last data batch before emission
  latency FILE SINK_JSON TRIGGER_MS       emission latency, see latency()
  dash-rate FILE TIMES TRIGGER_MS         dashboard ingest figures, see dash_rate()
  criterion OUT                           parse criterion's output, see criterion()
  table TSV MD                            print the results table; write it as Markdown
"""
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time


def median(xs):
    return statistics.median(xs)


def cmd_time(args):
    runs = int(args[0])
    fresh = []
    i = 1
    while args[i] != "--":
        assert args[i] == "--fresh", args[i]
        fresh.append(args[i + 1])
        i += 2
    cmd = args[i + 1:]
    # Peak RSS comes from GNU time (-f %M, wait4's ru_maxrss of a child forked from a small
    # process; a child forked from Python would report Python's own RSS). Wall time is
    # perf_counter around it, as /usr/bin/time's %e has 10 ms resolution.
    kb_file = os.path.join(os.environ.get("BENCH_WORK", "/tmp"), f".peak-{os.getpid()}")
    wrap = ["/usr/bin/time", "-f", "%M", "-o", kb_file] if os.access("/usr/bin/time", os.X_OK) else []
    times, peak = [], 0
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            for p in fresh:
                if os.path.isdir(p):
                    shutil.rmtree(p)
                elif os.path.exists(p):
                    os.remove(p)
            t0 = time.perf_counter()
            code = subprocess.call(wrap + cmd, stdout=null)
            dt = time.perf_counter() - t0
            if code != 0:
                sys.exit(f"bench.py time: {' '.join(cmd)} exited {code}")
            times.append(dt)
            if wrap:
                peak = max(peak, int(open(kb_file).read().split()[-1]))
    if wrap:
        os.remove(kb_file)
    print("%.6f %d %s" % (median(times), peak, " ".join("%.4f" % t for t in times)))


def cmd_time_pair(args):
    runs = int(args[0])
    assert args[1] == "--", args[1]
    rest = args[2:]
    split = rest.index("--")
    pair = (rest[:split], rest[split + 1:])
    times = ([], [])
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            for cmd, out in zip(pair, times):
                t0 = time.perf_counter()
                code = subprocess.call(cmd, stdout=null)
                out.append(time.perf_counter() - t0)
                if code != 0:
                    sys.exit(f"bench.py time-pair: {' '.join(cmd)} exited {code}")
    print("%.6f %.6f" % (median(times[0]), median(times[1])))


def cmd_gen_distinct(args):
    n, out = int(args[0]), args[1]
    with open(out, "w") as f:
        f.write("batch,event_time,value\n")
        for block in range(0, n, 1_000_000):  # one second of event time per block
            sec = 17 * 3600 + 33 * 60 + block // 1_000_000
            hms = "%02d:%02d:%02d" % (sec // 3600, sec // 60 % 60, sec % 60)
            f.write("".join(f"0,2026-11-23T{hms}.{i - block:06d}Z,k{i}\n"
                            for i in range(block, min(n, block + 1_000_000))))


def progress(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def ts(p):
    """A progress timestamp (ISO, ms, Z) as epoch seconds."""
    return datetime.datetime.strptime(p["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def end(p):
    """When a batch ended: its trigger time plus its triggerExecution."""
    return ts(p) + p["durationMs"]["triggerExecution"] / 1000


def cmd_progress_sum(args):
    print(sum(p["numInputRows"] for p in progress(args[0])))


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmd_wait_sum(args):
    """Polls until the sum reaches N. Gives up after TIMEOUT_S; when --done FILE exists (the
    sender has finished) and the sum has not grown for --idle seconds (default 5: rows were
    lost); or when process --pid has ended."""
    path, n, timeout = args[0], int(args[1]), float(args[2])
    opts = dict(zip(args[3::2], args[4::2]))
    done_file, pid = opts.get("--done"), opts.get("--pid")
    idle = float(opts.get("--idle", 5))
    deadline = time.monotonic() + timeout
    total, last_total, last_change = 0, -1, time.monotonic()
    while time.monotonic() < deadline:
        total = sum(p["numInputRows"] for p in progress(path))
        if total >= n:
            print(total)
            return
        now = time.monotonic()
        if total != last_total:
            last_total, last_change = total, now
        elif done_file and os.path.exists(done_file) and now - last_change > idle:
            break
        if pid and not alive(pid):
            break
        time.sleep(0.05)
    print(total)
    sys.exit(1)


def cmd_ingest(args):
    """Rate = N / (last row processed - first byte sent), both on the wall clock:
    start = the sender's time.time() just before its first sendall (every row is available to
    read from then on), end = the end (timestamp + triggerExecution) of the batch whose
    numInputRows brought the sum to N (every row has gone through the engine, the sinks and
    the checkpoint then). Conservative: the end includes up to one trigger interval of waiting
    for the tick and the last batch's own work. Prints
    "SUM RATE SECONDS SENDER_SECONDS DATA_BATCHES MAX_BATCH_MS"."""
    ps, n = progress(args[0]), int(args[2])
    try:
        first, done, _ = (float(x) for x in open(args[1]).read().split())
    except OSError:  # the sender never finished
        print(f"{sum(p['numInputRows'] for p in ps)} 0 0 0 0 0")
        return
    total, last = 0, None
    data = [p for p in ps if p["numInputRows"] > 0]
    for p in ps:
        total += p["numInputRows"]
        if total >= n and last is None:
            last = p
    if last is None:
        print(f"{total} 0 0 {done - first:.3f} {len(data)} 0")
        return
    secs = end(last) - first
    max_ms = max(p["durationMs"]["triggerExecution"] for p in data)
    print(f"{total} {n / secs:.0f} {secs:.3f} {done - first:.3f} {len(data)} {max_ms}")


def cmd_state(args):
    """numRowsTotal and memoryUsedBytes of the last data batch (numInputRows > 0) before the
    first batch that emits (numRowsRemoved > 0): the state at its largest, all keys open.
    Prints "KEYS BYTES BATCH_ID"."""
    last = None
    for p in progress(args[0]):
        op = p["stateOperators"][0]
        if op["numRowsRemoved"] > 0:
            break
        if p["numInputRows"] > 0:
            last = p
    op = last["stateOperators"][0]
    print(op["numRowsTotal"], op["memoryUsedBytes"], last["batchId"])


def cmd_latency(args):
    """Emission latency of every emitted window.

    A row of window W is emitted in batch N (its `batch_id` in the json sink). The watermark a
    batch uses is in its progress (`eventTime.watermark`); it was computed at the end of the
    batch before it (Spark: a batch's watermark comes from the event times of earlier
    batches). Let M be the first batch whose watermark is >= W's end: batch M-1 is the batch
    that moved the watermark past W's end, and it ended at ts(M-1) + triggerExecution(M-1).
    The latency is end(N) - end(M-1): from the moment the engine knew W was complete to the
    moment W's rows were in the sinks. N == M for an engine that emits as soon as it can; the
    target is latency <= one trigger interval. Timestamps are ms-truncated, so each latency
    carries up to 2 ms of quantisation error: `met` allows that 2 ms and says so.
    Prints "MAX_MS MEDIAN_MS WINDOWS EMITTING_BATCHES LATE_BATCHES" (LATE_BATCHES: N > M)."""
    ps = progress(args[0])
    by_id = {p["batchId"]: p for p in ps}
    wms = sorted((ts({"timestamp": p["eventTime"]["watermark"]}), p["batchId"]) for p in ps)
    emitted = {}
    with open(args[1]) as f:
        for line in f:
            o = json.loads(line)
            w_end = datetime.datetime.strptime(o["window"]["end"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            emitted[(w_end, o["batch_id"])] = True
    lat, late, batches = [], 0, set()
    for w_end, n in emitted:
        moved = min((bid for wm, bid in wms if wm >= w_end), default=None)
        if moved is None or moved - 1 not in by_id:
            continue
        lat.append((end(by_id[n]) - end(by_id[moved - 1])) * 1000)
        late += n > moved
        batches.add(n)
    if not lat:
        print("0 0 0 0 0")
        return
    print(f"{max(lat):.0f} {median(lat):.0f} {len(lat)} {len(batches)} {late}")


def cmd_dash_rate(args):
    """The dashboard's ingest at a paced rate. Prints
    "SUM MEDIAN_INPUT_RATE OVERALL_RATE MAX_BATCH_MS SENDER_RATE": MEDIAN_INPUT_RATE is the
    median inputRowsPerSecond of the data batches but the first and last (partial ticks);
    OVERALL_RATE is SUM over the data batches' span (ts(first data batch) - one trigger interval
    to ts(last data batch)); SENDER_RATE = lines / sender's own send time."""
    ps = progress(args[0])
    try:
        first, done, lines = (float(x) for x in open(args[1]).read().split())
    except OSError:  # the sender never finished
        print(f"{sum(p['numInputRows'] for p in ps)} 0 0 0 0")
        return
    trig = float(args[2]) / 1000
    data = [p for p in ps if p["numInputRows"] > 0]
    total = sum(p["numInputRows"] for p in ps)
    if not data:
        print(f"{total} 0 0 0 {lines / max(done - first, 1e-9):.0f}")
        return
    inner = data[1:-1] or data
    rates = [p.get("inputRowsPerSecond") or p["numInputRows"] / trig for p in inner]
    span = ts(data[-1]) - (ts(data[0]) - trig)
    max_ms = max(p["durationMs"]["triggerExecution"] for p in data)
    print(f"{total} {median(rates):.0f} {total / span:.0f} {max_ms} "
          f"{lines / max(done - first, 1e-9):.0f}")


UNIT_MS = {"ps": 1e-9, "ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}


def cmd_criterion(args):
    """Criterion prints, per benchmark, `NAME  time:   [LOW UNIT MID UNIT HIGH UNIT]` (the
    name may be on the line before); `change:` lines have percentages and are skipped.
    Prints "MID_MS NAME" of the slowest matching benchmark (or nothing)."""
    text = open(args[0], encoding="utf-8", errors="replace").read()
    results, name = [], None
    pat = re.compile(r"time:\s+\[([\d.]+) (\S+) ([\d.]+) (\S+) ([\d.]+) (\S+)\]")
    for line in text.splitlines():
        m = re.match(r"Benchmarking (.+?): Analyzing", line)
        if m:
            name = m.group(1)
        m = pat.search(line)
        if m and m.group(4) in UNIT_MS:
            results.append((float(m.group(3)) * UNIT_MS[m.group(4)], name or "?"))
    if results:
        ms, name = max(results)
        print(f"{ms:.6f} {name}")


def cmd_table(args):
    rows = []
    with open(args[0]) as f:
        for line in f:
            rows.append(line.rstrip("\n").split("\t"))
    heads = ["what", "target", "measured", "met?"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)).rstrip())
        print("    " + r[4])
    with open(args[1], "w") as f:
        f.write("| what | target | measured | met? | how |\n| --- | --- | --- | --- | --- |\n")
        for r in rows:
            f.write("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |\n")


def main():
    cmds = {
        "time": cmd_time, "time-pair": cmd_time_pair, "median": lambda a: print(median([float(x) for x in a])),
        "gen-distinct": cmd_gen_distinct, "progress-sum": cmd_progress_sum,
        "wait-sum": cmd_wait_sum, "ingest": cmd_ingest, "state": cmd_state,
        "latency": cmd_latency, "dash-rate": cmd_dash_rate, "criterion": cmd_criterion,
        "table": cmd_table,
    }
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
