/*
 * plan.c - the plan of a query for the engine (engine.c): its phrases (a
 * word, a quoted phrase, a prefix, a tag), each with the fts5read
 * iterators of its tokens and the count of rows the terms table gives it;
 * the required groups they make, cheapest first (the order of the
 * leapfrog), and the exclusions; a date range as one more required group,
 * of the month and year tags it covers.  A prefix's rare terms are read
 * whole here.  What the engine does not run is declined here: an
 * expression of any shape, a prefix phrase of several words, too many
 * terms or tags, a query of filters alone.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/* "Not a query the engine runs": set e->is_declined, and stop as after
 * success (SQLITE_OK), so that no code of newsidx's own shares the int
 * with SQLite's.  Callers look at e->is_declined after each step. */
static int
plan_decline(eng *e)
{
    e->is_declined = true;
    return SQLITE_OK;
}
#define PLAN_MAX_ALTS 4096 /* terms a prefix may stand for */
/* A prefix's terms held by at most half->prefix_rare_df rows
 * (NX_PREFIX_RARE_DF) are read whole when the query opens
 * (plan_prefix_rare), at most PLAN_RARE_ROWS rows in all: a block walk pays
 * a seek per term and block, which for the hundreds of rare terms of a
 * short prefix was most of the query. */
#define PLAN_RARE_ROWS (1 << 20)
/* The years a date tag may name (int64 seconds span 292 billion). */
#define PLAN_MAX_YEAR ((int64_t)300000000000)

/**************************************************************************
** Phrases
*/

static void
plan_phrase_free(eng_phrase *p)
{
    int i;

    for (i = 0; i < p->n_tok; i++) {
        nx_fr_term_close(p->tok[i]);
        if (p->pos != NULL) {
            nx_buf_free(&p->pos[i].arena);
            nx_free(p->pos[i].off);
            nx_free(p->pos[i].len);
        }
    }
    nx_free(p->pos);
    for (i = 0; i < p->n_alt; i++)
        nx_fr_term_close(p->alt[i]);
    nx_free(p->tok);
    nx_free(p->alt);
    nx_free(p->alt_next);
    nx_buf_free(&p->words);
    nx_free(p->ub);
    nx_free(p->units);
    nx_free(p->start);
    nx_free(p->rare_slot);
    nx_free(p->rare_tf);
    memset(p, 0, sizeof(*p));
}

/**************************************************************************
** Building the phrases
*/

typedef struct plan_tokens {
    eng *e;
    eng_phrase *p;
    int n_max;
} plan_tokens;

/* xTokenize callback: open an iterator for each token of a phrase. */
static int
plan_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
    plan_tokens *t = ctx;
    eng_phrase *p = t->p;
    nx_fr_term **grown;

    (void)flags;
    (void)start;
    (void)end;
    if (p->n_tok >= t->n_max)
        return SQLITE_TOOBIG;
    if (n > NX_FR_MAX_TOKEN) /* FTS5 keeps no more of a token */
        n = NX_FR_MAX_TOKEN;
    grown = nx_realloc(p->tok, (size_t)(p->n_tok + 1) * sizeof(*grown));
    if (grown == NULL)
        return SQLITE_NOMEM;
    p->tok = grown;
    p->tok[p->n_tok] = NULL;
    nx_buf_put(&p->words, token, (size_t)n);
    nx_buf_putc(&p->words, '\0');
    if (nx_buf_oom(&p->words))
        return SQLITE_NOMEM;
    if (nx_fr_term_open(&p->tok[p->n_tok], t->e->r, token, (size_t)n) !=
        SQLITE_OK)
        return SQLITE_CORRUPT; /* the reader's failure: eng_error */
    if (p->tok[p->n_tok] == NULL)
        p->is_empty = true;
    p->n_tok++;
    return SQLITE_OK;
}

/* The bytes just past every string that starts with `s` (n bytes), into
 * `out`; false when there is none (all 0xff). */
static bool
plan_prefix_end(nx_buf *out, const char *s, size_t n)
{
    while (n > 0 && (unsigned char)s[n - 1] == 0xff)
        n--;
    nx_buf_clear(out);
    if (n == 0)
        return false;
    nx_buf_put(out, s, n);
    if (nx_buf_oom(out))
        return false;
    out->data[n - 1] = (char)((unsigned char)s[n - 1] + 1);
    return true;
}

/* One row of a rare term, read whole. */
typedef struct plan_rare_row {
    int64_t id;
    uint32_t tf[3];
} plan_rare_row;

static int
plan_rare_cmp(const void *a, const void *b)
{
    int64_t x = ((const plan_rare_row *)a)->id,
            y = ((const plan_rare_row *)b)->id;

    return (x > y) - (x < y);
}

/*
 * Read the rare terms of prefix `p` (its[k] with dfs[k] <= rare_df, up
 * to PLAN_RARE_ROWS rows in all) whole into its units, closing their
 * iterators (set to NULL).  Rows of several terms are kept apart: the
 * walk adds them up.  The rows go into units by a counting sort when
 * their ids are close together (newsindex gives them counting up from
 * 1), else by a sort.
 */
static int
plan_prefix_rare(newsidx_index *e_idx, eng_phrase *p, nx_fr_term **its,
                 const int64_t *dfs, int n, int64_t rare_df)
{
    plan_rare_row *rows = NULL;
    uint32_t *count = NULL;
    size_t n_rows = 0, cap = 0, i, total = 0;
    int64_t lo_unit = INT64_MAX, hi_unit = INT64_MIN;
    uint64_t range = 0;
    bool is_dense;
    int k, rc = SQLITE_OK;

    for (k = 0; k < n && rc == SQLITE_OK; k++) {
        nx_fr_term *t = its[k];

        if (t == NULL || dfs[k] > rare_df ||
            total + (size_t)dfs[k] > PLAN_RARE_ROWS)
            continue;
        total += (size_t)dfs[k];
        for (; !nx_fr_term_eof(t) && rc == SQLITE_OK;
             rc = nx_fr_term_next(t) == SQLITE_OK ? SQLITE_OK
                                                  : SQLITE_CORRUPT) {
            const unsigned char *pl;
            int tf[3] = {0, 0, 0}, np;
            int64_t unit;
            plan_rare_row *r;

            if (nx_fr_term_poslist(t, &pl, &np) != SQLITE_OK) {
                rc = SQLITE_CORRUPT;
                break;
            }
            if (nx_fr_pos_count(pl, np, p->column, tf) == 0)
                continue;                   /* not in the column asked for */
            if (n_rows == PLAN_RARE_ROWS) { /* more than the counts said */
                rc = nx_db_damaged(e_idx, "the terms table counts fewer"
                                          " rows than the fts index holds");
                break;
            }
            if (n_rows == cap) {
                size_t ncap = cap ? cap * 2 : 1024;

                r = nx_realloc(rows, ncap * sizeof(*rows));
                if (r == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                rows = r;
                cap = ncap;
            }
            r = &rows[n_rows++];
            r->id = nx_fr_term_rowid(t);
            r->tf[0] = (uint32_t)tf[0];
            r->tf[1] = (uint32_t)tf[1];
            r->tf[2] = (uint32_t)tf[2];
            unit = r->id >> ENG_UNIT_SHIFT;
            lo_unit = unit < lo_unit ? unit : lo_unit;
            hi_unit = unit > hi_unit ? unit : hi_unit;
        }
        /* Read whole (or failed): the walk needs it no more. */
        nx_fr_term_close(t);
        its[k] = NULL;
    }
    if (rc != SQLITE_OK || n_rows == 0) {
        nx_free(rows);
        return rc;
    }
    range = (uint64_t)hi_unit - (uint64_t)lo_unit + 1;
    p->units = nx_malloc(n_rows * sizeof(*p->units));
    p->start = nx_malloc((n_rows + 1) * sizeof(*p->start));
    p->rare_slot = nx_malloc(n_rows);
    p->rare_tf = nx_malloc(n_rows * sizeof(*p->rare_tf));
    is_dense = range <= 4 * (uint64_t)n_rows + 65536;
    if (is_dense)
        count = nx_calloc((size_t)range + 1, sizeof(*count));
    if (p->units == NULL || p->start == NULL || p->rare_slot == NULL ||
        p->rare_tf == NULL || (is_dense && count == NULL))
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && is_dense) { /* a counting sort by unit */
        uint32_t at = 0;
        uint64_t u;

        for (i = 0; i < n_rows; i++)
            count[(rows[i].id >> ENG_UNIT_SHIFT) - lo_unit]++;
        for (u = 0; u < range; u++) {
            if (count[u] == 0)
                continue;
            p->units[p->n_units] = lo_unit + (int64_t)u;
            p->start[p->n_units++] = at;
            at += count[u];
            count[u] = at - count[u]; /* where its next row goes */
        }
        p->start[p->n_units] = at;
        for (i = 0; i < n_rows; i++) {
            uint32_t *to = &count[(rows[i].id >> ENG_UNIT_SHIFT) - lo_unit];

            p->rare_slot[*to] = (uint8_t)(rows[i].id & (ENG_UNIT - 1));
            memcpy(p->rare_tf[*to], rows[i].tf, sizeof(rows[i].tf));
            (*to)++;
        }
    } else if (rc == SQLITE_OK) { /* ids far apart: sort them */
        qsort(rows, n_rows, sizeof(*rows), plan_rare_cmp);
        for (i = 0; i < n_rows; i++) {
            int64_t unit = rows[i].id >> ENG_UNIT_SHIFT;

            if (p->n_units == 0 || p->units[p->n_units - 1] != unit) {
                p->units[p->n_units] = unit;
                p->start[p->n_units++] = (uint32_t)i;
            }
            p->rare_slot[i] = (uint8_t)(rows[i].id & (ENG_UNIT - 1));
            memcpy(p->rare_tf[i], rows[i].tf, sizeof(rows[i].tf));
        }
        p->start[p->n_units] = (uint32_t)n_rows;
    }
    nx_free(rows);
    nx_free(count);
    return rc;
}

/* A prefix: an iterator for every term of the index that starts with the
 * prefix (the terms table lists them all, in FTS5's order); opened
 * together, so that each segment's leaves are read once for all of them.
 * Declined for too many. */
static int
plan_prefix(eng *e, eng_phrase *p, const char *text)
{
    sqlite3_stmt *stmt;
    bool has_end = plan_prefix_end(&e->scratch, text, strlen(text));
    const char **terms = NULL;
    size_t *lens = NULL, at;
    int64_t *dfs = NULL;
    nx_fr_term **its = NULL;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db,
        has_end ? "SELECT term, df FROM terms WHERE term >= ?1 AND term < ?2"
                  " ORDER BY term"
                : "SELECT term, df FROM terms WHERE term >= ?1 ORDER BY term",
        -1, &stmt, NULL);
    int n = 0, k;

    p->is_prefix = true;
    p->df = 0;
    if (rc != SQLITE_OK)
        return e->rc = rc;
    sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
    if (has_end)
        sqlite3_bind_text(stmt, 2, e->scratch.data, (int)e->scratch.len,
                          SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == PLAN_MAX_ALTS) {
            sqlite3_finalize(stmt);
            nx_free(dfs);
            return plan_decline(e);
        }
        if (n % 256 == 0) {
            int64_t *grown = nx_realloc(dfs, (size_t)(n + 256) * sizeof(*dfs));

            if (grown == NULL) {
                sqlite3_finalize(stmt);
                nx_free(dfs);
                return e->rc = SQLITE_NOMEM;
            }
            dfs = grown;
        }
        nx_buf_put(&p->words, sqlite3_column_text(stmt, 0),
                   (size_t)sqlite3_column_bytes(stmt, 0));
        nx_buf_putc(&p->words, '\0');
        if (nx_terms_df_column(e->q->idx, stmt, 1, &dfs[n]) != SQLITE_OK) {
            rc = SQLITE_CORRUPT;
            break;
        }
        p->df += dfs[n]; /* at most PLAN_MAX_ALTS of NX_TERMS_MAX_DF */
        n++;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE || nx_buf_oom(&p->words)) {
        nx_free(dfs);
        return e->rc = rc == SQLITE_DONE  ? SQLITE_NOMEM
                       : rc == SQLITE_ROW ? SQLITE_ERROR
                                          : rc;
    }
    terms = nx_calloc((size_t)n + 1, sizeof(*terms));
    lens = nx_calloc((size_t)n + 1, sizeof(*lens));
    its = nx_calloc((size_t)n + 1, sizeof(*its));
    p->alt = nx_calloc((size_t)n + 1, sizeof(*p->alt));
    rc = terms == NULL || lens == NULL || its == NULL || p->alt == NULL
             ? SQLITE_NOMEM
             : SQLITE_OK;
    for (k = 0, at = 0; rc == SQLITE_OK && k < n; k++) {
        terms[k] = p->words.data + at;
        lens[k] = strlen(terms[k]);
        at += lens[k] + 1;
    }
    if (rc == SQLITE_OK && n > 0 &&
        nx_fr_terms_open(e->r, n, terms, lens, its) != SQLITE_OK)
        rc = SQLITE_CORRUPT;
    if (rc == SQLITE_OK)
        rc = plan_prefix_rare(e->q->idx, p, its, dfs, n,
                              e->q->half->prefix_rare_df);
    /* Keep the terms left to walk (their words stay listed in order). */
    for (k = 0; rc == SQLITE_OK && k < n; k++) {
        if (its[k] != NULL)
            p->alt[p->n_alt++] = its[k];
    }
    for (k = 0; rc != SQLITE_OK && k < n; k++)
        nx_fr_term_close(its[k]);
    nx_free(terms);
    nx_free(lens);
    nx_free(its);
    nx_free(dfs);
    if (rc != SQLITE_OK)
        return e->rc = rc;
    p->is_empty = p->n_alt == 0 && p->n_units == 0;
    p->alt_next = nx_malloc(((size_t)p->n_alt + 1) * sizeof(*p->alt_next));
    if (p->alt_next == NULL)
        return e->rc = SQLITE_NOMEM;
    nx_walk_alt_next(p);
    return SQLITE_OK;
}

/* Make a phrase from a term of the query. */
static int
plan_phrase_make(eng *e, eng_phrase *p, const nx_term *t)
{
    plan_tokens tk;
    int rc;

    memset(p, 0, sizeof(*p));
    p->df = -1;
    p->column = t->is_column ? t->column : -1;
    if (t->is_prefix) {
        if (strchr(t->text, ' ') != NULL)
            return plan_decline(e); /* a prefix phrase of several words */
        return plan_prefix(e, p, t->text);
    }
    tk.e = e;
    tk.p = p;
    tk.n_max = ENG_MAX_TOKENS;
    rc = nx_tokenizer_run(e->tok, true, t->text, strlen(t->text), plan_token,
                          &tk);
    if (rc == SQLITE_TOOBIG)
        return plan_decline(e);
    if (rc != SQLITE_OK)
        return e->rc = rc;
    if (p->n_tok == 0)
        p->is_empty = true;
    if (p->n_tok == 1 && !t->is_column) {
        rc = nx_terms_df(e->q->idx, t->text, strlen(t->text), &p->df);
        if (rc != SQLITE_OK)
            return e->rc = rc;
    }
    return SQLITE_OK;
}

/* A tag phrase: one token, in the tags column. */
static int
plan_tag_make(eng *e, eng_phrase *p, const char *tag)
{
    memset(p, 0, sizeof(*p));
    p->column = NX_FTS_TAGS;
    p->n_tok = 1;
    p->tok = nx_calloc(1, sizeof(*p->tok));
    if (p->tok == NULL)
        return e->rc = SQLITE_NOMEM;
    nx_buf_put(&p->words, tag, strlen(tag) + 1);
    if (nx_buf_oom(&p->words))
        return e->rc = SQLITE_NOMEM;
    if (nx_fr_term_open(&p->tok[0], e->r, tag, strlen(tag)) != SQLITE_OK)
        return e->rc = SQLITE_CORRUPT;
    p->is_empty = p->tok[0] == NULL;
    return e->rc = nx_terms_df(e->q->idx, tag, strlen(tag), &p->df);
}

/* About how many rows a phrase matches, for the order of the leapfrog:
 * the terms table's count, or a large number when it has none. */
static int64_t
plan_phrase_cost(const eng_phrase *p)
{
    if (p->is_empty)
        return 0;
    return p->df >= 0 ? p->df : ENG_EOF / 1024;
}

/* Add phrase `p` to the OR of group `g`. */
static void
plan_group_add(eng *e, eng_group *g, eng_phrase *p)
{
    eng_phrase **grown = nx_realloc(g->ph, (size_t)(g->n + 1) * sizeof(*grown));

    if (grown == NULL) {
        e->rc = SQLITE_NOMEM;
        return;
    }
    g->ph = grown;
    g->ph[g->n++] = p;
    g->cost += plan_phrase_cost(p);
}

/* The range filters are answered from docinfo, which clamps quality and
 * heat to 32 bits: bounds beyond that are left to SQL. */
static bool
plan_filters_fit(const nx_parsed *p)
{
    size_t i;

    for (i = 0; i < p->n_filters; i++) {
        const nx_filter *f = &p->filters[i];

        if ((f->kind == NX_FILTER_QUALITY || f->kind == NX_FILTER_HEAT) &&
            ((f->has_lo && (f->lo < INT32_MIN + 1 || f->lo > INT32_MAX - 1)) ||
             (f->has_hi && (f->hi < INT32_MIN + 1 || f->hi > INT32_MAX - 1))))
            return false;
    }
    return true;
}

static int
plan_group_cmp(const void *a, const void *b)
{
    const eng_group *x = a, *y = b;

    return (x->cost > y->cost) - (x->cost < y->cost);
}

/* The calendar years the index has dated items in (their year tags in the
 * terms table): *first > *last when it has none. */
static int
plan_date_years(eng *e, int64_t *first, int64_t *last)
{
    static const char lo[] = NX_TAG_YEAR, hi[] = NX_TAG_YEAR "\x7f";
    size_t n = sizeof(lo) - 1;
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db, "SELECT term FROM terms WHERE term >= ?1 AND term < ?2",
        -1, &stmt, NULL);

    *first = INT64_MAX;
    *last = INT64_MIN;
    if (rc != SQLITE_OK)
        return e->rc = rc;
    sqlite3_bind_text(stmt, 1, lo, (int)n, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, hi, (int)n + 1, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0) + n;
        bool neg = *t == 'n';
        int64_t y = strtoll(t + neg, NULL, 10);

        /* A year of a date in int64 seconds has 12 digits at most; in a
         * damaged tag, a month count below must not overflow. */
        if (y < 0 || y > PLAN_MAX_YEAR)
            y = PLAN_MAX_YEAR;
        y = neg ? -y : y;
        *first = y < *first ? y : *first;
        *last = y > *last ? y : *last;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : (e->rc = rc);
}

/* Add tag `tag` to group g (not yet counted in n_req). */
static bool
plan_date_tag(eng *e, eng_group *g, const char *tag)
{
    if (e->n_ph == ENG_MAX_PHRASES)
        return false;
    if (plan_tag_make(e, &e->ph[e->n_ph++], tag) != SQLITE_OK)
        return false;
    plan_group_add(e, g, &e->ph[e->n_ph - 1]);
    return e->rc == SQLITE_OK;
}

/*
 * A date range [lo, hi] (either end open) as a required group: the OR of
 * the tags of the years it covers whole and of its other months (store.c
 * tags every dated item with its month and year).  A row with none of
 * them is not in the range; the rows with one still go through the exact
 * check (walk_keep).  Ends are clamped to the years the index has dates in;
 * a range that would need more tags than the engine holds is left to the
 * exact check alone.
 */
static void
plan_date_group(eng *e, bool has_lo, int64_t lo, bool has_hi, int64_t hi)
{
    eng_group *g = &e->req[e->n_req];
    int64_t y_first, y_last, m_lo, m_hi, m, n_tags = 0;
    char tag[NX_DATE_TAG_SIZE];

    if (plan_date_years(e, &y_first, &y_last) != SQLITE_OK)
        return;
    if (y_first > y_last) { /* no item has a date */
        e->is_void = true;
        return;
    }
    m_lo = (y_first - 1970) * 12;
    m_hi = (y_last - 1970) * 12 + 11;
    if (has_lo && nx_month_of(lo) > m_lo)
        m_lo = nx_month_of(lo);
    if (has_hi && nx_month_of(hi) < m_hi)
        m_hi = nx_month_of(hi);
    if (m_lo > m_hi) {
        e->is_void = true;
        return;
    }
    /* Whole years count once; counting stops where no more would fit. */
    for (m = m_lo; m <= m_hi && n_tags <= ENG_MAX_PHRASES; n_tags++)
        m += m % 12 == 0 && m + 11 <= m_hi ? 12 : 1;
    if (n_tags > ENG_MAX_PHRASES - e->n_ph || e->n_req == ENG_MAX_PHRASES)
        return;
    for (m = m_lo; m <= m_hi && e->rc == SQLITE_OK;) {
        bool whole = m % 12 == 0 && m + 11 <= m_hi;

        nx_date_tag(tag, whole, m);
        if (!plan_date_tag(e, g, tag))
            return;
        m += whole ? 12 : 1;
    }
    e->n_req++;
}

/* Did making a phrase (with result `rc`) fail or decline?  A failure is
 * left in e->rc (eng_open reports it). */
static bool
plan_phrase_failed(eng *e, int rc)
{
    if (rc != SQLITE_OK && e->rc == SQLITE_OK)
        e->rc = rc;
    return rc != SQLITE_OK || e->is_declined;
}

/* Every phrase of the query, grouped; failures are left in e->rc and a
 * decline in e->is_declined. */
void
nx_plan_build(eng *e)
{
    const nx_parsed *p = e->q->parsed;
    size_t i, j;
    int rc;

    if (p->is_general || p->n_terms + p->n_excluded > SEARCH_MAX_TERMS ||
        !plan_filters_fit(p)) { /* an expression of any shape: SQL */
        plan_decline(e);
        return;
    }
    e->has_text = p->n_terms > 0;
    for (i = 0; i < p->n_terms; i++) { /* the scored phrases first */
        rc = plan_phrase_make(e, &e->ph[e->n_ph++], &p->terms[i]);
        if (plan_phrase_failed(e, rc))
            return;
        if (p->terms[i].group >= (size_t)e->n_req)
            e->n_req = (int)p->terms[i].group + 1;
        plan_group_add(e, &e->req[p->terms[i].group], &e->ph[e->n_ph - 1]);
    }
    e->n_scored = e->n_ph;
    for (i = 0; i < p->n_excluded; i++) {
        rc = plan_phrase_make(e, &e->ph[e->n_ph++], &p->excluded[i]);
        if (plan_phrase_failed(e, rc))
            return;
        plan_group_add(e, &e->neg[e->n_neg++], &e->ph[e->n_ph - 1]);
    }
    for (i = 0; i < p->n_filters; i++) {
        const nx_tags *t = &e->q->tags[i];
        eng_group *list = p->filters[i].is_negated ? e->neg : e->req;
        int *n = p->filters[i].is_negated ? &e->n_neg : &e->n_req;

        if (p->filters[i].kind > NX_FILTER_LAST_TAG)
            continue;
        if (t->n == 0) { /* nothing in the index fits */
            if (!p->filters[i].is_negated)
                e->is_void = true;
            continue;
        }
        if (e->n_ph + (int)t->n > ENG_MAX_PHRASES) {
            plan_decline(e);
            return;
        }
        for (j = 0; j < t->n; j++) {
            rc = plan_tag_make(e, &e->ph[e->n_ph++], t->tok[j]);
            if (plan_phrase_failed(e, rc))
                return;
            plan_group_add(e, &list[*n], &e->ph[e->n_ph - 1]);
        }
        (*n)++;
    }
    if (e->n_req == 0) { /* filters alone: SQL walks the items */
        plan_decline(e);
        return;
    }
    /* Date ranges narrow the walk to the rows of their months. */
    for (i = 0; i < p->n_filters && e->rc == SQLITE_OK; i++) {
        const nx_filter *f = &p->filters[i];

        if (f->kind == NX_FILTER_DATE && !f->is_negated)
            plan_date_group(e, f->has_lo, f->lo, f->has_hi, f->hi);
    }
    if (e->q->opts.has_since || e->q->opts.has_until)
        plan_date_group(e, e->q->opts.has_since, e->q->opts.since,
                        e->q->opts.has_until, e->q->opts.until);
    /* The cheapest group leads the leapfrog. */
    qsort(e->req, (size_t)e->n_req, sizeof(*e->req), plan_group_cmp);
}

/**************************************************************************
** The plan
*/

void
nx_plan_free(eng *e)
{
    int i;

    for (i = 0; i < e->n_ph; i++)
        plan_phrase_free(&e->ph[i]);
    for (i = 0; i < ENG_MAX_PHRASES; i++) {
        nx_free(e->req[i].ph);
        nx_free(e->neg[i].ph);
    }
}
