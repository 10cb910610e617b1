/*
 * repair.c - display repairs: mojibake, HTML entities, outer whitespace.
 *
 * nx_text_repair fixes display text and keeps it as the author wrote it
 * otherwise.  It needs no Unicode tables beyond the few here (cp1252, the
 * entity names, White_Space), so it does without utf8proc.  It appends to
 * an nx_buf and reports out-of-memory through its sticky flag.
 */
#include <stdint.h>
#include <string.h>

#include "base.h"

#define CP_REPLACEMENT 0xFFFD

static void
repair_put(nx_buf *out, int32_t c)
{
    char tmp[4];

    nx_buf_put(out, tmp, nx_utf8_encode(c, tmp));
}

/* Windows-1252 bytes 0x80..0x9F; 0 where cp1252 leaves the byte undefined
 * (decoders keep it as the C1 control of the same value, or drop it). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* The cp1252 (or Latin-1) byte that decodes to `c`, or -1. */
static int
repair_mojibake_byte(int32_t c)
{
    int i;

    if (c >= 0 && c < 0x100)
        return (int)c;
    for (i = 0; i < 32; i++) {
        if (cp1252_high[i] == c)
            return 0x80 + i;
    }
    return -1;
}

/*
 * Is the text at `p` a UTF-8 sequence that was decoded as cp1252 and
 * encoded again ("â€™" for "’")?  The first character is a lead byte
 * 0xC2..0xF4 (so its UTF-8 form starts with 0xC3); the next ones must be
 * continuation bytes 0x80..0xBF and the bytes together valid UTF-8.  "â€"
 * followed by no continuation is taken as "”" whose 0x9D byte (undefined
 * in cp1252) was dropped.  Returns the bytes used and sets `*cp`, or 0.
 */
static size_t
repair_mojibake_decode(const unsigned char *p, size_t avail, int32_t *cp)
{
    unsigned char bytes[4];
    size_t pos, k, need;
    int32_t c;
    int b;

    pos = nx_utf8_decode(p, avail, &c);
    if (c < 0xC2 || c > 0xF4)
        return 0;
    bytes[0] = (unsigned char)c;
    need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    for (k = 1; k <= need && pos < avail; k++) {
        size_t n = nx_utf8_decode(p + pos, avail - pos, &c);

        b = repair_mojibake_byte(c);
        if (b < 0x80 || b > 0xBF)
            break;
        bytes[k] = (unsigned char)b;
        pos += n;
    }
    if (k == 2 && need == 2 && bytes[0] == 0xE2 && bytes[1] == 0x80)
        bytes[k++] = 0x9D;
    if (k != need + 1 || nx_utf8_decode(bytes, k, &c) != k || c < 0xA0)
        return 0;
    *cp = c;
    return pos;
}

typedef struct entity_name {
    const char *name;
    int32_t cp;
} entity_name;

/* Named entities seen in news text: HTML 4's Latin-1 set and the common
 * punctuation. */
static const entity_name entity_names[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},
    {"quot", '"'},      {"apos", '\''},     {"nbsp", 0xA0},
    {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018},
    {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"hellip", 0x2026},
    {"bull", 0x2022},   {"middot", 0xB7},   {"copy", 0xA9},
    {"reg", 0xAE},      {"trade", 0x2122},  {"deg", 0xB0},
    {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},
    {"cent", 0xA2},     {"sect", 0xA7},     {"para", 0xB6},
    {"laquo", 0xAB},    {"raquo", 0xBB},    {"lsaquo", 0x2039},
    {"rsaquo", 0x203A}, {"times", 0xD7},    {"divide", 0xF7},
    {"plusmn", 0xB1},   {"frac12", 0xBD},   {"frac14", 0xBC},
    {"frac34", 0xBE},   {"iexcl", 0xA1},    {"iquest", 0xBF},
    {"shy", 0xAD},      {"dagger", 0x2020}, {"Dagger", 0x2021},
    {"permil", 0x2030}, {"prime", 0x2032},  {"Prime", 0x2033},
    {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009},
    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"lrm", 0x200E},
    {"rlm", 0x200F},    {"micro", 0xB5},    {"ordf", 0xAA},
    {"ordm", 0xBA},     {"sup1", 0xB9},     {"sup2", 0xB2},
    {"sup3", 0xB3},     {"not", 0xAC},      {"macr", 0xAF},
    {"acute", 0xB4},    {"cedil", 0xB8},    {"uml", 0xA8},
    {"curren", 0xA4},   {"brvbar", 0xA6},   {"larr", 0x2190},
    {"uarr", 0x2191},   {"rarr", 0x2192},   {"darr", 0x2193},
    {"Agrave", 0xC0},   {"Aacute", 0xC1},   {"Acirc", 0xC2},
    {"Atilde", 0xC3},   {"Auml", 0xC4},     {"Aring", 0xC5},
    {"AElig", 0xC6},    {"Ccedil", 0xC7},   {"Egrave", 0xC8},
    {"Eacute", 0xC9},   {"Ecirc", 0xCA},    {"Euml", 0xCB},
    {"Igrave", 0xCC},   {"Iacute", 0xCD},   {"Icirc", 0xCE},
    {"Iuml", 0xCF},     {"ETH", 0xD0},      {"Ntilde", 0xD1},
    {"Ograve", 0xD2},   {"Oacute", 0xD3},   {"Ocirc", 0xD4},
    {"Otilde", 0xD5},   {"Ouml", 0xD6},     {"Oslash", 0xD8},
    {"Ugrave", 0xD9},   {"Uacute", 0xDA},   {"Ucirc", 0xDB},
    {"Uuml", 0xDC},     {"Yacute", 0xDD},   {"THORN", 0xDE},
    {"szlig", 0xDF},    {"agrave", 0xE0},   {"aacute", 0xE1},
    {"acirc", 0xE2},    {"atilde", 0xE3},   {"auml", 0xE4},
    {"aring", 0xE5},    {"aelig", 0xE6},    {"ccedil", 0xE7},
    {"egrave", 0xE8},   {"eacute", 0xE9},   {"ecirc", 0xEA},
    {"euml", 0xEB},     {"igrave", 0xEC},   {"iacute", 0xED},
    {"icirc", 0xEE},    {"iuml", 0xEF},     {"eth", 0xF0},
    {"ntilde", 0xF1},   {"ograve", 0xF2},   {"oacute", 0xF3},
    {"ocirc", 0xF4},    {"otilde", 0xF5},   {"ouml", 0xF6},
    {"oslash", 0xF8},   {"ugrave", 0xF9},   {"uacute", 0xFA},
    {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},
    {"thorn", 0xFE},    {"yuml", 0xFF},     {"OElig", 0x152},
    {"oelig", 0x153},   {"Scaron", 0x160},  {"scaron", 0x161},
    {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2C6},
    {"tilde", 0x2DC},
};

#define ENTITY_MAX 32 /* longest entity looked at, "&" and ";" included */

/* The code point of entity name `s` (`len` bytes, case matters), or -1. */
static int32_t
repair_entity_lookup(const unsigned char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(entity_names) / sizeof(entity_names[0]); i++) {
        const char *name = entity_names[i].name;

        if (strlen(name) == len && memcmp(name, s, len) == 0)
            return entity_names[i].cp;
    }
    return -1;
}

/* What numeric character reference `v` stands for: 0x80..0x9F are read as
 * cp1252, as browsers do; 0, surrogates, values past U+10FFFF and other
 * controls become U+FFFD. */
static int32_t
repair_entity_numeric_cp(uint32_t v)
{
    if (v >= 0x80 && v <= 0x9F)
        return cp1252_high[v - 0x80] ? cp1252_high[v - 0x80] : CP_REPLACEMENT;
    if ((v < 0x20 && v != '\t' && v != '\n' && v != '\r') || v == 0x7F ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return CP_REPLACEMENT;
    return (int32_t)v;
}

/* Decode "&#NNN;" or "&#xHH;" at `p`; returns bytes used, or 0. */
static size_t
repair_entity_numeric(const unsigned char *p, size_t avail, int32_t *cp)
{
    size_t i = 2, first;
    uint32_t v = 0, base = 10, d;

    if (i < avail && (p[i] == 'x' || p[i] == 'X')) {
        base = 16;
        i++;
    }
    for (first = i; i < avail && i < ENTITY_MAX; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            d = p[i] - '0';
        else if (base == 16 && (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
            d = (p[i] | 0x20) - 'a' + 10;
        else
            break;
        v = v > 0x10FFFF ? v : v * base + d; /* saturates, never wraps */
    }
    if (i == first || i >= avail || p[i] != ';')
        return 0;
    *cp = repair_entity_numeric_cp(v);
    return i + 1;
}

/* Decode the HTML entity at `p` (which starts with '&'); returns the bytes
 * used and sets `*cp`, or 0 when it is not one we know. */
static size_t
repair_entity_decode(const unsigned char *p, size_t avail, int32_t *cp)
{
    size_t i = 1;
    int32_t c;

    if (avail > 2 && p[1] == '#')
        return repair_entity_numeric(p, avail, cp);
    while (i < avail && i < ENTITY_MAX &&
           (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') ||
            (p[i] >= '0' && p[i] <= '9')))
        i++;
    if (i == 1 || i >= avail || p[i] != ';')
        return 0;
    c = repair_entity_lookup(p + 1, i - 1);
    if (c < 0)
        return 0;
    *cp = c;
    return i + 1;
}

/* Is `c` whitespace to trim from display text: Unicode White_Space, plus
 * the invisible zero-width space and byte order mark? */
static bool
repair_is_space(int32_t c)
{
    if (c <= 0x20)
        return c == ' ' || (c >= '\t' && c <= '\r');
    if (c < 0x85)
        return false;
    return c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

/* Remove leading and trailing whitespace from out->data[start..len). */
static void
repair_trim(nx_buf *out, size_t start)
{
    unsigned char *s;
    size_t len, lead = 0, end, k;
    int32_t c;

    if (nx_buf_oom(out) || out->len == start)
        return;
    s = (unsigned char *)out->data + start;
    len = out->len - start;
    while (lead < len) {
        k = nx_utf8_decode(s + lead, len - lead, &c);
        if (!repair_is_space(c))
            break;
        lead += k;
    }
    for (end = len; end > lead; end = k) {
        k = end - 1;
        while (k > lead && (s[k] & 0xC0) == 0x80)
            k--;
        if (nx_utf8_decode(s + k, end - k, &c) != end - k ||
            !repair_is_space(c))
            break;
    }
    memmove(s, s + lead, end - lead);
    out->len = start + end - lead;
    out->data[out->len] = '\0';
}

unsigned
nx_text_repair(nx_buf *out, const char *in, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t start = out->len, i = 0, run = 0, n;
    unsigned changed = 0, what = 0;
    int32_t cp = 0;

    while (i < len) {
        if (p[i] == '&') {
            n = repair_entity_decode(p + i, len - i, &cp);
            what = NX_REPAIR_ENTITIES;
        } else if (p[i] == 0xC3) {
            n = repair_mojibake_decode(p + i, len - i, &cp);
            what = NX_REPAIR_MOJIBAKE;
        } else {
            n = 0;
        }
        if (n == 0) {
            i++;
            continue;
        }
        nx_buf_put(out, in + run, i - run);
        repair_put(out, cp);
        changed |= what;
        i += n;
        run = i;
    }
    if (len > 0)
        nx_buf_put(out, in + run, len - run);
    repair_trim(out, start);
    return changed;
}
