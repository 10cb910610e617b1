/*
 * suggest.c - the index vocabulary at work: "did you mean" suggestions for
 * queries that find little, and the distinctive terms of an item for
 * "items like this one".  Both read the `terms` table, which lists every
 * token with the number of items holding it (fts5vocab would walk each
 * token's doclist to count them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "query.h"

#define SUGGEST_MAX_TERMS 8  /* words of a query looked at */
#define LIKE_MAX_TERMS    12 /* terms of an item used for --like */
/* Distinct words of an item looked up in the terms table, at most: the
 * work of --like is bounded whatever the item's size. */
#define LIKE_MAX_LOOKUPS 256
/* ASCII that unicode61 does not keep in tokens. */
#define LIKE_SEPARATORS " .,;:!?\"'()[]{}<>-&/+*#%$@=|~`^\\_"

/* Documents holding `term` exactly (0 when none or on error). */
static int64_t
suggest_doc_count(newsidx_index *idx, const char *term)
{
    sqlite3_stmt *stmt;
    int64_t n = 0;

    if (sqlite3_prepare_v2(idx->db, "SELECT df FROM terms WHERE term = ?", -1,
                           &stmt, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(stmt, 1, term, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

/* The bytes of the first two characters of `s` (UTF-8), 0 when it has
 * fewer than two. */
static size_t
suggest_two_chars(const char *s)
{
    size_t i = 0;
    int k;

    for (k = 0; k < 2; k++) {
        if (s[i] == '\0')
            return 0;
        i++;
        while ((s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Optimal string alignment distance (edits, with adjacent transpositions),
 * over bytes; gives up above `limit`. */
static size_t
suggest_distance(const char *a, size_t la, const char *b, size_t lb,
                 size_t limit)
{
    size_t d[3][66], i, j;
    size_t *prev2 = d[0], *prev = d[1], *cur = d[2];

    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        size_t row_min;

        cur[0] = row_min = i;
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], v = prev[j - 1] + cost;

            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > limit)
            return limit + 1;
        {
            size_t *t = prev2;

            prev2 = prev;
            prev = cur;
            cur = t;
        }
    }
    return prev[lb];
}

/* Is a stored term fit to show: valid UTF-8 without control characters
 * (newsindex writes no other; a changed file might)? */
static bool
suggest_showable(const char *t, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            return false;
    }
    return nx_utf8_valid(t, len);
}

/* The best vocabulary term near `word`: fewest edits, then most documents;
 * it must be in more documents than `word` itself.  Written to `best`.
 * Only terms that begin with the same two characters are looked at, which
 * keeps the range small (a few hundred terms). */
static bool
suggest_word(newsidx_index *idx, const char *word, char *best, size_t cap)
{
    size_t len = strlen(word), limit = len <= 4 ? 1 : 2, best_d = limit + 1;
    size_t n_lead = suggest_two_chars(word);
    int64_t word_docs = suggest_doc_count(idx, word), best_n = word_docs;
    sqlite3_stmt *stmt;
    char lo[16], hi[16];

    if (len < 3 || n_lead == 0 || n_lead >= sizeof(lo) ||
        (unsigned char)word[n_lead - 1] == 0xff ||
        sqlite3_prepare_v2(idx->db,
                           "SELECT term, df FROM terms"
                           " WHERE term >= ?1 AND term < ?2",
                           -1, &stmt, NULL) != SQLITE_OK)
        return false;
    memcpy(lo, word, n_lead);
    lo[n_lead] = '\0';
    memcpy(hi, lo, n_lead + 1);
    hi[n_lead - 1] = (char)((unsigned char)hi[n_lead - 1] + 1);
    sqlite3_bind_text(stmt, 1, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, hi, -1, SQLITE_STATIC);
    best[0] = '\0';
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0);
        int64_t n = sqlite3_column_int64(stmt, 1);
        size_t tl = (size_t)sqlite3_column_bytes(stmt, 0), d;

        /* A damaged table's term must not reach what is shown. */
        if (t == NULL || tl >= cap || n <= word_docs ||
            !suggest_showable(t, tl))
            continue;
        d = suggest_distance(word, len, t, tl, limit);
        if (d < best_d || (d == best_d && d <= limit && n > best_n)) {
            best_d = d;
            best_n = n;
            memcpy(best, t, tl + 1);
        }
    }
    sqlite3_finalize(stmt);
    return best[0] != '\0';
}

/* `text` with each whitespace-separated word that normalizes to `from`
 * replaced by `to`, appended to `out` followed by a NUL. */
static void
suggest_replace(nx_buf *out, const char *text, const char *from, const char *to)
{
    nx_buf norm = NX_BUF_INIT;
    const char *p = text;

    while (*p != '\0') {
        size_t n = strcspn(p, " \t"), sp;

        nx_buf_clear(&norm);
        nx_normalize(&norm, p, n);
        if (norm.data != NULL && strcmp(norm.data, from) == 0)
            nx_buf_puts(out, to);
        else
            nx_buf_put(out, p, n);
        p += n;
        sp = strspn(p, " \t");
        nx_buf_put(out, p, sp);
        p += sp;
    }
    nx_buf_putc(out, '\0');
    nx_buf_free(&norm);
}

size_t
nx_suggest(nx_buf *out, newsidx_index *idx, const char *text,
           const nx_parsed *parsed)
{
    size_t i, n = 0;
    char best[128];

    for (i = 0; i < parsed->n_terms && i < SUGGEST_MAX_TERMS; i++) {
        const nx_term *t = &parsed->terms[i];

        if (t->is_prefix || strchr(t->text, ' ') != NULL ||
            !suggest_word(idx, t->text, best, sizeof(best)))
            continue;
        suggest_replace(out, text, t->text, best);
        n++;
    }
    return nx_buf_oom(out) ? 0 : n;
}

typedef struct like_term {
    char *text;
    int64_t docs;
} like_term;

static int
like_cmp(const void *a, const void *b)
{
    const like_term *x = a, *y = b;

    if (x->docs != y->docs)
        return x->docs < y->docs ? -1 : 1;
    return strcmp(x->text, y->text);
}

int
nx_like_match(nx_buf *out, newsidx_index *idx, const char *text,
              newsidx_error *err)
{
    like_term terms[LIKE_MAX_LOOKUPS];
    size_t n = 0, n_looked = 0, i, k;
    char *copy = nx_strdup(text), *tok, *save = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (copy == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = sqlite3_prepare_v2(idx->db, "SELECT df FROM terms WHERE term = ?",
                            -1, &stmt, NULL);
    for (tok = strtok_r(copy, LIKE_SEPARATORS, &save);
         rc == SQLITE_OK && tok != NULL && n_looked < LIKE_MAX_LOOKUPS;
         tok = strtok_r(NULL, LIKE_SEPARATORS, &save)) {
        int64_t docs = 0;

        if (strlen(tok) < 3 && (unsigned char)tok[0] < 0x80)
            continue;
        for (k = 0; k < n && strcmp(terms[k].text, tok) != 0; k++)
            ;
        if (k < n)
            continue; /* seen */
        n_looked++;
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, tok, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            rc = nx_terms_df_column(idx, stmt, 0, &docs);
        else if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        terms[n].text = tok; /* kept, so that it is looked up once */
        terms[n++].docs = docs;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) {
        nx_free(copy);
        return nx_store_error(idx, rc, "cannot read the term counts", err);
    }
    /* In another item too, the rarest first. */
    for (i = k = 0; i < n; i++) {
        if (terms[i].docs >= 2)
            terms[k++] = terms[i];
    }
    n = k;
    qsort(terms, n, sizeof(terms[0]), like_cmp);
    for (i = 0; i < n && i < LIKE_MAX_TERMS; i++) {
        nx_buf_puts(out, i ? " OR \"" : "\"");
        nx_buf_puts(out, terms[i].text); /* tokens hold no quotes */
        nx_buf_putc(out, '"');
    }
    nx_free(copy);
    if (nx_buf_oom(out))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return NEWSIDX_OK;
}
