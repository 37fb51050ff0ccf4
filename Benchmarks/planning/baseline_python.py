#!/usr/bin/env python3
"""The hand-rolled planner a competent Python user would write against the same registry: one SQL query with
the tag, opt-out and exclusion rules in SQL (json_each over the tag list), the body rendered
with str methods, every job inserted with executemany in one transaction into a spool table, and a JSON
line per message appended to a log file and fsynced once. It keeps no progress: a crash starts it over.
usage: baseline_python.py REGISTRY.sqlite TAG EXCLUDED_TAG WORKDIR"""
import json, os, sqlite3, sys, time

registry, tag, excluded, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
src = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
rows = src.execute(
    """SELECT c.phone, c.name, c.fields FROM contacts c
       WHERE c.active = 1 AND c.opted_out = 0
       AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE lower(value) = ?)
       AND NOT EXISTS (SELECT 1 FROM json_each(c.tags) WHERE lower(value) = ?)
       ORDER BY c.phone""",
    (tag, excluded),
)
spool = sqlite3.connect(os.path.join(work, "jobs.sqlite"))
spool.execute("PRAGMA journal_mode = WAL")
spool.execute("PRAGMA synchronous = NORMAL")
spool.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, phone TEXT, name TEXT, body TEXT, state TEXT) WITHOUT ROWID")
stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
with open(os.path.join(work, "events.jsonl"), "w") as log:
    def jobs():
        for seq, (phone, name, fields) in enumerate(rows, 1):
            city = json.loads(fields).get("City") or "friend"
            job = f"bench.{seq:07d}"
            log.write(json.dumps({"campaign": "bench", "job": job, "name": name, "phone": phone, "status": "queued", "time": stamp}) + "\n")
            yield job, phone, name, json.dumps([name, city]), "ready"
    with spool:
        spool.executemany("INSERT INTO jobs VALUES (?, ?, ?, ?, ?)", jobs())
    log.flush()
    os.fsync(log.fileno())
print(spool.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
