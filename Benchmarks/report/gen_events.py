#!/usr/bin/env python3
"""Writes a wabulk home whose event log holds MESSAGES messages of one campaign, line for line as the
daemon writes them: queued (planning), sending and sent (dispatch), then Meta's webhooks — the raw body of
each batch of 50 statuses and one status line per status: sent and delivered with pricing, read for 60%,
131026 failures for 2% (after sent) and 131047 at the send for 1%. Also writes rows.tsv: the Messages sheet
those events fold into (phone, name, campaign, status, sent/delivered/read/failed as Excel serials, message
id, attempts, error code, error, what to do), the input of the Python and C baselines.

usage: gen_events.py MESSAGES HOME ROWS_TSV
"""
import base64, json, os, sys

n = int(sys.argv[1])
home, rows_path = sys.argv[2], sys.argv[3]
os.makedirs(f"{home}/var/log", exist_ok=True)
os.makedirs(f"{home}/var/campaigns", exist_ok=True)
os.makedirs(f"{home}/outbox", exist_ok=True)
os.makedirs(f"{home}/inbox", exist_ok=True)
campaign = "diwali-offer"
base = 1795840000  # 2026-11-28T01:46:40Z
EXPLAIN_131026 = "The number is not on WhatsApp, has not accepted the latest terms, or uses an old app. Check the number; it is not retried."
EXPLAIN_131047 = "More than 24 hours passed since the user last wrote; only templates can be sent."

def iso(sec, ms):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".%03dZ" % ms

def serial(sec):
    return repr(sec / 86400 + 25569)

with open(f"{home}/var/campaigns/{campaign}.json", "w") as f:
    json.dump({"manifest": {"id": campaign, "name": "Diwali offer", "template": {"name": "diwali_offer", "language": "en_US"},
               "audience": {"all": True}}, "phase": "spooled", "createdAt": iso(base, 0), "sourceFile": "diwali.json",
               "queued": n, "skipped": {}}, f)

log = open(f"{home}/var/log/events-2026-11-28.jsonl", "w")
rows = open(rows_path, "w")
q = []
for i in range(n):
    job = "%s.%07d" % (campaign, i + 1)
    q.append('{"campaign":"%s","job":"%s","kind":"status","name":"Customer %d","phone":"+9198%08d","source":"campaign","status":"queued","time":"%s"}\n'
             % (campaign, job, i, i, iso(base, 0)))
log.write("".join(q)); q = None

batch, out = [], []
def flush():
    global batch
    if not batch:
        return
    statuses = []
    for (job, wamid, phone, st, ts, pricing, code) in batch:
        s = {"biz_opaque_callback_data": job, "id": wamid, "recipient_id": phone[1:], "status": st, "timestamp": str(ts)}
        if pricing:
            s["pricing"] = {"billable": True, "category": "marketing", "pricing_model": "PMP", "type": "regular"}
        if code:
            s["errors"] = [{"code": code, "title": "Message undeliverable", "message": "Message undeliverable", "error_data": {"details": "Message Undeliverable."}}]
        statuses.append(s)
    body = {"entry": [{"changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}, "statuses": statuses}}], "id": "102290129340398"}], "object": "whatsapp_business_account"}
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True)
    out.append('{"kind":"webhook","raw":%s,"source":"webhook","time":"%s"}\n' % (json.dumps(raw), iso(batch[-1][4], 500)))
    for (job, wamid, phone, st, ts, pricing, code) in batch:
        extra = ',"pricingCategory":"marketing","pricingType":"regular"' if pricing else ""
        err = ',"errorCode":%d,"errorDetails":"Message Undeliverable.","errorTitle":"Message undeliverable"' % code if code else ""
        out.append('{%s"job":"%s","kind":"status","metaTime":%d,"phone":"%s"%s,"source":"webhook","status":"%s","time":"%s","wamid":"%s"}\n'
                   % (err[1:] + "," if err else "", job, ts, phone, extra, st, iso(ts, 500), wamid))
    batch = []

for i in range(n):
    job = "%s.%07d" % (campaign, i + 1)
    phone = "+9198%08d" % i
    t = base + 3600 + i // 30  # 30 a second
    ms = (i * 37) % 1000
    out.append('{"attempt":1,"campaign":"%s","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"sending","time":"%s"}\n'
               % (campaign, job, phone, iso(t, ms)))
    if i % 100 == 7:
        out.append('{"attempt":1,"campaign":"%s","errorCode":131047,"errorDetails":"Message failed to send because more than 24 hours have passed since the customer last replied to this number.","errorTitle":"Re-engagement message","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"failed","time":"%s"}\n'
                   % (campaign, job, phone, iso(t, ms)))
        rows.write("%s\tCustomer %d\t%s\tfailed\t\t\t\t%s\t\t1\t131047\tRe-engagement message\t%s\n" % (phone, i, campaign, serial(t), EXPLAIN_131047))  # wabulk keeps times to the second
    else:
        wamid = "wamid." + base64.b64encode(("HBgM%sFQIAERgS%012X" % (phone[1:], i)).encode()).decode()
        out.append('{"attempt":1,"campaign":"%s","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"sent","time":"%s","wamid":"%s"}\n'
                   % (campaign, job, phone, iso(t, ms + 0 if ms < 999 else 999), wamid))
        batch.append((job, wamid, phone, "sent", t, True, 0))
        if i % 50 == 3:
            batch.append((job, wamid, phone, "failed", t + 2, False, 131026))
            rows.write("%s\tCustomer %d\t%s\tfailed\t%s\t\t\t%s\t%s\t1\t131026\tMessage undeliverable\t%s\n"
                       % (phone, i, campaign, serial(t), serial(t + 2), wamid, EXPLAIN_131026))
        else:
            batch.append((job, wamid, phone, "delivered", t + 2, True, 0))
            if i % 5 < 3:
                batch.append((job, wamid, phone, "read", t + 60, False, 0))
                rows.write("%s\tCustomer %d\t%s\tread\t%s\t%s\t%s\t\t%s\t1\t\t\t\n" % (phone, i, campaign, serial(t), serial(t + 2), serial(t + 60), wamid))
            else:
                rows.write("%s\tCustomer %d\t%s\tdelivered\t%s\t%s\t\t\t%s\t1\t\t\t\n" % (phone, i, campaign, serial(t), serial(t + 2), wamid))
        if len(batch) >= 50:
            flush()
    if len(out) > 20000:
        log.write("".join(out)); out = []
flush()
log.write("".join(out))
log.close(); rows.close()
