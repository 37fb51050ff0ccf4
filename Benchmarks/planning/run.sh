#!/usr/bin/env bash
# Planning benchmark (issue 22): a tag audience of 100,000 and of 1,000,000 from a 2,000,000-contact registry.
#  1. `wabulk campaign plan` (the inbox's code path): seconds and peak RSS;
#  2. the baseline, a competent hand-rolled Python planner (Benchmarks/planning/baseline_python.py: one SQL
#     query over the same tag index, executemany in one transaction, a JSON line per message);
#  3. the daemon with the sandbox: the manifest dropped into inbox/, then the time from the file being taken
#     to the first message sent and to the receipt, and the daemon's peak RSS (VmHWM) over the whole run.
# usage: Benchmarks/planning/run.sh   (needs swift build -c release; the registry is built once and kept in
# $BENCH_DIR/registry, about 1 GB)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${WABULK_BIN:-.build/release/wabulk}")
WORK=${BENCH_DIR:-/tmp/wabulk-bench-plan}
CONTACTS=${CONTACTS:-2000000}
mkdir -p "$WORK"
REG="$WORK/registry/contacts.sqlite"
if [ ! -f "$REG" ]; then
  rm -rf "$WORK/registry" "$WORK/import"; mkdir -p "$WORK/registry" "$WORK/import"
  python3 Benchmarks/planning/gen_contacts.py "$CONTACTS" > "$WORK/contacts.csv"
  WABULK_DEFAULT_COUNTRY=IN "$BIN" contacts import --home "$WORK/import" "$WORK/contacts.csv" > /dev/null
  sqlite3 "$WORK/import/var/contacts.sqlite" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
  mv "$WORK/import/var/contacts.sqlite" "$REG"
fi
fresh_home() {
  rm -rf "$WORK/home"; mkdir -p "$WORK/home/var" "$WORK/home/inbox"
  cp "$REG" "$WORK/home/var/contacts.sqlite"
  sync
}
manifest() {  # id tag
  echo "{\"id\": \"$1\", \"template\": {\"name\": \"t\", \"language\": \"en\"}, \"audience\": {\"tags\": [\"$2\"], \"excludeTags\": [\"staff\"]}, \"variables\": {\"body\": [\"{name}\", \"{City|friend}\"]}}"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for CASE in "100000 pilot" "1000000 spring"; do
  set -- $CASE; N=$1; TAG=$2
  fresh_home
  manifest bench "$TAG" > "$WORK/bench.json"
  echo "N=$N wabulk plan: $(python3 Benchmarks/measure.py -- "$BIN" campaign plan --home "$WORK/home" --json "$WORK/bench.json" | tr -d '\n')"
  rm -rf "$WORK/base"; sync
  echo "N=$N baseline:    $(python3 Benchmarks/measure.py -- python3 Benchmarks/planning/baseline_python.py "$REG" "$TAG" staff "$WORK/base" | tr -d '\n')"

  fresh_home
  SP=$(free_port); LP=$(free_port)
  export WABULK_HOME="$WORK/home" WHATSAPP_TOKEN=t WHATSAPP_PHONE_NUMBER_ID=106540352242922 WHATSAPP_APP_SECRET=bench
  export WHATSAPP_API_BASE_URL="http://127.0.0.1:$SP" WABULK_LISTEN="127.0.0.1:$LP" WABULK_INBOX_SCAN_SECONDS=0.2 WABULK_INBOX_SETTLE_SECONDS=0.2
  "$BIN" sandbox --port "$SP" --webhook "http://127.0.0.1:$LP/api/whatsapp/webhook" > "$WORK/sandbox.log" 2>&1 &
  SANDBOX=$!
  "$BIN" run --log-level warning > "$WORK/daemon.log" 2>&1 &
  DAEMON=$!
  trap 'kill $SANDBOX $DAEMON 2>/dev/null || true' EXIT
  sleep 2
  manifest drop "$TAG" > "$WORK/drop.json"
  python3 - "$WORK/home" "$WORK/drop.json" "$DAEMON" "$N" <<'PY'
import glob, json, os, shutil, sys, time
home, manifest, daemon, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
inbox = os.path.join(home, "inbox", "drop.json")
receipt = os.path.join(home, "outbox", "receipts", "drop.json.receipt.json")
shutil.copy(manifest, inbox + ".part")
os.rename(inbox + ".part", inbox)
dropped = time.time()
taken = first = done = None
offsets = {}
while time.time() < dropped + 600 and (done is None or first is None):
    now = time.time()
    if taken is None and not os.path.exists(inbox): taken = now
    if first is None:
        for f in glob.glob(os.path.join(home, "var", "log", "events-*.jsonl")):
            with open(f, "rb") as fh:
                fh.seek(offsets.get(f, 0)); chunk = fh.read(); offsets[f] = offsets.get(f, 0) + len(chunk)
                if b'"status":"sent"' in chunk: first = now
    if done is None and os.path.exists(receipt): done = now
    time.sleep(0.005)
hwm = next(int(l.split()[1]) for l in open(f"/proc/{daemon}/status") if l.startswith("VmHWM"))
r = json.load(open(receipt))
print(json.dumps({"daemon_n": n, "queued": r["campaign"]["queued"], "skipped": sum(r["campaign"]["skipped"].values()),
                  "taken_to_first_send_s": round(first - taken, 3), "taken_to_receipt_s": round(done - taken, 3),
                  "daemon_peak_rss_mb": round(hwm / 1024, 1)}))
PY
  kill -INT $DAEMON; wait $DAEMON || true
  kill $SANDBOX; wait $SANDBOX 2>/dev/null || true
  trap - EXIT
done
