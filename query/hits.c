/*
 * hits.c - reading what a hit shows (item fields, topics, related entries,
 * snippet), and the public getters of results and hits (facets.c counts
 * the facets).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/* A copy of text `t` (n bytes) for the caller: newsindex stores valid
 * UTF-8, but the file may have been changed since, and a broken character
 * must not reach a JSON reader: such a text is sanitized (U+FFFD for
 * what is invalid, and for control characters, which the printers escape
 * anyway).  NULL on out-of-memory. */
static char *
hits_text(const unsigned char *t, int n)
{
    nx_buf out = NX_BUF_INIT;
    size_t len = n > 0 ? (size_t)n : 0;

    if (nx_utf8_valid((const char *)t, len))
        return nx_strdup((const char *)t);
    if (!nx_utf8_sanitize(&out, (const char *)t, len, NULL, NULL)) {
        nx_buf_free(&out);
        return NULL;
    }
    return nx_buf_detach(&out); /* "" for an empty text */
}

static char *
hits_dup(sqlite3_stmt *stmt, int col, bool *is_oom)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    char *copy;

    if (t == NULL)
        return NULL;
    copy = hits_text(t, sqlite3_column_bytes(stmt, col));
    if (copy == NULL)
        *is_oom = true;
    return copy;
}

/* A copy of a path, byte for byte: the file's name, even when it is not
 * UTF-8 (the printers make it so). */
static char *
hits_dup_bytes(sqlite3_stmt *stmt, int col, bool *is_oom)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    char *copy;

    if (t == NULL)
        return NULL;
    copy = nx_strdup((const char *)t);
    if (copy == NULL)
        *is_oom = true;
    return copy;
}

static bool
hits_int(sqlite3_stmt *stmt, int col, int64_t *out)
{
    *out = sqlite3_column_int64(stmt, col);
    return sqlite3_column_type(stmt, col) != SQLITE_NULL;
}

/* Run `sql` (statement `which` of the read half's NX_HIT_STMTS) with ?1 =
 * `id` (and ?2 = `n`), calling `row` per result row. */
static int
hits_each(const newsidx_query *q, int which, const char *sql, int64_t id,
          int64_t n, bool (*row)(sqlite3_stmt *, void *), void *payload,
          newsidx_error *err)
{
    newsidx_index *idx = q->idx;
    sqlite3_stmt **slot = &q->half->hit_stmt[which];
    int rc = SQLITE_OK;
    int step = SQLITE_DONE;
    bool is_ok = true;

    /* Prepared once per handle: preparing these three took half of a
     * one-word query's instructions, hit after hit. */
    if (*slot == NULL)
        rc = sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                slot, NULL);
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read a hit", err);
    sqlite3_bind_int64(*slot, 1, id);
    if (sqlite3_bind_parameter_count(*slot) > 1)
        sqlite3_bind_int64(*slot, 2, n);
    while (is_ok && (step = sqlite3_step(*slot)) == SQLITE_ROW)
        is_ok = row(*slot, payload);
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    if (!is_ok)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        return nx_db_error(idx, step, "cannot read a hit", err);
    return NEWSIDX_OK;
}

static bool
hits_item_row(sqlite3_stmt *stmt, void *payload)
{
    newsidx_hit *h = payload;
    bool is_oom = false;

    h->id = sqlite3_column_int64(stmt, 0);
    h->path =
        hits_dup_bytes(stmt, 1, &is_oom); /* a name, as the system has it */
    h->title = hits_dup(stmt, 2, &is_oom);
    h->excerpt = hits_dup(stmt, 3, &is_oom);
    h->url = hits_dup(stmt, 4, &is_oom);
    h->has_published_at = hits_int(stmt, 5, &h->published_at);
    h->provider_name = hits_dup(stmt, 6, &is_oom);
    h->provider_domain = hits_dup(stmt, 7, &is_oom);
    h->has_quality = hits_int(stmt, 8, &h->quality);
    h->has_heat = hits_int(stmt, 9, &h->heat);
    h->is_unpublished = sqlite3_column_int(stmt, 10) != 0;
    return !is_oom;
}

static bool
hits_topic_row(sqlite3_stmt *stmt, void *payload)
{
    newsidx_hit *h = payload;
    char **grown = nx_realloc(h->topics, (h->n_topics + 1) * sizeof(char *));
    bool is_oom = false;

    if (grown == NULL)
        return false;
    h->topics = grown;
    h->topics[h->n_topics] = hits_dup(stmt, 0, &is_oom);
    if (!is_oom)
        h->n_topics++;
    return !is_oom;
}

static bool
hits_related_row(sqlite3_stmt *stmt, void *payload)
{
    newsidx_hit *h = payload;
    nx_hit_related *grown, *r;
    bool is_oom = false;

    grown = nx_realloc(h->related, (h->n_related + 1) * sizeof(*grown));
    if (grown == NULL)
        return false;
    h->related = grown;
    r = &h->related[h->n_related++];
    memset(r, 0, sizeof(*r));
    r->title = hits_dup(stmt, 0, &is_oom);
    r->url = hits_dup(stmt, 1, &is_oom);
    r->provider_name = hits_dup(stmt, 2, &is_oom);
    r->provider_domain = hits_dup(stmt, 3, &is_oom);
    r->has_published_at = hits_int(stmt, 4, &r->published_at);
    r->has_quality = hits_int(stmt, 5, &r->quality);
    r->id = sqlite3_column_int64(stmt, 6);
    return !is_oom;
}

static int
hits_snippet(newsidx_hit *h, const newsidx_query *q, newsidx_error *err)
{
    nx_buf out = NX_BUF_INIT;
    const nx_term *terms = q->parsed ? q->parsed->terms : NULL;
    size_t n = q->parsed ? q->parsed->n_terms : 0;
    const char *text = h->excerpt ? h->excerpt : h->title;

    if (text == NULL)
        return NEWSIDX_OK;
    if (!nx_snippet(&out, text, terms, n, q->mark_open, q->mark_close) &&
        !(h->title != NULL && h->excerpt != NULL &&
          nx_snippet(&out, h->title, terms, n, q->mark_open, q->mark_close)) &&
        !nx_buf_oom(&out))
        nx_snippet(&out, text, NULL, 0, q->mark_open, q->mark_close);
    if (nx_buf_oom(&out)) {
        nx_buf_free(&out);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    h->snippet = nx_buf_detach(&out);
    return NEWSIDX_OK;
}

/* A new array of `n` values of `size` bytes: `*head`, then n - 1 of
 * `rest` (a collapsed story's own id, then those it folded). */
static void *
hits_head_and_rest(const void *head, const void *rest, uint64_t n, size_t size)
{
    char *out = nx_malloc((size_t)n * size);

    if (out != NULL) {
        memcpy(out, head, size);
        if (n > 1)
            memcpy(out + size, rest, (size_t)(n - 1) * size);
    }
    return out;
}

static int
hits_one(newsidx_hit *h, const search_cand *c, const newsidx_query *q,
         newsidx_error *err)
{
    int rc;

    h->score = c->score;
    h->bm25 = c->bm25;
    h->prior = c->prior;
    h->fresh = c->fresh;
    h->collapsed = c->collapsed;
    h->member = c->member;
    h->collapsed_ids =
        hits_head_and_rest(&c->id, c->folded, c->collapsed, sizeof(int64_t));
    /* Over several files, the file of each too. */
    if (q->coll != NULL)
        h->collapsed_members = hits_head_and_rest(&c->member, c->folded_member,
                                                  c->collapsed, sizeof(size_t));
    if (h->collapsed_ids == NULL ||
        (q->coll != NULL && h->collapsed_members == NULL))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = hits_each(q, 0,
                   "SELECT i.id, f.path, i.title, i.excerpt, i.web_url,"
                   " i.published_at, p.name, p.domain, i.quality, i.heat,"
                   " i.published IS 0"
                   " FROM items i JOIN files f ON f.id = i.id"
                   " LEFT JOIN providers p ON p.id = i.provider_id"
                   " WHERE i.id = ?1",
                   c->id, 0, hits_item_row, h, err);
    /* A row of the fts index is an item: one without its row (or its
     * file's) is damage, not an empty hit. */
    if (rc == NEWSIDX_OK && h->id != c->id)
        rc = nx_db_error(q->idx,
                         nx_db_damaged(q->idx,
                                       "item %lld is in the fts index"
                                       " but not in items or files",
                                       (long long)c->id),
                         "cannot read a hit", err);
    if (rc == NEWSIDX_OK)
        rc = hits_each(q, 1,
                       "SELECT t.name FROM item_topics it JOIN topics t"
                       " ON t.id = it.topic_id WHERE it.item_id = ?1"
                       " ORDER BY it.ord",
                       h->id, 0, hits_topic_row, h, err);
    if (rc == NEWSIDX_OK && q->opts.related_limit > 0)
        rc = hits_each(q, 2,
                       "SELECT r.title, r.url, r.provider_name,"
                       " r.provider_domain, r.published_at, r.quality,"
                       " (SELECT min(t.id) FROM items t WHERE t.url_key ="
                       " r.url_key AND t.url_key <> '')"
                       " FROM related r WHERE r.item_id = ?1"
                       /* Never the item itself, and each story once: the
                        * files list the item's own URL among its related
                        * ones, and some list one URL several times. */
                       " AND (coalesce(r.url_key, '') = '' OR"
                       " (r.url_key IS NOT (SELECT url_key FROM items"
                       " WHERE id = ?1) AND r.ord = (SELECT min(r2.ord)"
                       " FROM related r2 WHERE r2.item_id = ?1"
                       " AND r2.url_key = r.url_key)))"
                       " ORDER BY r.ord LIMIT ?2",
                       h->id, q->opts.related_limit, hits_related_row, h, err);
    if (rc == NEWSIDX_OK)
        rc = hits_snippet(h, q, err);
    return rc;
}

int
nx_hits_fill(newsidx_results *r, const search_cand *cands, size_t n,
             newsidx_error *err)
{
    size_t i;
    int rc = NEWSIDX_OK;

    r->hits = nx_calloc(n, sizeof(*r->hits));
    if (r->hits == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    for (i = 0; i < n && rc == NEWSIDX_OK; i++, r->n_hits++)
        rc = hits_one(&r->hits[i], &cands[i],
                      nx_query_member(r->q, cands[i].member), err);
    return rc;
}

void
nx_hit_clear(newsidx_hit *h)
{
    size_t i;

    nx_free(h->collapsed_ids);
    nx_free(h->collapsed_members);
    nx_free(h->path);
    nx_free(h->title);
    nx_free(h->excerpt);
    nx_free(h->url);
    nx_free(h->provider_name);
    nx_free(h->provider_domain);
    nx_free(h->snippet);
    for (i = 0; i < h->n_topics; i++)
        nx_free(h->topics[i]);
    nx_free(h->topics);
    for (i = 0; i < h->n_related; i++) {
        nx_free(h->related[i].title);
        nx_free(h->related[i].url);
        nx_free(h->related[i].provider_name);
        nx_free(h->related[i].provider_domain);
    }
    nx_free(h->related);
}

size_t
newsidx_results_dropped(const newsidx_results *r)
{
    return r->q->parsed != NULL ? r->q->parsed->n_dropped : 0;
}

uint64_t
newsidx_results_unpublished(const newsidx_results *r)
{
    return r->unpublished;
}

uint64_t
newsidx_results_total(const newsidx_results *r)
{
    return r->total;
}

uint64_t
newsidx_results_stories(const newsidx_results *r, bool *is_exact)
{
    if (is_exact != NULL)
        *is_exact = r->is_stories_exact;
    return r->stories;
}

int
newsidx_results_next(const newsidx_hit **hit, newsidx_results *r)
{
    if (r->next >= r->n_hits) {
        *hit = NULL;
        return NEWSIDX_DONE;
    }
    *hit = &r->hits[r->next++];
    return NEWSIDX_OK;
}

int
newsidx_results_facet(const char **value, uint64_t *count,
                      const newsidx_results *r, unsigned kind, size_t i)
{
    size_t k;

    /* The values of one kind are together, in order: find where they
     * start without walking the values of the others. */
    for (k = 0; k < 3 && r->facet_kind[k] != kind; k++)
        ;
    if (k < 3 && i < r->facet_n[k]) {
        *value = r->facets[r->facet_start[k] + i].value;
        *count = r->facets[r->facet_start[k] + i].count;
        return NEWSIDX_OK;
    }
    *value = NULL;
    *count = 0;
    return NEWSIDX_DONE;
}

int
newsidx_results_suggestion(const char **text, uint64_t *total,
                           const newsidx_results *r, size_t i)
{
    const char *p = r->suggestions.data;
    size_t k;

    *text = NULL;
    if (total != NULL)
        *total = 0;
    if (i >= r->n_suggestions || p == NULL)
        return NEWSIDX_DONE;
    for (k = 0; k < i; k++)
        p += strlen(p) + 1;
    *text = p;
    if (total != NULL)
        *total = r->suggestion_totals[i];
    return NEWSIDX_OK;
}

void
newsidx_results_free(newsidx_results *r)
{
    newsidx_query *q;
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_hits; i++)
        nx_hit_clear(&r->hits[i]);
    nx_free(r->hits);
    for (i = 0; i < r->n_facets; i++) {
        nx_free(r->facets[i].value);
        nx_free(r->facets[i].key);
    }
    nx_free(r->facets);
    nx_buf_free(&r->suggestions);
    q = r->q;
    nx_free(r);
    if (q != NULL && --q->n_results == 0 && q->is_freed)
        newsidx_query_free(q);
}

int64_t
newsidx_hit_id(const newsidx_hit *h)
{
    return h->id;
}

size_t
newsidx_hit_index(const newsidx_hit *h)
{
    return h->member;
}

size_t
newsidx_hit_collapsed_index(const newsidx_hit *h, size_t i)
{
    return h->collapsed_members != NULL && i < h->collapsed
               ? h->collapsed_members[i]
               : h->member;
}

const char *
newsidx_hit_path(const newsidx_hit *h)
{
    return h->path;
}

const char *
newsidx_hit_title(const newsidx_hit *h)
{
    return h->title;
}

const char *
newsidx_hit_excerpt(const newsidx_hit *h)
{
    return h->excerpt;
}

const char *
newsidx_hit_url(const newsidx_hit *h)
{
    return h->url;
}

bool
newsidx_hit_published(const newsidx_hit *h)
{
    return !h->is_unpublished;
}

bool
newsidx_hit_published_at(const newsidx_hit *h, int64_t *out)
{
    *out = h->published_at;
    return h->has_published_at;
}

const char *
newsidx_hit_provider_name(const newsidx_hit *h)
{
    return h->provider_name;
}

const char *
newsidx_hit_provider_domain(const newsidx_hit *h)
{
    return h->provider_domain;
}

size_t
newsidx_hit_topic_count(const newsidx_hit *h)
{
    return h->n_topics;
}

const char *
newsidx_hit_topic(const newsidx_hit *h, size_t i)
{
    return i < h->n_topics ? h->topics[i] : NULL;
}

bool
newsidx_hit_quality(const newsidx_hit *h, int64_t *out)
{
    *out = h->quality;
    return h->has_quality;
}

bool
newsidx_hit_heat(const newsidx_hit *h, int64_t *out)
{
    *out = h->heat;
    return h->has_heat;
}

double
newsidx_hit_score(const newsidx_hit *h)
{
    return h->score;
}

const char *
newsidx_hit_snippet(const newsidx_hit *h)
{
    return h->snippet;
}

uint64_t
newsidx_hit_collapsed(const newsidx_hit *h)
{
    return h->collapsed;
}

int64_t
newsidx_hit_collapsed_id(const newsidx_hit *h, size_t i)
{
    return i < h->collapsed && h->collapsed_ids != NULL ? h->collapsed_ids[i]
                                                        : 0;
}

void
newsidx_hit_factors(const newsidx_hit *h, double *bm25, double *prior,
                    double *fresh)
{
    *bm25 = h->bm25;
    *prior = h->prior;
    *fresh = h->fresh;
}

size_t
newsidx_hit_related_count(const newsidx_hit *h)
{
    return h->n_related;
}

/* The i-th related entry, or NULL past the end. */
static const nx_hit_related *
hits_rel(const newsidx_hit *h, size_t i)
{
    return i < h->n_related ? &h->related[i] : NULL;
}

const char *
newsidx_hit_related_title(const newsidx_hit *h, size_t i)
{
    return hits_rel(h, i) ? hits_rel(h, i)->title : NULL;
}

const char *
newsidx_hit_related_url(const newsidx_hit *h, size_t i)
{
    return hits_rel(h, i) ? hits_rel(h, i)->url : NULL;
}

const char *
newsidx_hit_related_provider_name(const newsidx_hit *h, size_t i)
{
    return hits_rel(h, i) ? hits_rel(h, i)->provider_name : NULL;
}

const char *
newsidx_hit_related_provider_domain(const newsidx_hit *h, size_t i)
{
    return hits_rel(h, i) ? hits_rel(h, i)->provider_domain : NULL;
}

bool
newsidx_hit_related_published_at(const newsidx_hit *h, size_t i, int64_t *out)
{
    const nx_hit_related *r = hits_rel(h, i);

    *out = r ? r->published_at : 0;
    return r != NULL && r->has_published_at;
}

bool
newsidx_hit_related_quality(const newsidx_hit *h, size_t i, int64_t *out)
{
    const nx_hit_related *r = hits_rel(h, i);

    *out = r ? r->quality : 0;
    return r != NULL && r->has_quality;
}

int64_t
newsidx_hit_related_id(const newsidx_hit *h, size_t i)
{
    return hits_rel(h, i) ? hits_rel(h, i)->id : 0;
}
