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

/* Is byte `c` part of a word?  Non-ASCII bytes always are, so a UTF-8
 * sequence is never split. */
static bool
snippet_is_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '\'' || c == '_';
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
        while (i < len && !snippet_is_word_byte((unsigned char)text[i]))
            i++;
        if (i >= len)
            break;
        words[n].start = i;
        /* A dot or comma between word characters stays inside the word
         * ("U.S", "1,000", "3.5"), as the normalization joins them. */
        while (i < len && (snippet_is_word_byte((unsigned char)text[i]) ||
                           ((text[i] == '.' || text[i] == ',') && i + 1 < len &&
                            snippet_is_word_byte((unsigned char)text[i + 1]))))
            i++;
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
    pos = words[from].start;
    for (i = from; i < to; i++) {
        nx_buf_put(out, text + pos, words[i].start - pos);
        if (words[i].is_match)
            nx_buf_puts(out, open);
        nx_buf_put(out, text + words[i].start, words[i].end - words[i].start);
        if (words[i].is_match)
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
