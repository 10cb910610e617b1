/*
 * base.h - the base layer of libnewsidx (indexer/base/): allocation,
 * buffers, errors, hashing, dates, URLs, UTF-8, repair and normalization.
 * No SQLite and no libyaml here; the layers above use these.  One section
 * per file, headed "Interface to code in X.c".  Not installed.
 */
#ifndef NX_BASE_H
#define NX_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newsidx.h"

#if defined(__GNUC__)
#define NX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NX_PRINTF(a, b)
#endif

/**************************************************************************
** Interface to code in alloc.c
**
** Every allocation of the library goes through these, so tests can make the
** Nth allocation fail (nx_alloc_fail_after).
*/
void *nx_malloc(size_t size);
void *nx_calloc(size_t n, size_t size);
void *nx_realloc(void *ptr, size_t size);
void nx_free(void *ptr);
char *nx_strdup(const char *s);
char *nx_strndup(const char *s, size_t len);
/* Tests only: fail every allocation after `n` more succeed; -1 disables. */
void nx_alloc_fail_after(long n);
/* Tests only: the largest size asked for since the last call with `reset`
 * (a damaged file must not ask for a giant one). */
size_t nx_alloc_largest(bool reset);

/**************************************************************************
** Interface to code in error.c
*/
/* Record `code` and a printf-style message in `err` (may be NULL); returns
 * `code` so callers can write `return nx_fail(err, NEWSIDX_IO, ...)`. */
int nx_fail(newsidx_error *err, int code, const char *fmt, ...) NX_PRINTF(3, 4);
/* The same, with the position of a NEWSIDX_PARSE problem. */
int nx_fail_at(newsidx_error *err, int code, unsigned line, unsigned column,
               const char *fmt, ...) NX_PRINTF(5, 6);
void nx_error_clear(newsidx_error *err);

/**************************************************************************
** Interface to code in buf.c
**
** A growable byte buffer, always NUL-terminated, with a sticky out-of-memory
** flag: after a failed append every further append does nothing and
** nx_buf_oom() is true, so callers check once at the end.
**
** Fast writers may reserve room, write into data[len..cap-1) directly and
** set len themselves, writing the closing NUL too (normalize.c does).
*/
typedef struct nx_buf {
    char *data;  /* NUL-terminated; NULL until the first append */
    size_t len;  /* bytes used, without the NUL */
    size_t cap;  /* bytes allocated */
    bool is_oom; /* an append failed */
} nx_buf;

#define NX_BUF_INIT                                                            \
    {                                                                          \
        NULL, 0, 0, false                                                      \
    }

void nx_buf_free(nx_buf *b);
void nx_buf_clear(nx_buf *b); /* len = 0, memory kept */
bool nx_buf_reserve(nx_buf *b, size_t extra);
void nx_buf_put(nx_buf *b, const void *data, size_t len);
void nx_buf_puts(nx_buf *b, const char *s);
void nx_buf_putc(nx_buf *b, char c);
void nx_buf_printf(nx_buf *b, const char *fmt, ...) NX_PRINTF(2, 3);
bool nx_buf_oom(const nx_buf *b);
/* Give up the data (NUL-terminated, freed with nx_free); the buffer is
 * empty afterwards.  Returns NULL after an out-of-memory. */
char *nx_buf_detach(nx_buf *b);
/* Append `s` as a JSON string literal, quotes included.  `s` must be valid
 * UTF-8; every control character is escaped. */
void nx_buf_json_string(nx_buf *b, const char *s, size_t len);

/**************************************************************************
** Interface to code in utf8.c
**
** nx_utf8_decode and nx_utf8_encode are inline: the repairs, the
** normalization and nx_text_char call them once per character.
*/
/* Is `s` valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF)? */
bool nx_utf8_valid(const char *s, size_t len);

/*
 * Make raw file bytes safe for the YAML parser: invalid UTF-8 sequences,
 * control characters other than TAB, LF and CR (NUL included), DEL and the
 * C1 controls are replaced by U+FFFD.  (frontmatter.c also replaces
 * U+FFFE/U+FFFF, which libyaml rejects.)  Appends the result to `out`.
 * `*n_replaced_out` receives the number of replacements and `*first_offset_out`
 * the byte offset in `in` of the first one, 0 when there is none (both may be
 * NULL).  Returns false only on out-of-memory.
 */
bool nx_utf8_sanitize(nx_buf *out, const char *in, size_t len,
                      size_t *n_replaced_out, size_t *first_offset_out);

/*
 * Decode the character at `p` (`avail` > 0 bytes).  Returns its length and
 * sets `*cp`.  For an invalid sequence `*cp` is -1 and the length is that of
 * its maximal subpart (at least 1), so that each one becomes one U+FFFD, as
 * the Unicode standard recommends.
 */
static inline size_t
nx_utf8_decode(const unsigned char *p, size_t avail, int32_t *cp)
{
    unsigned char b = p[0], lo = 0x80, hi = 0xBF;
    size_t n, i;
    int32_t c;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        c = b & 0x0F;
        lo = b == 0xE0 ? 0xA0 : 0x80; /* no overlongs */
        hi = b == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        c = b & 0x07;
        lo = b == 0xF0 ? 0x90 : 0x80; /* no overlongs */
        hi = b == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else {
        *cp = -1;
        return 1;
    }
    for (i = 1; i < n; i++) {
        if (i >= avail || p[i] < lo || p[i] > hi) {
            *cp = -1;
            return i;
        }
        c = (c << 6) | (p[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = c;
    return n;
}

/* Write code point `c` (valid, at most U+10FFFF) to `dst`; returns bytes. */
static inline size_t
nx_utf8_encode(int32_t c, char *dst)
{
    if (c < 0x80) {
        dst[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        dst[0] = (char)(0xC0 | (c >> 6));
        dst[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        dst[0] = (char)(0xE0 | (c >> 12));
        dst[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (c >> 18));
    dst[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/**************************************************************************
** Interface to code in repair.c
*/
/*
 * Repair text for display, keeping it as the author wrote it otherwise:
 * UTF-8 that was decoded as Windows-1252 ("itâ€™s" -> "it’s"), HTML entities
 * (&amp; &#8217; &rsquo; ...), and leading/trailing whitespace trimmed.
 * `in` must be valid UTF-8.  Appends to `out`; returns a bit set of
 * NX_REPAIR_* saying what was changed.  Out of memory is reported only
 * through nx_buf_oom(out).
 */
#define NX_REPAIR_MOJIBAKE 0x1u
#define NX_REPAIR_ENTITIES 0x2u
unsigned nx_text_repair(nx_buf *out, const char *in, size_t len);

/**************************************************************************
** Interface to code in normalize.c (owns utf8proc)
*/
/*
 * The one normalization for matching, shared by the indexer and the query
 * side: NFKC, full case folding, diacritics removed, whitespace and control
 * characters collapsed to single spaces, trimmed; dotted abbreviations
 * joined ("U.S." -> "us", "A.I." -> "ai"); digit-group commas removed
 * ("1,000" -> "1000"); every CJK ideograph, kana and hangul syllable set off
 * by spaces so that the FTS5 unicode61 tokenizer makes each one a token.
 * `in` must be valid UTF-8.  Appends to `out`; false only on out-of-memory.
 */
bool nx_normalize(nx_buf *out, const char *in, size_t len);

/* Does `s` hold a character the FTS5 unicode61 tokenizer keeps in tokens
 * (a letter, a digit, or a private-use character)? */
bool nx_text_has_word_char(const char *s, size_t len);

/* The character at `s` (`len` > 0 bytes): returns its length and sets
 * `*is_word` for a letter, number, combining mark, private-use character
 * or other symbol (emoji); false for punctuation, quotes, spaces and
 * invalid bytes.  How snippets cut display text into words. */
size_t nx_text_char(const char *s, size_t len, bool *is_word);

/**************************************************************************
** Interface to code in url.c
*/
/*
 * Normalize a URL for comparing stories: trim; lower-case scheme and host;
 * http and https are the same; drop "www." from the host, the fragment, a
 * default port, a trailing slash and the query string (kept only when the
 * path is empty or names a script such as index.php, where the query is the
 * address); spaces become %20.  The result has no scheme: "host/path[?q]".
 * Appends to `out`; false only on out-of-memory.  Empty input gives "".
 */
bool nx_url_normalize(nx_buf *out, const char *url, size_t len);

/**************************************************************************
** Interface to code in scalar.c
**
** The text of one plain scalar read as a value (frontmatter.c passes each
** scalar's bytes; no libyaml here).
*/
/* Is `s` a null: empty, `~`, or `null` in one of its three spellings? */
bool nx_scalar_is_null(const char *s, size_t len);
/* Is `c` ASCII whitespace (space, TAB, LF, CR, FF, VT)? */
bool nx_scalar_is_space(char c);
/* Move `*s` and shorten `*len` past leading and trailing whitespace. */
void nx_scalar_trim(const char **s, size_t *len);
/* A YAML 1.1 boolean word (true/yes/on, false/no/off) into *value (1 or 0);
 * with is_lenient also y/n and 1/0.  False when `s` is none. */
bool nx_scalar_bool_word(const char *s, size_t len, bool is_lenient,
                         int *value);
/* Append `s` to `out` as a JSON number when it is a YAML int or float a
 * JSON reader keeps exactly; false (nothing appended) otherwise. */
bool nx_scalar_json_number(nx_buf *out, const char *s, size_t len);
/* `s` as a whole number, a fraction rounded half away from zero
 * (*is_rounded then true): 1, 0 when it is no number, -1 when its
 * magnitude is 1e15 or more. */
int nx_scalar_whole_number(const char *s, size_t len, int64_t *out,
                           bool *is_rounded);

/**************************************************************************
** Interface to code in date.c
*/
/* Days in a month of the proleptic Gregorian calendar; 0 for a month
 * outside 1..12. */
int nx_days_in_month(int64_t year, int64_t month);
/* Days from 1970-01-01 to year-month-day (month 1..12). */
int64_t nx_days_from_civil(int64_t y, int64_t m, int64_t d);
/* The month number of a Unix time: months since 1970-01, UTC (negative
 * before). */
int64_t nx_month_of(int64_t unix_seconds);

/* A date and time as written in front matter (ISO 8601 / YAML timestamp
 * or RFC 2822, whitespace around it ignored) into Unix seconds in *out.
 * No zone means UTC; a date alone is its midnight UTC.  False when `s` is
 * no such date. */
bool nx_date_parse(const char *s, size_t len, int64_t *out);

/**************************************************************************
** Interface to code in hash.c
*/
/* A 64-bit content hash (not cryptographic) used to confirm changes. */
uint64_t nx_hash64(const void *data, size_t len);

#endif /* NX_BASE_H */
