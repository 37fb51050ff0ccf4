#!/usr/bin/env python3
"""Checks that two workbooks' Messages sheets hold the same cells (dates compared to the second), so the
benchmark compares programs that wrote the same rows. usage: same_rows.py A.xlsx B.xlsx"""
import datetime, sys
import openpyxl

def rows(path):
    ws = openpyxl.load_workbook(path, read_only=True)["Messages"]
    for row in ws.iter_rows(values_only=True):
        out = []
        for v in row:
            if isinstance(v, datetime.datetime):
                v = v.replace(microsecond=0) + datetime.timedelta(seconds=1 if v.microsecond >= 500000 else 0)
            out.append("" if v is None else str(v))
        while out and out[-1] == "":
            out.pop()
        yield out

a, b = list(rows(sys.argv[1])), list(rows(sys.argv[2]))
diff = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
if len(a) != len(b) or diff:
    print(f"DIFFERENT: {len(a)} vs {len(b)} rows; first differences: {diff[:3]}")
    sys.exit(1)
print(f"same {len(a)} rows")
