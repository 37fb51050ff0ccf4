#!/usr/bin/env python3
"""The baseline a competent user would write: csv + phonenumbers + sqlite3, one transaction,
dedup in a dict, upsert with tag union. Same verdicts and same registry schema as wabulk.

usage: import_python.py FILE.csv|FILE.xlsx DB.sqlite   (.xlsx read with openpyxl in read-only mode)
"""
import csv, json, sqlite3, sys, time
import phonenumbers

path, db_path = sys.argv[1], sys.argv[2]
db = sqlite3.connect(db_path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("PRAGMA cache_size=-65536")
db.execute("""CREATE TABLE IF NOT EXISTS contacts (phone TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '',
              tags TEXT NOT NULL DEFAULT '[]', fields TEXT NOT NULL DEFAULT '{}', active INTEGER NOT NULL DEFAULT 1,
              opted_out INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT) WITHOUT ROWID""")
start = time.time()
rows = rejected = dups = inserted = updated = 0
seen = {}
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
def xlsx_rows(path):
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    ws = wb["Contacts"] if "Contacts" in wb.sheetnames else wb.worksheets[0]
    values = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(values)]
    for cells in values:
        # A phone typed into Excel is a number cell: its digits, not "9.1e+11".
        yield {h: (str(int(v)) if isinstance(v, (int, float)) else (v or "")) for h, v in zip(header, cells)}

def csv_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        yield from csv.DictReader(f)

with db:
    for row in (xlsx_rows(path) if path.endswith(".xlsx") else csv_rows(path)):
        rows += 1
        try:
            n = phonenumbers.parse(row["Phone Number"], "IN")
            if not phonenumbers.is_valid_number(n):
                rejected += 1
                continue
        except phonenumbers.NumberParseException:
            rejected += 1
            continue
        e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        tags = [t.strip() for t in row["Tags"].split(",") if t.strip()]
        if e164 in seen:
            dups += 1
            continue
        seen[e164] = True
        cur = db.execute("INSERT OR IGNORE INTO contacts (phone, name, tags, fields, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                         (e164, row["Name"], json.dumps(tags), json.dumps({"City": row["City"]}), now, now))
        if cur.rowcount:
            inserted += 1
        else:
            old = db.execute("SELECT tags FROM contacts WHERE phone=?", (e164,)).fetchone()
            merged = json.loads(old[0]) + [t for t in tags if t not in json.loads(old[0])]
            db.execute("UPDATE contacts SET name=?, tags=?, fields=?, updated_at=? WHERE phone=?",
                       (row["Name"], json.dumps(merged), json.dumps({"City": row["City"]}), now, e164))
            updated += 1
print(json.dumps({"rows": rows, "inserted": inserted, "updated": updated, "duplicates": dups, "rejected": rejected,
                  "seconds": round(time.time() - start, 3)}))
