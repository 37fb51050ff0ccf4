#!/usr/bin/env python3
"""A careful hand-rolled spool: one JSON file per message, each written to a temp name, fsync'ed and
renamed into place (durable one by one), with the same job content wabulk writes.

usage: baseline_python.py N DIR
"""
import json, os, sys, time

n, folder = int(sys.argv[1]), sys.argv[2]
os.makedirs(folder, exist_ok=True)
start = time.time()
for i in range(n):
    job = {"attempt": 0, "campaign": "bench", "id": "bench.%07d" % (i + 1), "name": "P%d" % i, "phone": "+9194%08d" % i,
           "template": {"body": ["P%d" % i], "buttons": [], "header": [], "language": "en", "name": "t"}}
    tmp = os.path.join(folder, ".%d.tmp" % i)
    with open(tmp, "w") as f:
        json.dump(job, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(folder, job["id"] + ".json"))
dfd = os.open(folder, os.O_RDONLY)
os.fsync(dfd)
os.close(dfd)
print(json.dumps({"jobs": n, "seconds": round(time.time() - start, 3)}))
