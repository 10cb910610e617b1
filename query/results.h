/*
 * results.h - the query, results and hit objects, shared by search.c
 * (running a query) and hits.c (reading hits, facets, the public getters).
 */
#ifndef NX_RESULTS_H
#define NX_RESULTS_H

#include "query.h"

struct newsidx_query {
    newsidx_index *idx;
    nx_read_half *half; /* idx's read half (query.c) */
    newsidx_query_options opts;
    nx_weights w;
    nx_parsed *parsed; /* NULL for --like */
    char *text;        /* as typed (or "like:ID") */
    char *match;       /* the FTS5 MATCH expression, or "" */
    int64_t self_id;   /* --like: the item itself is left out */
    nx_tags *tags;     /* q->parsed->n_filters resolved text filters */
    char mark_open[32];
    char mark_close[32];
    size_t n_results; /* alive: newsidx_query_free waits for them */
    bool is_freed;    /* freed by the caller while results were alive */
};

typedef struct nx_hit_related {
    char *title, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality;
    int64_t published_at, quality, id;
} nx_hit_related;

struct newsidx_hit {
    int64_t id;
    char *path, *title, *excerpt, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality, has_heat;
    int64_t published_at, quality, heat;
    bool is_unpublished; /* published: false */
    char **topics;
    size_t n_topics;
    double score, bm25, prior, fresh;
    char *snippet;
    uint64_t collapsed;
    int64_t *collapsed_ids; /* the `collapsed` ids it stands for, its own
                               first */
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
    uint64_t total;        /* matching items */
    uint64_t stories;      /* what the hits of every page add up to: the
                              matches once near-duplicates are collapsed */
    bool is_stories_exact; /* else `stories` is an upper bound */
    uint64_t unpublished;  /* matches left out for being unpublished */
    newsidx_hit *hits;
    size_t n_hits, next;
    nx_facet *facets; /* every value, most frequent first, by kind */
    size_t n_facets;
    unsigned facet_kind[3]; /* the kinds counted, each with its values at */
    size_t facet_start[3];  /* facets[facet_start[k]], facet_n[k] of them */
    size_t facet_n[3];
    nx_buf suggestions; /* NUL-separated */
    size_t n_suggestions;
    uint64_t suggestion_totals[NX_SUGGEST_MAX]; /* what each one finds */
};

/* SQL under construction: the FROM/WHERE part and its parameters. */
#define SEARCH_MAX_PARAMS 128
/* Phrases a ranked scan looks up in the terms table: QUERY_MAX_TERMS
 * words typed, each with up to NX_MAX_FORMS other forms. */
#define SEARCH_MAX_TERMS (64 * (1 + NX_MAX_FORMS))
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
    int64_t id;
    double score, bm25, prior, fresh;
    double key;      /* what the sort orders by (the score for rank) */
    char *title_key; /* normalized title, for collapsing */
    char *url_key;
    uint64_t collapsed; /* rows folded into this one, itself included */
    int64_t *folded;    /* the ids of the others, in rank order (collapsed
                           - 1 of them) */
} search_cand;

/* Up to this many matches, the stories they make are counted exactly
 * (every match is scanned and collapsed); past it, newsidx_results_stories
 * is an upper bound (docs/ranking.md). */
#define NX_STORIES_EXACT_MAX 1000

typedef struct search_run {
    search_cand *cands; /* a min-heap on "better" while a scan runs */
    size_t n_cands, cap;
    bool is_complete;  /* every matching row was considered */
    uint64_t n_rows;   /* matches the scan saw */
    bool is_counted;   /* n_rows is every match */
    uint64_t n_hidden; /* with is_counted, from the engine: matches left out
                          for being unpublished (has_hidden) */
    bool has_hidden;
} search_run;

/* Keep candidate `c` if it is among the best run->cap (search.c). */
void nx_search_offer(search_run *run, const search_cand *c);
/* The idf of each positive term of the query (docs/ranking.md): a word's
 * from the rows holding it, a phrase's the sum of its words', a prefix's
 * from the rows holding the words it stands for, counted with repeats and
 * at most n_rows.  *n_out = the number of terms, or 0 when the query has
 * no parsed terms (--like) or too many words in them. */
int nx_search_idf(newsidx_query *q, int64_t n_rows, double *idf, int *n_out,
                  newsidx_error *err);
/* The rows of the fts table, as FTS5 counts them (its averages record). */
int nx_search_rows(newsidx_query *q, int64_t *n_rows, newsidx_error *err);
/* A candidate's factors, score and sort key under the query's weights and
 * sort (nx_score_item): the engine and the SQL scan both score so. */
void nx_search_score(search_cand *c, const newsidx_query *q, double bm25,
                     const nx_score_doc *doc);

/* engine.c: the query engine.  Both set *is_declined (and return
 * NEWSIDX_OK, what they filled meaning nothing) for a query the engine
 * does not run; search.c then uses SQL. */
/* The best run->cap candidates into run (a heap, via nx_search_offer). */
int nx_engine_run(search_run *run, newsidx_query *q, bool *is_declined,
                  newsidx_error *err);
/* The number of matches. */
int nx_engine_count(uint64_t *total_out, uint64_t *hidden_out, newsidx_query *q,
                    bool *is_declined, newsidx_error *err);

void nx_search_where(search_sql *s, const newsidx_query *q);
/* The query's matches counted in SQL; with `is_hidden`, those left out for
 * being unpublished (what --all would add). */
int nx_search_count(uint64_t *out, newsidx_query *q, bool is_hidden,
                    newsidx_error *err);
void nx_search_sql_free(search_sql *s);
int nx_search_prepare(sqlite3_stmt **out, newsidx_index *idx, search_sql *s,
                      const char *head, const char *tail, newsidx_error *err);
/* Fill r->hits from the chosen candidates (hits.c). */
int nx_hits_fill(newsidx_results *r, const search_cand *cands, size_t n,
                 newsidx_error *err);
int nx_facets_count(newsidx_results *r, newsidx_error *err);
void nx_hit_clear(newsidx_hit *h);

#endif /* NX_RESULTS_H */
