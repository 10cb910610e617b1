/*
 * search.c - running a query: the WHERE clause from the parsed query and
 * the options, the ranked scan that stops early, collapsing near-duplicate
 * stories, paging, and the total count.  Hits are filled in by hits.c.
 *
 * The ranked scan visits matches in FTS5 rowid order.  Rowids are rank keys
 * ordered by descending prior level (indexer/store.c), so the best priors
 * come first.  Each row's score is bm25f x prior x fresh; the scan keeps the
 * best M rows and stops as soon as no later row can beat the M-th: a later
 * row scores at most (text bound) x (prior bound of its level) x 1.  The
 * result is exactly the top M of exhaustive scoring (ties go to the lower
 * rowid, as in `ORDER BY score DESC, rowid`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/* A growable list of SQL parameters, bound in order to anonymous `?`. */
static void
sql_param_text(search_sql *s, const char *text)
{
    if (s->n_params < SEARCH_MAX_PARAMS) {
        s->params[s->n_params].text = text;
        s->params[s->n_params].is_text = true;
        s->n_params++;
    } else {
        s->is_overflow = true;
    }
}

static void
sql_param_int(search_sql *s, int64_t v)
{
    if (s->n_params < SEARCH_MAX_PARAMS) {
        s->params[s->n_params].value = v;
        s->params[s->n_params].is_text = false;
        s->n_params++;
    } else {
        s->is_overflow = true;
    }
}

/* "(COL IS NOT NULL AND COL >= lo AND COL <= hi)", each bound if given. */
static void
search_range_sql(search_sql *s, const char *col, bool has_lo, int64_t lo,
                 bool has_hi, int64_t hi)
{
    nx_buf_printf(&s->where, "(%s IS NOT NULL", col);
    if (has_lo) {
        nx_buf_printf(&s->where, " AND %s >= ?", col);
        sql_param_int(s, lo);
    }
    if (has_hi) {
        nx_buf_printf(&s->where, " AND %s <= ?", col);
        sql_param_int(s, hi);
    }
    nx_buf_putc(&s->where, ')');
}

/*
 * A date range.  The month bucket in the rank key decides most rows
 * (nx_key_date); only rows in a bound's month, or in a clamped bucket,
 * have their published_at read from the FTS5 content row.
 */
static void
search_date_sql(search_sql *s, bool is_negated, bool has_lo, int64_t lo,
                bool has_hi, int64_t hi)
{
    nx_buf_printf(&s->where,
                  " AND %s(CASE nx_key_date(fts.rowid, ?, ?) WHEN 0 THEN 0"
                  " WHEN 1 THEN 1 ELSE ",
                  is_negated ? "NOT " : "");
    sql_param_int(s, has_lo ? nx_month_of(lo) : -1);
    sql_param_int(s, has_hi ? nx_month_of(hi) : INT64_MAX);
    search_range_sql(s, "fts.published_at", has_lo, lo, has_hi, hi);
    nx_buf_puts(&s->where, " END)");
}

static void
search_filter_sql(search_sql *s, const nx_filter *f)
{
    static const char *const in_items[] = {
        /* The providers first, then their items through items_provider:
         * a join with the OR made SQLite scan every item. */
        [NX_FILTER_PROVIDER] =
            "SELECT rank_key FROM items WHERE provider_id IN (SELECT id FROM"
            " providers WHERE key = ? OR lower(domain) = ?"
            " OR lower(domain) = 'www.' || ?)",
        /* Both read only an index (items_provider, item_topics_topic):
         * going through the items rows cost a page read per item. */
        [NX_FILTER_TOPIC] = ("SELECT it.rank_key FROM item_topics it JOIN"
                             " topics t ON t.id = it.topic_id WHERE t.key = ?"),
        [NX_FILTER_TYPE] =
            "SELECT rank_key FROM items WHERE lower(trim(type)) = ?",
        [NX_FILTER_CATEGORY] =
            "SELECT rank_key FROM items WHERE lower(trim(category)) = ?",
    };
    static const char *const columns[] = {
        [NX_FILTER_QUALITY] = "fts.quality",
        [NX_FILTER_HEAT] = "fts.heat",
    };

    if (f->kind <= NX_FILTER_CATEGORY) {
        /* "+" keeps SQLite from handing the IN list to FTS5 as rowid
         * lookups, which would rerun the search once per value. */
        nx_buf_printf(&s->where, " AND +fts.rowid %sIN (%s)",
                      f->is_negated ? "NOT " : "", in_items[f->kind]);
        sql_param_text(s, f->text);
        if (f->kind == NX_FILTER_PROVIDER) {
            sql_param_text(s, f->text);
            sql_param_text(s, f->text);
        }
        return;
    }
    if (f->kind == NX_FILTER_DATE) {
        search_date_sql(s, f->is_negated, f->has_lo, f->lo, f->has_hi, f->hi);
        return;
    }
    nx_buf_printf(&s->where, " AND %s", f->is_negated ? "NOT " : "");
    search_range_sql(s, columns[f->kind], f->has_lo, f->lo, f->has_hi, f->hi);
}

/* Build "FROM fts WHERE ..." for the query into s->where. */
void
nx_search_where(search_sql *s, const newsidx_query *q)
{
    size_t i;

    memset(s, 0, sizeof(*s));
    if (q->match[0] != '\0') {
        nx_buf_puts(&s->where, " FROM fts WHERE fts MATCH ?");
        sql_param_text(s, q->match);
    } else {
        nx_buf_puts(&s->where, " FROM fts WHERE 1");
    }
    if (q->parsed != NULL && q->parsed->exclude[0] != '\0') {
        nx_buf_puts(&s->where, " AND +fts.rowid NOT IN (SELECT rowid FROM"
                               " fts WHERE fts MATCH ?)");
        sql_param_text(s, q->parsed->exclude);
    }
    /* Unpublished items have rank keys from NX_RANK_UNPUBLISHED up: a
     * rowid range FTS5 applies while it reads the doclists. */
    if (!q->opts.include_unpublished)
        nx_buf_printf(&s->where, " AND fts.rowid < %lld",
                      (long long)NX_RANK_UNPUBLISHED);
    if (q->opts.has_since || q->opts.has_until)
        search_date_sql(s, false, q->opts.has_since, q->opts.since,
                        q->opts.has_until, q->opts.until);
    if (q->self_key != 0) {
        nx_buf_puts(&s->where, " AND +fts.rowid <> ?");
        sql_param_int(s, q->self_key);
    }
    for (i = 0; q->parsed != NULL && i < q->parsed->n_filters; i++)
        search_filter_sql(s, &q->parsed->filters[i]);
}

void
nx_search_sql_free(search_sql *s)
{
    nx_buf_free(&s->where);
}

/* Prepare `head` + s->where + `tail` and bind the parameters. */
int
nx_search_prepare(sqlite3_stmt **out, newsidx_index *idx, search_sql *s,
                  const char *head, const char *tail, newsidx_error *err)
{
    nx_buf sql = NX_BUF_INIT;
    size_t i;
    int rc;

    *out = NULL;
    nx_buf_puts(&sql, head);
    nx_buf_put(&sql, s->where.data ? s->where.data : "", s->where.len);
    nx_buf_puts(&sql, tail);
    if (nx_buf_oom(&sql) || nx_buf_oom(&s->where) || s->is_overflow) {
        nx_buf_free(&sql);
        return nx_fail(err, s->is_overflow ? NEWSIDX_INVALID : NEWSIDX_NOMEM,
                       s->is_overflow ? "too many filters in the query"
                                      : "out of memory");
    }
    rc = sqlite3_prepare_v2(idx->db, sql.data, -1, out, NULL);
    nx_buf_free(&sql);
    for (i = 0; rc == SQLITE_OK && i < s->n_params; i++) {
        if (s->params[i].is_text)
            rc = sqlite3_bind_text(*out, (int)i + 1, s->params[i].text, -1,
                                   SQLITE_STATIC);
        else
            rc = sqlite3_bind_int64(*out, (int)i + 1, s->params[i].value);
    }
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return nx_store_error(idx, rc, "cannot run the query", err);
    }
    return NEWSIDX_OK;
}

/* Is candidate a better than b?  Score, then the lower rank key. */
static bool
search_better(const search_cand *a, const search_cand *b)
{
    return a->score > b->score ||
           (a->score == b->score && a->rank_key < b->rank_key);
}

/* Min-heap on "better": the root is the worst kept candidate. */
static void
search_heap_down(search_cand *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        search_cand t;

        if (l < n && search_better(&h[m], &h[l]))
            m = l;
        if (r < n && search_better(&h[m], &h[r]))
            m = r;
        if (m == i)
            return;
        t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void
search_heap_up(search_cand *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        search_cand t;

        if (!search_better(&h[p], &h[i]))
            return;
        t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void
search_cand_clear(search_cand *c)
{
    nx_free(c->title_key);
    nx_free(c->url_key);
    c->title_key = c->url_key = NULL;
}

static char *
search_col_dup(sqlite3_stmt *stmt, int col, bool *is_oom)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    char *copy;

    if (t == NULL || t[0] == '\0')
        return NULL;
    copy = nx_strdup((const char *)t);
    if (copy == NULL)
        *is_oom = true;
    return copy;
}

/*
 * Does the prior follow from the rank key alone?  With equal quality and
 * heat weights the prior is the item's level / 1023 (docs/ranking.md), and
 * without freshness the scan needs no column of the content table: FTS5
 * then reads only its doclists and the column sizes.
 */
static bool
search_is_key_only(const newsidx_query *q)
{
    return q->w.quality == q->w.heat && q->w.fresh_half_life <= 0 &&
           q->opts.sort == NEWSIDX_SORT_RANK;
}

/* The prior factor of a key-only scan's row: from its rank key's level. */
static double
search_key_prior(const newsidx_query *q, int64_t rank_key)
{
    return nx_rank_prior_factor(&q->w, (double)nx_rank_key_level(rank_key) /
                                           (double)(NX_PRIOR_LEVELS - 1));
}

/* Score the current row of the scan statement into `c`. */
static void
search_score_row(const newsidx_query *q, sqlite3_stmt *stmt, bool has_text,
                 bool is_key_only, search_cand *c)
{
    c->rank_key = sqlite3_column_int64(stmt, 0);
    c->bm25 = has_text ? sqlite3_column_double(stmt, 1) : 1.0;
    if (is_key_only) {
        c->prior = search_key_prior(q, c->rank_key);
        c->fresh = 1.0;
    } else {
        bool has_q = sqlite3_column_type(stmt, 2) != SQLITE_NULL;
        bool has_h = sqlite3_column_type(stmt, 3) != SQLITE_NULL;
        bool has_d = sqlite3_column_type(stmt, 4) != SQLITE_NULL;

        c->prior = nx_rank_prior_factor(
            &q->w, nx_rank_prior(&q->w, has_q, sqlite3_column_int64(stmt, 2),
                                 has_h, sqlite3_column_int64(stmt, 3)));
        c->fresh = nx_rank_fresh(&q->w, has_d, sqlite3_column_int64(stmt, 4));
    }
    c->score = c->bm25 * c->prior * c->fresh;
    c->title_key = c->url_key = NULL;
}

/* Keep `c` if it is among the best `cap`, with its collapse keys from
 * columns 5 and 6 of `stmt`: the scan statement, or the row lookup of a
 * key-only scan (bound to c's rank key here).  False on out-of-memory. */
static bool
search_keep(search_run *run, search_cand *c, sqlite3_stmt *stmt,
            sqlite3_stmt *lookup)
{
    bool is_oom = false;

    if (run->n_cands == run->cap && !search_better(c, &run->cands[0]))
        return true;
    if (lookup != NULL) {
        sqlite3_reset(lookup);
        sqlite3_bind_int64(lookup, 1, c->rank_key);
        stmt = sqlite3_step(lookup) == SQLITE_ROW ? lookup : NULL;
    }
    c->title_key = stmt != NULL ? search_col_dup(stmt, 5, &is_oom) : NULL;
    c->url_key = stmt != NULL ? search_col_dup(stmt, 6, &is_oom) : NULL;
    if (run->n_cands == run->cap) {
        search_cand_clear(&run->cands[0]);
        run->cands[0] = *c;
        search_heap_down(run->cands, run->n_cands, 0);
    } else {
        run->cands[run->n_cands] = *c;
        search_heap_up(run->cands, run->n_cands++);
    }
    return !is_oom;
}

/* Could a row of rank key `key`, or any later one, beat the worst kept? */
static bool
search_may_improve(const search_run *run, const newsidx_query *q, int64_t key,
                   bool has_text)
{
    int level = nx_rank_key_level(key);
    double bound;

    if (run->n_cands < run->cap || q->opts.sort != NEWSIDX_SORT_RANK)
        return true;
    /* With unpublished items included, rows of any level follow the
     * published ones. */
    if (q->opts.include_unpublished && key < NX_RANK_UNPUBLISHED)
        level = NX_PRIOR_LEVELS - 1;
    if (has_text && !q->idx->rank.has_bound)
        return true;
    bound = (has_text ? q->idx->rank.text_bound : 1.0) *
            q->idx->rank.level_bound[level < 0 ? 0 : level];
    /* A little slack for rounding: never stop on a near-tie. */
    return bound * (1.0 + 1e-9) >= run->cands[0].score;
}

static const char *const search_order[] = {
    [NEWSIDX_SORT_RANK] = " ORDER BY fts.rowid",
    [NEWSIDX_SORT_DATE] = " ORDER BY fts.published_at DESC NULLS LAST,"
                          " fts.rowid LIMIT ?",
    [NEWSIDX_SORT_QUALITY] = " ORDER BY fts.quality DESC NULLS LAST,"
                             " fts.rowid LIMIT ?",
    [NEWSIDX_SORT_HEAT] = " ORDER BY fts.heat DESC NULLS LAST, fts.rowid"
                          " LIMIT ?",
};

/*
 * The rows holding each phrase of the query's MATCH expression, from the
 * terms table where it knows them (single words), so that nx_bm25f need
 * not walk those doclists for the idf; -1 elsewhere.  Phrases are numbered
 * as FTS5 numbers them: in the order parse.c wrote them, which is the
 * order of q->parsed->terms.  *n_df = 0 when there is nothing to give.
 */
static int
search_term_df(newsidx_query *q, int64_t *df, int *n_df, newsidx_error *err)
{
    const nx_parsed *p = q->parsed;
    int i, rc = SQLITE_OK;

    *n_df = 0;
    if (p == NULL || q->self_key != 0 || p->n_terms > SEARCH_MAX_TERMS)
        return NEWSIDX_OK;
    for (i = 0; i < (int)p->n_terms && rc == SQLITE_OK; i++) {
        df[i] = -1;
        if (!p->terms[i].is_prefix && !p->terms[i].is_column)
            rc = nx_terms_df(q->idx, p->terms[i].text, strlen(p->terms[i].text),
                             &df[i]);
    }
    if (rc != SQLITE_OK)
        return nx_store_error(q->idx, rc, "cannot read the term counts", err);
    *n_df = (int)p->n_terms;
    return NEWSIDX_OK;
}

/* A ranked scan under way, whichever way it reads its rows. */
typedef struct search_walk {
    search_run *run;
    newsidx_query *q;
    sqlite3_stmt *stmt;   /* the scan statement (columns 5, 6), or NULL */
    sqlite3_stmt *lookup; /* collapse keys of a key-only scan, or NULL */
    bool has_text;
    bool is_oom;
} search_walk;

/* Take one row of a ranked scan, scored into `c`; false when the scan
 * should end (out of memory, or no later row can get in). */
static bool
search_take(search_walk *w, search_cand *c)
{
    search_run *run = w->run;

    run->n_rows++;
    if (!search_may_improve(run, w->q, c->rank_key, w->has_text)) {
        run->is_complete = false; /* later rows cannot get in */
        run->is_counted = false;
        return false;
    }
    if (c->bm25 < 0) { /* cut by nx_bm25f's cheap bound */
        run->is_complete = false;
        return true;
    }
    if (run->n_cands == run->cap)
        run->is_complete = false; /* something may be dropped */
    w->is_oom = !search_keep(run, c, w->stmt, w->lookup);
    /* Rows that cannot beat the worst kept need no exact score. */
    if (run->n_cands == run->cap && w->has_text)
        w->q->idx->rank.threshold = run->cands[0].score;
    return !w->is_oom;
}

/* nx_scan's visitor (a ranked scan of one phrase): rows come in rank-key
 * order, the unpublished ones last. */
static bool
search_visit(void *ctx, int64_t rank_key, double bm25)
{
    search_walk *w = ctx;
    search_cand c;

    if (!w->q->opts.include_unpublished && rank_key >= NX_RANK_UNPUBLISHED)
        return false; /* every published match has been seen */
    c.rank_key = rank_key;
    c.bm25 = bm25;
    c.prior = search_key_prior(w->q, rank_key);
    c.fresh = 1.0;
    c.score = c.bm25 * c.prior * c.fresh;
    c.title_key = c.url_key = NULL;
    return search_take(w, &c);
}

/*
 * Can the ranked scan run inside FTS5 (nx_scan)?  For a query of one word,
 * prefix or phrase and nothing else that needs SQL: no filter, exclusion
 * or date range, and a prior from the rank key.  That walks the phrase's
 * rows in one call instead of one SQL row (and one function call) each.
 */
static bool
search_is_one_phrase(const newsidx_query *q)
{
    const nx_parsed *p = q->parsed;

    return search_is_key_only(q) && p != NULL && p->n_terms == 1 &&
           p->n_filters == 0 && p->exclude[0] == '\0' && q->self_key == 0 &&
           !q->opts.has_since && !q->opts.has_until;
}

/* One pass over the matches, keeping the best run->cap candidates. */
static int
search_scan(search_run *run, newsidx_query *q, newsidx_error *err)
{
    bool has_text = q->match[0] != '\0';
    bool is_key_only = search_is_key_only(q);
    bool is_one_phrase = has_text && search_is_one_phrase(q);
    nx_rank_state *rank = &q->idx->rank;
    int64_t df[SEARCH_MAX_TERMS];
    double level_bound[NX_PRIOR_LEVELS];
    int i, n_df = 0;
    search_walk w;
    search_sql s;
    sqlite3_stmt *stmt = NULL, *lookup = NULL;
    char head[160];
    int rc, step = SQLITE_DONE;

    if (is_one_phrase)
        snprintf(head, sizeof(head), "SELECT nx_scan(fts, ?, ?, ?)");
    else
        snprintf(head, sizeof(head), "SELECT fts.rowid, %s%s",
                 has_text ? "nx_bm25f(fts, ?, ?, ?)" : "0",
                 is_key_only ? ""
                             : ", fts.quality, fts.heat, fts.published_at,"
                               " fts.title, fts.url_key");
    nx_search_where(&s, q);
    if (has_text && s.n_params + 3 > SEARCH_MAX_PARAMS)
        s.is_overflow = true;
    else if (has_text) { /* the weights go first: they are in the head */
        memmove(&s.params[3], &s.params[0], s.n_params * sizeof(s.params[0]));
        s.n_params += 3;
        s.params[0].is_text = s.params[1].is_text = false;
        s.params[2].is_text = false;
    }
    if (q->opts.sort != NEWSIDX_SORT_RANK)
        sql_param_int(&s, (int64_t)run->cap);
    rc = nx_search_prepare(
        &stmt, q->idx, &s, head,
        is_one_phrase ? " LIMIT 1" : search_order[q->opts.sort], err);
    if (rc == NEWSIDX_OK && has_text) {
        sqlite3_bind_double(stmt, 1, q->w.title);
        sqlite3_bind_double(stmt, 2, q->w.excerpt);
        sqlite3_bind_double(stmt, 3, q->w.body);
    }
    if (rc == NEWSIDX_OK && is_key_only &&
        sqlite3_prepare_v2(q->idx->db,
                           "SELECT rowid, 0, 0, 0, 0, title, url_key FROM fts"
                           " WHERE rowid = ?",
                           -1, &lookup, NULL) != SQLITE_OK)
        rc = nx_store_error(q->idx, sqlite3_errcode(q->idx->db),
                            "cannot run the query", err);
    if (rc == NEWSIDX_OK && has_text)
        rc = search_term_df(q, df, &n_df, err);
    w.run = run;
    w.q = q;
    w.stmt = is_key_only ? NULL : stmt;
    w.lookup = lookup;
    w.has_text = has_text;
    w.is_oom = false;
    rank->has_bound = false;
    rank->threshold = -1;
    for (i = 0; i < NX_PRIOR_LEVELS; i++)
        level_bound[i] = nx_rank_level_bound(&q->w, i);
    rank->level_bound = level_bound;
    rank->df = n_df > 0 ? df : NULL;
    rank->n_df = n_df;
    rank->visit = is_one_phrase ? search_visit : NULL;
    rank->visit_ctx = &w;
    run->is_complete = true;
    /* Without a LIMIT in the SQL, a scan that runs to its end has seen
     * every match: newsidx_query_run then needs no count(*). */
    run->is_counted = q->opts.sort == NEWSIDX_SORT_RANK;
    while (rc == NEWSIDX_OK && !w.is_oom &&
           (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        search_cand c;

        if (is_one_phrase) /* nx_scan has visited every row it needed */
            continue;
        search_score_row(q, stmt, has_text, is_key_only, &c);
        if (q->opts.sort == NEWSIDX_SORT_RANK) {
            if (!search_take(&w, &c) && !w.is_oom) {
                step = SQLITE_DONE; /* stopped early */
                break;
            }
            continue;
        }
        run->n_rows++;
        c.score = c.bm25 * c.prior * c.fresh;
        c.title_key = search_col_dup(stmt, 5, &w.is_oom);
        c.url_key = search_col_dup(stmt, 6, &w.is_oom);
        run->cands[run->n_cands++] = c;
    }
    rank->threshold = -1;
    rank->level_bound = NULL;
    rank->df = NULL;
    rank->n_df = 0;
    rank->visit = NULL;
    rank->visit_ctx = NULL;
    if (q->opts.sort != NEWSIDX_SORT_RANK && run->n_cands == run->cap)
        run->is_complete = false;
    if (w.is_oom || step != SQLITE_DONE)
        run->is_counted = false;
    if (rc == NEWSIDX_OK && w.is_oom)
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    else if (rc == NEWSIDX_OK && step != SQLITE_DONE)
        rc = nx_store_error(q->idx, step, "cannot run the query", err);
    sqlite3_finalize(stmt);
    sqlite3_finalize(lookup);
    nx_search_sql_free(&s);
    return rc;
}

static int
search_cand_cmp(const void *a, const void *b)
{
    const search_cand *x = a, *y = b;

    if (search_better(x, y))
        return -1;
    return search_better(y, x) ? 1 : 0;
}

static bool
search_same_story(const search_cand *a, const search_cand *b)
{
    return (a->url_key != NULL && b->url_key != NULL &&
            strcmp(a->url_key, b->url_key) == 0) ||
           (a->title_key != NULL && b->title_key != NULL &&
            strcmp(a->title_key, b->title_key) == 0);
}

/* Fold near-duplicates (same URL key or same normalized title) into the
 * best-placed one; returns the number of stories left at the front. */
static size_t
search_collapse(search_run *run, bool is_enabled)
{
    size_t i, j, n = 0;

    for (i = 0; i < run->n_cands; i++) {
        search_cand c = run->cands[i];

        for (j = 0; is_enabled && j < n; j++) {
            if (search_same_story(&run->cands[j], &c))
                break;
        }
        if (is_enabled && j < n) {
            run->cands[j].collapsed++;
            search_cand_clear(&c);
            continue;
        }
        c.collapsed = 1;
        run->cands[n++] = c;
    }
    run->n_cands = n;
    return n;
}

static void
search_run_free(search_run *run)
{
    size_t i;

    for (i = 0; i < run->n_cands; i++)
        search_cand_clear(&run->cands[i]);
    nx_free(run->cands);
    memset(run, 0, sizeof(*run));
}

/* The candidates for the requested page: scan, and scan again with room
 * for more rows when collapsing left too few stories. */
static int
search_candidates(search_run *run, newsidx_query *q, newsidx_error *err)
{
    uint64_t need = q->opts.offset + q->opts.limit;
    size_t cap = q->opts.no_collapse ? need : need * 2 + 6;
    int rc;

    for (;;) {
        memset(run, 0, sizeof(*run));
        run->cap = cap;
        run->cands = nx_calloc(cap, sizeof(*run->cands));
        if (run->cands == NULL)
            return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        rc = search_scan(run, q, err);
        if (rc != NEWSIDX_OK)
            return rc;
        if (q->opts.sort == NEWSIDX_SORT_RANK)
            qsort(run->cands, run->n_cands, sizeof(*run->cands),
                  search_cand_cmp);
        if (search_collapse(run, !q->opts.no_collapse) >= need ||
            run->is_complete || cap > ((size_t)1 << 26))
            return NEWSIDX_OK;
        search_run_free(run);
        cap *= 4;
    }
}

static int
search_count(newsidx_results *r, newsidx_error *err)
{
    search_sql s;
    sqlite3_stmt *stmt;
    int rc;

    nx_search_where(&s, r->q);
    rc = nx_search_prepare(&stmt, r->q->idx, &s, "SELECT count(*)", "", err);
    if (rc == NEWSIDX_OK) {
        int step = sqlite3_step(stmt);

        if (step == SQLITE_ROW)
            r->total = (uint64_t)sqlite3_column_int64(stmt, 0);
        else
            rc = nx_store_error(r->q->idx, step, "cannot run the query", err);
    }
    sqlite3_finalize(stmt);
    nx_search_sql_free(&s);
    return rc;
}

int
newsidx_query_run(newsidx_results **out, newsidx_query *q, newsidx_error *err)
{
    newsidx_results *r;
    search_run run;
    int rc;

    *out = NULL;
    nx_error_clear(err);
    memset(&run, 0, sizeof(run));
    r = nx_calloc(1, sizeof(*r));
    if (r == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    r->q = q;
    if (q->self_key != 0 && q->match[0] == '\0') {
        *out = r; /* the item shares no term with any other */
        return NEWSIDX_OK;
    }
    /* One read transaction: the scan, the count, the hits and the facets
     * all see the same snapshot while an indexer commits. */
    rc = nx_store_exec(q->idx, "BEGIN", err);
    if (rc == NEWSIDX_OK && !q->opts.is_count_only && q->opts.limit > 0)
        rc = search_candidates(&run, q, err);
    if (rc == NEWSIDX_OK && run.is_counted)
        r->total = run.n_rows; /* the scan saw every match */
    else if (rc == NEWSIDX_OK)
        rc = search_count(r, err);
    if (rc == NEWSIDX_OK && run.n_cands > q->opts.offset)
        rc = nx_hits_fill(r, run.cands + q->opts.offset,
                          run.n_cands - (size_t)q->opts.offset < q->opts.limit
                              ? run.n_cands - (size_t)q->opts.offset
                              : q->opts.limit,
                          err);
    if (rc == NEWSIDX_OK && q->opts.facets != 0)
        rc = nx_facets_count(r, err);
    if (rc == NEWSIDX_OK && r->total < 3 && q->parsed != NULL)
        r->n_suggestions =
            nx_suggest(&r->suggestions, q->idx, q->text, q->parsed);
    search_run_free(&run);
    nx_store_rollback(q->idx); /* ends the read transaction */
    if (rc != NEWSIDX_OK) {
        newsidx_results_free(r);
        return rc;
    }
    *out = r;
    return NEWSIDX_OK;
}
