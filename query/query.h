/*
 * query.h - declarations shared by the files of libnewsidx's read half
 * (query/).  One section per file.  Not installed; the newsquery program
 * must not include it.
 */
#ifndef NX_QUERY_H
#define NX_QUERY_H

#include "internal.h"

/**************************************************************************
** Interface to code in parse.c
**
** The query language (docs/query.md): plain words are ANDed; "exact
** phrase"; a OR b; -word excludes; word* is a prefix; title: excerpt:
** body: restrict a word or phrase to a column; provider: topic: type:
** category: date: quality: heat: are filters.  Every word goes through
** nx_normalize, the same function the index uses.
*/

typedef enum nx_filter_kind {
    NX_FILTER_PROVIDER, /* name or domain; `text` is normalized */
    NX_FILTER_TOPIC,    /* `text` is normalized */
    NX_FILTER_TYPE,     /* `text` is normalized */
    NX_FILTER_CATEGORY, /* `text` is normalized */
    NX_FILTER_DATE,     /* published_at in [lo, hi], Unix seconds */
    NX_FILTER_QUALITY,  /* quality in [lo, hi] */
    NX_FILTER_HEAT      /* heat in [lo, hi] (unknown heat never matches) */
} nx_filter_kind;

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

/* A positive search term, for highlighting and suggestions. */
typedef struct nx_term {
    char *text;     /* normalized; may hold several tokens */
    bool is_prefix; /* word* */
    bool is_column; /* title:word and the like */
} nx_term;

typedef struct nx_parsed {
    char *match;   /* FTS5 expression of the positive part, or "" */
    char *exclude; /* FTS5 expression ORing the excluded parts, or "" */
    nx_term *terms;
    size_t n_terms;
    size_t n_excluded; /* words and phrases in `exclude` */
    nx_filter *filters;
    size_t n_filters;
} nx_parsed;

/*
 * Parse a query typed by a person.  Never fails on punctuation, unbalanced
 * quotes or parentheses, lone operators, URLs or non-ASCII: those become
 * words or are dropped.  Only real misuse fails with NEWSIDX_PARSE: an
 * unknown field name (`foo:bar`), or a malformed date, number or range in a
 * filter; err->line is 1 and err->column the 1-based character position in
 * `text` where the problem starts.  NEWSIDX_NOMEM on allocation failure.
 * `*out` is freed with nx_parsed_free.
 */
int nx_query_parse(nx_parsed **out, const char *text, size_t len,
                   newsidx_error *err);
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
typedef struct nx_weights {
    double title, excerpt, body; /* column weights */
    double quality, heat;        /* prior weights */
    double strength;             /* 0..0.9: prior factor in 1 +- strength */
    double fresh_half_life;      /* days; 0 = off */
    int64_t now;                 /* Unix seconds */
} nx_weights;

#define NX_BM25_K1 1.2
#define NX_BM25_B  0.75

/* Register nx_bm25f on `db` with `state` as its side channel. */
int nx_rank_register(sqlite3 *db, nx_rank_state *state, newsidx_error *err);
/* The prior in 0..1 and its factor for an item's quality and heat. */
double nx_rank_prior(const nx_weights *w, bool has_q, int64_t q, bool has_h,
                     int64_t h);
double nx_rank_prior_factor(const nx_weights *w, double prior);
/* The largest prior factor of any item whose rank key has `level`. */
double nx_rank_level_bound(const nx_weights *w, int level);
/* Freshness factor in (0, 1]; 1 when off; 0.5 for an unknown date. */
double nx_rank_fresh(const nx_weights *w, bool has_date, int64_t date);
/* Parse "title=10,excerpt=4,quality=1,heat=1,prior=0.3,fresh=30" into `w`
 * (only the keys given).  False on a malformed list. */
bool nx_rank_parse_weights(nx_weights *w, const char *s);

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
/* Suggestions for a query that found little: the query text with one
 * misspelt word replaced by a frequent index term within a small edit
 * distance.  Appends NUL-separated suggestions to `out`; returns their
 * count (0 on failure or when there is none). */
size_t nx_suggest(nx_buf *out, newsidx_index *idx, const char *text,
                  const nx_parsed *parsed);
/* The FTS5 expression for items like the one whose normalized text is
 * `text`: its most distinctive terms ORed.  Appends to `out`. */
int nx_like_match(nx_buf *out, newsidx_index *idx, const char *text,
                  newsidx_error *err);

#endif /* NX_QUERY_H */
