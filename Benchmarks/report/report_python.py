#!/usr/bin/env python3
"""What a user would otherwise write: the Messages rows of rows.tsv written with XlsxWriter in its
constant-memory mode, with the same header, formats, widths, frozen header and autofilter as wabulk's sheet.

usage: report_python.py ROWS_TSV OUT.xlsx
"""
import csv, json, sys
import xlsxwriter

wb = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
integer = wb.add_format({"num_format": "#,##0"})
ws = wb.add_worksheet("Messages")
headers = ["Phone", "Name", "Campaign", "Status", "Sent at", "Delivered at", "Read at", "Failed at",
           "Message id", "Attempts", "Error code", "Error", "What to do"]
for c, width in enumerate([16, 22, 18, 11, 20, 20, 20, 20, 40, 9, 11, 36, 60]):
    ws.set_column(c, c, width)
ws.write_row(0, 0, headers, header)
ws.freeze_panes(1, 0)
row = 0
with open(sys.argv[1], newline="") as f:
    for fields in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
        row += 1
        for c, value in enumerate(fields):
            if not value:
                continue
            if 4 <= c <= 7:
                ws.write_number(row, c, float(value), date)
            elif c in (9, 10):
                ws.write_number(row, c, float(value), integer)
            else:
                ws.write_string(row, c, value)
ws.autofilter(0, 0, row, 12)
wb.close()
print(json.dumps({"rows": row}))
