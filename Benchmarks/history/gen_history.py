#!/usr/bin/env python3
"""Writes a wabulk home holding DAYS days of history, PER_DAY messages a day, line for line as the daemon
writes them (keys in alphabetical order, its time format): each day one campaign planned at 09:00 (queued
lines), sent at 30 a minute (sending, sent; 1% refused at the send with 131047), then Meta's webhooks, one
POST per status as Meta sends them (the raw body with conversation and pricing, then the status line): sent,
delivered (2% fail with 131026 instead), read for 60% of the delivered after a delay of minutes to more than a
day (so some land in the next day's file, a few two days on), a reply quoting the message for 3% and an opt-out
(STOP) for 0.2%; the account's limit each morning. Each day's randomness is seeded by its date, so a home
generated for a few days holds exactly those days' lines of the full history: the "log holding only that
period" a report's time is compared with.

usage: gen_history.py HOME DAYS PER_DAY [--end YYYY-MM-DD] [--only FIRST_INDEX COUNT]
  --end: the last day (default 2026-11-30); --only: generate only the campaigns of days FIRST_INDEX …
  FIRST_INDEX+COUNT-1 (0 = the first day of the history), with their late webhooks.
"""
import base64, datetime, json, os, random, sys

args = sys.argv[1:]
home, days, per_day = args[0], int(args[1]), int(args[2])
end = datetime.date(2026, 11, 30)
only = None
i = 3
while i < len(args):
    if args[i] == "--end":
        end = datetime.date.fromisoformat(args[i + 1]); i += 2
    elif args[i] == "--only":
        only = (int(args[i + 1]), int(args[i + 2])); i += 3
    else:
        sys.exit(f"unknown argument {args[i]}")
first_day = end - datetime.timedelta(days=days - 1)
os.makedirs(f"{home}/var/log", exist_ok=True)
os.makedirs(f"{home}/var/campaigns", exist_ok=True)
os.makedirs(f"{home}/inbox", exist_ok=True)
os.makedirs(f"{home}/outbox", exist_ok=True)

def iso(t):
    sec = int(t)
    ms = int(round((t - sec) * 1000))
    if ms == 1000:
        sec, ms = sec + 1, 0
    return datetime.datetime.fromtimestamp(sec, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ms

def day_of(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).date()

pending = {}  # date -> [(time, seq, line)]
seq = 0
def emit(t, line):
    global seq
    seq += 1
    pending.setdefault(day_of(t), []).append((t, seq, line))

def status_body(wamid, phone, status, ts, job, conv, pricing, code):
    s = {"id": wamid, "status": status, "timestamp": str(ts), "recipient_id": phone[1:], "biz_opaque_callback_data": job}
    if pricing:
        s["conversation"] = {"id": conv, "expiration_timestamp": str(ts + 86400), "origin": {"type": "marketing"}}
        s["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "marketing", "type": "regular"}
    if code:
        s["errors"] = [{"code": code, "title": "Message undeliverable", "message": "Message undeliverable", "error_data": {"details": "Message Undeliverable."}}]
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [s]}, "field": "messages"}]}]}
    return json.dumps(body, separators=(",", ":"))

def webhook(t, job, wamid, phone, status, conv, pricing=True, code=0, user=None):
    ts = int(t) - 1
    raw = status_body(wamid, phone, status, ts, job, conv, pricing, code)
    emit(t, '{"kind":"webhook","raw":%s,"source":"webhook","time":"%s"}\n' % (json.dumps(raw), iso(t)))
    err = '"errorCode":%d,"errorDetails":"Message Undeliverable.","errorTitle":"Message undeliverable","failure":"meta",' % code if code else ""
    price = ',"pricingCategory":"marketing","pricingType":"regular"' if pricing else ""
    emit(t, '{%s"job":"%s","kind":"status","metaTime":%d,"phone":"%s"%s,"source":"webhook","status":"%s","time":"%s","userID":"%s","wamid":"%s"}\n'
         % (err, job, ts, phone, price, status, iso(t), user, wamid))

def day_campaign(index):
    day = first_day + datetime.timedelta(days=index)
    rng = random.Random(day.toordinal())
    campaign = "offer-" + day.isoformat()
    morning = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp()
    emit(morning + 8 * 3600, '{"errorDetails":"quality: GREEN","kind":"accountUpdate","messagingLimit":100000,"reason":"phone_number","source":"graph","time":"%s"}\n'
         % iso(morning + 8 * 3600))
    planned = morning + 9 * 3600
    with open(f"{home}/var/campaigns/{campaign}.json", "w") as f:
        json.dump({"manifest": {"id": campaign, "name": "Offer of " + day.isoformat(), "template": {"name": "daily_offer", "language": "en_US"},
                   "audience": {"tags": ["subscribers"]}}, "phase": "spooled", "createdAt": iso(planned), "sourceFile": campaign + ".json",
                   "queued": per_day, "skipped": {}}, f)
    # Dated as the daemon leaves it: written when planned, last changed when its sends finished.
    os.utime(f"{home}/var/campaigns/{campaign}.json", (planned + 6 * 3600, planned + 6 * 3600))
    base = index * 1_000_000
    for i in range(per_day):
        job = "%s.%07d" % (campaign, i + 1)
        phone = "+9198%08d" % ((base + i * 7919) % 100_000_000)
        emit(planned + i * 0.0004, '{"campaign":"%s","job":"%s","kind":"status","name":"Customer %d","phone":"%s","source":"campaign","status":"queued","time":"%s"}\n'
             % (campaign, job, i, phone, iso(planned + i * 0.0004)))
    for i in range(per_day):
        job = "%s.%07d" % (campaign, i + 1)
        phone = "+9198%08d" % ((base + i * 7919) % 100_000_000)
        user = "IN.%019d" % (base * 10 + i)
        t = planned + 2 + i * 2.0 + rng.random() * 0.5  # 30 a minute
        emit(t, '{"attempt":1,"campaign":"%s","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"sending","time":"%s"}\n'
             % (campaign, job, phone, iso(t)))
        if rng.random() < 0.01:
            emit(t + 0.3, '{"attempt":1,"campaign":"%s","errorCode":131047,"errorDetails":"Message failed to send because more than 24 hours have passed since the customer last replied to this number.","errorTitle":"Re-engagement message","failure":"meta","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"failed","time":"%s"}\n'
                 % (campaign, job, phone, iso(t + 0.3)))
            continue
        wamid = "wamid." + base64.b64encode(("HBgM%sFQIAERgS%012X" % (phone[1:], base + i)).encode()).decode()
        conv = "%032x" % rng.getrandbits(128)
        emit(t + 0.3, '{"attempt":1,"campaign":"%s","job":"%s","kind":"status","phone":"%s","source":"dispatch","status":"sent","time":"%s","wamid":"%s"}\n'
             % (campaign, job, phone, iso(t + 0.3), wamid))
        webhook(t + 1.2, job, wamid, phone, "sent", conv, user=user)
        if rng.random() < 0.02:
            webhook(t + 3 + rng.random() * 30, job, wamid, phone, "failed", conv, pricing=False, code=131026, user=user)
            continue
        delivered = t + 2 + rng.expovariate(1 / 20)
        webhook(delivered, job, wamid, phone, "delivered", conv, user=user)
        if rng.random() < 0.6:
            read = delivered + rng.expovariate(1 / 7200) + (rng.random() < 0.05) * rng.random() * 86400
            webhook(read, job, wamid, phone, "read", conv, pricing=False, user=user)
            r = rng.random()
            if r < 0.03:
                at = read + 30 + rng.random() * 600
                emit(at, '{"kind":"inbound","phone":"%s","reason":"Is the offer on till Sunday? Customer %d","replyTo":"%s","source":"webhook","time":"%s","userID":"%s","wamid":"wamid.in%s"}\n'
                     % (phone, i, wamid, iso(at), user, wamid[6:]))
            elif r < 0.032:
                at = read + 30 + rng.random() * 600
                emit(at, '{"kind":"inbound","phone":"%s","reason":"STOP","replyTo":"%s","source":"webhook","time":"%s","userID":"%s","wamid":"wamid.in%s"}\n'
                     % (phone, wamid, iso(at), user, wamid[6:]))
                emit(at, '{"kind":"optOut","phone":"%s","reason":"replied \\"STOP\\"","source":"webhook","time":"%s","userID":"%s","wamid":"wamid.in%s"}\n'
                     % (phone, iso(at), user, wamid[6:]))

def flush(through):
    for day in sorted(d for d in pending if d <= through):
        lines = pending.pop(day)
        lines.sort()
        with open(f"{home}/var/log/events-{day.isoformat()}.jsonl", "a") as f:
            f.write("".join(l for _, _, l in lines))

indexes = range(days) if only is None else range(only[0], only[0] + only[1])
for index in indexes:
    day_campaign(index)
    # A day's file is complete once no later campaign can add to it.
    flush(first_day + datetime.timedelta(days=index - 1))
flush(datetime.date.max)
