/*
 * search.c - running a query: the candidates (from the engine, or from SQL
 * when the engine cannot run the query), collapsing near-duplicate
 * stories, paging, the total count, and the SQL that the fallback, the
 * facets and the benchmark baselines share.  Hits are filled in by hits.c.
 *
 * The SQL scan scores every match in SQL order and keeps the best M; it is
 * the reference the engine is tested against (tests/unit/test_search.c),
 * and what runs for queries the engine declines (engine.c says which).
 * Either way a candidate's score is bm25f x prior x fresh and ties go to
 * the lower item id, as in `ORDER BY score DESC, id`.
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

static void
search_filter_sql(search_sql *s, const nx_filter *f, const nx_tags *tags)
{
    static const char *const columns[] = {
        [NX_FILTER_DATE] = "i.published_at",
        [NX_FILTER_QUALITY] = "i.quality",
        [NX_FILTER_HEAT] = "i.heat",
    };

    if (f->kind <= NX_FILTER_LAST_TAG) {
        if (tags->match == NULL) { /* nothing in the index fits */
            if (!f->is_negated)
                nx_buf_puts(&s->where, " AND 0");
            return;
        }
        /* "+" keeps SQLite from handing the IN list to FTS5 as rowid
         * lookups, which would rerun the search once per value. */
        nx_buf_printf(&s->where,
                      " AND +i.id %sIN (SELECT rowid FROM fts WHERE fts"
                      " MATCH ?)",
                      f->is_negated ? "NOT " : "");
        sql_param_text(s, tags->match);
        return;
    }
    nx_buf_printf(&s->where, " AND %s", f->is_negated ? "NOT " : "");
    search_range_sql(s, columns[f->kind], f->has_lo, f->lo, f->has_hi, f->hi);
}

/* Build "FROM ... WHERE ..." for the query into s->where: the matching
 * items, as `i` (items), joined to `fts` when the query has text; with
 * `is_hidden`, those left out for being unpublished. */
static void
search_where(search_sql *s, const newsidx_query *q, bool is_hidden)
{
    size_t i;

    memset(s, 0, sizeof(*s));
    if (q->match[0] != '\0') {
        nx_buf_puts(&s->where, " FROM fts JOIN items i ON i.id = fts.rowid"
                               " WHERE fts MATCH ?");
        sql_param_text(s, q->match);
    } else {
        nx_buf_puts(&s->where, " FROM items i WHERE 1");
    }
    if (q->parsed != NULL && q->parsed->exclude[0] != '\0') {
        nx_buf_puts(&s->where, " AND +i.id NOT IN (SELECT rowid FROM"
                               " fts WHERE fts MATCH ?)");
        sql_param_text(s, q->parsed->exclude);
    }
    if (is_hidden)
        nx_buf_puts(&s->where, " AND i.published IS 0");
    else if (!q->opts.include_unpublished)
        nx_buf_puts(&s->where, " AND i.published IS NOT 0");
    if (q->opts.has_since || q->opts.has_until) {
        nx_buf_puts(&s->where, " AND ");
        search_range_sql(s, "i.published_at", q->opts.has_since, q->opts.since,
                         q->opts.has_until, q->opts.until);
    }
    if (q->self_id != 0) {
        nx_buf_puts(&s->where, " AND i.id <> ?");
        sql_param_int(s, q->self_id);
    }
    for (i = 0; q->parsed != NULL && i < q->parsed->n_filters; i++)
        search_filter_sql(s, &q->parsed->filters[i], &q->tags[i]);
}

void
nx_search_where(search_sql *s, const newsidx_query *q)
{
    search_where(s, q, false);
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
        return nx_db_error(idx, rc, "cannot run the query", err);
    }
    return NEWSIDX_OK;
}

/* Is candidate a better than b?  The sort key, then the lower id. */
static bool
search_better(const search_cand *a, const search_cand *b)
{
    return a->key > b->key ||
           (a->key == b->key && (a->member < b->member ||
                                 (a->member == b->member && a->id < b->id)));
}

/* Min-heap on "better": the root is the worst kept candidate.  Both
 * moves carry the moving candidate in a hole instead of swapping at each
 * level (a candidate is over a hundred bytes; a deep page keeps 20,000). */
static void
search_heap_down(search_cand *h, size_t n, size_t i)
{
    search_cand t = h[i];

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = l;

        if (l >= n)
            break;
        if (r < n && search_better(&h[l], &h[r]))
            m = r;
        if (!search_better(&t, &h[m]))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = t;
}

static void
search_heap_up(search_cand *h, size_t i)
{
    search_cand t = h[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;

        if (!search_better(&h[p], &t))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = t;
}

void
nx_search_offer(search_run *run, const search_cand *c)
{
    if (run->n_cands < run->cap) {
        run->cands[run->n_cands] = *c;
        search_heap_up(run->cands, run->n_cands++);
    } else if (run->cap > 0 && search_better(c, &run->cands[0])) {
        run->cands[0] = *c;
        search_heap_down(run->cands, run->n_cands, 0);
        run->is_complete = false; /* something was dropped */
    } else {
        run->is_complete = false;
    }
}

static void
search_cand_clear(search_cand *c)
{
    nx_free(c->title_key);
    nx_free(c->url_key);
    nx_free(c->folded);
    nx_free(c->folded_member);
    c->title_key = c->url_key = NULL;
    c->folded = NULL;
    c->folded_member = NULL;
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

void
nx_search_score(search_cand *c, const newsidx_query *q, double bm25,
                const nx_score_doc *doc)
{
    nx_score sc;

    nx_score_item(&sc, &q->w, q->opts.sort, bm25, doc);
    c->bm25 = sc.bm25;
    c->prior = sc.prior;
    c->fresh = sc.fresh;
    c->score = sc.score;
    c->key = sc.key;
}

/* Score the current row of the SQL scan: id, bm25, level, quality, heat,
 * published_at. */
static void
search_score_row(const newsidx_query *q, sqlite3_stmt *stmt, bool has_text,
                 search_cand *c)
{
    nx_score_doc doc;

    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(stmt, 0);
    doc.level = sqlite3_column_int(stmt, 2);
    doc.has_quality = sqlite3_column_type(stmt, 3) != SQLITE_NULL;
    doc.quality = sqlite3_column_int64(stmt, 3);
    doc.has_heat = sqlite3_column_type(stmt, 4) != SQLITE_NULL;
    doc.heat = sqlite3_column_int64(stmt, 4);
    doc.has_date = sqlite3_column_type(stmt, 5) != SQLITE_NULL;
    doc.date = sqlite3_column_int64(stmt, 5);
    nx_search_score(c, q, has_text ? sqlite3_column_double(stmt, 1) : 1.0,
                    &doc);
}

/* The rows holding term `t`: a word's or a phrase's words' counts into
 * df[0..*n) (a prefix: the sum of its words' into df[0]). */
static int
search_term_dfs_in(newsidx_index *idx, const nx_term *t, int64_t *df, int *n)
{
    if (t->is_prefix) {
        *n = 1;
        return nx_terms_prefix_df(idx, t->text, strlen(t->text), &df[0]);
    }
    return nx_terms_word_dfs(idx, t->text, strlen(t->text), df,
                             SEARCH_MAX_TERMS, n);
}

/* The same over several files: the counts of them all added up (one
 * tokenizer made every file's terms, so each gives as many). */
static int
search_term_dfs(newsidx_query *q, const nx_term *t, int64_t *df, int *n)
{
    int64_t more[SEARCH_MAX_TERMS];
    size_t m;
    int k, n_more, rc;

    if (q->coll == NULL)
        return search_term_dfs_in(q->idx, t, df, n);
    rc = search_term_dfs_in(q->coll->idx[0], t, df, n);
    for (m = 1; rc == SQLITE_OK && m < q->coll->n; m++) {
        rc = search_term_dfs_in(q->coll->idx[m], t, more, &n_more);
        for (k = 0; rc == SQLITE_OK && k < *n && k < n_more; k++)
            df[k] += more[k];
    }
    return rc;
}

/*
 * The idf of each phrase of `match`, in its order (docs/ranking.md): a
 * word's from its count, a phrase's the sum of its words' (as in Lucene),
 * a prefix's from the rows of the words it stands for (with repeats, at
 * most every row).  A word's other forms (is_form) share its family's idf
 * (that of the family's most frequent member), and count form-weight
 * times it: an exact form ranks above a stem-only match.  The NOT parts
 * inside a general expression never match: 0.
 */
int
nx_search_idf(newsidx_query *q, int64_t n_rows, double *idf, int *n_out,
              newsidx_error *err)
{
    const nx_parsed *p = q->parsed;
    int64_t df[SEARCH_MAX_TERMS], fam[SEARCH_MAX_TERMS];
    int i, k, n, rc = SQLITE_OK;

    *n_out = 0;
    if (p == NULL || p->n_phrases > SEARCH_MAX_TERMS ||
        p->n_terms > SEARCH_MAX_TERMS)
        return NEWSIDX_OK;
    for (i = 0; i < (int)p->n_phrases; i++)
        idf[i] = 0;
    for (i = 0; i < (int)p->n_terms && rc == SQLITE_OK; i++) {
        const nx_term *t = &p->terms[i];
        double v = 0;

        rc = search_term_dfs(q, t, df, &n);
        for (k = 0; rc == SQLITE_OK && k < n; k++)
            v += nx_rank_idf(n_rows, df[k] < n_rows ? df[k] : n_rows);
        idf[t->phrase] = v;
        /* A family's most frequent member, at its word typed. */
        fam[i] = n == 1 ? df[0] : -1;
        if (t->family != (size_t)i && fam[i] > fam[t->family])
            fam[t->family] = fam[i];
    }
    if (rc == SQLITE_TOOBIG)
        return NEWSIDX_OK; /* too many words: nx_bm25f counts */
    if (rc != SQLITE_OK)
        return nx_db_error(q->idx, rc, "cannot read the term counts", err);
    for (i = 0; i < (int)p->n_terms; i++) {
        const nx_term *t = &p->terms[i];
        int64_t f = fam[t->family];

        if (p->terms[t->family].is_prefix || f < 0 ||
            (!t->is_form && t->family + 1 < p->n_terms &&
             !p->terms[t->family + 1].is_form))
            continue; /* no family */
        idf[t->phrase] = nx_rank_idf(n_rows, f < n_rows ? f : n_rows) *
                         (t->is_form ? q->w.form : 1.0);
    }
    *n_out = (int)p->n_phrases;
    return NEWSIDX_OK;
}

int
nx_search_rows(newsidx_query *q, int64_t *n_rows, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    nx_fr *r = NULL;
    int rc;

    if (q->coll != NULL) {
        *n_rows = q->coll->n_rows;
        return NEWSIDX_OK;
    }
    rc = nx_fr_open(&r, q->idx->db, err);
    if (rc != NEWSIDX_OK)
        return rc;
    if (r != NULL) {
        *n_rows = nx_fr_rows(r);
        nx_fr_close(r);
        return NEWSIDX_OK;
    }
    /* Another FTS5 format: count (every fts row is an item). */
    rc = sqlite3_prepare_v2(q->idx->db, "SELECT count(*) FROM items", -1, &stmt,
                            NULL);
    if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        *n_rows = sqlite3_column_int64(stmt, 0);
    else if (rc == SQLITE_OK)
        rc = sqlite3_errcode(q->idx->db);
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(q->idx, rc, "cannot read the index", err);
}

/* The SQL scan: every match scored, the best run->cap kept; with `only`
 * (" AND i.id IN (...)"), the matches among those items alone. */
static int
search_sql_scan(search_run *run, newsidx_query *q, const char *only,
                newsidx_error *err)
{
    bool has_text = q->match[0] != '\0';
    nx_rank_state *rank = &q->half->rank;
    double idf[SEARCH_MAX_TERMS];
    int64_t n_rows = 0;
    int n_idf = 0;
    search_sql s;
    sqlite3_stmt *stmt = NULL;
    char head[160];
    int rc, step = SQLITE_DONE;

    snprintf(head, sizeof(head),
             "SELECT i.id, %s, i.level, i.quality, i.heat, i.published_at",
             has_text ? "nx_bm25f(fts, ?, ?, ?)" : "0");
    nx_search_where(&s, q);
    if (only != NULL)
        nx_buf_puts(&s.where, only);
    if (has_text && s.n_params + 3 > SEARCH_MAX_PARAMS)
        s.is_overflow = true;
    else if (has_text) { /* the weights go first: they are in the head */
        memmove(&s.params[3], &s.params[0], s.n_params * sizeof(s.params[0]));
        s.n_params += 3;
        s.params[0].is_text = s.params[1].is_text = false;
        s.params[2].is_text = false;
    }
    rc = nx_search_prepare(&stmt, q->idx, &s, head, "", err);
    if (rc == NEWSIDX_OK && has_text) {
        sqlite3_bind_double(stmt, 1, q->w.title);
        sqlite3_bind_double(stmt, 2, q->w.excerpt);
        sqlite3_bind_double(stmt, 3, q->w.body);
    }
    /* The rows, for the idfs; and FTS5's structure record checked (by
     * nx_fr_open) before FTS5 itself reads it, which trusts its sizes. */
    if (rc == NEWSIDX_OK && has_text)
        rc = nx_search_rows(q, &n_rows, err);
    if (rc == NEWSIDX_OK && has_text)
        rc = nx_search_idf(q, n_rows, idf, &n_idf, err);
    rank->idf = n_idf > 0 ? idf : NULL;
    rank->n_idf = n_idf;
    rank->avg = q->coll != NULL ? q->coll->avg : NULL;
    while (rc == NEWSIDX_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        search_cand c;

        search_score_row(q, stmt, has_text, &c);
        run->n_rows++;
        nx_search_offer(run, &c);
    }
    rank->idf = NULL;
    rank->n_idf = 0;
    rank->avg = NULL;
    if (rc == NEWSIDX_OK && step != SQLITE_DONE)
        rc = nx_db_error(q->idx, step, "cannot run the query", err);
    run->is_counted = rc == NEWSIDX_OK;
    sqlite3_finalize(stmt);
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

/* A candidate's title key: its display title normalized, as the fts
 * table's title column holds it (nx_normalize of the same text), but read
 * from the items row: through the fts table a row costs twice as much,
 * and a query that counts its stories reads up to NX_STORIES_EXACT_MAX of
 * them.  Text the file holds out of shape is made valid first.  NULL for
 * no title (or an empty one); sets *is_oom. */
static char *
search_title_key(sqlite3_stmt *stmt, int col, bool *is_oom)
{
    const char *t = (const char *)sqlite3_column_text(stmt, col);
    size_t len = (size_t)sqlite3_column_bytes(stmt, col);
    nx_buf valid = NX_BUF_INIT, key = NX_BUF_INIT;
    bool is_ok = true;

    if (t == NULL || len == 0)
        return NULL;
    if (!nx_utf8_valid(t, len)) {
        is_ok = nx_utf8_sanitize(&valid, t, len, NULL, NULL) &&
                nx_buf_reserve(&valid, 0);
        t = valid.data;
        len = valid.len;
    }
    is_ok = is_ok && nx_normalize(&key, t, len) && nx_buf_reserve(&key, 0);
    nx_buf_free(&valid);
    if (!is_ok) {
        nx_buf_free(&key);
        *is_oom = true;
        return NULL;
    }
    if (key.len == 0) {
        nx_buf_free(&key);
        return NULL;
    }
    return nx_buf_detach(&key);
}

/* Which key of a candidate: its URL key or its title key. */
enum { SEARCH_URL, SEARCH_TITLE };

/* key_flags: the keys themselves are read (search_strings). */
#define SEARCH_HAS_STRINGS 0x100u

/* The statements of the read half's key_stmt, by slot. */
enum { SEARCH_STMT_KEYS, SEARCH_STMT_URL_ROWS, SEARCH_STMT_TITLE_ROWS };
static const char *const search_stmt_sql[NX_KEY_STMTS] = {
    [SEARCH_STMT_KEYS] = "SELECT title, url_key FROM items WHERE id = ?",
    /* (the condition lets SQLite use the partial index items_url_key) */
    [SEARCH_STMT_URL_ROWS] =
        "SELECT id FROM items WHERE url_key = ?1 AND url_key <> ''",
    [SEARCH_STMT_TITLE_ROWS] = "SELECT id FROM title_keys WHERE hash = ?1",
};

/* Statement `which` on q's file, prepared on first use and kept (a page's
 * keys take dozens), reset. */
static int
search_stmt(sqlite3_stmt **out, newsidx_query *q, int which, newsidx_error *err)
{
    sqlite3_stmt **slot = &q->half->key_stmt[which];
    int rc = SQLITE_OK;

    if (*slot == NULL)
        rc = sqlite3_prepare_v3(q->idx->db, search_stmt_sql[which], -1,
                                SQLITE_PREPARE_PERSISTENT, slot, NULL);
    else
        sqlite3_reset(*slot);
    *out = *slot;
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(q->idx, rc, "cannot run the query", err);
}

/* A candidate's keys themselves, from its items row (in its own file),
 * once; their hashes and flags then follow the keys read. */
static int
search_strings(search_cand *c, newsidx_query *q, newsidx_error *err)
{
    newsidx_query *qm = nx_query_member(q, c->member);
    sqlite3_stmt *stmt;
    bool is_oom = false;
    int rc;

    if (c->key_flags & SEARCH_HAS_STRINGS)
        return NEWSIDX_OK;
    rc = search_stmt(&stmt, qm, SEARCH_STMT_KEYS, err);
    if (rc != NEWSIDX_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, c->id);
    c->key_flags = SEARCH_HAS_STRINGS;
    if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        c->title_key = search_title_key(stmt, 0, &is_oom);
        c->url_key = search_col_dup(stmt, 1, &is_oom);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return nx_db_error(qm->idx, rc, "cannot run the query", err);
    if (c->url_key != NULL) {
        c->key_flags |= NX_DOC_HAS_URL_KEY;
        c->url_hash = nx_hash64(c->url_key, strlen(c->url_key));
    }
    if (c->title_key != NULL) {
        c->key_flags |= NX_DOC_HAS_TITLE_KEY;
        c->title_hash = nx_hash64(c->title_key, strlen(c->title_key));
    }
    return is_oom ? nx_fail(err, NEWSIDX_NOMEM, "out of memory") : NEWSIDX_OK;
}

typedef struct search_by_id {
    int64_t id;
    size_t i;
} search_by_id;

static int
search_by_id_cmp(const void *a, const void *b)
{
    int64_t x = ((const search_by_id *)a)->id,
            y = ((const search_by_id *)b)->id;

    return (x > y) - (x < y);
}

/* The candidates into order[] grouped by docinfo block, the blocks
 * rising (a counting sort); false, with order[] holding them as they
 * are, when their blocks span too wide a range for it (then sort). */
static bool
search_by_block(search_by_id *order, const search_run *run)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t i, range, *at;

    for (i = 0; i < run->n_cands; i++) {
        int64_t b = run->cands[i].id >> NX_DOCINFO_SHIFT;

        order[i].id = run->cands[i].id;
        order[i].i = i;
        lo = b < lo ? b : lo;
        hi = b > hi ? b : hi;
    }
    if (hi - lo < 0 || (uint64_t)(hi - lo) > 4 * run->n_cands + 1024)
        return false;
    range = (size_t)(hi - lo) + 1;
    at = nx_calloc(range + 1, sizeof(*at));
    if (at == NULL)
        return false;
    for (i = 0; i < run->n_cands; i++)
        at[(run->cands[i].id >> NX_DOCINFO_SHIFT) - lo + 1]++;
    for (i = 1; i <= range; i++)
        at[i] += at[i - 1];
    for (i = 0; i < run->n_cands; i++) {
        size_t k = at[(run->cands[i].id >> NX_DOCINFO_SHIFT) - lo]++;

        order[k].id = run->cands[i].id;
        order[k].i = i;
    }
    nx_free(at);
    return true;
}

/* Candidates of one docinfo block from which search_hashes reads the
 * block's flags and hashes whole. */
#define SEARCH_WHOLE_BLOCK 16

/* The hashes of the candidates' collapse keys, from docinfo (the indexer
 * writes them with the item): a few bytes of a block each, in id order so
 * that each block is sought once, instead of an items row each and its
 * title normalized again. */
static int
search_hashes(search_run *run, newsidx_query *q, newsidx_error *err)
{
    search_by_id *order;
    sqlite3_blob *blob = NULL;
    unsigned char *buf;
    size_t i, j, k;
    int rc = SQLITE_OK;

    if (run->n_cands == 0)
        return NEWSIDX_OK;
    order = nx_malloc(run->n_cands * sizeof(*order));
    buf = nx_malloc(17 * NX_DOCINFO_SLOTS); /* flags, URL and title hashes */
    if (order == NULL || buf == NULL) {
        nx_free(order);
        nx_free(buf);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    if (!search_by_block(order, run))
        qsort(order, run->n_cands, sizeof(*order), search_by_id_cmp);
    for (i = 0; i < run->n_cands && rc == SQLITE_OK; i = k) {
        int64_t block = order[i].id >> NX_DOCINFO_SHIFT;
        bool is_whole;

        /* The candidates of this block; many read its arrays whole, a
         * few their slots (a read costs about the same either way). */
        for (k = i;
             k < run->n_cands && order[k].id >> NX_DOCINFO_SHIFT == block; k++)
            ;
        is_whole = k - i >= SEARCH_WHOLE_BLOCK;
        rc = nx_docinfo_seek(q->idx, &blob, block);
        if (rc == SQLITE_OK && is_whole)
            rc = sqlite3_blob_read(blob, buf, NX_DOCINFO_SLOTS,
                                   NX_DOCINFO_FLAGS_OFF);
        if (rc == SQLITE_OK && is_whole)
            rc = sqlite3_blob_read(blob, buf + NX_DOCINFO_SLOTS,
                                   16 * NX_DOCINFO_SLOTS, NX_DOCINFO_URL_OFF);
        for (j = i; j < k && rc == SQLITE_OK; j++) {
            search_cand *c = &run->cands[order[j].i];
            unsigned s = (unsigned)(c->id & (NX_DOCINFO_SLOTS - 1));
            const unsigned char *url = buf + NX_DOCINFO_SLOTS + 8 * s,
                                *title = url + 8 * NX_DOCINFO_SLOTS;
            unsigned char f = is_whole ? buf[s] : 0, h[16];

            if (!is_whole) {
                rc = sqlite3_blob_read(blob, &f, 1,
                                       NX_DOCINFO_FLAGS_OFF + (int)s);
                if (rc == SQLITE_OK && (f & NX_DOC_HAS_URL_KEY))
                    rc = sqlite3_blob_read(blob, h, 8,
                                           NX_DOCINFO_URL_OFF + 8 * (int)s);
                if (rc == SQLITE_OK && (f & NX_DOC_HAS_TITLE_KEY))
                    rc = sqlite3_blob_read(blob, h + 8, 8,
                                           NX_DOCINFO_TITLE_OFF + 8 * (int)s);
                url = h;
                title = h + 8;
            }
            c->key_flags = f & (NX_DOC_HAS_URL_KEY | NX_DOC_HAS_TITLE_KEY);
            if (f & NX_DOC_HAS_URL_KEY)
                c->url_hash = nx_docinfo_u64(url);
            if (f & NX_DOC_HAS_TITLE_KEY)
                c->title_hash = nx_docinfo_u64(title);
        }
    }
    sqlite3_blob_close(blob);
    nx_free(order);
    nx_free(buf);
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(q->idx, rc, "cannot read the collapse keys", err);
}

/* The first story head (a candidate's index) with each key seen: open
 * addressing over the keys' hashes. */
typedef struct search_keymap {
    uint64_t *hash;
    size_t *head; /* SIZE_MAX = an empty slot */
    size_t mask;  /* slots - 1, a power of two less one */
} search_keymap;

static bool
search_keymap_init(search_keymap *m, size_t n)
{
    size_t slots = 16, i;

    while (slots < n * 2)
        slots *= 2;
    m->hash = nx_malloc(slots * sizeof(*m->hash));
    m->head = nx_malloc(slots * sizeof(*m->head));
    m->mask = slots - 1;
    for (i = 0; m->head != NULL && i < slots; i++)
        m->head[i] = SIZE_MAX;
    return m->hash != NULL && m->head != NULL;
}

static void
search_keymap_free(search_keymap *m)
{
    nx_free(m->hash);
    nx_free(m->head);
}

static bool
search_has_key(const search_cand *c, int which)
{
    return (c->key_flags & (which == SEARCH_URL ? NX_DOC_HAS_URL_KEY
                                                : NX_DOC_HAS_TITLE_KEY)) != 0;
}

/* Do candidates a and b have the same key `which`: the same hash, and
 * with their strings read, the same string. */
static bool
search_same_key(const search_cand *a, const search_cand *b, int which)
{
    if (which == SEARCH_URL)
        return a->url_hash == b->url_hash &&
               (!(a->key_flags & b->key_flags & SEARCH_HAS_STRINGS) ||
                strcmp(a->url_key, b->url_key) == 0);
    return a->title_hash == b->title_hash &&
           (!(a->key_flags & b->key_flags & SEARCH_HAS_STRINGS) ||
            strcmp(a->title_key, b->title_key) == 0);
}

/* The slot of the first head with candidate c's key `which`, or the
 * empty slot where it would go. */
static size_t
search_keymap_slot(const search_keymap *m, const search_cand *cands,
                   const search_cand *c, int which)
{
    uint64_t h = which == SEARCH_URL ? c->url_hash : c->title_hash;
    size_t i = (size_t)(h ^ h >> 32) & m->mask;

    while (m->head[i] != SIZE_MAX &&
           !(m->hash[i] == h && search_same_key(&cands[m->head[i]], c, which)))
        i = (i + 1) & m->mask;
    return i;
}

/* The first head with c's key `which`, or SIZE_MAX; none without one. */
static size_t
search_keymap_get(const search_keymap *m, const search_cand *cands,
                  const search_cand *c, int which)
{
    if (!search_has_key(c, which))
        return SIZE_MAX;
    return m->head[search_keymap_slot(m, cands, c, which)];
}

/* Remember head `j` for its key `which` unless an earlier head has it. */
static void
search_keymap_put(search_keymap *m, const search_cand *cands, size_t j,
                  int which)
{
    const search_cand *c = &cands[j];
    size_t i;

    if (!search_has_key(c, which))
        return;
    i = search_keymap_slot(m, cands, c, which);
    if (m->head[i] == SIZE_MAX) {
        m->hash[i] = which == SEARCH_URL ? c->url_hash : c->title_hash;
        m->head[i] = j;
    }
}

/* Do candidates a and b really share a key (their hashes agree on one)?
 * Both keys are read (search_strings). */
static int
search_check_pair(search_cand *a, search_cand *b, newsidx_query *q,
                  bool *is_same, newsidx_error *err)
{
    int rc = search_strings(a, q, err);

    if (rc == NEWSIDX_OK)
        rc = search_strings(b, q, err);
    *is_same =
        rc == NEWSIDX_OK && ((a->url_key != NULL && b->url_key != NULL &&
                              strcmp(a->url_key, b->url_key) == 0) ||
                             (a->title_key != NULL && b->title_key != NULL &&
                              strcmp(a->title_key, b->title_key) == 0));
    return rc;
}

/* For each candidate, in rank order, the head it folds into (the first
 * candidate above it with its URL key or its title key that heads a
 * story), or SIZE_MAX when it heads one: into target[].  Without
 * `is_strings` the keys are compared by their hashes, and each fold so
 * found is checked against the keys themselves; *is_clash says one was
 * not real (two keys with one hash), and the caller runs again on the
 * keys. */
static int
search_fold_targets(search_run *run, newsidx_query *q, bool is_strings,
                    size_t *target, bool *is_clash, newsidx_error *err)
{
    search_keymap by_url, by_title;
    size_t i;
    int rc = NEWSIDX_OK;

    *is_clash = false;
    memset(&by_url, 0, sizeof(by_url));
    memset(&by_title, 0, sizeof(by_title));
    if (!search_keymap_init(&by_url, run->n_cands) ||
        !search_keymap_init(&by_title, run->n_cands))
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (i = 0; i < run->n_cands && rc == NEWSIDX_OK; i++) {
        const search_cand *c = &run->cands[i];
        size_t j = search_keymap_get(&by_url, run->cands, c, SEARCH_URL),
               t = search_keymap_get(&by_title, run->cands, c, SEARCH_TITLE);
        bool is_same = true;

        if (t < j)
            j = t;
        if (j != SIZE_MAX && !is_strings)
            rc = search_check_pair(&run->cands[i], &run->cands[j], q, &is_same,
                                   err);
        if (rc == NEWSIDX_OK && !is_same) {
            *is_clash = true;
            break;
        }
        target[i] = j;
        if (j == SIZE_MAX) {
            search_keymap_put(&by_url, run->cands, i, SEARCH_URL);
            search_keymap_put(&by_title, run->cands, i, SEARCH_TITLE);
        }
    }
    search_keymap_free(&by_url);
    search_keymap_free(&by_title);
    return rc;
}

/* The fold targets, from the hashes, or from the keys themselves when
 * two keys share a hash (search_fold_targets). */
static int
search_targets(search_run *run, newsidx_query *q, size_t *target,
               newsidx_error *err)
{
    bool is_clash;
    size_t i;
    int rc = search_fold_targets(run, q, false, target, &is_clash, err);

    if (rc != NEWSIDX_OK || !is_clash)
        return rc;
    for (i = 0; i < run->n_cands && rc == NEWSIDX_OK; i++)
        rc = search_strings(&run->cands[i], q, err);
    if (rc == NEWSIDX_OK)
        rc = search_fold_targets(run, q, true, target, &is_clash, err);
    return rc;
}

/* Append candidates c[0..n) (copies of head h, in the order given) to h's
 * folded ids and their files. */
static int
search_fold_in(search_cand *h, const search_cand *c, size_t n,
               newsidx_error *err)
{
    size_t total = (size_t)h->collapsed - 1 + n, i;
    int64_t *ids = nx_realloc(h->folded, total * sizeof(*ids));
    size_t *members;

    if (ids == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    h->folded = ids;
    members = nx_realloc(h->folded_member, total * sizeof(*members));
    if (members == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    h->folded_member = members;
    for (i = 0; i < n; i++) {
        ids[h->collapsed - 1] = c[i].id;
        members[h->collapsed - 1] = c[i].member;
        h->collapsed++;
    }
    return NEWSIDX_OK;
}

/* Fold near-duplicates (same URL key or same normalized title) into the
 * best-placed one, which records their ids; sets *n_out to the number of
 * stories left at the front.  Going down the ranked list, an item joins
 * the first story above it whose head has its URL key or its title (two
 * tables find that head at once, for any number of candidates), else it
 * heads a story of its own. */
static int
search_collapse(search_run *run, newsidx_query *q, size_t *n_out,
                newsidx_error *err)
{
    size_t *target = NULL, i, n = 0;
    int rc = NEWSIDX_OK;

    *n_out = run->n_cands;
    if (q->opts.no_collapse) {
        for (i = 0; i < run->n_cands; i++)
            run->cands[i].collapsed = 1;
        return NEWSIDX_OK;
    }
    target = nx_malloc((run->n_cands + 1) * sizeof(*target));
    if (target == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = search_targets(run, q, target, err);
    if (rc != NEWSIDX_OK) {
        nx_free(target);
        return rc;
    }
    for (i = 0; i < run->n_cands; i++) {
        search_cand c = run->cands[i];

        if (target[i] != SIZE_MAX) {
            if (rc == NEWSIDX_OK)
                rc = search_fold_in(&run->cands[target[target[i]]], &c, 1, err);
            search_cand_clear(&c);
            continue;
        }
        c.collapsed = 1;
        target[i] = n; /* a head: where it is now, for those below */
        run->cands[n++] = c;
    }
    nx_free(target);
    run->n_cands = n;
    *n_out = n;
    return rc;
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

/* One scan for the best run->cap candidates: by the engine, or in SQL when
 * the engine declines the query. */
static int
search_scan(search_run *run, newsidx_query *q, newsidx_error *err)
{
    bool is_declined;
    int rc = nx_engine_run(run, q, &is_declined, err);

    if (rc == NEWSIDX_OK && is_declined) {
        memset(run->cands, 0, run->cap * sizeof(*run->cands));
        run->n_cands = 0;
        run->n_rows = 0;
        run->is_complete = true;
        rc = search_sql_scan(run, q, NULL, err);
    }
    return rc;
}

/* What a candidate sorts by, and where it is: sorting these and moving
 * the candidates once costs a fraction of sorting the candidates. */
typedef struct search_order {
    double key;
    size_t member;
    int64_t id;
    size_t at;
} search_order;

static int
search_order_cmp(const void *a, const void *b)
{
    const search_order *x = a, *y = b;

    /* As search_better: keys neither above the other are a tie. */
    if (x->key > y->key)
        return -1;
    if (y->key > x->key)
        return 1;
    if (x->member != y->member)
        return x->member < y->member ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The candidates of a scan (a heap) in rank order (search_better). */
static int
search_sort(search_run *run, newsidx_error *err)
{
    search_order *o;
    search_cand *sorted;
    size_t i;

    if (run->n_cands < 2)
        return NEWSIDX_OK;
    o = nx_malloc(run->n_cands * sizeof(*o));
    sorted = nx_malloc(run->n_cands * sizeof(*sorted));
    if (o == NULL || sorted == NULL) {
        nx_free(o);
        nx_free(sorted);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    for (i = 0; i < run->n_cands; i++) {
        o[i].key = run->cands[i].key;
        o[i].member = run->cands[i].member;
        o[i].id = run->cands[i].id;
        o[i].at = i;
    }
    qsort(o, run->n_cands, sizeof(*o), search_order_cmp);
    for (i = 0; i < run->n_cands; i++)
        sorted[i] = run->cands[o[i].at];
    nx_free(run->cands);
    nx_free(o);
    run->cands = sorted;
    run->cap = run->n_cands; /* the scan is over: nothing more is offered */
    return NEWSIDX_OK;
}

/* One file's best `cap` candidates, in rank order, with the hashes of
 * their collapse keys when collapsing is on. */
static int
search_scan_sorted(search_run *run, newsidx_query *q, size_t cap,
                   newsidx_error *err)
{
    size_t i;
    int rc;

    memset(run, 0, sizeof(*run));
    run->cap = cap;
    run->is_complete = true;
    run->cands = nx_calloc(cap, sizeof(*run->cands));
    if (run->cands == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = search_scan(run, q, err);
    for (i = 0; i < run->n_cands; i++)
        run->cands[i].member = q->member;
    if (rc == NEWSIDX_OK)
        rc = search_sort(run, err);
    if (rc == NEWSIDX_OK && !q->opts.no_collapse)
        rc = search_hashes(run, q, err);
    return rc;
}

/* The candidates of several files in one list, in rank order: the best
 * `cap` of the collection, the list one index of all the items would
 * give.  Each file gave its best `cap`, so the collection's best `cap`
 * are among them, and rank above the last kept of each file that left
 * some out.  The counts are the files' added; the parts' candidates move
 * into `run`. */
static int
search_merge(search_run *run, search_run *parts, size_t n, size_t cap,
             newsidx_error *err)
{
    size_t m, i, n_all = 0, cut;

    memset(run, 0, sizeof(*run));
    run->is_complete = run->is_counted = run->has_hidden = true;
    for (m = 0; m < n; m++) {
        n_all += parts[m].n_cands;
        run->n_rows += parts[m].n_rows;
        run->n_hidden += parts[m].n_hidden;
        run->is_complete &= parts[m].is_complete;
        run->is_counted &= parts[m].is_counted;
        run->has_hidden &= parts[m].has_hidden;
    }
    run->cap = n_all;
    run->cands = nx_calloc(n_all + 1, sizeof(*run->cands));
    if (run->cands == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    cut = n_all < cap ? n_all : cap;
    for (m = 0; m < n; m++) {
        memcpy(run->cands + run->n_cands, parts[m].cands,
               parts[m].n_cands * sizeof(*run->cands));
        run->n_cands += parts[m].n_cands;
    }
    qsort(run->cands, run->n_cands, sizeof(*run->cands), search_cand_cmp);
    for (m = 0; m < n; m++) {
        const search_run *p = &parts[m];

        if (p->is_complete || p->n_cands == 0)
            continue;
        for (i = 0; i < cut; i++) {
            if (search_better(&p->cands[p->n_cands - 1], &run->cands[i]))
                break;
        }
        cut = i;
    }
    for (m = 0; m < n; m++)
        parts[m].n_cands = 0; /* moved */
    for (i = cut; i < run->n_cands; i++)
        search_cand_clear(&run->cands[i]);
    if (cut < run->n_cands)
        run->is_complete = false;
    run->n_cands = cut;
    return NEWSIDX_OK;
}

/* The candidates for the requested page: scan, and scan again with room
 * for more rows when collapsing left too few stories.  With `min_cap`, the
 * first scan has room for that many rows (every match, to count the
 * stories).  Over several files, each file is scanned so and the lists
 * merged (search_merge).  *n_folded_out = the rows collapsing folded. */
static int
search_candidates(search_run *run, newsidx_query *q, size_t min_cap,
                  uint64_t *n_folded_out, newsidx_error *err)
{
    uint64_t need = q->opts.offset + q->opts.limit;
    size_t cap = q->opts.no_collapse ? need : need * 2 + 6;
    size_t m, n = 1 + q->n_peers;
    search_run *parts = NULL;
    int rc;

    if (cap < min_cap)
        cap = min_cap;
    if (n > 1 && (parts = nx_calloc(n, sizeof(*parts))) == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (;;) {
        size_t n_before, n_stories = 0;

        if (n == 1) {
            rc = search_scan_sorted(run, q, cap, err);
        } else {
            memset(run, 0, sizeof(*run));
            rc = NEWSIDX_OK;
            for (m = 0; m < n && rc == NEWSIDX_OK; m++)
                rc = search_scan_sorted(&parts[m], nx_query_member(q, m), cap,
                                        err);
            if (rc == NEWSIDX_OK)
                rc = search_merge(run, parts, n, cap, err);
            for (m = 0; m < n; m++)
                search_run_free(&parts[m]);
        }
        n_before = run->n_cands;
        if (rc == NEWSIDX_OK)
            rc = search_collapse(run, q, &n_stories, err);
        if (rc != NEWSIDX_OK)
            break;
        *n_folded_out = n_before - n_stories;
        if (n_stories >= need || run->is_complete || cap > ((size_t)1 << 26))
            break;
        search_run_free(run);
        cap *= 4;
    }
    nx_free(parts);
    return rc;
}

/* How many stories the matches make (r->stories): exact when the scan saw
 * every match or when a scan of all of them is cheap (at most
 * NX_STORIES_EXACT_MAX), else the matches less the folds seen, an upper
 * bound.  `run` is the page's scan (empty for --count); it may be
 * replaced by a complete one. */
static int
search_stories(newsidx_results *r, search_run *run, bool has_scan,
               uint64_t n_folded, newsidx_error *err)
{
    newsidx_query *q = r->q;
    int rc = NEWSIDX_OK;

    r->stories = r->total;
    r->is_stories_exact = true;
    if (q->opts.no_collapse || r->total <= 1)
        return NEWSIDX_OK;
    if (has_scan && run->is_complete) {
        r->stories = run->n_cands; /* every match, collapsed */
        return NEWSIDX_OK;
    }
    if (r->total <= NX_STORIES_EXACT_MAX) {
        search_run_free(run);
        rc = search_candidates(run, q, (size_t)r->total + 1, &n_folded, err);
        if (rc != NEWSIDX_OK)
            return rc;
        has_scan = true;
        if (run->is_complete) {
            r->stories = run->n_cands;
            return NEWSIDX_OK;
        }
    }
    /* An upper bound, and never fewer than the stories seen (the count
     * and the scan are separate reads of a file that may be damaged). */
    r->is_stories_exact = false;
    if (has_scan && n_folded < r->total)
        r->stories = r->total - n_folded;
    if (has_scan && r->stories < run->n_cands)
        r->stories = run->n_cands;
    return NEWSIDX_OK;
}

/*
 * The copies of the page's hits that rank below the scan.  A scan keeps
 * the best M matches (search_candidates), so a copy of a hit that ranks
 * lower was not collapsed into it, and no page would list it: wherever a
 * scan reaches it, it folds into that hit.  Such a copy shares the hit's
 * URL key (items_url_key finds the items of a URL key) or its normalized
 * title (title_keys, by the title's hash); those of them that match the
 * query, are not in the scan, and have no head above the hit with a key
 * of theirs join it, below its copies from the scan, best first.  The
 * lists are then those of a walk over every match (tests/cli/T660).
 */

/* A list of (file, item) pairs. */
typedef struct search_ids {
    search_cand *c;
    size_t n, cap;
} search_ids;

static bool
search_ids_add(search_ids *l, int64_t id, size_t member)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        search_cand *grown = nx_realloc(l->c, cap * sizeof(*grown));

        if (grown == NULL)
            return false;
        l->c = grown;
        l->cap = cap;
    }
    memset(&l->c[l->n], 0, sizeof(l->c[l->n]));
    l->c[l->n].id = id;
    l->c[l->n].member = member;
    l->n++;
    return true;
}

static void
search_ids_free(search_ids *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        search_cand_clear(&l->c[i]);
    nx_free(l->c);
    memset(l, 0, sizeof(*l));
}

/* By file, then id. */
static int
search_ids_cmp(const void *a, const void *b)
{
    const search_cand *x = a, *y = b;

    if (x->member != y->member)
        return x->member < y->member ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The items of a scan, heads and folded: a set of (file, id). */
typedef struct search_idset {
    int64_t *id;
    size_t *member; /* SIZE_MAX = an empty slot */
    size_t mask;
} search_idset;

static size_t
search_idset_slot(const search_idset *set, size_t member, int64_t id)
{
    uint64_t h =
        ((uint64_t)id ^ (uint64_t)member << 56) * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 32) & set->mask;

    while (set->member[i] != SIZE_MAX &&
           !(set->member[i] == member && set->id[i] == id))
        i = (i + 1) & set->mask;
    return i;
}

static void
search_idset_put(search_idset *set, size_t member, int64_t id)
{
    size_t i = search_idset_slot(set, member, id);

    set->member[i] = member;
    set->id[i] = id;
}

/* The items of the scan into `set` (made here, freed by the caller). */
static int
search_scan_ids(search_idset *set, const search_run *run)
{
    size_t i, k, n = 0, slots = 16;

    for (i = 0; i < run->n_cands; i++)
        n += (size_t)run->cands[i].collapsed;
    while (slots < 2 * n)
        slots *= 2;
    set->id = nx_malloc(slots * sizeof(*set->id));
    set->member = nx_malloc(slots * sizeof(*set->member));
    set->mask = slots - 1;
    if (set->id == NULL || set->member == NULL)
        return NEWSIDX_NOMEM;
    for (i = 0; i < slots; i++)
        set->member[i] = SIZE_MAX;
    for (i = 0; i < run->n_cands; i++) {
        const search_cand *c = &run->cands[i];

        search_idset_put(set, c->member, c->id);
        for (k = 0; k + 1 < c->collapsed && c->folded != NULL; k++)
            search_idset_put(set, c->folded_member[k], c->folded[k]);
    }
    return NEWSIDX_OK;
}

/* Is (member, id) in the scan (search_scan_ids)? */
static bool
search_in_scan(const search_idset *set, size_t member, int64_t id)
{
    return set->member[search_idset_slot(set, member, id)] != SIZE_MAX;
}

/* The items of file qm (member m) that statement `which` (one
 * parameter: `text`, or `key` when text is NULL) gives, into `out`. */
static int
search_rows_of(search_ids *out, newsidx_query *qm, size_t m, int which,
               const char *text, int64_t key, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc = search_stmt(&stmt, qm, which, err);

    if (rc != NEWSIDX_OK)
        return rc;
    if (text != NULL)
        sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(stmt, 1, key);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!search_ids_add(out, sqlite3_column_int64(stmt, 0), m)) {
            sqlite3_reset(stmt);
            return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        }
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt); /* the text is the caller's */
    return rc == SQLITE_DONE
               ? NEWSIDX_OK
               : nx_db_error(qm->idx, rc, "cannot read the collapse keys", err);
}

/* Items of every file that may share a key with head h: those of its URL
 * key and those of its title's hash. */
static int
search_key_rows(search_ids *out, search_cand *h, newsidx_query *q,
                newsidx_error *err)
{
    size_t m, n = 1 + q->n_peers;
    int rc = search_strings(h, q, err);

    for (m = 0; m < n && rc == NEWSIDX_OK; m++) {
        newsidx_query *qm = nx_query_member(q, m);

        if (h->url_key != NULL)
            rc = search_rows_of(out, qm, m, SEARCH_STMT_URL_ROWS, h->url_key, 0,
                                err);
        if (rc == NEWSIDX_OK && h->title_key != NULL)
            rc = search_rows_of(out, qm, m, SEARCH_STMT_TITLE_ROWS, NULL,
                                (int64_t)h->title_hash, err);
    }
    return rc;
}

/* The first head of the scan (an index of run->cands) that really shares
 * a key with candidate x, or SIZE_MAX: the head x folds into if the scan
 * had reached it. */
static int
search_head_of(size_t *out, search_run *run, search_cand *x, newsidx_query *q,
               newsidx_error *err)
{
    size_t i;
    int rc = NEWSIDX_OK;

    *out = SIZE_MAX;
    for (i = 0; i < run->n_cands && rc == NEWSIDX_OK; i++) {
        search_cand *c = &run->cands[i];
        bool is_same;

        if (!(search_has_key(c, SEARCH_URL) && search_has_key(x, SEARCH_URL) &&
              c->url_hash == x->url_hash) &&
            !(search_has_key(c, SEARCH_TITLE) &&
              search_has_key(x, SEARCH_TITLE) &&
              c->title_hash == x->title_hash))
            continue;
        rc = search_check_pair(x, c, q, &is_same, err);
        if (rc == NEWSIDX_OK && is_same)
            *out = i;
        if (is_same)
            break;
    }
    return rc;
}
/* Of the items ids[0..n) of file m, those that match the query, scored
 * as the scan scores, appended to `out`. */
static int
search_score_ids(search_ids *out, const int64_t *ids, size_t n,
                 newsidx_query *q, size_t m, newsidx_error *err)
{
    nx_buf only = NX_BUF_INIT;
    search_run sr;
    size_t i;
    int rc;

    memset(&sr, 0, sizeof(sr));
    sr.cap = n;
    sr.cands = nx_calloc(n, sizeof(*sr.cands));
    /* fts.rowid when the query has text: FTS5 then looks each id up
     * (with i.id, SQLite walks every match and filters). */
    nx_buf_puts(&only, nx_query_member(q, m)->match[0] != '\0'
                           ? " AND fts.rowid IN ("
                           : " AND i.id IN (");
    for (i = 0; i < n; i++)
        nx_buf_printf(&only, "%s%lld", i ? "," : "", (long long)ids[i]);
    nx_buf_puts(&only, ")");
    nx_buf_putc(&only, '\0');
    if (sr.cands == NULL || nx_buf_oom(&only))
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    else
        rc = search_sql_scan(&sr, nx_query_member(q, m), only.data, err);
    for (i = 0; rc == NEWSIDX_OK && i < sr.n_cands; i++) {
        if (!search_ids_add(out, sr.cands[i].id, m))
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        else
            out->c[out->n - 1].key = sr.cands[i].key;
    }
    nx_free(sr.cands);
    nx_buf_free(&only);
    return rc;
}

/* Does x have a key of h's by hash? */
static bool
search_hash_shared(const search_cand *x, const search_cand *h)
{
    return (search_has_key(x, SEARCH_URL) && search_has_key(h, SEARCH_URL) &&
            x->url_hash == h->url_hash) ||
           (search_has_key(x, SEARCH_TITLE) &&
            search_has_key(h, SEARCH_TITLE) && x->title_hash == h->title_hash);
}

/* Append `more` (each a copy of head h), best first, to h's folded ids. */
static int
search_fold_more(search_cand *h, search_ids *more, newsidx_error *err)
{
    qsort(more->c, more->n, sizeof(*more->c), search_cand_cmp);
    return search_fold_in(h, more->c, more->n, err);
}

/* What completing a page's hits needs of its scan, made once a page:
 * its items (a set), the first head of each key hash, and, when a hit
 * has many same-key items to sift, each file's matches as bits. */
typedef struct search_page {
    search_idset scan;
    search_keymap by_url, by_title; /* over the heads, by hash */
    uint64_t **marks;               /* per file, NULL until made */
    size_t *n_marks;
} search_page;

/* Same-key items of a hit beyond this are first sifted by the query's
 * matches (search_page.marks: a count walk) before each is looked at. */
#define SEARCH_FEW_COPIES 64

static void
search_page_free(search_page *pg, size_t n_files)
{
    size_t m;

    nx_free(pg->scan.id);
    nx_free(pg->scan.member);
    search_keymap_free(&pg->by_url);
    search_keymap_free(&pg->by_title);
    for (m = 0; pg->marks != NULL && m < n_files; m++)
        nx_free(pg->marks[m]);
    nx_free(pg->marks);
    nx_free(pg->n_marks);
}

static int
search_page_init(search_page *pg, search_run *run, size_t n_files)
{
    size_t i;

    memset(pg, 0, sizeof(*pg));
    pg->marks = nx_calloc(n_files, sizeof(*pg->marks));
    pg->n_marks = nx_calloc(n_files, sizeof(*pg->n_marks));
    if (pg->marks == NULL || pg->n_marks == NULL ||
        search_scan_ids(&pg->scan, run) != NEWSIDX_OK ||
        !search_keymap_init(&pg->by_url, run->n_cands) ||
        !search_keymap_init(&pg->by_title, run->n_cands))
        return NEWSIDX_NOMEM;
    for (i = 0; i < run->n_cands; i++) {
        search_keymap_put(&pg->by_url, run->cands, i, SEARCH_URL);
        search_keymap_put(&pg->by_title, run->cands, i, SEARCH_TITLE);
    }
    return NEWSIDX_OK;
}

/* Does item x (not of the scan, sharing a key hash with head p) fold
 * into head p?  The first head with a hash of x's is where x goes when
 * that head really shares its key; else (two keys, one hash) every head
 * is looked at (search_head_of). */
static int
search_goes_to(bool *is_p, search_run *run, search_page *pg, size_t p,
               search_cand *x, newsidx_query *q, newsidx_error *err)
{
    size_t j = search_keymap_get(&pg->by_url, run->cands, x, SEARCH_URL),
           t = search_keymap_get(&pg->by_title, run->cands, x, SEARCH_TITLE);
    bool is_same = false;
    int rc;

    if (t < j)
        j = t;
    *is_p = false;
    if (j == SIZE_MAX)
        return NEWSIDX_OK;
    rc = search_check_pair(x, &run->cands[j], q, &is_same, err);
    if (rc == NEWSIDX_OK && is_same) {
        *is_p = j == p;
        return NEWSIDX_OK;
    }
    if (rc == NEWSIDX_OK)
        rc = search_head_of(&j, run, x, q, err);
    *is_p = rc == NEWSIDX_OK && j == p;
    return rc;
}

/* Keep of rows[0..n) (items of file m) those the query matches: the
 * file's matches are marked once a page. */
static int
search_sift(search_cand *rows, size_t *n, search_page *pg, newsidx_query *q,
            size_t m, newsidx_error *err)
{
    size_t i, k = 0;
    uint64_t n_marked;
    int rc = NEWSIDX_OK;

    if (pg->marks[m] == NULL)
        rc = nx_search_marks(&pg->marks[m], &pg->n_marks[m], &n_marked,
                             nx_query_member(q, m), err);
    for (i = 0; rc == NEWSIDX_OK && i < *n; i++) {
        int64_t id = rows[i].id;

        if (id >= 0 && (uint64_t)id / 64 < pg->n_marks[m] &&
            (pg->marks[m][id / 64] >> (id % 64) & 1)) {
            search_cand t = rows[k];

            rows[k++] = rows[i];
            rows[i] = t; /* (keys read stay owned by a row) */
        }
    }
    if (rc == NEWSIDX_OK)
        *n = k;
    return rc;
}

/* Head p's copies below the scan, appended to its folded ids (see
 * above). */
static int
search_complete_head(search_run *run, size_t p, search_page *pg,
                     newsidx_query *q, newsidx_error *err)
{
    search_ids rows, more;
    int64_t *ids = NULL;
    size_t i, k, n = 0;
    int rc;

    memset(&rows, 0, sizeof(rows));
    memset(&more, 0, sizeof(more));
    rc = search_key_rows(&rows, &run->cands[p], q, err);
    if (rc == NEWSIDX_OK && rows.n > 0) {
        qsort(rows.c, rows.n, sizeof(*rows.c), search_ids_cmp);
        ids = nx_malloc(rows.n * sizeof(*ids));
        if (ids == NULL)
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    /* Each once, and none of the scan (no key is read yet). */
    for (i = 0; rc == NEWSIDX_OK && i < rows.n; i++) {
        if ((n > 0 && rows.c[n - 1].id == rows.c[i].id &&
             rows.c[n - 1].member == rows.c[i].member) ||
            search_in_scan(&pg->scan, rows.c[i].member, rows.c[i].id))
            continue;
        rows.c[n++] = rows.c[i];
    }
    if (rc == NEWSIDX_OK)
        rows.n = n;
    /* File by file: the matches among them, their keys' hashes, those
     * that fold into p, scored. */
    for (i = 0; rc == NEWSIDX_OK && i < rows.n; i = k) {
        search_run part;
        size_t j, n_part, n_ids = 0, m = rows.c[i].member;

        for (k = i; k < rows.n && rows.c[k].member == m; k++)
            ;
        n_part = k - i;
        if (n_part > SEARCH_FEW_COPIES)
            rc = search_sift(rows.c + i, &n_part, pg, q, m, err);
        memset(&part, 0, sizeof(part));
        part.cands = rows.c + i;
        part.n_cands = n_part;
        if (rc == NEWSIDX_OK)
            rc = search_hashes(&part, nx_query_member(q, m), err);
        for (j = i; rc == NEWSIDX_OK && j < i + n_part; j++) {
            bool is_p = false;

            if (!search_hash_shared(&rows.c[j], &run->cands[p]))
                continue; /* a slot that says otherwise: damage */
            rc = search_goes_to(&is_p, run, pg, p, &rows.c[j], q, err);
            if (rc == NEWSIDX_OK && is_p)
                ids[n_ids++] = rows.c[j].id;
        }
        if (rc == NEWSIDX_OK && n_ids > 0)
            rc = search_score_ids(&more, ids, n_ids, q, m, err);
    }
    if (rc == NEWSIDX_OK && more.n > 0)
        rc = search_fold_more(&run->cands[p], &more, err);
    nx_free(ids);
    search_ids_free(&rows);
    search_ids_free(&more);
    return rc;
}

/* The page's hits run->cands[first .. first + n) with every copy of
 * theirs: when the scan saw every match, they have them. */
static int
search_complete_page(search_run *run, newsidx_query *q, size_t first, size_t n,
                     newsidx_error *err)
{
    size_t n_files = 1 + q->n_peers, p;
    search_page pg;
    int rc;

    if (run->is_complete || q->opts.no_collapse || first >= run->n_cands)
        return NEWSIDX_OK;
    rc = search_page_init(&pg, run, n_files);
    if (rc != NEWSIDX_OK)
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (p = first; p < first + n && p < run->n_cands && rc == NEWSIDX_OK; p++)
        rc = search_complete_head(run, p, &pg, q, err);
    search_page_free(&pg, n_files);
    return rc;
}

int
nx_search_marks(uint64_t **bits_out, size_t *n_words_out, uint64_t *n_out,
                newsidx_query *q, newsidx_error *err)
{
    search_sql s;
    sqlite3_stmt *stmt;
    bool is_declined;
    uint64_t *bits;
    size_t n_words, w;
    int rc = nx_docinfo_bitmap_new(q->idx, &bits, &n_words), step;

    *bits_out = NULL;
    *n_words_out = 0;
    *n_out = 0;
    if (rc != SQLITE_OK)
        return nx_db_error(q->idx, rc, "cannot run the query", err);
    rc = nx_engine_matches(bits, n_words, q, &is_declined, err);
    if (rc == NEWSIDX_OK && is_declined) {
        memset(bits, 0, n_words * sizeof(*bits));
        nx_search_where(&s, q);
        rc = nx_search_prepare(&stmt, q->idx, &s, "SELECT i.id", "", err);
        while (rc == NEWSIDX_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(stmt, 0);

            if (id < 0 || (uint64_t)id / 64 >= n_words)
                rc = nx_db_error(q->idx,
                                 nx_db_damaged(q->idx,
                                               "item %lld is past the"
                                               " docinfo blocks",
                                               (long long)id),
                                 "cannot run the query", err);
            else
                bits[id / 64] |= (uint64_t)1 << (id % 64);
        }
        if (rc == NEWSIDX_OK && step != SQLITE_DONE)
            rc = nx_db_error(q->idx, step, "cannot run the query", err);
        sqlite3_finalize(stmt);
        nx_search_sql_free(&s);
    }
    if (rc != NEWSIDX_OK) {
        nx_free(bits);
        return rc;
    }
    for (w = 0; w < n_words; w++)
        *n_out += (uint64_t)__builtin_popcountll(bits[w]);
    *bits_out = bits;
    *n_words_out = n_words;
    return NEWSIDX_OK;
}

int
nx_search_count(uint64_t *out, newsidx_query *q, bool is_hidden,
                newsidx_error *err)
{
    search_sql s;
    sqlite3_stmt *stmt;
    int rc;

    *out = 0;
    search_where(&s, q, is_hidden);
    rc = nx_search_prepare(&stmt, q->idx, &s, "SELECT count(*)", "", err);
    if (rc == NEWSIDX_OK) {
        int step = sqlite3_step(stmt);

        if (step == SQLITE_ROW)
            *out = (uint64_t)sqlite3_column_int64(stmt, 0);
        else
            rc = nx_db_error(q->idx, step, "cannot run the query", err);
    }
    sqlite3_finalize(stmt);
    nx_search_sql_free(&s);
    return rc;
}

/* The matches of each file counted by the engine as it walks, or in SQL
 * when it declines, added up into *total; *unpublished likewise, with
 * *has_hidden false when SQL counted a file (it does not count them). */
static int
search_count_files(uint64_t *total, uint64_t *unpublished, bool *has_hidden,
                   newsidx_query *q, newsidx_error *err)
{
    size_t m;
    int rc = NEWSIDX_OK;

    *total = *unpublished = 0;
    *has_hidden = true;
    for (m = 0; m <= q->n_peers && rc == NEWSIDX_OK; m++) {
        newsidx_query *qm = nx_query_member(q, m);
        uint64_t n = 0, hidden = 0;
        bool is_declined;

        rc = nx_engine_count(&n, &hidden, qm, &is_declined, err);
        if (rc == NEWSIDX_OK && is_declined) {
            *has_hidden = false;
            rc = nx_search_count(&n, qm, false, err);
        }
        *total += n;
        *unpublished += hidden;
    }
    return rc;
}

int
nx_search_total(uint64_t *out, newsidx_query *q, newsidx_error *err)
{
    uint64_t hidden;
    bool has_hidden;

    return search_count_files(out, &hidden, &has_hidden, q, err);
}

/* The matches (r->total) and what --all would add (r->unpublished):
 * from the scan when it saw every match, else counted file by file
 * (search_count_files); what --all would add, in SQL when the engine did
 * not count it. */
static int
search_totals(newsidx_results *r, const search_run *run, newsidx_error *err)
{
    newsidx_query *q = r->q;
    bool has_hidden = run->has_hidden;
    size_t m;
    int rc = NEWSIDX_OK;

    r->total = run->n_rows;
    r->unpublished = run->n_hidden;
    if (!run->is_counted)
        rc =
            search_count_files(&r->total, &r->unpublished, &has_hidden, q, err);
    if (rc == NEWSIDX_OK && !has_hidden && !q->opts.include_unpublished) {
        r->unpublished = 0;
        for (m = 0; m <= q->n_peers && rc == NEWSIDX_OK; m++) {
            uint64_t hidden = 0;

            rc = nx_search_count(&hidden, nx_query_member(q, m), true, err);
            r->unpublished += hidden;
        }
    }
    return rc;
}

int
newsidx_query_run(newsidx_results **out, newsidx_query *q, newsidx_error *err)
{
    newsidx_results *r;
    search_run run;
    uint64_t n_folded = 0;
    bool has_scan;
    int rc;

    *out = NULL;
    nx_error_clear(err);
    memset(&run, 0, sizeof(run));
    r = nx_calloc(1, sizeof(*r));
    if (r == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    r->q = q;
    q->n_results++;
    if (q->self_id != 0 && q->match[0] == '\0') {
        *out = r; /* the item shares no term with any other */
        return NEWSIDX_OK;
    }
    /* Words typed, none with anything to search for ("!!!"): nothing
     * matches them, not everything (newsidx_results_dropped says why). */
    if (q->parsed != NULL && q->parsed->n_terms == 0 &&
        q->parsed->n_dropped > 0) {
        *out = r;
        return NEWSIDX_OK;
    }
    /* One read transaction (in each file): the scan, the count, the hits
     * and the facets all see the same snapshot while an indexer commits. */
    rc = nx_coll_begin(q, err);
    has_scan = !q->opts.is_count_only && q->opts.limit > 0;
    if (rc == NEWSIDX_OK && has_scan)
        rc = search_candidates(&run, q, 0, &n_folded, err);
    if (rc == NEWSIDX_OK)
        rc = search_totals(r, &run, err);
    if (rc == NEWSIDX_OK)
        rc = search_stories(r, &run, has_scan, n_folded, err);
    if (rc == NEWSIDX_OK && has_scan && run.n_cands > q->opts.offset)
        rc = search_complete_page(&run, q, (size_t)q->opts.offset,
                                  q->opts.limit, err);
    if (rc == NEWSIDX_OK && has_scan && run.n_cands > q->opts.offset)
        rc = nx_hits_fill(r, run.cands + q->opts.offset,
                          run.n_cands - (size_t)q->opts.offset < q->opts.limit
                              ? run.n_cands - (size_t)q->opts.offset
                              : q->opts.limit,
                          err);
    if (rc == NEWSIDX_OK && q->opts.facets != 0)
        rc = nx_facets_count(r, err);
    if (rc == NEWSIDX_OK && r->total < 3 && q->parsed != NULL &&
        q->self_id == 0) /* not for --like: nobody typed its words */
        rc = nx_suggest(r, err);
    search_run_free(&run);
    nx_coll_end(q); /* ends the read transactions */
    if (rc != NEWSIDX_OK) {
        newsidx_results_free(r);
        /* Only newsidx statuses leave, each with its message: a code of
         * another kind here is a bug, and said so. */
        if (rc > 0 || (err != NULL && err->message[0] == '\0'))
            return nx_fail(err, NEWSIDX_INTERNAL,
                           "internal error: the query ended with status %d"
                           " and no message",
                           rc);
        nx_coll_name_file(q->coll, err);
        return rc;
    }
    *out = r;
    return NEWSIDX_OK;
}
