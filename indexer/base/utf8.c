/*
 * utf8.c - UTF-8 validation and the sanitizing of raw bytes.
 *
 * - nx_utf8_valid says whether bytes are well-formed UTF-8;
 * - nx_utf8_sanitize makes raw file bytes safe for libyaml.
 *
 * The decoder and encoder the other text files use, nx_utf8_decode and
 * nx_utf8_encode, are inline in base.h: they run once per character in
 * their loops.  Nothing here allocates except the output buffer.
 */
#include <stdint.h>
#include <string.h>

#include "base.h"

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/**************************************************************************
** Validation
*/

static uint64_t
utf8_load64(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Number of leading ASCII bytes of `p`, eight at a time where possible. */
static size_t
utf8_ascii_span(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (i + 8 <= len && (utf8_load64(p + i) & HIGHS) == 0)
        i += 8;
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

bool
nx_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;

    while (i < len) {
        i += utf8_ascii_span(p + i, len - i);
        if (i == len)
            break;
        i += nx_utf8_decode(p + i, len - i, &cp);
        if (cp < 0)
            return false;
    }
    return true;
}

/**************************************************************************
** Sanitizing raw bytes
*/

/* Is ASCII byte `b` kept by the sanitizer: printable, TAB, LF or CR? */
static bool
utf8_sanitize_byte_ok(unsigned char b)
{
    return (b >= 0x20 && b < 0x7F) || b == '\t' || b == '\n' || b == '\r';
}

/* Are all eight bytes of `w` printable ASCII (0x20..0x7E)?  Exact: with no
 * high bit set, subtracting 0x20 borrows into bit 7 only from bytes below
 * 0x20, and adding 1 sets bit 7 only in a 0x7F byte. */
static bool
utf8_sanitize_word_printable(uint64_t w)
{
    if (w & HIGHS)
        return false;
    return (((w - 0x20 * ONES) & ~w) | (w + ONES)) & HIGHS ? false : true;
}

/* Number of leading bytes of `p` that are kept ASCII: the fast path for
 * text files, which are mostly that. */
static size_t
utf8_sanitize_span(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        if (i + 8 <= len && utf8_sanitize_word_printable(utf8_load64(p + i))) {
            i += 8;
            continue;
        }
        if (!utf8_sanitize_byte_ok(p[i]))
            break;
        i++;
    }
    return i;
}

bool
nx_utf8_sanitize(nx_buf *out, const char *in, size_t len,
                 size_t *n_replaced_out, size_t *first_offset_out)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, run = 0, n_replaced = 0, first = 0, n;
    int32_t cp;

    if (len > 0) /* usually the result is a plain copy */
        nx_buf_reserve(out, len);
    while (i < len) {
        i += utf8_sanitize_span(p + i, len - i);
        if (i == len)
            break;
        n = 1;
        if (p[i] >= 0x80) {
            n = nx_utf8_decode(p + i, len - i, &cp);
            if (cp >= 0xA0) { /* valid and not a C1 control */
                i += n;
                continue;
            }
        }
        nx_buf_put(out, in + run, i - run);
        nx_buf_put(out, UTF8_REPLACEMENT, 3);
        if (n_replaced++ == 0)
            first = i;
        i += n;
        run = i;
    }
    if (len > 0)
        nx_buf_put(out, in + run, len - run);
    if (n_replaced_out != NULL)
        *n_replaced_out = n_replaced;
    if (first_offset_out != NULL)
        *first_offset_out = first;
    return !nx_buf_oom(out);
}
