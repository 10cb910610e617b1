/*
 * query.h - declarations shared by the files of libnewsidx's read half
 * (query/).  One section per file.  Not installed; the newsquery program
 * must not include it.
 */
#ifndef NX_QUERY_H
#define NX_QUERY_H

#include "format.h"
#include "fts5read.h"

/**************************************************************************
** Interface to code in parse.c
**
** The query language (docs/query.md): plain words are ANDed; "exact
** phrase"; a OR b; -word and NOT word exclude; AND; ( ... ) groups; word*
** is a prefix; title: excerpt: body: restrict a word or phrase to a
** column; provider: topic: type: category: date: quality: heat: are
** filters.  Every word goes through nx_normalize, the same function the
** index uses.
*/

typedef enum nx_filter_kind {
    NX_FILTER_PROVIDER, /* name or domain; `text` is normalized */
    NX_FILTER_TOPIC,    /* `text` is normalized */
    NX_FILTER_TYPE,     /* `text` is normalized */
    NX_FILTER_CATEGORY, /* `text` is normalized */
    NX_FILTER_URL,      /* `text` is the URL key (nx_url_normalize) */
    NX_FILTER_DATE,     /* published_at in [lo, hi], Unix seconds */
    NX_FILTER_QUALITY,  /* quality in [lo, hi] */
    NX_FILTER_HEAT      /* heat in [lo, hi] (unknown heat never matches) */
} nx_filter_kind;

/* The filters answered by the tags of the fts table (query.c resolves
 * them to tag tokens); the others compare a number. */
#define NX_FILTER_LAST_TAG NX_FILTER_URL

typedef struct nx_filter {
    nx_filter_kind kind;
    bool is_negated; /* -topic:x */
    char *text;      /* PROVIDER..CATEGORY: the normalized value */
    char *raw;       /* the value as typed (for messages), unquoted */
    bool has_lo, has_hi;
    int64_t lo, hi; /* inclusive bounds */
} nx_filter;

/* What a provider:, topic:, type: or category: filter stands for in this
 * index: its tokens in the fts `tags` column (query.c resolves them). */
typedef struct nx_tags {
    char **tok;  /* NX_TAG_* tokens; none when nothing in the index fits */
    size_t n;    /* tokens in `tok` */
    char *match; /* FTS5 expression `tags : ("a" OR "b")`, or NULL */
} nx_tags;

/* A word or phrase of the query. */
typedef struct nx_term {
    char *text;     /* normalized tokens joined by spaces */
    bool is_prefix; /* word* */
    bool is_column; /* title:word and the like */
    int column;     /* with is_column: 0 title, 1 excerpt, 2 body */
    size_t group;   /* positive terms: the AND group it is an alternative
                       of (terms of one group are ORed) */
    bool is_form;   /* another form of the word typed (nx_expander) */
    size_t family;  /* the index, in the same list, of the word typed
                       (its own for the word itself) */
    size_t phrase;  /* its FTS5 phrase number in `match`; NX_NO_PHRASE for
                       a term of `exclude` */
} nx_term;
#define NX_NO_PHRASE ((size_t)-1)

typedef struct nx_parsed {
    char *match;    /* FTS5 expression of the positive part, or "" */
    char *exclude;  /* FTS5 expression ORing the excluded parts, or "" */
    nx_term *terms; /* the positive terms, in the order of `match`
                       (FTS5's phrase numbers) */
    size_t n_terms;
    size_t n_groups;   /* AND groups of `match` */
    nx_term *excluded; /* the terms of `exclude`, in its order */
    size_t n_excluded; /* words and phrases in `exclude` */
    nx_filter *filters;
    size_t n_filters;
    bool is_general;  /* `match` is an FTS5 expression of any shape (AND
                         inside OR, NOT of a group, ...): terms have no
                         groups, and the engine leaves it to SQL */
    size_t n_dropped; /* words and phrases dropped for having no letter
                         or digit */
    size_t n_forms;   /* terms (of both lists) that are other forms of a
                         word typed, not typed themselves */
    size_t n_phrases; /* FTS5 phrases of `match` (its positive terms and,
                         in a general expression, the NOT parts inside) */
} nx_parsed;

/* Where the parser finds a word's other forms (query.c: the words of the
 * index with the same stem).  `forms` appends them, each NUL-ended, at
 * most NX_MAX_FORMS, not the word itself; returns how many, or -1 on
 * out-of-memory. */
#define NX_MAX_FORMS 7
typedef struct nx_expander {
    int (*forms)(void *ctx, const char *word, size_t len, nx_buf *out);
    void *ctx;
} nx_expander;

/*
 * Parse a query typed by a person.  Never fails on punctuation, unbalanced
 * quotes or parentheses, lone operators, URLs or non-ASCII: those become
 * words or are dropped.  Only real misuse fails with NEWSIDX_PARSE: an
 * unknown field name (`foo:bar`), a malformed date, number or range in a
 * filter, what the operators cannot express (`a OR -b`, `a OR (NOT b)`,
 * `topic:x OR b`), or groups and NOTs nested more than 8 deep (FTS5's
 * parser would overflow); err->line is 1 and err->column the 1-based
 * character position in `text` where the problem starts.  NEWSIDX_NOMEM on
 * allocation failure.
 * `*out` is freed with nx_parsed_free.
 */
int nx_query_parse(nx_parsed **out, const char *text, size_t len,
                   newsidx_error *err);
/* nx_query_parse, each single-token word (not quoted, not a prefix, not
 * written `=word`) written with its other forms from `x` as alternatives:
 * ("robots" OR "robot"), and as terms (is_form) after it. */
int nx_query_parse_with(nx_parsed **out, const char *text, size_t len,
                        const nx_expander *x, newsidx_error *err);
void nx_parsed_free(nx_parsed *q);

/*
 * Parse a date or range as `date:` takes it: YYYY, YYYY-MM, YYYY-MM-DD,
 * each end optional around "..": a bare period covers the whole year,
 * month or day.  Bounds are inclusive Unix seconds (UTC).  Returns false on
 * a malformed value.
 */
bool nx_query_date_range(const char *s, size_t len, bool *has_lo, int64_t *lo,
                         bool *has_hi, int64_t *hi);

/**************************************************************************
** Interface to code in rank.c
**
** score = bm25f x prior factor x freshness (docs/ranking.md).  bm25f is
** computed by the FTS5 auxiliary function nx_bm25f(fts, w_title,
** w_excerpt, w_body), registered on each connection by nx_rank_register.
** While it scores a query it also works out, once, an upper bound of what
** any row can score; the caller reads it from the nx_rank_state it gave.
*/
/* (The formula itself, nx_weights and the nx_rank_* and nx_score_*
 * functions, is score.c's: indexer/format/format.h.) */

/* The side channel of the nx_bm25f ranking function (query/rank.c). */
typedef struct nx_rank_state {
    bool is_registered; /* nx_bm25f exists on this connection */
    uint64_t n_scored;  /* rows scored by nx_bm25f so far (for tests) */
    /* Set by the SQL scan while it runs: the idf of each phrase
     * (docs/ranking.md), used when n_idf equals the statement's phrase
     * count; otherwise nx_bm25f has FTS5 count each phrase's rows. */
    const double *idf;
    int n_idf;
    /* Set by the SQL scan of a query over several files: the average
     * column lengths of them all, used instead of this file's. */
    const double *avg;
    uint64_t n_counted; /* phrases FTS5 or the engine had to count by a
                           walk over their rows (for tests) */
    uint64_t n_blocks;  /* blocks the engine scored in walks with bounds
                           (for tests and benchmarks) */
} nx_rank_state;

/* Register nx_bm25f on `db` with `state` as its side channel. */
int nx_rank_register(sqlite3 *db, nx_rank_state *state, newsidx_error *err);
/* Parse "title=10,excerpt=4,quality=1,heat=1,prior=0.3,fresh=30" into `w`
 * (only the keys given).  False on a malformed list. */
bool nx_rank_parse_weights(nx_weights *w, const char *s);

/**************************************************************************
** The read half's state on the handle (query.c attaches it with the first
** query made on the handle)
*/
/* See nx_read_half.prefix_rare_df. */
#define NX_PREFIX_RARE_DF 8192
/* The statements hits.c reads a hit with: its row, its topics, its
 * related entries. */
#define NX_HIT_STMTS 3
/* The statements search.c reads collapse keys with: an item's keys, the
 * items of a URL key, the items of a title's hash. */
#define NX_KEY_STMTS 3
typedef struct nx_read_half {
    nx_rank_state rank;        /* see rank.c */
    nx_rowset unpub;           /* the unpublished items (walk.c) */
    struct nx_tokenizer *qtok; /* the engine's; NULL until used */
    int64_t prefix_rare_df;    /* a prefix's terms held by at most this many
                                  rows are read whole (NX_PREFIX_RARE_DF,
                                  plan.c; tests change it) */
    sqlite3_stmt *hit_stmt[NX_HIT_STMTS]; /* hits.c's, prepared once */
    sqlite3_stmt *key_stmt[NX_KEY_STMTS]; /* search.c's likewise */
} nx_read_half;
/* The read half's state, made and attached on first use; NULL when out
 * of memory.  Every query's handle has it. */
nx_read_half *nx_read_half_of(newsidx_index *idx);

/**************************************************************************
** Interface to code in snippet.c
*/
/*
 * Append to `out` a window of display text `text` around the first word
 * that matches one of `terms` (compared through nx_normalize), with each
 * matching word wrapped in `open`/`close`.  Returns false when no word
 * matched (nothing is appended) or on out-of-memory (nx_buf_oom).
 */
bool nx_snippet(nx_buf *out, const char *text, const nx_term *terms,
                size_t n_terms, const char *open, const char *close);

/**************************************************************************
** Interface to code in suggest.c
*/
/* Suggestions counted, and so offered, at most per query. */
#define NX_SUGGEST_MAX 3
/* "Did you mean" for results `r` of a query that found little (inside its
 * read transaction): the query text with misspelt words replaced by index
 * terms a small edit distance away, each counted and kept only when it
 * finds more than r->total (suggest.c says which words and terms).  Sets
 * r->suggestions, r->suggestion_totals and r->n_suggestions, most matches
 * first.  NEWSIDX_OK (also when there is none); what reading the index
 * can fail with: NEWSIDX_IO, NEWSIDX_BUSY, NEWSIDX_CORRUPT, NEWSIDX_NOMEM. */
int nx_suggest(newsidx_results *r, newsidx_error *err);
/* The query for items like the one whose normalized text is `text`: its
 * most distinctive words ORed ("w1 OR w2 ..."; the parser adds their
 * other forms).  Appends to `out`. */
int nx_like_match(nx_buf *out, newsidx_index *idx, const char *text,
                  newsidx_error *err);

#endif /* NX_QUERY_H */
