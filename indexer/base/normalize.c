/*
 * normalize.c - the normalization for matching, and the character classes
 * that go with it (owns utf8proc).
 *
 * - nx_normalize (and the public newsidx_normalize) is the one text form
 *   used for matching.  The index and the query side both use it and the
 *   FTS5 unicode61 tokenizer splits its output, so a change here changes
 *   what an existing index matches: it needs a reindex.
 * - nx_text_has_word_char and nx_text_char classify characters by their
 *   Unicode category, as the tokenizer and the snippets cut text into
 *   words.
 *
 * nx_normalize appends to an nx_buf and reports out-of-memory through its
 * sticky flag.  Nothing here allocates except the output buffer.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "base.h"

#define CP_REPLACEMENT 0xFFFD

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
        out->len += nx_utf8_encode(c, out->data + out->len);
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
        i += nx_utf8_decode(p + i, len - i, &c);
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
        i += nx_utf8_decode(p + i, len - i, &c);
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
    n = nx_utf8_decode(p, len, &c);
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
