/*
 * normalize.c - UTF-8 hygiene, display repairs and the normalization for
 * matching (owns utf8proc).
 *
 * - nx_utf8_valid / nx_utf8_sanitize make raw file bytes safe for libyaml;
 * - nx_text_repair fixes display text: mojibake, HTML entities, outer
 *   whitespace;
 * - nx_normalize (and the public newsidx_normalize) is the one text form
 *   used for matching.  The index and the query side both use it and the
 *   FTS5 unicode61 tokenizer splits its output, so a change here changes
 *   what an existing index matches: it needs a reindex.
 *
 * Everything appends to an nx_buf and reports out-of-memory through its
 * sticky flag.  Nothing here allocates except the output buffer.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "base.h"

#define CP_REPLACEMENT   0xFFFD
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/**************************************************************************
** UTF-8 decoding and encoding
*/

/*
 * Decode the character at `p` (`avail` > 0 bytes).  Returns its length and
 * sets `*cp`.  For an invalid sequence `*cp` is -1 and the length is that of
 * its maximal subpart (at least 1), so that each one becomes one U+FFFD, as
 * the Unicode standard recommends.
 */
static size_t
utf8_decode(const unsigned char *p, size_t avail, int32_t *cp)
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
static size_t
utf8_encode(int32_t c, char *dst)
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

static void
utf8_put(nx_buf *out, int32_t c)
{
    char tmp[4];

    nx_buf_put(out, tmp, utf8_encode(c, tmp));
}

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
        i += utf8_decode(p + i, len - i, &cp);
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
sanitize_byte_ok(unsigned char b)
{
    return (b >= 0x20 && b < 0x7F) || b == '\t' || b == '\n' || b == '\r';
}

/* Are all eight bytes of `w` printable ASCII (0x20..0x7E)?  Exact: with no
 * high bit set, subtracting 0x20 borrows into bit 7 only from bytes below
 * 0x20, and adding 1 sets bit 7 only in a 0x7F byte. */
static bool
sanitize_word_printable(uint64_t w)
{
    if (w & HIGHS)
        return false;
    return (((w - 0x20 * ONES) & ~w) | (w + ONES)) & HIGHS ? false : true;
}

/* Number of leading bytes of `p` that are kept ASCII: the fast path for
 * text files, which are mostly that. */
static size_t
sanitize_span(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        if (i + 8 <= len && sanitize_word_printable(utf8_load64(p + i))) {
            i += 8;
            continue;
        }
        if (!sanitize_byte_ok(p[i]))
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
        i += sanitize_span(p + i, len - i);
        if (i == len)
            break;
        n = 1;
        if (p[i] >= 0x80) {
            n = utf8_decode(p + i, len - i, &cp);
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

/**************************************************************************
** Display repairs: mojibake, HTML entities, outer whitespace
*/

/* Windows-1252 bytes 0x80..0x9F; 0 where cp1252 leaves the byte undefined
 * (decoders keep it as the C1 control of the same value, or drop it). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* The cp1252 (or Latin-1) byte that decodes to `c`, or -1. */
static int
mojibake_byte(int32_t c)
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
mojibake_decode(const unsigned char *p, size_t avail, int32_t *cp)
{
    unsigned char bytes[4];
    size_t pos, k, need;
    int32_t c;
    int b;

    pos = utf8_decode(p, avail, &c);
    if (c < 0xC2 || c > 0xF4)
        return 0;
    bytes[0] = (unsigned char)c;
    need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    for (k = 1; k <= need && pos < avail; k++) {
        size_t n = utf8_decode(p + pos, avail - pos, &c);

        b = mojibake_byte(c);
        if (b < 0x80 || b > 0xBF)
            break;
        bytes[k] = (unsigned char)b;
        pos += n;
    }
    if (k == 2 && need == 2 && bytes[0] == 0xE2 && bytes[1] == 0x80)
        bytes[k++] = 0x9D;
    if (k != need + 1 || utf8_decode(bytes, k, &c) != k || c < 0xA0)
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
entity_lookup(const unsigned char *s, size_t len)
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
entity_numeric_cp(uint32_t v)
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
entity_numeric(const unsigned char *p, size_t avail, int32_t *cp)
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
    *cp = entity_numeric_cp(v);
    return i + 1;
}

/* Decode the HTML entity at `p` (which starts with '&'); returns the bytes
 * used and sets `*cp`, or 0 when it is not one we know. */
static size_t
entity_decode(const unsigned char *p, size_t avail, int32_t *cp)
{
    size_t i = 1;
    int32_t c;

    if (avail > 2 && p[1] == '#')
        return entity_numeric(p, avail, cp);
    while (i < avail && i < ENTITY_MAX &&
           (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') ||
            (p[i] >= '0' && p[i] <= '9')))
        i++;
    if (i == 1 || i >= avail || p[i] != ';')
        return 0;
    c = entity_lookup(p + 1, i - 1);
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
        k = utf8_decode(s + lead, len - lead, &c);
        if (!repair_is_space(c))
            break;
        lead += k;
    }
    for (end = len; end > lead; end = k) {
        k = end - 1;
        while (k > lead && (s[k] & 0xC0) == 0x80)
            k--;
        if (utf8_decode(s + k, end - k, &c) != end - k || !repair_is_space(c))
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
            n = entity_decode(p + i, len - i, &cp);
            what = NX_REPAIR_ENTITIES;
        } else if (p[i] == 0xC3) {
            n = mojibake_decode(p + i, len - i, &cp);
            what = NX_REPAIR_MOJIBAKE;
        } else {
            n = 0;
        }
        if (n == 0) {
            i++;
            continue;
        }
        nx_buf_put(out, in + run, i - run);
        utf8_put(out, cp);
        changed |= what;
        i += n;
        run = i;
    }
    if (len > 0)
        nx_buf_put(out, in + run, len - run);
    repair_trim(out, start);
    return changed;
}

/**************************************************************************
** The normalization for matching
**
** Input is read one code point at a time.  ASCII goes straight to the
** output stage, lower-cased.  Other code points are decomposed one by one
** with utf8proc_decompose_char (compatibility decomposition, full case
** folding, default-ignorables dropped); combining marks are dropped, and
** the result collects in a small segment that is composed again only when
** it holds something that composes: Hangul jamo and the kana voicing
** marks, which are kept (they are not accents: "ガ" and "カ" are different
** syllables).  Once marks are gone, canonical composition has nothing else
** to do.  The result equals utf8proc_map with STABLE, COMPAT, COMPOSE,
** CASEFOLD, STRIPMARK and IGNORE, except for the voicing marks, without
** its allocations.
**
** The output stage then sees NFKC-casefolded code points and writes them
** with whitespace collapsed, CJK set off by spaces, dotted abbreviations
** joined and digit-group commas dropped.  The last two are decided late,
** by deleting dots and commas already written at the end of the output.
*/

#define NORM_OPTIONS                                                           \
    (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)
#define NORM_SEG_MAX   64   /* code points held for composition */
#define NORM_DECOMP    32   /* longest decomposition is 18 (U+FDFA) */
#define NORM_ASCII_RUN 4096 /* ASCII bytes handled per reservation */
#define NORM_ABBR_MAX  32   /* letters of an abbreviation run ("u.s.a.") */
#define NORM_NO_COMMA  SIZE_MAX

/* Classes of normalized characters, as the output stage sees them. */
enum norm_class {
    NC_SPACE,  /* whitespace, controls; also the start of the text */
    NC_LETTER, /* a letter outside CJK */
    NC_DIGIT,  /* an ASCII digit */
    NC_NUMBER, /* another number */
    NC_DOT,
    NC_COMMA,
    NC_CJK, /* Han ideograph, kana or Hangul; or an other symbol (emoji):
               set off by spaces, each its own token */
    NC_OTHER
};

/* Where an abbreviation run ("u.s.a.") stands at the end of the output. */
enum norm_abbr {
    ABBR_NONE,
    ABBR_LETTER, /* last wrote a letter that may be one of a run */
    ABBR_DOT     /* last wrote the dot after such a letter */
};

typedef struct norm_state {
    nx_buf *out;
    size_t start;               /* out->len when the call began */
    bool owes_space;            /* write a space before the next char */
    enum norm_class last;       /* class of the last character seen */
    enum norm_abbr abbr;        /* abbreviation run state */
    size_t n_dots;              /* dots in the current run */
    size_t dots[NORM_ABBR_MAX]; /* their offsets in out->data */
    size_t comma;               /* offset of a comma after a digit, or
                                   NORM_NO_COMMA */
    int comma_digits;           /* ASCII digits written after it */
    int32_t seg[NORM_SEG_MAX];  /* decomposed, not yet written */
    size_t n_seg;               /* code points in seg */
    bool seg_composes;          /* seg holds jamo or voicing marks */
} norm_state;

/* Set off by spaces, each its own unicode61 token: Han ideographs (with
 * extensions and compatibility forms), kana and Hangul. */
static bool
norm_is_cjk(int32_t c)
{
    if (c < 0x1100)
        return false;
    return (c <= 0x11FF) ||                  /* Hangul jamo */
           (c >= 0x3005 && c <= 0x3007) ||   /* iteration marks, 〇 */
           (c >= 0x3041 && c <= 0x3096) ||   /* hiragana */
           (c >= 0x309D && c <= 0x309F) ||   /* hiragana iteration */
           (c >= 0x30A1 && c <= 0x30FA) ||   /* katakana */
           (c >= 0x30FC && c <= 0x30FF) ||   /* prolonged sound mark */
           (c >= 0x3131 && c <= 0x318E) ||   /* Hangul compatibility jamo */
           (c >= 0x31F0 && c <= 0x31FF) ||   /* small katakana */
           (c >= 0x3400 && c <= 0x4DBF) ||   /* Han extension A */
           (c >= 0x4E00 && c <= 0x9FFF) ||   /* Han */
           (c >= 0xA960 && c <= 0xA97F) ||   /* Hangul jamo extended-A */
           (c >= 0xAC00 && c <= 0xD7A3) ||   /* Hangul syllables */
           (c >= 0xD7B0 && c <= 0xD7FF) ||   /* Hangul jamo extended-B */
           (c >= 0xF900 && c <= 0xFAFF) ||   /* Han compatibility */
           (c >= 0x1B000 && c <= 0x1B16F) || /* kana supplements */
           (c >= 0x20000 && c <= 0x323AF);   /* Han extensions B..H */
}

/* Code points that NFKC, case folding and mark removal leave alone, so
 * they skip utf8proc: the bulk of Chinese, Japanese and Korean text. */
static bool
norm_is_stable(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
           (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) ||
           (c >= 0x3400 && c <= 0x4DBF);
}

/* Does `c` compose with what precedes it (after marks are dropped)? */
static bool
norm_composes(int32_t c)
{
    return c == 0x3099 || c == 0x309A || (c >= 0x1100 && c <= 0x11FF) ||
           (c >= 0xA960 && c <= 0xA97F) || (c >= 0xD7B0 && c <= 0xD7FF);
}

static enum norm_class
norm_ascii_class(unsigned char b)
{
    if ((unsigned char)((b | 0x20) - 'a') < 26)
        return NC_LETTER;
    if ((unsigned char)(b - '0') < 10)
        return NC_DIGIT;
    if (b == ' ' || b < 0x20 || b == 0x7F)
        return NC_SPACE;
    if (b == '.')
        return NC_DOT;
    return b == ',' ? NC_COMMA : NC_OTHER;
}

static enum norm_class
norm_class(int32_t c)
{
    if (c < 0x80)
        return norm_ascii_class((unsigned char)c);
    if (norm_is_cjk(c))
        return NC_CJK;
    /* The replacement characters are symbols (So) with nothing to find:
     * what was invalid separates words, as it always did. */
    if (c == 0xFFFD || c == 0xFFFC)
        return NC_SPACE;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return NC_SPACE;
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return NC_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return NC_NUMBER;
    case UTF8PROC_CATEGORY_SO: /* a token of its own (NX_TOKEN_CATEGORIES) */
        return NC_CJK;
    default:
        return NC_OTHER;
    }
}

/* Append without checking: the caller reserved room (see norm_flush and
 * norm_ascii_run). */
static void
norm_put(norm_state *st, int32_t c)
{
    nx_buf *out = st->out;

    if (c < 0x80)
        out->data[out->len++] = (char)c;
    else
        out->len += utf8_encode(c, out->data + out->len);
}

/*
 * End the abbreviation run at the end of the output.  With at least two
 * letters its dots are deleted ("u.s." -> "us"), except the last one when
 * `keep_last` (the run is followed by a word: "u.s.army" -> "us.army").
 */
static void
norm_abbr_end(norm_state *st, size_t n_letters, bool keep_last)
{
    char *d = st->out->data;
    size_t n_del, w, k, from, to;

    st->abbr = ABBR_NONE;
    if (n_letters < 2 || st->n_dots == 0)
        return;
    n_del = st->n_dots - (keep_last ? 1 : 0);
    w = st->dots[0];
    for (k = 0; k < n_del; k++) {
        from = st->dots[k] + 1;
        to = k + 1 < n_del ? st->dots[k + 1] : st->out->len;
        memmove(d + w, d + from, to - from);
        w += to - from;
    }
    st->out->len = w;
}

/*
 * Advance the abbreviation run for a character of class `cls` about to be
 * written.  A run is single letters each followed by a dot, each letter
 * standing alone (no letter or digit before it, except the run's dots).
 */
static void
norm_abbr_step(norm_state *st, enum norm_class cls)
{
    bool is_alnum = cls == NC_LETTER || cls == NC_DIGIT || cls == NC_NUMBER;

    if (st->abbr == ABBR_LETTER) {
        if (cls == NC_DOT && st->n_dots < NORM_ABBR_MAX) {
            st->dots[st->n_dots++] = st->out->len;
            st->abbr = ABBR_DOT;
            return;
        }
        /* "u.s" ends the run; in "u.sa" the "s" starts a word */
        norm_abbr_end(st, st->n_dots + (is_alnum ? 0 : 1), is_alnum);
    } else if (st->abbr == ABBR_DOT) {
        if (cls == NC_LETTER) {
            st->abbr = ABBR_LETTER;
            return;
        }
        norm_abbr_end(st, st->n_dots, is_alnum);
    }
    if (cls == NC_LETTER && st->last != NC_LETTER && st->last != NC_DIGIT &&
        st->last != NC_NUMBER) {
        st->abbr = ABBR_LETTER;
        st->n_dots = 0;
    }
}

/* A non-digit follows a pending comma: drop the comma if exactly three
 * digits came after it ("1,000"), keep it otherwise ("3,5"). */
static void
norm_comma_end(norm_state *st)
{
    char *d = st->out->data + st->comma;

    if (st->comma_digits == 3) {
        memmove(d, d + 1, st->out->len - st->comma - 1);
        st->out->len--;
    }
    st->comma = NORM_NO_COMMA;
}

/* The output stage: write one normalized code point of class `cls`. */
static void
norm_emit(norm_state *st, int32_t c, enum norm_class cls)
{
    norm_abbr_step(st, cls);
    if (st->comma != NORM_NO_COMMA && cls != NC_DIGIT)
        norm_comma_end(st);
    if (cls == NC_SPACE) {
        st->owes_space = st->out->len > st->start;
    } else if (cls == NC_CJK) {
        if (st->out->len > st->start)
            norm_put(st, ' ');
        norm_put(st, c);
        st->owes_space = true;
    } else {
        if (st->owes_space)
            norm_put(st, ' ');
        st->owes_space = false;
        if (cls == NC_COMMA && st->last == NC_DIGIT) {
            st->comma = st->out->len;
            st->comma_digits = 0;
        } else if (cls == NC_DIGIT && st->comma != NORM_NO_COMMA &&
                   ++st->comma_digits > 3) {
            st->comma = NORM_NO_COMMA;
        }
        norm_put(st, c);
    }
    st->last = cls;
}

/* Compose the segment and write it out.  False on out-of-memory. */
static bool
norm_flush(norm_state *st)
{
    utf8proc_ssize_t n = (utf8proc_ssize_t)st->n_seg, k;

    if (n == 0)
        return true;
    st->n_seg = 0;
    if (st->seg_composes) {
        n = utf8proc_normalize_utf32(st->seg, n, UTF8PROC_COMPOSE);
        st->seg_composes = false;
        if (n < 0)
            return true; /* cannot happen with valid code points */
    }
    /* each code point writes at most a space, 4 bytes and a space */
    if (!nx_buf_reserve(st->out, (size_t)n * 6))
        return false;
    for (k = 0; k < n; k++) {
        int32_t c = st->seg[k];

        if (c == 0x3099 || c == 0x309A)
            continue; /* a voicing mark that found no kana */
        norm_emit(st, c, norm_class(c));
    }
    return true;
}

/* Is `c` a combining mark to drop?  The kana voicing marks are kept. */
static bool
norm_is_dropped_mark(int32_t c)
{
    utf8proc_category_t cat = utf8proc_category(c);

    return (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
            cat == UTF8PROC_CATEGORY_ME) &&
           c != 0x3099 && c != 0x309A;
}

/*
 * Decompose non-ASCII code point `c` into the segment.  Marks are dropped
 * before decomposing as well as after, as UTF8PROC_STRIPMARK does: U+0345
 * is a mark whose case folding is a letter.  False on out-of-memory.
 */
static bool
norm_add(norm_state *st, int32_t c)
{
    int32_t tmp[NORM_DECOMP];
    utf8proc_ssize_t n = 1, k;
    int bound = 0;

    tmp[0] = c;
    if (!norm_is_stable(c)) {
        if (norm_is_dropped_mark(c))
            return true;
        n = utf8proc_decompose_char(c, tmp, NORM_DECOMP, NORM_OPTIONS, &bound);
    }
    if (n < 0 || n > NORM_DECOMP) {
        tmp[0] = CP_REPLACEMENT;
        n = 1;
    }
    if (n > 0 && (st->n_seg + (size_t)n > NORM_SEG_MAX ||
                  (st->n_seg >= NORM_SEG_MAX / 2 && !norm_composes(tmp[0])))) {
        if (!norm_flush(st))
            return false;
    }
    for (k = 0; k < n; k++) {
        if (tmp[k] != c && norm_is_dropped_mark(tmp[k]))
            continue;
        st->seg_composes |= norm_composes(tmp[k]);
        st->seg[st->n_seg++] = tmp[k];
    }
    return true;
}

/*
 * Copy the word characters (letters lower-cased, or digits) at the start of
 * `p` to the output while they continue the word already written; returns
 * how many.  The fast path: most of a text is the inside of words.
 */
static size_t
norm_ascii_word(norm_state *st, const unsigned char *p, size_t n,
                enum norm_class cls)
{
    char *d = st->out->data + st->out->len;
    size_t i = 0;

    if (cls == NC_LETTER) {
        for (; i < n && (unsigned char)((p[i] | 0x20) - 'a') < 26; i++)
            d[i] = (char)(p[i] | 0x20);
    } else {
        for (; i < n && (unsigned char)(p[i] - '0') < 10; i++)
            d[i] = (char)p[i];
    }
    st->out->len += i;
    return i;
}

/*
 * The common cases of norm_emit for ASCII without its bookkeeping: inside a
 * word, inside a gap, the first letter after a gap.  Returns the bytes
 * handled, or 0 when norm_emit must decide.
 */
static size_t
norm_ascii_fast(norm_state *st, const unsigned char *p, size_t n,
                enum norm_class cls)
{
    nx_buf *out = st->out;

    if (st->comma != NORM_NO_COMMA)
        return 0;
    /* a second letter: the word is no abbreviation */
    if (cls == NC_LETTER && st->last == NC_LETTER && st->abbr == ABBR_LETTER &&
        st->n_dots == 0)
        st->abbr = ABBR_NONE;
    if (st->abbr != ABBR_NONE)
        return 0;
    if (cls == st->last && (cls == NC_LETTER || cls == NC_DIGIT))
        return norm_ascii_word(st, p, n, cls);
    if (cls == NC_SPACE) {
        if (st->last != NC_SPACE)
            st->owes_space = out->len > st->start;
        st->last = NC_SPACE;
        return 1;
    }
    if (cls == NC_LETTER && st->last == NC_SPACE) {
        if (st->owes_space)
            out->data[out->len++] = ' ';
        out->data[out->len++] = (char)(p[0] | 0x20);
        st->owes_space = false;
        st->abbr = ABBR_LETTER; /* perhaps the "u" of "u.s." */
        st->n_dots = 0;
        st->last = NC_LETTER;
        return 1;
    }
    return 0;
}

/* Write the ASCII bytes at the start of `p`, lower-cased; returns how many
 * were used (all of `len` after an out-of-memory). */
static size_t
norm_ascii_run(norm_state *st, const unsigned char *p, size_t len)
{
    size_t n = len < NORM_ASCII_RUN ? len : NORM_ASCII_RUN, i = 0, k;
    enum norm_class cls;

    /* each byte writes at most itself and an owed space */
    if (!norm_flush(st) || !nx_buf_reserve(st->out, 2 * n))
        return len;
    while (i < n && p[i] < 0x80) {
        cls = norm_ascii_class(p[i]);
        k = norm_ascii_fast(st, p + i, n - i, cls);
        if (k == 0) {
            norm_emit(st, cls == NC_LETTER ? p[i] | 0x20 : p[i], cls);
            k = 1;
        }
        i += k;
    }
    return i;
}

bool
nx_normalize(nx_buf *out, const char *in, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    norm_state st;
    size_t i = 0;
    int32_t c;

    st.out = out;
    st.start = out->len;
    st.owes_space = false;
    st.last = NC_SPACE;
    st.abbr = ABBR_NONE;
    st.n_dots = 0;
    st.comma = NORM_NO_COMMA;
    st.comma_digits = 0;
    st.n_seg = 0;
    st.seg_composes = false;
    while (i < len && !nx_buf_oom(out)) {
        if (p[i] < 0x80) {
            i += norm_ascii_run(&st, p + i, len - i);
            continue;
        }
        i += utf8_decode(p + i, len - i, &c);
        if (!norm_add(&st, c < 0 ? CP_REPLACEMENT : c))
            break;
    }
    if (!norm_flush(&st) || nx_buf_oom(out))
        return false;
    norm_abbr_step(&st, NC_SPACE); /* the end of the text ends a run */
    if (st.comma != NORM_NO_COMMA)
        norm_comma_end(&st);
    if (out->data != NULL)
        out->data[out->len] = '\0';
    return true;
}

int
newsidx_normalize(char **out, const char *text, size_t len, newsidx_error *err)
{
    nx_buf b = NX_BUF_INIT;

    assert(out != NULL);
    assert(text != NULL || len == 0);
    *out = NULL;
    /* invalid UTF-8 needs no separate pass: nx_normalize reads each
     * invalid sequence as U+FFFD, as nx_utf8_sanitize would write it */
    if (nx_normalize(&b, text != NULL ? text : "", len)) {
        nx_buf_put(&b, "", 0); /* an empty result is still terminated */
        *out = nx_buf_detach(&b);
    }
    if (*out == NULL) {
        nx_buf_free(&b);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    return NEWSIDX_OK;
}

/*
 * Does `s` hold a character that the fts table's tokenizer takes as part of
 * a token (NX_TOKEN_CATEGORIES): a letter (L*), a number (N*), a
 * private-use character (Co) or an other symbol (So, such as emoji)?
 * Invalid UTF-8 counts as U+FFFD, which is none of them.
 */
bool
nx_text_has_word_char(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    utf8proc_category_t cat;
    size_t i = 0;
    int32_t c;

    while (i < len) {
        if (p[i] < 0x80) {
            if (norm_ascii_class(p[i]) == NC_LETTER ||
                norm_ascii_class(p[i]) == NC_DIGIT)
                return true;
            i++;
            continue;
        }
        i += utf8_decode(p + i, len - i, &c);
        if (c < 0 || c == 0xFFFD || c == 0xFFFC)
            continue;
        cat = utf8proc_category(c);
        if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
            (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) ||
            cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_SO)
            return true;
    }
    return false;
}

/*
 * The character at `s` (`len` > 0 bytes): its length in bytes, and
 * whether it belongs to a word as display text is cut into words (a
 * letter, a number, a combining mark, a private-use character or an other
 * symbol such as an emoji).  Punctuation, quotation marks, spaces and
 * invalid bytes (each one character of length 1 or its maximal subpart)
 * do not.
 */
size_t
nx_text_char(const char *s, size_t len, bool *is_word)
{
    const unsigned char *p = (const unsigned char *)s;
    utf8proc_category_t cat;
    size_t n;
    int32_t c;

    if (p[0] < 0x80) {
        *is_word = norm_ascii_class(p[0]) == NC_LETTER ||
                   norm_ascii_class(p[0]) == NC_DIGIT || p[0] == '_';
        return 1;
    }
    n = utf8_decode(p, len, &c);
    if (c < 0) {
        *is_word = false;
        return n;
    }
    cat = utf8proc_category(c);
    *is_word = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
               (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) ||
               (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) ||
               cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_SO;
    return n;
}
