#!/usr/bin/env python3
"""What a competent user would hand-roll: requests.Session per thread (keep-alive), a thread pool,
Meta's template body; no spool, no event log, no retries. Sends N messages to the sandbox as fast as it can.

usage: baseline_python.py BASE_URL N THREADS
"""
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import requests

base, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
local = threading.local()

def send(i):
    s = getattr(local, "s", None)
    if s is None:
        s = local.s = requests.Session()
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+9192%08d" % i, "type": "template",
            "biz_opaque_callback_data": "py.%07d" % i,
            "template": {"name": "t", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "P%d" % i}]}]}}
    r = s.post(base + "/v23.0/106540352242922/messages", json=body, headers={"Authorization": "Bearer t"}, timeout=15)
    return r.status_code == 200

start = time.time()
with ThreadPoolExecutor(threads) as pool:
    ok = sum(pool.map(send, range(n)))
secs = time.time() - start
print(json.dumps({"sent": ok, "seconds": round(secs, 3), "per_second": round(ok / secs, 1)}))
