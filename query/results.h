/*
 * results.h - the query, results and hit objects, shared by search.c
 * (running a query) and hits.c (reading hits, facets, the public getters);
 * and the query engine's state, shared by the files of the engine
 * (engine.c, plan.c, walk.c, scoring.c).
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
    /* Several index files searched as one (newsidx_query_new_multi): this
     * query runs on the first, and `peers` the same query on each of the
     * others (member 1..n_peers).  All of them score with the files'
     * statistics combined, `coll`, which the first owns. */
    newsidx_query **peers;
    size_t n_peers;
    struct nx_coll *coll; /* NULL for one file */
    bool is_coll_owner;   /* the first file's query frees `coll` */
    size_t member;        /* this query's file in the set: 0 for the first */
    bool has_newest;      /* the newest date of the file (freshness) */
    int64_t newest;
};

/* The statistics of several index files taken as one collection: what
 * one index built from all their items would hold.  Read at the start of
 * each run (newsidx_query_run), inside its read transactions. */
typedef struct nx_coll {
    newsidx_index **idx; /* the files, in the order given */
    size_t n;
    int64_t n_rows;                   /* fts rows of them all */
    int64_t col_total[NX_FR_COLUMNS]; /* tokens per column of them all */
    double avg[3];                    /* col_total / n_rows (1 with no rows) */
    size_t at; /* the file worked on last (nx_query_member) */
} nx_coll;

/* The query on member `m` of q's files (q itself for 0).  Every piece
 * of work on a file asks for its query so: the file asked for last is
 * the one a failure names (newsidx_query_run). */
static inline newsidx_query *
nx_query_member(newsidx_query *q, size_t m)
{
    if (q->coll != NULL)
        q->coll->at = m;
    return m == 0 ? q : q->peers[m - 1];
}

/* Every file of the set reads in one read transaction (BEGIN) or ends it
 * (rollback); and the combined statistics read (search.c). */
int nx_coll_begin(newsidx_query *q, newsidx_error *err);
void nx_coll_end(newsidx_query *q);
/* Over several files (`coll` not NULL), begin err's message with the
 * file that failed: the one worked on last, coll->at. */
void nx_coll_name_file(const nx_coll *coll, newsidx_error *err);

typedef struct nx_hit_related {
    char *title, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality;
    int64_t published_at, quality, id;
} nx_hit_related;

struct newsidx_hit {
    int64_t id;
    size_t member; /* the file of the set it is from (0 for one file) */
    char *path, *title, *excerpt, *url, *provider_name, *provider_domain;
    bool has_published_at, has_quality, has_heat;
    int64_t published_at, quality, heat;
    bool is_unpublished; /* published: false */
    char **topics;
    size_t n_topics;
    double score, bm25, prior, fresh;
    char *snippet;
    uint64_t collapsed;
    int64_t *collapsed_ids;    /* the `collapsed` ids it stands for, its own
                                  first */
    size_t *collapsed_members; /* their files, beside them */
    nx_hit_related *related;
    size_t n_related;
};

typedef struct nx_facet {
    unsigned kind;
    char *value;
    char *key; /* over several files: what one index groups the value by
                  (a topic's normalized key), NULL when the value itself */
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
    size_t member; /* the file of the set it is from */
    double score, bm25, prior, fresh;
    double key; /* what the sort orders by (the score for rank) */
    /* The collapse keys: their hashes from docinfo (NX_DOC_HAS_URL_KEY,
     * NX_DOC_HAS_TITLE_KEY in key_flags), and the keys themselves (the
     * normalized title and the URL key), read from the items row only
     * for a fold the hashes suggest, to check it, and for a page's hits
     * (search.c). */
    uint64_t url_hash, title_hash;
    unsigned key_flags;
    char *title_key;
    char *url_key;
    uint64_t collapsed;    /* rows folded into this one, itself included */
    int64_t *folded;       /* the ids of the others, in rank order (collapsed
                              - 1 of them) */
    size_t *folded_member; /* their files, beside them */
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

void nx_search_where(search_sql *s, const newsidx_query *q);
/* The query's matches counted in SQL; with `is_hidden`, those left out for
 * being unpublished (what --all would add). */
int nx_search_count(uint64_t *out, newsidx_query *q, bool is_hidden,
                    newsidx_error *err);
/* The matches of `q` (one file) as bits by item id over *n_words words
 * (the ids docinfo spans), *n of them: the engine's count walk, or the
 * SQL of the query when the engine declines it.  *bits is freed by the
 * caller. */
int nx_search_marks(uint64_t **bits, size_t *n_words, uint64_t *n,
                    newsidx_query *q, newsidx_error *err);
/* The query's matches in all its files, counted as newsidx_query_run
 * counts them when it does not scan them all. */
int nx_search_total(uint64_t *out, newsidx_query *q, newsidx_error *err);
void nx_search_sql_free(search_sql *s);
int nx_search_prepare(sqlite3_stmt **out, newsidx_index *idx, search_sql *s,
                      const char *head, const char *tail, newsidx_error *err);
/* Fill r->hits from the chosen candidates (hits.c). */
int nx_hits_fill(newsidx_results *r, const search_cand *cands, size_t n,
                 newsidx_error *err);
/* The facets of the query's matches into r (facets.c). */
int nx_facets_count(newsidx_results *r, newsidx_error *err);
/* The year of Unix time t as SQLite's strftime('%Y', t, 'unixepoch')
 * writes it, into out; false (out untouched) where that is NULL. */
bool nx_sqlite_year(int64_t t, char *out, size_t size);
void nx_hit_clear(newsidx_hit *h);

/**************************************************************************
** Interface to code in engine.c
**
** The query engine: a query's matches found by walking the fts index's
** doclists directly (fts5read.c) and scored from the docinfo blocks as
** nx_bm25f scores them (engine.c says how).  engine.c is its entry point
** (nx_engine_run, nx_engine_count); the state below is shared by the
** files it is made of: plan.c (the phrases and groups of a query), walk.c
** (the walk over the doclists, block by block) and scoring.c (the scores
** and their bounds).
*/

#define ENG_EOF          INT64_MAX
#define ENG_MAX_PHRASES  (SEARCH_MAX_TERMS + 64) /* words and tags */
#define ENG_MAX_POSITION 4096 /* positions of a token kept for phrases */
#define ENG_MAX_TOKENS   64   /* tokens of a phrase (more: SQL) */
/* The walk goes a unit of item ids at a time: a bound block. */
#define ENG_UNIT_SHIFT NX_BOUND_SHIFT
#define ENG_UNIT       (1 << ENG_UNIT_SHIFT)
#define ENG_WORDS      (ENG_UNIT / 64) /* a unit's rows, as bits */

/* A phrase: a word, a quoted phrase, a prefix or a tag. */
typedef struct eng_phrase {
    int column;       /* -1: any column; else the one it must be in */
    int n_tok;        /* tokens of a word or a phrase */
    nx_fr_term **tok; /* their iterators; NULL when a token has no row */
    nx_fr_term **alt; /* a prefix: an iterator per term it stands for */
    int n_alt;
    int64_t *alt_next; /* a prefix: the lowest rowid each term may hold
                          next (nx_fr_term_block_next) */
    bool is_prefix;
    bool is_empty;        /* no row can match */
    nx_fr_block_pos *pos; /* a phrase: its tokens' position lists in the
                             block being walked (n_tok of them) */
    int64_t df;           /* rows holding it, from the terms table; -1 if not
                             known there */
    nx_buf words;         /* its tokens (a prefix: its terms), each NUL-ended,
                             so that its iterators can be made again */
    double *ub; /* bounds per block in the bounds table's scale (bounds.c;
                   for a rare word, from its rows), or NULL */
    /* A prefix's rare terms, read whole: their rows by unit, units in
     * order; the rows of units[i] are rare_slot/rare_tf[start[i] ..
     * start[i + 1]). */
    int64_t *units;
    uint32_t *start;
    uint8_t *rare_slot;
    uint32_t (*rare_tf)[3];
    size_t n_units, unit_at; /* unit_at: the walk's place in `units` */
} eng_phrase;

/* An OR of phrases: a group of the query, a tag filter, an exclusion. */
typedef struct eng_group {
    eng_phrase **ph;
    int n;
    int64_t cost; /* rows it may match, for the order of the leapfrog */
} eng_group;

/* The engine's state for one query (engine.c makes and frees it). */
typedef struct eng {
    newsidx_query *q;
    nx_fr *r;
    nx_tokenizer *tok;
    eng_phrase ph[ENG_MAX_PHRASES];
    int n_ph;
    int n_scored; /* ph[0..n_scored) are the query's terms, in FTS5 order */
    eng_group req[ENG_MAX_PHRASES];
    int n_req;
    eng_group neg[ENG_MAX_PHRASES];
    int n_neg;
    double idf[SEARCH_MAX_TERMS];
    double avg[3];
    double w[3];
    /* Block-max: per block an upper bound of any match's score, when every
     * scored word has bounds (bounds.c); NULL otherwise. */
    double *block_ub;
    int64_t n_blocks;
    bool has_text;
    bool is_void; /* a required part matches nothing */
    /* docinfo: the block of the current row */
    sqlite3_blob *dblob;
    int64_t dblock; /* block in dbuf, -1 = none */
    bool dhas;      /* that block exists */
    bool need_full; /* quality, heat or the date are needed */
    bool need_date; /* the dates (need_full) */
    bool need_qh;   /* quality and heat (need_full) */
    unsigned char dbuf[NX_DOCINFO_BYTES];
    /* A count's unpublished rows (walk_unpub), when they are left out. */
    bool has_unpub; /* unpub and n_unpub are set (unpub may be NULL) */
    const uint64_t *unpub;
    size_t n_unpub; /* words */
    /* A count of few rows reads the unpublished rows of the units it
     * meets from the tag's doclist, unit by unit (walk.c). */
    nx_fr_term *unpub_t; /* NULL when no item is unpublished */
    bool has_unpub_t;    /* unpub_t is open */
    int64_t unpub_lo;    /* the last unit read so */
    size_t n_unpub_units;
    sqlite3_stmt *docsize; /* exact lengths over NX_DOCINFO_LEN_BIG */
    nx_buf scratch;
    /* The block being walked: for each scored phrase, the slots it holds
     * and its occurrences per column there. */
    uint64_t (*ph_bits)[ENG_WORDS];
    uint32_t (*ph_tf)[ENG_UNIT][3];
    uint64_t tmp_bits[ENG_WORDS]; /* one term of a prefix */
    uint32_t tmp_tf[ENG_UNIT][3];
    /* positions of the tokens of a phrase at a row (nx_fr_pos_list);
     * pos_buf has ENG_MAX_TOKENS rows, made when a phrase is first walked */
    int pos_n[ENG_MAX_TOKENS];
    int64_t (*pos_buf)[ENG_MAX_POSITION];
    int rc;                   /* sticky SQLite result code */
    bool is_declined;         /* not a query the engine runs (SQL will) */
    uint64_t n_walked;        /* blocks the top walk went through */
    uint64_t *walked;         /* those blocks, as bits (n_blocks of them) */
    uint64_t n_walked_rows;   /* the matches it counted there */
    uint64_t n_counted_only;  /* blocks the bounds left unscored */
    uint64_t n_blocks_scored; /* blocks with bounds the walk scored */
    bool is_counting;  /* a walk that only counts: no occurrences needed */
    uint64_t n_hidden; /* matches left out for being unpublished */
    /* A count that also marks its matches (nx_engine_matches): bit id of
     * `marks`, over n_marks words. */
    uint64_t *marks;
    size_t n_marks;
    /* Rows scored only when a bound from their occurrences alone can beat
     * the score to beat (nx_scoring_row_bound); 0 = off. */
    bool has_row_bound;
    double row_factor;  /* the largest prior and freshness factor */
    double sat_max[64]; /* sat(tf, length 0) for small tf */
} eng;

/* Both set *is_declined (and return NEWSIDX_OK, what they filled meaning
 * nothing) for a query the engine does not run; search.c then uses SQL. */
/* The best run->cap candidates into run (a heap, via nx_search_offer). */
int nx_engine_run(search_run *run, newsidx_query *q, bool *is_declined,
                  newsidx_error *err);
/* The number of matches. */
int nx_engine_count(uint64_t *total_out, uint64_t *hidden_out, newsidx_query *q,
                    bool *is_declined, newsidx_error *err);
/* The matches as bits: bit id of marks[0..n_words) set for each (zeroed
 * by the caller); an id past them is damage (the file's docinfo spans
 * every item). */
int nx_engine_matches(uint64_t *marks, size_t n_words, newsidx_query *q,
                      bool *is_declined, newsidx_error *err);

/**************************************************************************
** Interface to code in plan.c
*/
/* The plan of e's query (e->q->parsed): its phrases in e->ph (the scored
 * ones first, e->n_scored of them, in FTS5's order), their iterators open
 * on e->r; the required groups in e->req, cheapest first, and the
 * exclusions in e->neg.  Sets e->is_declined for a query the engine does
 * not run; a failure is left in e->rc. */
void nx_plan_build(eng *e);
/* Free the phrases and groups of e's plan (not e itself). */
void nx_plan_free(eng *e);

/**************************************************************************
** Interface to code in walk.c
*/
/* Is slot `s` set in a block's bits (ENG_WORDS words)?  Inline: the walk
 * and the scores test one per row. */
static inline bool
nx_walk_bit(const uint64_t *bits, unsigned s)
{
    return (bits[s >> 6] >> (s & 63)) & 1;
}
/* Where each term of prefix `p` may next hold a row (after a walk or a
 * rewind moved them). */
void nx_walk_alt_next(eng_phrase *p);
/*
 * The top walk of a query with bounds: the WALK_TOP blocks of the highest
 * bounds, first, so that the walk in rowid order after it starts with a
 * score to beat close to the final one and can leave most blocks to be
 * only counted.  It counts and marks the blocks it takes.
 */
void nx_walk_top(eng *e, search_run *run);
/*
 * Walk every match, block by block in rowid order, scoring them into
 * `run` when it is not NULL; returns the number of matches.  Blocks the
 * top walk took (e->walked) are skipped: it counted them.  With bounds, a
 * block whose bound cannot beat the worst of run's best is only counted:
 * none of its rows could enter, so the best are exactly the exhaustive
 * walk's.
 */
uint64_t nx_walk_all(eng *e, search_run *run);

/**************************************************************************
** Interface to code in scoring.c
*/
/* The idf of each scored phrase (nx_search_idf) and the column averages,
 * as nx_bm25f works them out (rank.c); sets e->is_declined when
 * nx_search_idf does not give one for each scored phrase. */
int nx_scoring_weights(eng *e, newsidx_error *err);
/*
 * A bound of a row's score from its occurrences alone: each column's
 * saturation at its largest, for a length of 0 (the shortest), times the
 * largest prior and freshness factor.  A row whose bound cannot beat the
 * score to beat is counted without being scored: the lengths, the prior
 * and the division per column are what a score costs.  Set up for ranked
 * queries with weights and idfs of one sign (a bound needs them).
 */
void nx_scoring_row_bound_init(eng *e);
/* The bound of the row at bit `u` of the block being scored. */
double nx_scoring_row_bound(const eng *e, unsigned u);
/* Score row `id` (docinfo slot `s`, bit `u` of its unit) into `c`
 * (search.c's fields and sort key). */
void nx_scoring_row(eng *e, int64_t id, unsigned s, unsigned u, search_cand *c);
/* The block-max bounds of the query: e->block_ub[b] is an upper bound of
 * the score of any match in block b (0: none can match there).  Left NULL
 * when some scored phrase has no bounds (a prefix, a rare word), or the
 * query sorts otherwise. */
void nx_scoring_bounds(eng *e);

#endif /* NX_RESULTS_H */
