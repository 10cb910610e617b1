/*
 * snippet.c - a window of display text around the words a query matched,
 * with those words marked.
 *
 * Words of the display text are compared with the query's terms through
 * nx_normalize, the function the index uses, so `Zürich` is marked for the
 * term `zurich` and `Facebook’s` for `facebook`.
 */
#include <string.h>

#include "query.h"

#define SNIPPET_WORDS  30 /* words in the window */
#define SNIPPET_BEFORE 8  /* words kept before the first match */

typedef struct snippet_word {
    size_t start, end; /* byte offsets in the text */
    bool is_match;
} snippet_word;

/* Is the character at text[i] (of `len`) part of a word?  Sets *n to its
 * length.  Quotes and other punctuation are not: a mark never takes in
 * the quotation mark before a word. */
static bool
snippet_is_word_char(const char *text, size_t i, size_t len, size_t *n)
{
    bool is_word;

    *n = nx_text_char(text + i, len - i, &is_word);
    return is_word;
}

/* The length of a joiner at `p` (`n` > 0 bytes left), or 0: a character
 * that stays inside a word when word characters stand on both sides, as
 * the normalization joins them ("U.S", "1,000", "3.5") or the tokenizer
 * reads them ("don't", "Facebook’s"). */
static size_t
snippet_joiner_len(const char *p, size_t n)
{
    if (*p == '.' || *p == ',' || *p == '\'')
        return 1;
    return n >= 3 && memcmp(p, "\xe2\x80\x99", 3) == 0 ? 3 : 0; /* U+2019 */
}

/* Is text[start, end) a hyphen alone (-, U+2010, U+2011)?  Two marked
 * words it joins are marked as one: "[self-driving]". */
static bool
snippet_is_hyphen(const char *text, size_t start, size_t end)
{
    return (end - start == 1 && text[start] == '-') ||
           (end - start == 3 && (memcmp(text + start, "\xe2\x80\x90", 3) == 0 ||
                                 memcmp(text + start, "\xe2\x80\x91", 3) == 0));
}

static size_t snippet_sep_len(const unsigned char *p);

/* Does normalized token `tok` (len bytes) match a token of a term?  A
 * prefix term's last token matches any token it starts. */
static bool
snippet_token_matches(const char *tok, size_t len, const nx_term *terms,
                      size_t n_terms)
{
    size_t i;

    for (i = 0; i < n_terms; i++) {
        const unsigned char *t = (const unsigned char *)terms[i].text;

        while (*t != '\0') {
            size_t tl = 0, sep;
            bool is_last;

            while (t[tl] != '\0' && snippet_sep_len(t + tl) == 0)
                tl++;
            is_last = t[tl] == '\0';
            if (tl > 0 && ((tl == len && memcmp(t, tok, len) == 0) ||
                           (terms[i].is_prefix && is_last && tl <= len &&
                            memcmp(t, tok, tl) == 0)))
                return true;
            t += tl;
            while (*t != '\0' && (sep = snippet_sep_len(t)) > 0)
                t += sep;
        }
    }
    return false;
}

/* The length of a token separator at `p` in normalized text, or 0: ASCII
 * other than letters and digits, General Punctuation (U+2000-U+206F) and
 * CJK punctuation (U+3000-U+303F), as unicode61 separates tokens. */
static size_t
snippet_sep_len(const unsigned char *p)
{
    if (*p < 0x80)
        return (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                       (*p >= 'A' && *p <= 'Z')
                   ? 0
                   : 1;
    if ((p[0] == 0xe2 && (p[1] == 0x80 || p[1] == 0x81)) ||
        (p[0] == 0xe3 && p[1] == 0x80))
        return p[2] != '\0' ? 3 : 0;
    return 0;
}

/* Does any normalized token of text[start, end) match a term? */
static bool
snippet_word_matches(nx_buf *scratch, const char *text, size_t start,
                     size_t end, const nx_term *terms, size_t n_terms)
{
    const unsigned char *p;

    nx_buf_clear(scratch);
    if (!nx_normalize(scratch, text + start, end - start) ||
        !nx_buf_reserve(scratch, 0))
        return false;
    for (p = (const unsigned char *)scratch->data; *p != '\0';) {
        size_t len = 0, sep;

        while (p[len] != '\0' && snippet_sep_len(p + len) == 0)
            len++;
        if (len > 0 &&
            snippet_token_matches((const char *)p, len, terms, n_terms))
            return true;
        p += len;
        while (*p != '\0' && (sep = snippet_sep_len(p)) > 0)
            p += sep;
    }
    return false;
}

/* Split `text` into words and mark the matching ones.  Returns the number
 * of words (at most `max`) and sets *first to the first match or -1. */
static size_t
snippet_words(snippet_word *words, size_t max, const char *text,
              const nx_term *terms, size_t n_terms, long *first,
              nx_buf *scratch)
{
    size_t n = 0, i = 0, len = strlen(text);

    *first = -1;
    while (i < len && n < max) {
        size_t cl, jl;

        while (i < len && !snippet_is_word_char(text, i, len, &cl))
            i += cl;
        if (i >= len)
            break;
        words[n].start = i;
        for (;;) {
            if (i < len && snippet_is_word_char(text, i, len, &cl)) {
                i += cl;
                continue;
            }
            jl = i < len ? snippet_joiner_len(text + i, len - i) : 0;
            if (jl > 0 && i + jl < len &&
                snippet_is_word_char(text, i + jl, len, &cl)) {
                i += jl;
                continue;
            }
            break;
        }
        words[n].end = i;
        words[n].is_match =
            n_terms > 0 && snippet_word_matches(scratch, text, words[n].start,
                                                i, terms, n_terms);
        if (words[n].is_match && *first < 0)
            *first = (long)n;
        n++;
    }
    return n;
}

bool
nx_snippet(nx_buf *out, const char *text, const nx_term *terms, size_t n_terms,
           const char *open, const char *close)
{
    snippet_word words[512];
    nx_buf scratch = NX_BUF_INIT;
    size_t n, from, to, i, pos;
    long first;

    n = snippet_words(words, 512, text, terms, n_terms, &first, &scratch);
    nx_buf_free(&scratch);
    if (n == 0 || (n_terms > 0 && first < 0))
        return false;
    from = first > SNIPPET_BEFORE ? (size_t)first - SNIPPET_BEFORE : 0;
    to = from + SNIPPET_WORDS < n ? from + SNIPPET_WORDS : n;
    if (from > 0)
        nx_buf_puts(out, "… ");
    /* From the text's start, what comes before the first word (an opening
     * quote) is kept too. */
    pos = from > 0 ? words[from].start : 0;
    for (i = from; i < to; i++) {
        /* Marked words joined by a hyphen share one mark. */
        bool is_joined = i > from && words[i - 1].is_match &&
                         words[i].is_match &&
                         snippet_is_hyphen(text, pos, words[i].start);
        bool is_joining =
            i + 1 < to && words[i].is_match && words[i + 1].is_match &&
            snippet_is_hyphen(text, words[i].end, words[i + 1].start);

        nx_buf_put(out, text + pos, words[i].start - pos);
        if (words[i].is_match && !is_joined)
            nx_buf_puts(out, open);
        nx_buf_put(out, text + words[i].start, words[i].end - words[i].start);
        if (words[i].is_match && !is_joining)
            nx_buf_puts(out, close);
        pos = words[i].end;
    }
    if (to < n || words[n - 1].end < strlen(text)) {
        /* keep closing punctuation of the last word, then mark the cut */
        size_t tail = to < n ? words[to].start : strlen(text);

        while (pos < tail && text[pos] != ' ')
            nx_buf_putc(out, text[pos++]);
        if (to < n)
            nx_buf_puts(out, " …");
    }
    return !nx_buf_oom(out);
}
