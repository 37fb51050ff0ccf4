// The floor a plain use of the same C/C++ libraries reaches: libcsv + libphonenumber + sqlite3 C API,
// one thread, one transaction, dedup in an unordered_set, insert-or-update with tag union.
// build: g++ -O2 -std=c++17 import_cpp.cpp -o import_cpp -lcsv -lphonenumber -lprotobuf -lsqlite3
#include <csv.h>
#include <phonenumbers/phonenumberutil.h>
#include <sqlite3.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct State {
    std::vector<std::string> row;
    std::vector<std::string> fields;
    bool header = true;
    long rows = 0, rejected = 0, dups = 0, inserted = 0, updated = 0;
    std::unordered_set<std::string> seen;
    sqlite3 *db = nullptr;
    sqlite3_stmt *ins = nullptr, *sel = nullptr, *upd = nullptr;
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
};

static std::string json_tags(const std::string &text) {
    std::string out = "[";
    size_t start = 0;
    bool first = true;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        std::string t = text.substr(start, comma - start);
        size_t a = t.find_first_not_of(' '), b = t.find_last_not_of(' ');
        if (a != std::string::npos) {
            if (!first) out += ",";
            out += "\"" + t.substr(a, b - a + 1) + "\"";
            first = false;
        }
        start = comma + 1;
    }
    return out + "]";
}

static void on_field(void *data, size_t len, void *ctx) {
    static_cast<State *>(ctx)->row.emplace_back(static_cast<char *>(data), len);
}

static void on_row(int, void *ctx) {
    State *s = static_cast<State *>(ctx);
    if (s->header) { s->header = false; s->row.clear(); return; }
    s->rows++;
    std::vector<std::string> &r = s->row;
    PhoneNumber pn;
    if (r.size() < 4 || s->util->Parse(r[1], "IN", &pn) != PhoneNumberUtil::NO_PARSING_ERROR || !s->util->IsValidNumber(pn)) {
        s->rejected++; r.clear(); return;
    }
    std::string e164;
    s->util->Format(pn, PhoneNumberUtil::E164, &e164);
    if (!s->seen.insert(e164).second) { s->dups++; r.clear(); return; }
    std::string tags = json_tags(r[2]), fields = "{\"City\":\"" + r[3] + "\"}";
    sqlite3_bind_text(s->ins, 1, e164.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->ins, 2, r[0].c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->ins, 3, tags.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->ins, 4, fields.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(s->ins); sqlite3_reset(s->ins);
    if (sqlite3_changes(s->db) > 0) { s->inserted++; }
    else {
        sqlite3_bind_text(s->sel, 1, e164.c_str(), -1, SQLITE_TRANSIENT);
        std::string merged = tags;
        if (sqlite3_step(s->sel) == SQLITE_ROW) {
            // Union in SQL keeps the baseline honest without a JSON library.
            merged = reinterpret_cast<const char *>(sqlite3_column_text(s->sel, 0));
        }
        sqlite3_reset(s->sel);
        sqlite3_bind_text(s->upd, 1, r[0].c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->upd, 2, merged.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->upd, 3, tags.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->upd, 4, fields.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->upd, 5, e164.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(s->upd); sqlite3_reset(s->upd);
        s->updated++;
    }
    r.clear();
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: import_cpp FILE.csv DB.sqlite\n"); return 2; }
    auto t0 = std::chrono::steady_clock::now();
    State s;
    sqlite3_open(argv[2], &s.db);
    sqlite3_exec(s.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                       "CREATE TABLE IF NOT EXISTS contacts (phone TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '',"
                       "tags TEXT NOT NULL DEFAULT '[]', fields TEXT NOT NULL DEFAULT '{}', active INTEGER NOT NULL DEFAULT 1,"
                       "opted_out INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT) WITHOUT ROWID; BEGIN;", 0, 0, 0);
    sqlite3_prepare_v2(s.db, "INSERT OR IGNORE INTO contacts (phone, name, tags, fields, created_at, updated_at) VALUES (?,?,?,?,datetime('now'),datetime('now'))", -1, &s.ins, 0);
    sqlite3_prepare_v2(s.db, "SELECT tags FROM contacts WHERE phone = ?", -1, &s.sel, 0);
    sqlite3_prepare_v2(s.db, "UPDATE contacts SET name = ?, tags = (SELECT json_group_array(DISTINCT value) FROM (SELECT value FROM json_each(?) UNION ALL SELECT value FROM json_each(?))), fields = ?, updated_at = datetime('now') WHERE phone = ?", -1, &s.upd, 0);
    csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    FILE *f = fopen(argv[1], "rb");
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) csv_parse(&p, buf, n, on_field, on_row, &s);
    csv_fini(&p, on_field, on_row, &s);
    fclose(f);
    sqlite3_exec(s.db, "COMMIT;", 0, 0, 0);
    sqlite3_finalize(s.ins); sqlite3_finalize(s.sel); sqlite3_finalize(s.upd);
    sqlite3_close(s.db);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("{\"rows\": %ld, \"inserted\": %ld, \"updated\": %ld, \"duplicates\": %ld, \"rejected\": %ld, \"seconds\": %.3f}\n",
           s.rows, s.inserted, s.updated, s.dups, s.rejected, secs);
    return 0;
}
