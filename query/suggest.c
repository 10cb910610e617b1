/*
 * suggest.c - the index vocabulary at work: "did you mean" suggestions for
 * queries that find little, and the distinctive terms of an item for
 * "items like this one".  Both read the `terms` table, which lists every
 * token with the number of items holding it (fts5vocab would walk each
 * token's doclist to count them).
 *
 * Suggestions are honest.  A word of the query is replaced only when it
 * matches nothing (by a term up to two edits away), or very little: when
 * it is one edit away from a term held by at least SUGGEST_RARE_RATIO
 * times as many items (a typo that made its way into a few items).  So a
 * word that some items hold is never replaced by a term two edits away,
 * however frequent ("intel" is not "into").  Each suggested query is
 * counted, with the query's own options, and offered only when it finds
 * more items than the query as typed; at most NX_SUGGEST_MAX counts are
 * run, and only for a query that found little.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

#define SUGGEST_MAX_TERMS  8   /* words of a query looked at */
#define SUGGEST_TERM_CAP   128 /* bytes of a replacement term, with its NUL */
#define SUGGEST_RARE_RATIO 10  /* "very little": a tenth of the other term */
#define LIKE_MAX_TERMS     12  /* terms of an item used for --like */
/* Distinct words of an item looked up in the terms table, at most: the
 * work of --like is bounded whatever the item's size. */
#define LIKE_MAX_LOOKUPS 256
/* ASCII that unicode61 does not keep in tokens. */
#define LIKE_SEPARATORS " .,;:!?\"'()[]{}<>-&/+*#%$@=|~`^\\_"

/* A word of the query and the index term that may replace it. */
typedef struct suggest_fix {
    const char *word;            /* the query's term, normalized; borrowed */
    int64_t word_df;             /* items holding it */
    char term[SUGGEST_TERM_CAP]; /* its replacement, "" when none */
} suggest_fix;

/* The suggestions of one query: the words to fix, the queries counted and
 * those offered, most matches first. */
typedef struct suggest_run {
    newsidx_results *r;
    suggest_fix fixes[SUGGEST_MAX_TERMS];
    size_t n_fixes;
    size_t n_counts;                 /* suggested queries counted */
    nx_buf offers[NX_SUGGEST_MAX];   /* texts, each with its NUL */
    uint64_t totals[NX_SUGGEST_MAX]; /* what each finds */
    size_t n_offers;
} suggest_run;

/* The files the query searches: one, or those of its collection. */
static newsidx_index *const *
suggest_files(const newsidx_query *q, size_t *n)
{
    *n = q->coll != NULL ? q->coll->n : 1;
    return q->coll != NULL ? q->coll->idx : &q->idx;
}

/* The items holding `term` exactly into *out (0 when none), in all the
 * query's files. */
static int
suggest_df(int64_t *out, const newsidx_query *q, const char *term,
           newsidx_error *err)
{
    size_t m, n;
    newsidx_index *const *files = suggest_files(q, &n);
    int rc = SQLITE_OK;

    *out = 0;
    for (m = 0; m < n && rc == SQLITE_OK; m++) {
        sqlite3_stmt *stmt = NULL;
        int64_t df = 0;

        rc = sqlite3_prepare_v2(files[m]->db,
                                "SELECT df FROM terms WHERE term = ?", -1,
                                &stmt, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(stmt, 1, term, -1, SQLITE_STATIC);
            rc = sqlite3_step(stmt);
            if (rc == SQLITE_ROW)
                rc = nx_terms_df_column(files[m], stmt, 0, &df);
            else if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_OK)
            return nx_db_error(files[m], rc, "cannot read the term counts",
                               err);
        *out += df;
    }
    return NEWSIDX_OK;
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

/* Edits allowed between a word and its replacement: for a word in no item,
 * 1 up to four bytes and 2 beyond; for a word in some items, 1 (a typo). */
static size_t
suggest_limit(const suggest_fix *fix)
{
    if (fix->word_df > 0)
        return 1;
    return strlen(fix->word) <= 4 ? 1 : 2;
}

/* May a term held by `df` items, `d` edits away, replace the word?  Only
 * when the word is in no item, or in at most a tenth as many. */
static bool
suggest_fits(const suggest_fix *fix, int64_t df, size_t d)
{
    if (d > suggest_limit(fix) || df <= 0)
        return false;
    /* df and word_df are at most NX_TERMS_MAX_DF: no overflow */
    return fix->word_df == 0 || df >= SUGGEST_RARE_RATIO * fix->word_df;
}

/* The row range of the terms table that begins with the first two
 * characters of `word`, bound to `stmt`'s ?1 and ?2; false when the word
 * is too short to look for. */
static bool
suggest_range(char *lo, char *hi, size_t cap, const char *word)
{
    size_t n_lead = suggest_two_chars(word);

    if (strlen(word) < 3 || n_lead == 0 || n_lead >= cap ||
        (unsigned char)word[n_lead - 1] == 0xff)
        return false;
    memcpy(lo, word, n_lead);
    lo[n_lead] = '\0';
    memcpy(hi, lo, n_lead + 1);
    hi[n_lead - 1] = (char)((unsigned char)hi[n_lead - 1] + 1);
    return true;
}

/*
 * The best replacement of fix->word into fix->term ("" when none): the
 * term that suggest_fits with the fewest edits, then the most items.  Only
 * terms that begin with the same two characters are looked at, which keeps
 * the range small (a few hundred terms).
 */
/* A term that may replace a word, with its items in all the files. */
typedef struct suggest_cand {
    char term[SUGGEST_TERM_CAP];
    int64_t df;
} suggest_cand;

static int
suggest_cand_cmp(const void *a, const void *b)
{
    return strcmp(((const suggest_cand *)a)->term,
                  ((const suggest_cand *)b)->term);
}

/* The terms of file `idx` in [lo, hi) that a fix could use, each once
 * in `*c` (their items added up over the files read so far). */
static int
suggest_gather(suggest_cand **c, size_t *n, size_t *cap, newsidx_index *idx,
               bool is_merge, const char *lo, const char *hi,
               newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int64_t df;
    size_t i;
    int rc = sqlite3_prepare_v2(idx->db,
                                "SELECT term, df FROM terms"
                                " WHERE term >= ?1 AND term < ?2",
                                -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, hi, -1, SQLITE_STATIC);
    }
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW &&
           (rc = nx_terms_df_column(idx, stmt, 1, &df)) == SQLITE_OK) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0);
        size_t tl = (size_t)sqlite3_column_bytes(stmt, 0);

        /* A damaged table's term must not reach what is shown. */
        if (t == NULL || tl >= SUGGEST_TERM_CAP || !suggest_showable(t, tl))
            continue;
        /* A file holds each term once: only another file's may be in
         * the list already. */
        for (i = is_merge ? 0 : *n; i < *n && strcmp((*c)[i].term, t) != 0; i++)
            ;
        if (i == *n) {
            if (*n == *cap) {
                suggest_cand *grown =
                    nx_realloc(*c, (*cap = *cap * 2 + 32) * sizeof(**c));

                if (grown == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                *c = grown;
            }
            memcpy((*c)[i].term, t, tl + 1);
            (*c)[i].df = 0;
            (*n)++;
        }
        (*c)[i].df += df;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return nx_db_error(idx, rc, "cannot read the term counts", err);
    return NEWSIDX_OK;
}

/*
 * The best replacement of fix->word into fix->term ("" when none): the
 * term that suggest_fits with the fewest edits, then the most items (in
 * all the query's files), then the first in order.  Only terms that begin
 * with the same two characters are looked at, which keeps the range small
 * (a few hundred terms).
 */
static int
suggest_word(suggest_fix *fix, const newsidx_query *q, newsidx_error *err)
{
    size_t len = strlen(fix->word), best_d = SIZE_MAX, m, n_files, i;
    newsidx_index *const *files = suggest_files(q, &n_files);
    suggest_cand *c = NULL;
    size_t n = 0, cap = 0;
    int64_t best_n = 0;
    char lo[16], hi[16];
    int rc = NEWSIDX_OK;

    fix->term[0] = '\0';
    if (!suggest_range(lo, hi, sizeof(lo), fix->word))
        return NEWSIDX_OK;
    for (m = 0; m < n_files && rc == NEWSIDX_OK; m++)
        rc = suggest_gather(&c, &n, &cap, files[m], m > 0, lo, hi, err);
    if (n_files > 1 && n > 1 && rc == NEWSIDX_OK)
        qsort(c, n, sizeof(*c), suggest_cand_cmp);
    for (i = 0; i < n && rc == NEWSIDX_OK; i++) {
        size_t tl = strlen(c[i].term),
               d = suggest_distance(fix->word, len, c[i].term, tl,
                                    suggest_limit(fix));

        if (suggest_fits(fix, c[i].df, d) &&
            (d < best_d || (d == best_d && c[i].df > best_n))) {
            best_d = d;
            best_n = c[i].df;
            memcpy(fix->term, c[i].term, tl + 1);
        }
    }
    nx_free(c);
    return rc;
}

/* Is `word` the word of a fix found already? */
static bool
suggest_has_fix(const suggest_run *run, const char *word)
{
    size_t i;

    for (i = 0; i < run->n_fixes; i++) {
        if (strcmp(run->fixes[i].word, word) == 0)
            return true;
    }
    return false;
}

/* The words of the query worth a replacement (plain words, each once), in
 * run->fixes, those in fewer items first. */
static int
suggest_fixes(suggest_run *run, newsidx_error *err)
{
    const nx_parsed *parsed = run->r->q->parsed;
    const newsidx_query *q = run->r->q;
    size_t i, k;
    int rc = NEWSIDX_OK;

    for (i = 0; i < parsed->n_terms && i < SUGGEST_MAX_TERMS; i++) {
        const nx_term *t = &parsed->terms[i];
        suggest_fix fix;

        if (t->is_prefix || strchr(t->text, ' ') != NULL ||
            suggest_has_fix(run, t->text))
            continue;
        fix.word = t->text;
        rc = suggest_df(&fix.word_df, q, fix.word, err);
        if (rc == NEWSIDX_OK)
            rc = suggest_word(&fix, q, err);
        if (rc != NEWSIDX_OK)
            return rc;
        if (fix.term[0] == '\0')
            continue;
        for (k = run->n_fixes; k > 0 && run->fixes[k - 1].word_df > fix.word_df;
             k--)
            run->fixes[k] = run->fixes[k - 1];
        run->fixes[k] = fix;
        run->n_fixes++;
    }
    return rc;
}

/* The fix whose word `norm` is, among those with a bit set in `use`. */
static const suggest_fix *
suggest_fix_of(const suggest_run *run, unsigned use, const char *norm)
{
    size_t i;

    for (i = 0; norm != NULL && i < run->n_fixes; i++) {
        if ((use & (1u << i)) != 0 && strcmp(norm, run->fixes[i].word) == 0)
            return &run->fixes[i];
    }
    return NULL;
}

/* The query text with each whitespace-separated word that normalizes to
 * the word of a fix in `use` replaced by its term, into `out` with a NUL.
 * Returns the number of words replaced. */
static size_t
suggest_replace(nx_buf *out, const suggest_run *run, unsigned use)
{
    const char *p = run->r->q->text;
    nx_buf norm = NX_BUF_INIT;
    size_t n_replaced = 0;

    while (*p != '\0') {
        size_t n = strcspn(p, " \t"), sp;
        const suggest_fix *fix;

        nx_buf_clear(&norm);
        nx_normalize(&norm, p, n);
        fix = suggest_fix_of(run, use, norm.data);
        if (fix != NULL) {
            nx_buf_puts(out, fix->term);
            n_replaced++;
        } else {
            nx_buf_put(out, p, n);
        }
        p += n;
        sp = strspn(p, " \t");
        nx_buf_put(out, p, sp);
        p += sp;
    }
    nx_buf_putc(out, '\0');
    nx_buf_free(&norm);
    return n_replaced;
}

/* The matches of `text` under the options of the query that found little,
 * counted as newsidx_query_run counts: by the engine, or in SQL when the
 * engine declines.  A text that does not parse finds nothing. */
static int
suggest_count(uint64_t *out, const newsidx_query *q, const char *text,
              newsidx_error *err)
{
    newsidx_query *s = NULL;
    int rc = q->coll != NULL
                 ? newsidx_query_new_multi(&s, q->coll->idx, q->coll->n, text,
                                           &q->opts, err)
                 : newsidx_query_new(&s, q->idx, text, &q->opts, err);

    *out = 0;
    if (rc == NEWSIDX_OK)
        rc = nx_search_total(out, s, err);
    newsidx_query_free(s);
    if (rc == NEWSIDX_PARSE) {
        nx_error_clear(err);
        rc = NEWSIDX_OK;
    }
    return rc;
}

/* Count the query with the fixes in `use` applied, when that replaces at
 * least `min_replaced` words, and offer it if it finds more than the
 * query did.  At most NX_SUGGEST_MAX counts are run in all. */
static int
suggest_try(suggest_run *run, unsigned use, size_t min_replaced,
            newsidx_error *err)
{
    nx_buf text = NX_BUF_INIT;
    uint64_t total = 0;
    size_t k, n_replaced = suggest_replace(&text, run, use);
    int rc = NEWSIDX_OK;

    if (nx_buf_oom(&text))
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    else if (n_replaced >= min_replaced && run->n_counts < NX_SUGGEST_MAX) {
        run->n_counts++;
        rc = suggest_count(&total, run->r->q, text.data, err);
    }
    if (rc != NEWSIDX_OK || total <= run->r->total) {
        nx_buf_free(&text);
        return rc;
    }
    for (k = run->n_offers++; k > 0 && run->totals[k - 1] < total; k--) {
        run->offers[k] = run->offers[k - 1];
        run->totals[k] = run->totals[k - 1];
    }
    run->offers[k] = text;
    run->totals[k] = total;
    return NEWSIDX_OK;
}

/* The offers into the results: texts NUL-separated, totals beside. */
static int
suggest_keep(suggest_run *run, newsidx_error *err)
{
    newsidx_results *r = run->r;
    size_t i;

    for (i = 0; i < run->n_offers; i++) {
        nx_buf_put(&r->suggestions, run->offers[i].data, run->offers[i].len);
        r->suggestion_totals[i] = run->totals[i];
    }
    if (nx_buf_oom(&r->suggestions))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    r->n_suggestions = run->n_offers;
    return NEWSIDX_OK;
}

int
nx_suggest(newsidx_results *r, newsidx_error *err)
{
    suggest_run run;
    size_t i;
    int rc;

    memset(&run, 0, sizeof(run));
    run.r = r;
    rc = suggest_fixes(&run, err);
    /* Every word fixed at once first: with two typos, each fix alone
     * finds nothing. */
    if (rc == NEWSIDX_OK && run.n_fixes >= 2)
        rc = suggest_try(&run, (1u << run.n_fixes) - 1, 2, err);
    /* Then each alone, the words in fewest items first. */
    for (i = 0; rc == NEWSIDX_OK && i < run.n_fixes; i++)
        rc = suggest_try(&run, 1u << i, 1, err);
    if (rc == NEWSIDX_OK)
        rc = suggest_keep(&run, err);
    for (i = 0; i < run.n_offers; i++)
        nx_buf_free(&run.offers[i]);
    return rc;
}

typedef struct like_term {
    char *text;
    int64_t docs;
    char stem[48]; /* its stem in the terms table; "" when none or long */
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
    rc = sqlite3_prepare_v2(
        idx->db, "SELECT df, stem FROM terms WHERE term = ?", -1, &stmt, NULL);
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
        terms[n].docs = docs;
        terms[n].stem[0] = '\0';
        if (rc == SQLITE_OK && docs > 0) {
            const char *stem = (const char *)sqlite3_column_text(stmt, 1);

            if (stem == NULL) /* its own stem */
                stem = tok;
            if (strlen(stem) < sizeof(terms[n].stem))
                strcpy(terms[n].stem, stem);
        }
        n++;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) {
        nx_free(copy);
        return nx_db_error(idx, rc, "cannot read the term counts", err);
    }
    /* In another item too, the rarest first. */
    for (i = k = 0; i < n; i++) {
        if (terms[i].docs >= 2)
            terms[k++] = terms[i];
    }
    n = k;
    qsort(terms, n, sizeof(terms[0]), like_cmp);
    /* Words, not "phrases": a phrase is exact, and a word finds its other
     * forms too.  Tokens hold no operator (lowercase, no separator). */
    for (i = k = 0; i < n && k < LIKE_MAX_TERMS; i++) {
        size_t j;

        /* One form of a word: the parser adds the others. */
        for (j = 0; terms[i].stem[0] != '\0' && j < i &&
                    strcmp(terms[j].stem, terms[i].stem) != 0;
             j++)
            ;
        if (terms[i].stem[0] != '\0' && j < i)
            continue;
        nx_buf_puts(out, k++ ? " OR " : "");
        nx_buf_puts(out, terms[i].text);
    }
    nx_free(copy);
    if (nx_buf_oom(out))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return NEWSIDX_OK;
}
