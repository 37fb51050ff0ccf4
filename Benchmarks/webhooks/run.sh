#!/usr/bin/env bash
# Webhook benchmark (issue 6): signed status POSTs per second and p99 latency with durable writes, for
# wabulk's listener and two Node receivers with the same guarantee, in the same run, with wrk on loopback.
# Then each at a fixed 1,000 requests/s (24 connections, each waiting 20 ms between requests) for the p99 there.
# usage: [ROUNDS=N] [BODIES=unique] [RECEIVERS="wabulk group"] Benchmarks/webhooks/run.sh [SECONDS]   (needs a release build, wrk and nodejs)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-20}
WORK=${BENCH_DIR:-/tmp/wabulk-bench-webhooks}
BIN=${WABULK_BIN:-.build/release/wabulk}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK"
export WHATSAPP_APP_SECRET=bench-secret
python3 - "$WORK/body.json" <<'PY'
import json, sys
statuses = [{"id": f"wamid.HBgMOTE5ODc2NTQzMjEwFQIAERgSQjQ{i}", "status": s, "timestamp": str(1750030073 + i),
             "recipient_id": "919876543210", "biz_opaque_callback_data": f"diwali.000000{i}",
             "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}}
            for i, s in enumerate(["sent", "delivered", "read"])]
body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
                  "statuses": statuses}}]}]}
open(sys.argv[1], "w").write(json.dumps(body, separators=(",", ":")))
PY
export BODY_FILE="$WORK/body.json"
export SIGNATURE="sha256=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"bench-secret", open(sys.argv[1],"rb").read(), hashlib.sha256).hexdigest())' "$BODY_FILE")"

wait_up() { for _ in $(seq 100); do curl -s -o /dev/null -X POST "$1" && return 0; sleep 0.1; done; echo "no server at $1" >&2; exit 1; }
# BODIES=unique: a new body per request (Benchmarks/webhooks/unique.lua: new wamids, recipients and times,
# three statuses each with conversation and pricing, signed per request), as Meta sends them; after each
# receiver's runs, the statuses in its log are counted against the requests it answered 200.
SCRIPT=Benchmarks/webhooks/post.lua
[ "${BODIES:-fixed}" = unique ] && SCRIPT=Benchmarks/webhooks/unique.lua
ANSWERED=0
load() {  # name url
  local open paced
  open=$(wrk -t2 -c64 -d"${SECONDS_EACH}s" -s "$SCRIPT" "$2" | grep RESULT)
  paced=$(RATE_DELAY_MS=20 wrk -t2 -c24 -d"${SECONDS_EACH}s" -s "$SCRIPT" "$2" | grep RESULT)
  echo "$1 open:  $open"
  echo "$1 1k/s:  $paced"
  ANSWERED=$(python3 -c 'import re,sys; print(sum(int(re.search(r"requests=(\d+)", l).group(1)) - int(re.search(r"non2xx=(\d+)", l).group(1)) for l in sys.argv[1:]))' "$open" "$paced")
}
statuses_logged() {  # files…: status lines (one per status, whatever the receiver's key order)
  cat "$@" | grep -v '"kind":"webhook"' | grep -c '"status":"' || true
}

# wabulk: the daemon with nothing to send; its listener, event log and webhook follower at work.
run_wabulk() {
  rm -rf "$WORK/home" && mkdir -p "$WORK/home"
  WABULK_HOME="$WORK/home" WHATSAPP_TOKEN=t WHATSAPP_PHONE_NUMBER_ID=1 WHATSAPP_API_BASE_URL=http://127.0.0.1:9 \
    WABULK_LISTEN=127.0.0.1:18080 "$BIN" run --log-level error & PID=$!
  wait_up http://127.0.0.1:18080/api/whatsapp/webhook
  load "wabulk     " http://127.0.0.1:18080/api/whatsapp/webhook
  kill -INT $PID; wait $PID || true
  echo "wabulk      answered $ANSWERED requests, $(statuses_logged "$WORK"/home/var/log/events-*.jsonl) statuses in its log (3 per request)"
}
run_node() {  # sync | group
  MODE=$1 node Benchmarks/webhooks/node_receiver.js 18081 "$WORK/node-$1.jsonl" & PID=$!
  wait_up http://127.0.0.1:18081/
  load "node-$1 " http://127.0.0.1:18081/
  kill $PID; wait $PID 2>/dev/null || true
  echo "node-$1  answered $ANSWERED requests, $(statuses_logged "$WORK/node-$1.jsonl") statuses in its log (3 per request)"
  rm -f "$WORK/node-$1.jsonl"
}

# ROUNDS=N repeats the three; every second round runs them in reverse order, so neither side always
# goes first on a machine whose load drifts.
# RECEIVERS (default "wabulk sync group") picks which of the three run.
RECEIVERS=${RECEIVERS:-wabulk sync group}
run() { case " $RECEIVERS " in *" $1 "*) if [ "$1" = wabulk ]; then run_wabulk; else run_node "$1"; fi ;; esac; }
for round in $(seq "${ROUNDS:-1}"); do
  echo "round $round"
  if [ $((round % 2)) = 1 ]; then run wabulk; run sync; run group
  else run group; run sync; run wabulk; fi
done
