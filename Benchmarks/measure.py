#!/usr/bin/env python3
"""Runs a command and reports its wall time and peak memory: the largest RSS of the main process and the
peak of the summed PSS (shared pages split between sharers) of its whole process tree (wabulk's import also runs worker processes), sampled
from /proc (RSS every 20 ms, the tree's PSS every 200 ms). Prints one JSON line; the command's own stdout is passed through in "output".

usage: measure.py -- COMMAND ARGS...
"""
import json, os, subprocess, sys, tempfile, time

def tree(pid):
    # Children of every thread, not only the main one: wabulk starts its workers from other threads.
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                parents.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    pids, frontier = [pid], [pid]
    while frontier:
        kids = parents.get(frontier.pop(), [])
        pids += kids
        frontier += kids
    return pids

def pss_kb(pid):
    # Proportional set size: the tree's processes share library pages, which summed RSS would count twice.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

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
tick = 0
while proc.poll() is None:
    peak_main = max(peak_main, rss_kb(proc.pid))
    # The tree's PSS every 200 ms only: smaps_rollup walks each process's page tables under its mmap lock,
    # which every 20 ms slowed a multi-process command measurably (and more than a one-process baseline).
    if tick % 10 == 0:
        peak_tree = max(peak_tree, sum(pss_kb(p) for p in tree(proc.pid)))
    tick += 1
    time.sleep(0.02)
sink.seek(0)
out = sink.read()
wall = time.time() - start
print(json.dumps({"seconds": round(wall, 3), "peak_rss_mb": round(peak_main / 1024, 1),
                  "peak_tree_pss_mb": round(peak_tree / 1024, 1), "exit": proc.returncode, "output": out.strip()}))
