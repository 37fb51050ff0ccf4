#ifndef WABULK_LINE_SCAN_H
#define WABULK_LINE_SCAN_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Finds every '"' of one event-log line, 16 bytes at a time, so the line's fields can be read off the
 * quote positions instead of byte by byte. Returns how many were stored in `quotes`, or -1 when the line
 * holds a backslash or a control byte (escapes and raw whitespace are left to the general parser) or more
 * than `max` quotes. Header-only and static inline: Swift inlines it into the fold's loop. */
static inline long wabulk_line_quotes(const uint8_t *p, long n, int32_t *quotes, long max) {
    long count = 0, i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lastControl = _mm_set1_epi8(0x1F);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, lastControl), v);
        if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), control))) return -1;
        unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
        while (found) {
            if (count == max) return -1;
            quotes[count++] = (int32_t)(i + __builtin_ctz(found));
            found &= found - 1;
        }
    }
#endif
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\\' || c < 0x20) return -1;
        if (c == '"') {
            if (count == max) return -1;
            quotes[count++] = (int32_t)i;
        }
    }
    return count;
}

/* Whether `needle` occurs in the line: glibc's memmem (two-way, SIMD), which Swift's Glibc module does not
 * export without _GNU_SOURCE. */
static inline int wabulk_contains(const void *line, long n, const void *needle, long m) {
    return memmem(line, (size_t)n, needle, (size_t)m) != 0;
}

/* Where `needle` first occurs in the line, or -1. */
static inline long wabulk_find(const void *line, long n, const void *needle, long m) {
    const char *at = memmem(line, (size_t)n, needle, (size_t)m);
    return at ? (long)(at - (const char *)line) : -1;
}

/* JSON string escaping as the event log writes it (JSONEncoder's: \" \\ \n \r \t \b \f, other control
 * bytes as \u00XX, nothing else): 16 bytes at a time, so a webhook body of a hundred quotes is copied, not
 * walked byte by byte. `wabulk_json_escaped_length` is the size `wabulk_json_escape` writes to `dst`. */
static inline int wabulk_json_needs_escape(uint8_t c) { return c < 0x20 || c == '"' || c == '\\'; }

#if defined(__SSE2__)
/* Of 16 bytes, the quotes and backslashes, and the control bytes. */
static inline void wabulk_json_specials(const uint8_t *p, unsigned *quoted, unsigned *control) {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), lastControl = _mm_set1_epi8(0x1F);
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    *quoted = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    *control = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, lastControl), v));
}
#endif

static inline long wabulk_json_escaped_length_byte(uint8_t c) {
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') return 2;
    return c < 0x20 ? 6 : 1;
}

static inline long wabulk_json_escaped_length(const uint8_t *p, long n) {
    long length = 0, i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned quoted, control;
        wabulk_json_specials(p + i, &quoted, &control);
        if (!control) {
            length += 16 + __builtin_popcount(quoted);
            continue;
        }
        for (long j = i; j < i + 16; j++) length += wabulk_json_escaped_length_byte(p[j]);
    }
#endif
    for (; i < n; i++) length += wabulk_json_escaped_length_byte(p[i]);
    return length;
}

static inline uint8_t *wabulk_json_escape_byte(uint8_t c, uint8_t *d) {
    static const char hex[] = "0123456789abcdef";
    *d++ = '\\';
    switch (c) {
    case '"': case '\\': *d++ = c; break;
    case '\n': *d++ = 'n'; break;
    case '\r': *d++ = 'r'; break;
    case '\t': *d++ = 't'; break;
    case '\b': *d++ = 'b'; break;
    case '\f': *d++ = 'f'; break;
    default: *d++ = 'u'; *d++ = '0'; *d++ = '0'; *d++ = (uint8_t)hex[c >> 4]; *d++ = (uint8_t)hex[c & 0xF]; break;
    }
    return d;
}

static inline void wabulk_json_escape(const uint8_t *p, long n, uint8_t *d) {
    long i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned quoted, control;
        wabulk_json_specials(p + i, &quoted, &control);
        unsigned special = quoted | control;
        if (!special) {
            memcpy(d, p + i, 16);
            d += 16;
            continue;
        }
        /* A quote every few bytes (a JSON body): copy the runs between them. */
        long from = i;
        while (special) {
            long at = i + __builtin_ctz(special);
            memcpy(d, p + from, (size_t)(at - from));
            d += at - from;
            d = wabulk_json_escape_byte(p[at], d);
            from = at + 1;
            special &= special - 1;
        }
        memcpy(d, p + from, (size_t)(i + 16 - from));
        d += i + 16 - from;
    }
#endif
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (wabulk_json_needs_escape(c)) d = wabulk_json_escape_byte(c, d); else *d++ = c;
    }
}

#endif
