#!/usr/bin/env python3
"""Checks that two reports hold the same numbers: every sheet's cells equal, except the Summary's
"Generated" time and the sheets named after --except (compared by row count only, and said).
usage: same_numbers.py A.xlsx B.xlsx [--except SHEET]… (openpyxl)"""
import sys
import openpyxl

def cells(path):
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            if ws.title == "Summary" and row and row[0] == "Generated":
                continue
            rows.append(tuple("" if v is None else str(v) for v in row))
        out[ws.title] = rows
    return out

skip = [sys.argv[i + 1] for i in range(3, len(sys.argv) - 1) if sys.argv[i] == "--except"]
a, b = cells(sys.argv[1]), cells(sys.argv[2])
for sheet in skip:
    print(f"{sheet}: {len(a.get(sheet, []))} rows vs {len(b.get(sheet, []))} (not compared)")
for sheet in a:
    if sheet in skip:
        continue
    if a[sheet] != b.get(sheet):
        diff = [(i, x, y) for i, (x, y) in enumerate(zip(a[sheet], b.get(sheet, []))) if x != y][:3]
        sys.exit(f"{sys.argv[1]} and {sys.argv[2]} differ in {sheet}: {len(a[sheet])} vs {len(b.get(sheet, []))} rows; first: {diff}")
print(f"same numbers: {', '.join(f'{s} {len(r)} rows' for s, r in a.items())}")
