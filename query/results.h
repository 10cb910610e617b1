/*
 * results.h - the query, results and hit objects, shared by search.c
 * (running a query) and hits.c (reading hits, facets, the public getters).
 */
#ifndef NX_RESULTS_H
#define NX_RESULTS_H

#include "query.h"

struct newsidx_query {
    newsidx_index *idx;
    newsidx_query_options opts;
    nx_weights w;
    nx_parsed *parsed; /* NULL for --like */
    char *text;        /* as typed (or "like:ID") */
    char *match;       /* the FTS5 MATCH expression, or "" */
    int64_t self_key;  /* --like: the item itself is left out */
    char mark_open[32];
    char mark_close[32];
};

typedef struct nx_hit_related {
    char *title, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality;
    int64_t published_at, quality, id;
} nx_hit_related;

struct newsidx_hit {
    int64_t id, rank_key;
    char *path, *title, *excerpt, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality, has_heat;
    int64_t published_at, quality, heat;
    char **topics;
    size_t n_topics;
    double score, bm25, prior, fresh;
    char *snippet;
    uint64_t collapsed;
    nx_hit_related *related;
    size_t n_related;
};

typedef struct nx_facet {
    unsigned kind;
    char *value;
    uint64_t count;
} nx_facet;

struct newsidx_results {
    newsidx_query *q;
    uint64_t total;
    newsidx_hit *hits;
    size_t n_hits, next;
    nx_facet *facets;
    size_t n_facets;
    nx_buf suggestions; /* NUL-separated */
    size_t n_suggestions;
};

/* SQL under construction: the FROM/WHERE part and its parameters. */
#define SEARCH_MAX_PARAMS 128
/* Phrases a ranked scan looks up in the terms table (QUERY_MAX_TERMS). */
#define SEARCH_MAX_TERMS 64
typedef struct search_sql {
    nx_buf where;
    struct {
        const char *text;
        int64_t value;
        bool is_text;
    } params[SEARCH_MAX_PARAMS];
    size_t n_params;
    bool is_overflow;
} search_sql;

/* One scored row of the scan. */
typedef struct search_cand {
    int64_t rank_key;
    double score, bm25, prior, fresh;
    char *title_key; /* normalized title, for collapsing */
    char *url_key;
    uint64_t collapsed; /* rows folded into this one */
} search_cand;

typedef struct search_run {
    search_cand *cands;
    size_t n_cands, cap;
    bool is_complete; /* every matching row was considered */
    uint64_t n_rows;  /* rows the scan stepped through */
    bool is_counted;  /* n_rows is every match: no LIMIT, no early stop */
} search_run;

void nx_search_where(search_sql *s, const newsidx_query *q);
void nx_search_sql_free(search_sql *s);
int nx_search_prepare(sqlite3_stmt **out, newsidx_index *idx, search_sql *s,
                      const char *head, const char *tail, newsidx_error *err);
/* Fill r->hits from the chosen candidates (hits.c). */
int nx_hits_fill(newsidx_results *r, const search_cand *cands, size_t n,
                 newsidx_error *err);
int nx_facets_count(newsidx_results *r, newsidx_error *err);
void nx_hit_clear(newsidx_hit *h);

#endif /* NX_RESULTS_H */
