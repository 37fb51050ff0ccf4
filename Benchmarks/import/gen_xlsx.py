#!/usr/bin/env python3
"""Turns the first N rows of a generated contacts CSV into an .xlsx as Excel would save it: numbers typed
without a + or separators become numeric cells (so the reader must give back their exact digits), the
rest stay text.

usage: gen_xlsx.py SOURCE.csv ROWS OUT.xlsx
"""
import csv, sys
from openpyxl import Workbook

source, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wb = Workbook(write_only=True)
ws = wb.create_sheet("Contacts")
with open(source, newline="", encoding="utf-8-sig") as f:
    reader = csv.reader(f)
    ws.append(next(reader))
    for i, row in enumerate(reader):
        if i >= rows:
            break
        phone = row[1]
        if phone.isdigit() and not phone.startswith("0"):
            row[1] = int(phone)
        ws.append(row)
wb.save(out)
