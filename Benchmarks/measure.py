#!/usr/bin/env python3
"""Runs a command and reports its wall time and peak memory: the largest RSS of the main process and the
peak of the summed RSS of its whole process tree (wabulk's import also runs worker processes), sampled
every 20 ms from /proc. Prints one JSON line; the command's own stdout is passed through in "output".

usage: measure.py -- COMMAND ARGS...
"""
import json, os, subprocess, sys, tempfile, time

def tree(pid):
    pids, frontier = [pid], [pid]
    while frontier:
        p = frontier.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        pids += kids
        frontier += kids
    return pids

def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

cmd = sys.argv[sys.argv.index("--") + 1:]
start = time.time()
# Output goes to a file, not a pipe: a command that prints a lot must never block on a full pipe.
sink = tempfile.TemporaryFile(mode="w+")
proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL, text=True)
peak_main = peak_tree = 0
while proc.poll() is None:
    main = rss_kb(proc.pid)
    total = sum(rss_kb(p) for p in tree(proc.pid))
    peak_main, peak_tree = max(peak_main, main), max(peak_tree, total)
    time.sleep(0.02)
sink.seek(0)
out = sink.read()
wall = time.time() - start
print(json.dumps({"seconds": round(wall, 3), "peak_rss_mb": round(peak_main / 1024, 1),
                  "peak_tree_rss_mb": round(peak_tree / 1024, 1), "exit": proc.returncode, "output": out.strip()}))
