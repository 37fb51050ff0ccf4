/* The floor: the Messages rows of rows.tsv written straight through libxlsxwriter, constant-memory mode,
 * with the same header, formats, widths, frozen header and autofilter as wabulk's sheet.
 * usage: report_c ROWS_TSV OUT.xlsx */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: report_c ROWS_TSV OUT.xlsx\n"); return 2; }
    FILE *in = fopen(argv[1], "r");
    if (!in) { perror(argv[1]); return 1; }
    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(argv[2], &options);
    lxw_format *header = workbook_add_format(wb);
    format_set_bold(header);
    format_set_bg_color(header, 0xD9E1F2);
    format_set_border(header, LXW_BORDER_THIN);
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd hh:mm:ss");
    lxw_format *integer = workbook_add_format(wb);
    format_set_num_format(integer, "#,##0");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Messages");
    const char *headers[] = {"Phone", "Name", "Campaign", "Status", "Sent at", "Delivered at", "Read at", "Failed at",
                             "Message id", "Attempts", "Error code", "Error", "What to do"};
    double widths[] = {16, 22, 18, 11, 20, 20, 20, 20, 40, 9, 11, 36, 60};
    for (int c = 0; c < 13; c++) worksheet_set_column(ws, c, c, widths[c], NULL);
    for (int c = 0; c < 13; c++) worksheet_write_string(ws, 0, c, headers[c], header);
    worksheet_freeze_panes(ws, 1, 0);
    char line[8192];
    lxw_row_t row = 0;
    while (fgets(line, sizeof line, in)) {
        row++;
        line[strcspn(line, "\n")] = 0;
        char *field = line;
        for (int c = 0; c < 13 && field; c++) {
            char *tab = strchr(field, '\t');
            if (tab) *tab = 0;
            if (*field) {
                if (c >= 4 && c <= 7) worksheet_write_number(ws, row, c, strtod(field, NULL), date);
                else if (c == 9 || c == 10) worksheet_write_number(ws, row, c, strtod(field, NULL), integer);
                else worksheet_write_string(ws, row, c, field, NULL);
            }
            field = tab ? tab + 1 : NULL;
        }
    }
    worksheet_autofilter(ws, 0, 0, row, 12);
    fclose(in);
    lxw_error error = workbook_close(wb);
    if (error) { fprintf(stderr, "%s\n", lxw_strerror(error)); return 1; }
    printf("{\"rows\": %u}\n", row);
    return 0;
}
