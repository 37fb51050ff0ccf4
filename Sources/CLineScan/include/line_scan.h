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

#endif
