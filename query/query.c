/*
 * query.c - the query object: options and their defaults (some stored in
 * the index), compiling the user's text, and "items like this one".
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "results.h"

#define QUERY_MAX_FILTERS 24
/* Words and phrases, positive and excluded: nx_bm25f ranks by the first 64
 * (RANK_MAX_PHRASES), and FTS5's time grows with each one. */
#define QUERY_MAX_TERMS 64
/* Characters of an item's title and of its excerpt that --like reads. */
#define QUERY_LIKE_CHARS "4096"

/* Defaults of the ranking weights; the index may store others in
 * meta('weights'), and options override both.  docs/ranking.md. */
static int query_parse(newsidx_query *q, const char *text, newsidx_error *err);

static const nx_weights query_default_weights = {
    10.0,          4.0, 1.0, /* title, excerpt, body */
    1.0,           1.0,      /* quality, heat */
    0.3,                     /* prior strength */
    0.0,           0,        /* no freshness; now */
    NX_FORM_WEIGHT           /* another form of a word */
};

/* `v` for a message: printable ASCII kept, anything else as \xNN, cut
 * to fit `out` (the value comes from the file: it may hold anything). */
static void
query_printable(char *out, size_t size, const char *v)
{
    size_t n = 0;

    for (; *v != '\0' && n + 5 < size; v++) {
        unsigned char c = (unsigned char)*v;

        if (c >= 0x20 && c < 0x7f)
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
    }
    if (*v != '\0' && n + 4 <= size)
        memcpy(out + n, "...", 3), n += 3;
    out[n] = '\0';
}

/* Read meta('weights') into `w` if the index has it. */
static int
query_stored_weights(newsidx_index *idx, nx_weights *w, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    char shown[64];
    int rc = sqlite3_prepare_v2(idx->db,
                                "SELECT value FROM meta WHERE key = 'weights'",
                                -1, &stmt, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(stmt, 0);

        rc = SQLITE_OK;
        if (v != NULL && !nx_rank_parse_weights(w, v)) {
            /* The value belongs to the statement: shown before it goes. */
            query_printable(shown, sizeof(shown), v);
            sqlite3_finalize(stmt);
            return nx_fail(err, NEWSIDX_INVALID,
                           "the stored ranking default meta 'weights' is"
                           " malformed: '%s'; correct it (docs/ranking.md) or"
                           " remove it: DELETE FROM meta WHERE key = 'weights'",
                           shown);
        }
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return nx_db_error(idx, rc, "cannot read the index", err);
    return NEWSIDX_OK;
}

/* FTS5 trusts the sizes in its structure record (a damaged one has it
 * ask for gigabytes): the reader checks the record before FTS5 reads it. */
static int
query_check_fts(newsidx_index *idx, newsidx_error *err)
{
    return nx_fr_check(idx->db, err);
}

/* The year of a year tag's text after NX_TAG_YEAR ("2024", "n44" for 44
 * BC), at most 12 digits (more than a 64-bit time holds); false for
 * anything else: the text comes from the file. */
static bool
query_tag_year(const char *s, int64_t *out)
{
    bool is_negative = *s == 'n';
    size_t n = strspn(s + is_negative, "0123456789");
    int64_t y = 0;
    size_t i;

    if (n == 0 || n > 12 || s[is_negative + n] != '\0')
        return false;
    for (i = 0; i < n; i++)
        y = y * 10 + (s[is_negative + i] - '0');
    *out = is_negative ? -y : y;
    return true;
}

/* The rows of `sql` (text parameters ?1 and ?2 bound to `a` and `b`),
 * each given to `row`; a store error otherwise. */
static int
query_each_term(newsidx_index *idx, const char *sql, const char *a,
                const char *b, void (*row)(const char *term, void *payload),
                void *payload, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(idx->db, sql, -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0);

        row(t != NULL ? t : "", payload);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE
               ? NEWSIDX_OK
               : nx_db_error(idx, rc, "cannot read the index", err);
}

/* Where the newest date is looked for: a year, then a month tag. */
typedef struct query_newest {
    bool has_year;
    int64_t year;
    char month_tag[NX_DATE_TAG_SIZE]; /* "" until a month is found */
} query_newest;

static void
query_newest_year(const char *term, void *payload)
{
    query_newest *n = payload;
    int64_t y;

    if (query_tag_year(term + strlen(NX_TAG_YEAR), &y) &&
        (!n->has_year || y > n->year)) {
        n->year = y;
        n->has_year = true;
    }
}

/* Rows are in term order: the last one is the latest month. */
static void
query_newest_month(const char *term, void *payload)
{
    query_newest *n = payload;

    snprintf(n->month_tag, sizeof(n->month_tag), "%s", term);
}

/* The largest published_at of the items whose fts row matches `match`. */
static int
query_max_date(bool *has_out, int64_t *out, newsidx_index *idx,
               const char *match, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc =
        sqlite3_prepare_v2(idx->db,
                           "SELECT max(published_at) FROM items WHERE id IN"
                           " (SELECT rowid FROM fts WHERE fts MATCH ?1)",
                           -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    sqlite3_bind_text(stmt, 1, match, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_INTEGER) {
        *out = sqlite3_column_int64(stmt, 0);
        *has_out = true;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW
               ? NEWSIDX_OK
               : nx_db_error(idx, rc, "cannot read the index", err);
}

/*
 * The newest publication time of an item, without a walk over the items:
 * the `terms` table lists each date tag some item holds (docs/schema.md),
 * so the latest year tag, then its latest month tag, point at the few
 * items of one month, whose largest date is the answer.  Inside the
 * caller's read transaction.  *has_out is false when no item has a date.
 */
static int
query_newest_date(bool *has_out, int64_t *out, newsidx_index *idx,
                  newsidx_error *err)
{
    query_newest n = {false, 0, ""};
    char lo[NX_DATE_TAG_SIZE], hi[NX_DATE_TAG_SIZE], match[64];
    /* The year tags: U+E000 "d" and more, before U+E000 "e". */
    int rc = query_each_term(
        idx, "SELECT term FROM terms WHERE term > ?1 AND term < ?2",
        NX_TAG_YEAR, "\xee\x80\x80\x65", query_newest_year, &n, err);

    *has_out = false;
    if (rc != NEWSIDX_OK || !n.has_year)
        return rc;
    /* Months 01..12 of the year: the exact tags, in a range that also
     * holds longer years' tags (m2024102 is in m202401..m202412). */
    nx_date_tag(lo, false, (n.year - 1970) * 12);
    nx_date_tag(hi, false, (n.year - 1970) * 12 + 11);
    rc = query_each_term(idx,
                         "SELECT term FROM terms WHERE term BETWEEN ?1 AND ?2"
                         " AND length(term) = length(?1) ORDER BY term",
                         lo, hi, query_newest_month, &n, err);
    if (rc != NEWSIDX_OK || n.month_tag[0] == '\0')
        return rc;
    snprintf(match, sizeof(match), "tags : \"%s\"", n.month_tag);
    return query_max_date(has_out, out, idx, match, err);
}

/*
 * The reference time of freshness (docs/ranking.md): opts.now when set,
 * otherwise the newest publication time in the index, or the current time
 * when that lies in the future (an item misdated so does not move it) or
 * no item has a date.  Looked up in one read transaction.
 */
static int
query_reference(newsidx_query *q, newsidx_error *err)
{
    int64_t clock = (int64_t)time(NULL), newest = 0;
    bool has_newest = false;
    /* A query made while another runs (suggest.c counts its suggestions
     * so) reads in that one's transaction. */
    bool is_own = sqlite3_get_autocommit(q->idx->db) != 0;
    int rc = NEWSIDX_OK;

    if (q->opts.now != 0) {
        q->w.now = q->opts.now;
        return NEWSIDX_OK;
    }
    if (is_own)
        rc = nx_db_exec(q->idx, "BEGIN", err);
    if (rc == NEWSIDX_OK)
        rc = query_check_fts(q->idx, err);
    if (rc == NEWSIDX_OK)
        rc = query_newest_date(&has_newest, &newest, q->idx, err);
    if (is_own) {
        nx_db_rollback(q->idx);   /* ends the read transaction */
        q->idx->damage[0] = '\0'; /* reported above, if at all */
    }
    q->w.now = has_newest && newest < clock ? newest : clock;
    q->has_newest = has_newest;
    q->newest = newest;
    return rc;
}

static void
query_set(double *dst, double opt)
{
    if (opt >= 0)
        *dst = opt;
}

int
newsidx_query_options_init(newsidx_query_options *opts, unsigned version)
{
    static const newsidx_query_options defaults = NEWSIDX_QUERY_OPTIONS_INIT;

    if (opts == NULL || version < 1 || version > NEWSIDX_QUERY_OPTIONS_VERSION)
        return NEWSIDX_INVALID;
    /* A version 1 struct ends before is_exact. */
    memcpy(opts, &defaults,
           version == 1 ? offsetof(newsidx_query_options, is_exact)
                        : sizeof(*opts));
    opts->version = version;
    return NEWSIDX_OK;
}

static int
query_options(newsidx_query *q, const newsidx_query_options *opts,
              newsidx_error *err)
{
    static const newsidx_query_options defaults = NEWSIDX_QUERY_OPTIONS_INIT;
    int rc;

    q->opts = defaults;
    if (opts != NULL && opts->version == 1) /* a caller built before 0.2.0:
                                               its struct ends earlier */
        memcpy(&q->opts, opts, offsetof(newsidx_query_options, is_exact));
    else if (opts != NULL)
        q->opts = *opts;
    if (q->opts.version != 1 &&
        q->opts.version != NEWSIDX_QUERY_OPTIONS_VERSION)
        return nx_fail(err, NEWSIDX_INVALID,
                       "query options version %u, expected %u", q->opts.version,
                       NEWSIDX_QUERY_OPTIONS_VERSION);
    if (q->opts.w_form > 1 || isnan(q->opts.w_form))
        return nx_fail(err, NEWSIDX_INVALID,
                       "a form weight above 1 (an exact form counts 1)");
    if ((unsigned)q->opts.sort > NEWSIDX_SORT_HEAT)
        return nx_fail(err, NEWSIDX_INVALID, "unknown sort order %d",
                       (int)q->opts.sort);
    /* Bounded so that a page never needs more than a few MB. */
    if (q->opts.limit > 10000 || q->opts.offset > 100000)
        return nx_fail(err, NEWSIDX_INVALID,
                       "limit above 10000 or offset above 100000");
    if (q->opts.prior_strength > 0.9 || q->opts.fresh_half_life < 0)
        return nx_fail(err, NEWSIDX_INVALID,
                       "prior strength above 0.9 or negative half-life");
    if (q->opts.related_limit < 0)
        q->opts.related_limit = 3;
    q->w = query_default_weights;
    rc = query_stored_weights(q->idx, &q->w, err);
    if (rc != NEWSIDX_OK)
        return rc;
    query_set(&q->w.title, q->opts.w_title);
    query_set(&q->w.excerpt, q->opts.w_excerpt);
    query_set(&q->w.body, q->opts.w_body);
    query_set(&q->w.quality, q->opts.w_quality);
    query_set(&q->w.heat, q->opts.w_heat);
    query_set(&q->w.strength, q->opts.prior_strength);
    query_set(&q->w.form, q->opts.w_form);
    if (q->opts.fresh_half_life > 0)
        q->w.fresh_half_life = q->opts.fresh_half_life;
    if (q->w.fresh_half_life > 0 && (rc = query_reference(q, err)) != 0)
        return rc;
    snprintf(q->mark_open, sizeof(q->mark_open), "%s",
             q->opts.mark_open ? q->opts.mark_open : "[");
    snprintf(q->mark_close, sizeof(q->mark_close), "%s",
             q->opts.mark_close ? q->opts.mark_close : "]");
    q->opts.mark_open = q->opts.mark_close = NULL; /* not kept */
    return NEWSIDX_OK;
}

/* A new query object with options resolved and ranking registered. */
static void
query_half_free(newsidx_index *idx, void *state)
{
    nx_read_half *half = state;

    size_t i;

    (void)idx;
    for (i = 0; i < NX_HIT_STMTS; i++)
        sqlite3_finalize(half->hit_stmt[i]);
    for (i = 0; i < NX_KEY_STMTS; i++)
        sqlite3_finalize(half->key_stmt[i]);
    nx_rowset_free(&half->unpub);
    nx_tokenizer_free(half->qtok);
    nx_free(half);
}

static const nx_half_ops query_half_ops = {NULL, NULL, query_half_free};

nx_read_half *
nx_read_half_of(newsidx_index *idx)
{
    nx_read_half *half = nx_half_state(idx, NX_HALF_READ);

    if (half == NULL && (half = nx_calloc(1, sizeof(*half))) != NULL) {
        half->prefix_rare_df = NX_PREFIX_RARE_DF;
        nx_half_attach(idx, NX_HALF_READ, half, &query_half_ops);
    }
    return half;
}

static int
query_make(newsidx_query **out, newsidx_index *idx,
           const newsidx_query_options *opts, newsidx_error *err)
{
    nx_read_half *half = NULL;
    newsidx_query *q;
    int rc;

    *out = NULL;
    nx_error_clear(err);
    q = nx_calloc(1, sizeof(*q));
    if (q == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    q->idx = idx;
    idx->n_queries++;
    rc = query_options(q, opts, err);
    if (rc == NEWSIDX_OK && (half = nx_read_half_of(idx)) == NULL)
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (rc == NEWSIDX_OK && !half->rank.is_registered) {
        rc = nx_rank_register(idx->db, &half->rank, err);
        half->rank.is_registered = rc == NEWSIDX_OK;
    }
    q->half = half;
    if (rc != NEWSIDX_OK) {
        newsidx_query_free(q);
        return rc;
    }
    *out = q;
    return NEWSIDX_OK;
}

/* Append one tag token, owned by `t`; false on out-of-memory. */
static bool
query_tag_add(nx_tags *t, const char *prefix, const char *value)
{
    char **grown = nx_realloc(t->tok, (t->n + 1) * sizeof(*grown));
    nx_buf b = NX_BUF_INIT;

    if (grown == NULL)
        return false;
    t->tok = grown;
    nx_buf_puts(&b, prefix);
    nx_buf_puts(&b, value);
    t->tok[t->n] = nx_buf_detach(&b);
    return t->tok[t->n++] != NULL;
}

/* The ids that `sql` (one text parameter, bound three times) gives, as
 * tag tokens with `prefix`. */
static int
query_tags_by_id(nx_tags *t, newsidx_index *idx, const char *sql,
                 const char *prefix, const char *value, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    bool is_ok = true;
    char num[24];
    int i, rc = sqlite3_prepare_v2(idx->db, sql, -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    for (i = 1; i <= sqlite3_bind_parameter_count(stmt); i++)
        sqlite3_bind_text(stmt, i, value, -1, SQLITE_STATIC);
    while (is_ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        snprintf(num, sizeof(num), "%lld",
                 (long long)sqlite3_column_int64(stmt, 0));
        is_ok = query_tag_add(t, prefix, num);
    }
    sqlite3_finalize(stmt);
    if (!is_ok)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (rc != SQLITE_DONE)
        return nx_db_error(idx, rc, "cannot read the index", err);
    return NEWSIDX_OK;
}

/* The FTS5 expression `tags : ("a" OR "b")` for the tokens of `t`. */
static int
query_tags_match(nx_tags *t, newsidx_error *err)
{
    nx_buf b = NX_BUF_INIT;
    size_t i;

    if (t->n == 0)
        return NEWSIDX_OK;
    nx_buf_puts(&b, "tags : (");
    for (i = 0; i < t->n; i++)
        nx_buf_printf(&b, "%s\"%s\"", i ? " OR " : "", t->tok[i]);
    nx_buf_putc(&b, ')');
    t->match = nx_buf_detach(&b);
    return t->match != NULL ? NEWSIDX_OK
                            : nx_fail(err, NEWSIDX_NOMEM, "out of memory");
}

/* What filter `f` stands for in this index (text filters only). */
static int
query_resolve(nx_tags *t, newsidx_index *idx, const nx_filter *f,
              newsidx_error *err)
{
    char hex[24];
    int rc = NEWSIDX_OK;

    switch (f->kind) {
    case NX_FILTER_PROVIDER:
        rc = query_tags_by_id(t, idx,
                              "SELECT id FROM providers WHERE key = ?1 OR"
                              " lower(domain) = ?1 OR lower(domain) = 'www.'"
                              " || ?1 ORDER BY id",
                              NX_TAG_PROVIDER, f->text, err);
        break;
    case NX_FILTER_TOPIC:
        rc = query_tags_by_id(
            t, idx, "SELECT id FROM topics WHERE key = ?1 ORDER BY id",
            NX_TAG_TOPIC, f->text, err);
        break;
    case NX_FILTER_TYPE:
    case NX_FILTER_CATEGORY:
    case NX_FILTER_URL:
        snprintf(hex, sizeof(hex), "%016llx",
                 (unsigned long long)nx_hash64(f->text, strlen(f->text)));
        if (!query_tag_add(t,
                           f->kind == NX_FILTER_TYPE       ? NX_TAG_TYPE
                           : f->kind == NX_FILTER_CATEGORY ? NX_TAG_CATEGORY
                                                           : NX_TAG_LINK,
                           hex))
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        break;
    default:
        return NEWSIDX_OK;
    }
    return rc == NEWSIDX_OK ? query_tags_match(t, err) : rc;
}

/* Resolve every text filter of q->parsed into q->tags. */
static int
query_resolve_all(newsidx_query *q, newsidx_error *err)
{
    size_t i;
    int rc = NEWSIDX_OK;

    q->tags = nx_calloc(q->parsed->n_filters + 1, sizeof(*q->tags));
    if (q->tags == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (i = 0; i < q->parsed->n_filters && rc == NEWSIDX_OK; i++)
        rc = query_resolve(&q->tags[i], q->idx, &q->parsed->filters[i], err);
    return rc;
}

/* What query_forms needs: the index's stemmer and a statement; over
 * several files (`coll`), a statement for each. */
typedef struct query_expand {
    newsidx_index *idx;
    nx_stemmer *stemmer;
    sqlite3_stmt *stmt;
    const nx_coll *coll;
    sqlite3_stmt **stmts; /* coll->n of them */
    int rc;               /* the first failure (SQLite code) */
} query_expand;

/* A form found in several files: its rows in them all. */
typedef struct query_form_df {
    char *term;
    int64_t df;
} query_form_df;

static int
query_form_cmp(const void *a, const void *b)
{
    const query_form_df *x = a, *y = b;

    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return strcmp(x->term, y->term);
}

/* Up to this many forms of a word read from each file: enough for the
 * NX_MAX_FORMS most frequent in all of them. */
#define QUERY_FORMS_PER_FILE 256

/* query_forms over several files: the forms of every file, their rows
 * added up, the most frequent NX_MAX_FORMS of them all (as one index of
 * all the items would list them). */
static int
query_forms_coll(query_expand *x, const char *stem, size_t n_stem,
                 const char *word, size_t len, nx_buf *out)
{
    query_form_df *f = NULL;
    size_t m, i, n_f = 0, cap = 0;
    int n = 0, rc = SQLITE_OK;

    for (m = 0; m < x->coll->n && x->rc == SQLITE_OK; m++) {
        sqlite3_stmt **st = &x->stmts[m];

        if (*st == NULL &&
            (x->rc = sqlite3_prepare_v2(
                 x->coll->idx[m]->db,
                 "SELECT term, df FROM terms WHERE (stem = ?1 OR term = ?1)"
                 " AND term <> ?2 ORDER BY df DESC, term LIMIT ?3",
                 -1, st, NULL)) != SQLITE_OK)
            break;
        sqlite3_reset(*st);
        sqlite3_bind_text(*st, 1, stem, (int)n_stem, SQLITE_TRANSIENT);
        sqlite3_bind_text(*st, 2, word, (int)len, SQLITE_STATIC);
        sqlite3_bind_int(*st, 3, QUERY_FORMS_PER_FILE);
        while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(*st, 0);

            if (t == NULL || strchr(t, ' ') != NULL || strchr(t, '"') != NULL)
                continue;
            for (i = 0; i < n_f && strcmp(f[i].term, t) != 0; i++)
                ;
            if (i == n_f) {
                if (n_f == cap) {
                    query_form_df *grown =
                        nx_realloc(f, (cap = cap * 2 + 8) * sizeof(*f));

                    if (grown == NULL)
                        break;
                    f = grown;
                }
                f[n_f].df = 0;
                if ((f[n_f].term = nx_strdup(t)) == NULL)
                    break;
                n_f++;
            }
            f[i].df += sqlite3_column_int64(*st, 1);
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            x->rc = rc;
        if (rc == SQLITE_ROW) { /* out of memory */
            n = -1;
            sqlite3_reset(*st);
            break;
        }
    }
    if (n == 0 && x->rc == SQLITE_OK) {
        if (n_f > 1)
            qsort(f, n_f, sizeof(*f), query_form_cmp);
        for (i = 0; i < n_f && i < NX_MAX_FORMS; i++, n++)
            nx_buf_put(out, f[i].term, strlen(f[i].term) + 1);
    }
    for (i = 0; i < n_f; i++)
        nx_free(f[i].term);
    nx_free(f);
    return n < 0 || nx_buf_oom(out) ? -1 : n;
}

/* nx_expander: the other forms of normalized `word` the index holds, the
 * words of the terms table with its stem, the most frequent first. */
static int
query_forms(void *ctx, const char *word, size_t len, nx_buf *out)
{
    query_expand *x = ctx;
    const char *stem;
    size_t n_stem;
    int n = 0, rc;

    if (x->rc != SQLITE_OK || !nx_stem(x->stemmer, word, len, &stem, &n_stem))
        return x->rc != SQLITE_OK ? 0 : -1;
    if (x->coll != NULL)
        return query_forms_coll(x, stem, n_stem, word, len, out);
    if (x->stmt == NULL &&
        (x->rc = sqlite3_prepare_v2(x->idx->db,
                                    "SELECT term FROM terms WHERE (stem = ?1 OR"
                                    " term = ?1) AND term <> ?2 ORDER BY df"
                                    " DESC, term LIMIT ?3",
                                    -1, &x->stmt, NULL)) != SQLITE_OK)
        return 0;
    sqlite3_reset(x->stmt);
    sqlite3_bind_text(x->stmt, 1, stem, (int)n_stem, SQLITE_TRANSIENT);
    sqlite3_bind_text(x->stmt, 2, word, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(x->stmt, 3, NX_MAX_FORMS);
    while ((rc = sqlite3_step(x->stmt)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(x->stmt, 0);

        /* Terms with no separator only: a stored term is one token. */
        if (t == NULL || strchr(t, ' ') != NULL || strchr(t, '"') != NULL)
            continue;
        nx_buf_put(out, t, strlen(t) + 1);
        n++;
    }
    if (rc != SQLITE_DONE)
        x->rc = rc;
    return nx_buf_oom(out) ? -1 : n;
}

/* Start `x` on q's index: its stemmer read; `*use` false when words have
 * no other forms (the language "none", or the query asked for exact
 * forms). */
static int
query_expand_open(query_expand *x, newsidx_query *q, bool *use,
                  newsidx_error *err)
{
    int rc;

    memset(x, 0, sizeof(*x));
    x->idx = q->idx;
    x->rc = SQLITE_OK;
    x->coll = q->coll;
    if (q->coll != NULL &&
        (x->stmts = nx_calloc(q->coll->n, sizeof(*x->stmts))) == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = nx_terms_stemmer(q->idx, &x->stemmer);
    if (rc != SQLITE_OK) {
        nx_free(x->stmts);
        return nx_db_error(q->idx, rc, "cannot read the language", err);
    }
    *use = !q->opts.is_exact &&
           strcmp(nx_stemmer_language(x->stemmer), NX_STEM_NONE) != 0;
    return NEWSIDX_OK;
}

/* Finish `x`; `rc` unless looking up the forms failed. */
static int
query_expand_close(query_expand *x, int rc, newsidx_error *err)
{
    size_t m;

    sqlite3_finalize(x->stmt);
    for (m = 0; x->stmts != NULL && m < x->coll->n; m++)
        sqlite3_finalize(x->stmts[m]);
    nx_free(x->stmts);
    nx_stemmer_free(x->stemmer);
    if (rc == NEWSIDX_OK && x->rc != SQLITE_OK)
        return nx_db_error(x->idx, x->rc, "cannot read the terms", err);
    return rc;
}

/* Parse the query text, each word with its other forms in the index's
 * language (none for "none", --exact, or an index without the stems). */
static int
query_parse(newsidx_query *q, const char *text, newsidx_error *err)
{
    query_expand x;
    nx_expander ex = {query_forms, &x};
    bool use = false;
    int rc = query_expand_open(&x, q, &use, err);

    if (rc != NEWSIDX_OK)
        return rc;
    rc = nx_query_parse_with(&q->parsed, text, strlen(text), use ? &ex : NULL,
                             err);
    rc = query_expand_close(&x, rc, err);
    if (rc != NEWSIDX_OK && q->parsed != NULL) {
        nx_parsed_free(q->parsed);
        q->parsed = NULL;
    }
    return rc;
}

/* A query on `idx`; over several files, member `member` of `coll`. */
static int
query_new_on(newsidx_query **out, newsidx_index *idx, const char *text,
             const newsidx_query_options *opts, nx_coll *coll, size_t member,
             newsidx_error *err)
{
    newsidx_query *q;
    int rc;

    *out = NULL;
    rc = query_make(&q, idx, opts, err);
    if (rc != NEWSIDX_OK)
        return rc;
    q->coll = coll;
    q->member = member;
    rc = query_parse(q, text, err);
    /* Each filter takes SQL parameters; far more than anyone types. */
    if (rc == NEWSIDX_OK && q->parsed->n_filters > QUERY_MAX_FILTERS)
        rc = nx_fail_at(err, NEWSIDX_PARSE, 1, 1,
                        "too many filters (%zu; at most %d)",
                        q->parsed->n_filters, QUERY_MAX_FILTERS);
    if (rc == NEWSIDX_OK &&
        q->parsed->n_terms + q->parsed->n_excluded - q->parsed->n_forms >
            QUERY_MAX_TERMS)
        rc = nx_fail_at(err, NEWSIDX_PARSE, 1, 1,
                        "too many words and phrases (%zu; at most %d)",
                        q->parsed->n_terms + q->parsed->n_excluded -
                            q->parsed->n_forms,
                        QUERY_MAX_TERMS);
    if (rc == NEWSIDX_OK)
        rc = query_resolve_all(q, err);
    if (rc == NEWSIDX_OK) {
        q->text = nx_strdup(text);
        q->match = nx_strdup(q->parsed->match);
        if (q->text == NULL || q->match == NULL)
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    if (rc != NEWSIDX_OK) {
        newsidx_query_free(q);
        return rc;
    }
    *out = q;
    return NEWSIDX_OK;
}

int
newsidx_query_new(newsidx_query **out, newsidx_index *idx, const char *text,
                  const newsidx_query_options *opts, newsidx_error *err)
{
    return query_new_on(out, idx, text, opts, NULL, 0, err);
}

/* The language each file stems in must be one: the same words then make
 * the same terms in each, and their counts add up. */
static int
query_same_language(newsidx_index *const *idx, size_t n, newsidx_error *err)
{
    const char *first = NULL, *lang = NULL;
    char kept[64] = "";
    size_t m;
    int rc = NEWSIDX_OK;

    for (m = 0; m < n && rc == NEWSIDX_OK; m++) {
        rc = newsidx_index_stem_language(&lang, idx[m], err);
        if (rc != NEWSIDX_OK)
            break;
        if (m == 0) {
            snprintf(kept, sizeof(kept), "%s", lang);
            first = kept;
        } else if (strcmp(first, lang) != 0) {
            rc = nx_fail(err, NEWSIDX_INVALID,
                         "%s stems words in '%s' and %s in '%s': files "
                         "searched together must stem alike (newsindex "
                         "--stem-language)",
                         idx[0]->path, first, idx[m]->path, lang);
        }
    }
    return rc;
}

/* Two handles on one file would count its items twice. */
static int
query_distinct_files(newsidx_index *const *idx, size_t n, newsidx_error *err)
{
    struct stat a, b;
    size_t m, k;

    for (m = 1; m < n; m++) {
        if (stat(idx[m]->path, &a) != 0)
            continue; /* nothing to compare: it is open all the same */
        for (k = 0; k < m; k++) {
            if (stat(idx[k]->path, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino)
                return nx_fail(err, NEWSIDX_INVALID,
                               "%s and %s are the same index file: give "
                               "each file once",
                               idx[k]->path, idx[m]->path);
        }
    }
    return NEWSIDX_OK;
}

/* The reference time of freshness over several files: that of one index
 * of all their items (query_reference), the newest item of them all. */
static void
query_coll_weights(newsidx_query *q)
{
    int64_t clock = (int64_t)time(NULL), newest = 0;
    bool has_newest = false;
    size_t m;

    for (m = 0; m <= q->n_peers; m++) {
        const newsidx_query *qm = nx_query_member(q, m);

        if (qm->has_newest && (!has_newest || qm->newest > newest)) {
            newest = qm->newest;
            has_newest = true;
        }
    }
    if (q->w.fresh_half_life > 0 && q->opts.now == 0)
        q->w.now = has_newest && newest < clock ? newest : clock;
    /* The weights are the first file's (its stored ones and the
     * options): every file ranks alike. */
    for (m = 0; m < q->n_peers; m++)
        q->peers[m]->w = q->w;
}

int
newsidx_query_new_multi(newsidx_query **out, newsidx_index *const *idx,
                        size_t n, const char *text,
                        const newsidx_query_options *opts, newsidx_error *err)
{
    newsidx_query *q = NULL;
    nx_coll *coll;
    size_t m, k;
    int rc;

    *out = NULL;
    nx_error_clear(err);
    if (idx == NULL || n == 0 || text == NULL)
        return nx_fail(err, NEWSIDX_INVALID, "no index file to search");
    for (m = 0; m < n; m++) {
        for (k = 0; idx[m] != NULL && k < m && idx[k] != idx[m]; k++)
            ;
        if (idx[m] == NULL || k < m)
            return nx_fail(err, NEWSIDX_INVALID,
                           idx[m] == NULL ? "index %zu is NULL"
                                          : "index %zu is given twice",
                           m);
    }
    if (n == 1)
        return newsidx_query_new(out, idx[0], text, opts, err);
    rc = query_distinct_files(idx, n, err);
    if (rc == NEWSIDX_OK)
        rc = query_same_language(idx, n, err);
    if (rc != NEWSIDX_OK)
        return rc;
    coll = nx_calloc(1, sizeof(*coll));
    if (coll == NULL || (coll->idx = nx_calloc(n, sizeof(*idx))) == NULL) {
        nx_free(coll);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    memcpy(coll->idx, idx, n * sizeof(*idx));
    coll->n = n;
    rc = query_new_on(&q, idx[0], text, opts, coll, 0, err);
    if (rc != NEWSIDX_OK) {
        if (rc != NEWSIDX_PARSE) { /* the text is wrong, not a file */
            coll->at = 0;
            nx_coll_name_file(coll, err);
        }
        nx_free(coll->idx);
        nx_free(coll);
        return rc;
    }
    q->is_coll_owner = true;
    q->peers = nx_calloc(n - 1, sizeof(*q->peers));
    if (q->peers == NULL)
        rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (m = 1; m < n && rc == NEWSIDX_OK; m++, q->n_peers++) {
        coll->at = m;
        rc = query_new_on(&q->peers[m - 1], idx[m], text, opts, coll, m, err);
    }
    if (rc != NEWSIDX_OK) {
        nx_coll_name_file(coll, err);
        newsidx_query_free(q);
        return rc;
    }
    query_coll_weights(q);
    *out = q;
    return NEWSIDX_OK;
}

/* The item's normalized text. */
static int
query_like_source(nx_buf *text, int64_t *key_out, newsidx_index *idx,
                  int64_t id, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    /* The start of each text only: what an item is about is there, and
     * the work then does not grow with an excerpt of megabytes. */
    int rc = sqlite3_prepare_v2(
        idx->db,
        "SELECT rowid, substr(title, 1, " QUERY_LIKE_CHARS "),"
        " substr(excerpt, 1, " QUERY_LIKE_CHARS ") FROM fts WHERE rowid = ?",
        -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    sqlite3_bind_int64(stmt, 1, id);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 1);
        const char *e = (const char *)sqlite3_column_text(stmt, 2);

        *key_out = sqlite3_column_int64(stmt, 0);
        nx_buf_printf(text, "%s %s", t ? t : "", e ? e : "");
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return nx_fail(err, NEWSIDX_NOTFOUND, "no item with id %lld",
                       (long long)id);
    if (rc != SQLITE_ROW)
        return nx_db_error(idx, rc, "cannot read the index", err);
    return nx_buf_oom(text) ? nx_fail(err, NEWSIDX_NOMEM, "out of memory")
                            : NEWSIDX_OK;
}

int
newsidx_query_like(newsidx_query **out, newsidx_index *idx, int64_t id,
                   const newsidx_query_options *opts, newsidx_error *err)
{
    newsidx_query *q;
    nx_buf text = NX_BUF_INIT, match = NX_BUF_INIT;
    char label[40];
    int rc = query_make(&q, idx, opts, err);

    if (rc != NEWSIDX_OK)
        return rc;
    rc = query_check_fts(idx, err);
    if (rc == NEWSIDX_OK)
        rc = query_like_source(&text, &q->self_id, idx, id, err);
    if (rc == NEWSIDX_OK)
        rc = nx_like_match(&match, idx, text.data, err);
    /* Parsed as if typed: its words find their other forms, ranked as
     * a typed query's are (docs/ranking.md). */
    if (rc == NEWSIDX_OK)
        rc = query_parse(q, match.data ? match.data : "", err);
    if (rc == NEWSIDX_OK)
        rc = query_resolve_all(q, err);
    if (rc == NEWSIDX_OK) {
        snprintf(label, sizeof(label), "like:%lld", (long long)id);
        q->text = nx_strdup(label);
        q->match = nx_strdup(q->parsed->match);
        if (q->text == NULL || q->match == NULL)
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    nx_buf_free(&text);
    nx_buf_free(&match);
    if (rc != NEWSIDX_OK) {
        newsidx_query_free(q);
        return rc;
    }
    *out = q;
    return NEWSIDX_OK;
}

bool
newsidx_query_now(const newsidx_query *q, int64_t *out)
{
    if (q->w.fresh_half_life <= 0)
        return false;
    *out = q->w.now;
    return true;
}

int
newsidx_query_form(const char **word, const char **form, const newsidx_query *q,
                   size_t i)
{
    const nx_parsed *p = q->parsed;
    size_t k;

    *word = *form = NULL;
    for (k = 0; p != NULL && k < p->n_terms + p->n_excluded; k++) {
        const nx_term *list = k < p->n_terms ? p->terms : p->excluded;
        const nx_term *t = &list[k < p->n_terms ? k : k - p->n_terms];

        if (t->is_form && i-- == 0) {
            *word = list[t->family].text;
            *form = t->text;
            return NEWSIDX_OK;
        }
    }
    return NEWSIDX_DONE;
}

double
newsidx_query_form_weight(const newsidx_query *q)
{
    return q->w.form;
}

const char *
newsidx_query_match(const newsidx_query *q)
{
    return q->match ? q->match : "";
}

void
newsidx_query_free(newsidx_query *q)
{
    newsidx_index *idx;
    size_t i, j;

    if (q == NULL)
        return;
    /* Results still alive read the query: it goes with the last of them
     * (newsidx_results_free). */
    if (q->n_results > 0) {
        q->is_freed = true;
        return;
    }
    for (i = 0;
         q->tags != NULL && q->parsed != NULL && i < q->parsed->n_filters;
         i++) {
        for (j = 0; j < q->tags[i].n; j++)
            nx_free(q->tags[i].tok[j]);
        nx_free(q->tags[i].tok);
        nx_free(q->tags[i].match);
    }
    nx_free(q->tags);
    nx_parsed_free(q->parsed);
    nx_free(q->text);
    nx_free(q->match);
    for (i = 0; i < q->n_peers; i++)
        newsidx_query_free(q->peers[i]);
    nx_free(q->peers);
    if (q->is_coll_owner) {
        nx_free(q->coll->idx);
        nx_free(q->coll);
    }
    idx = q->idx;
    nx_free(q);
    if (idx != NULL && --idx->n_queries == 0 && idx->is_closing)
        newsidx_index_close(idx);
}
