#!/usr/bin/env python3
"""Issue 22's crash acceptance at full size: 20 SIGKILLs while the daemon plans a 1,000,000-recipient tag
audience from the 2,000,000-contact registry, with sending running wide open against the sandbox; then the
daemon drains the campaign, and the sandbox's record must hold every person of the audience exactly once.
Each kill comes as soon as a new planning batch has landed in the spool (and a random 0-300 ms later).
usage: crash.py REGISTRY.sqlite WORKDIR   (Benchmarks/planning/run.sh builds the registry; needs a release build)"""
import json, os, random, shutil, signal, socket, sqlite3, subprocess, sys, time

registry, work = sys.argv[1], sys.argv[2]
binary = os.path.abspath(os.environ.get("WABULK_BIN", ".build/release/wabulk"))
shutil.rmtree(work, ignore_errors=True)
home = os.path.join(work, "home")
os.makedirs(os.path.join(home, "var"))
os.makedirs(os.path.join(home, "inbox"))
shutil.copy(registry, os.path.join(home, "var", "contacts.sqlite"))

def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
sp, lp = port(), port()
env = dict(os.environ, WABULK_HOME=home, WHATSAPP_TOKEN="t", WHATSAPP_PHONE_NUMBER_ID="106540352242922", WHATSAPP_APP_SECRET="crash",
           WHATSAPP_API_BASE_URL=f"http://127.0.0.1:{sp}", WABULK_LISTEN=f"127.0.0.1:{lp}", WABULK_INBOX_SCAN_SECONDS="0.1",
           WABULK_INBOX_SETTLE_SECONDS="0.1", WABULK_RATE="1000000/s", WABULK_SEND_CONCURRENCY="32", WABULK_RECONCILE_SECONDS="5")
record = os.path.join(work, "sends.jsonl")
sandbox = subprocess.Popen([binary, "sandbox", "--port", str(sp), "--webhook", f"http://127.0.0.1:{lp}/api/whatsapp/webhook",
                            "--status-delay-ms", "50", "--webhook-retry-cap-ms", "1000", "--record", record],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "sandbox.log"), "w"))
time.sleep(1)
daemon_log = open(os.path.join(work, "daemon.log"), "a")
def start():
    return subprocess.Popen([binary, "run", "--log-level", "warning"], env=env, stdout=daemon_log, stderr=daemon_log)
spool = os.path.join(home, "var", "spool", "jobs.sqlite")
def planned():
    try:
        db = sqlite3.connect(f"file:{spool}?mode=ro", uri=True, timeout=1)
        row = db.execute("SELECT jobs, finished FROM plans WHERE campaign = 'crash'").fetchone()
        db.close()
        return row
    except sqlite3.Error:
        return None

with open(os.path.join(home, "inbox", "crash.json"), "w") as f:
    json.dump({"id": "crash", "template": {"name": "t", "language": "en"},
               "audience": {"tags": ["spring"], "excludeTags": ["staff"]}, "variables": {"body": ["{name}", "{City|friend}"]}}, f)
receipt = os.path.join(home, "outbox", "receipts", "crash.json.receipt.json")
landed = []
for k in range(20):
    daemon = start()
    before = (planned() or (0, 0))[0]
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(receipt) and (planned() or (0, 0))[0] == before:
        time.sleep(0.005)
    time.sleep(random.uniform(0, 0.3))
    state = planned()
    if state and not state[1]: landed.append(state[0])
    daemon.send_signal(signal.SIGKILL); daemon.wait()
print(json.dumps({"kills": 20, "mid_planning": len(landed), "jobs_spooled_at_each_kill": landed}))
daemon = start()
t0 = time.time()
while time.time() < t0 + 3600:
    if os.path.exists(receipt) and os.path.exists(spool):
        db = sqlite3.connect(f"file:{spool}?mode=ro", uri=True, timeout=5)
        left = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]; db.close()
        if left == 0: break
    time.sleep(2)
drain = time.time() - t0
daemon.send_signal(signal.SIGINT); daemon.wait()
sandbox.send_signal(signal.SIGINT); sandbox.wait()

reg = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
audience = {r[0] for r in reg.execute("""SELECT c.phone FROM contacts c WHERE c.active = 1 AND c.opted_out = 0
    AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE lower(value) = 'spring')
    AND NOT EXISTS (SELECT 1 FROM json_each(c.tags) WHERE lower(value) = 'staff')""")}
seen, twice = set(), 0
with open(record) as f:
    for line in f:
        r = json.loads(line)
        if r.get("outcome") != "accepted": continue
        if r["to"] in seen: twice += 1
        seen.add(r["to"])
r = json.load(open(receipt))
print(json.dumps({"audience": len(audience), "receipt_queued": r["campaign"]["queued"], "reached": len(seen), "sent_twice": twice,
                  "outside_audience": len(seen - audience), "never_reached": len(audience - seen), "drain_seconds": round(drain)}))
sys.exit(0 if twice == 0 and seen == audience and r["campaign"]["queued"] == len(audience) else 1)
