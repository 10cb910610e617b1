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
** Interface to code in fts5read.c
**
** The fts table's inverted index read from fts_data and fts_idx directly
** (FTS5's storage format of SQLite 3.40).  Functions returning int give
** SQLite result codes unless they say otherwise; after a failure the
** reader stays failed and nx_fr_error() turns it into a status.
*/
#define NX_FR_COLUMNS 4 /* title, excerpt, body, tags */
/* FTS5 keeps at most this many bytes of a token (FTS5_MAX_TOKEN_SIZE): a
 * longer one is cut there when indexed and when queried, and so is a term
 * given to nx_fr_term_open. */
#define NX_FR_MAX_TOKEN 32768
/* nx_fr_open's status for an fts table this reader does not know. */
#define NX_FR_UNSUPPORTED (-101)

typedef struct nx_fr nx_fr;
typedef struct nx_fr_term nx_fr_term;

/* A reader of `db`'s fts index, inside the caller's read transaction.
 * NEWSIDX_OK; NX_FR_UNSUPPORTED (another FTS5 format, or
 * NEWSIDX_FTS5_READER=off in the environment: use SQL); NEWSIDX_IO,
 * NEWSIDX_NOMEM, NEWSIDX_CORRUPT (a malformed record). */
int nx_fr_open(nx_fr **out, sqlite3 *db, newsidx_error *err);
/* Is the reader switched off (NEWSIDX_FTS5_READER=off)? */
bool nx_fr_is_off(void);
/* Checks the records FTS5 trusts (the structure and averages) before
 * FTS5 reads them, whatever NEWSIDX_FTS5_READER says: NEWSIDX_OK (also
 * for another FTS5 format), or nx_fr_open's errors. */
int nx_fr_check(sqlite3 *db, newsidx_error *err);
void nx_fr_close(nx_fr *r);
/* The rows of the fts table and the tokens in column `col` of them all
 * (FTS5's averages record: what xRowCount and xColumnTotalSize give). */
int64_t nx_fr_rows(const nx_fr *r);
int64_t nx_fr_col_total(const nx_fr *r, int col);
/* Leaf pages read so far (for tests and benchmarks). */
uint64_t nx_fr_pages_read(const nx_fr *r);
/* Doclist-index records read so far, and the leaves they listed. */
void nx_fr_dlidx_read(const nx_fr *r, uint64_t *records, uint64_t *leaves);
/* The reader's failure as a newsidx status with a message, or NEWSIDX_OK. */
int nx_fr_error(const nx_fr *r, newsidx_error *err);

/* An iterator over the rows holding `term` (its exact bytes), in rowid
 * order, on the first of them; *out is NULL when no row holds it. */
int nx_fr_term_open(nx_fr_term **out, nx_fr *r, const char *term, size_t len);
/* Iterators for n distinct terms given in FTS5's order (bytewise, the
 * shorter first on a tie), into out[0..n), NULL for a term no row holds:
 * as nx_fr_term_open each, but a leaf that holds several of them is
 * looked up and read once per segment (the terms of a prefix). */
int nx_fr_terms_open(nx_fr *r, int n, const char *const *terms,
                     const size_t *lens, nx_fr_term **out);
/* Move to the next row, or to the first row >= `rowid`. */
int nx_fr_term_next(nx_fr_term *t);
int nx_fr_term_seek(nx_fr_term *t, int64_t rowid);
/* Put the iterator on its first row >= `from`, wherever it is now, back
 * or forward (a new walk, of rows or of blocks, may start there). */
int nx_fr_term_rewind(nx_fr_term *t, int64_t from);
bool nx_fr_term_eof(const nx_fr_term *t); /* true for NULL too */
int64_t nx_fr_term_rowid(const nx_fr_term *t);
/* The position list of the current row (valid until the iterator moves;
 * 16 readable zero bytes follow it). */
int nx_fr_term_poslist(nx_fr_term *t, const unsigned char **p, int *n);
void nx_fr_term_close(nx_fr_term *t);

/* The term's rows in [lo, lo + 64 * n_words), as bits of `bits` (bit
 * rowid - lo), with their occurrences per column in tf[bit] when tf is not
 * NULL.  Only rows whose bit is set in `cand` (all rows when NULL) are
 * looked at; with col >= 0, only occurrences in that column count and a
 * row without one is not set.  The caller clears `bits` first.  The
 * iterator moves past the block; blocks must come in rising order (until
 * nx_fr_term_rewind), and the row functions above must not be used on the
 * same iterator. */
int nx_fr_term_block(nx_fr_term *t, int64_t lo, int n_words,
                     const uint64_t *cand, uint64_t *bits, uint32_t (*tf)[3],
                     int col);
/* Where nx_fr_term_block_pos puts the position lists of a block's rows:
 * the list of slot s is arena.data + off[s], len[s] bytes (16 readable
 * bytes follow the last); off and len have a slot per row of the block. */
typedef struct nx_fr_block_pos {
    nx_buf arena;
    uint32_t *off, *len;
} nx_fr_block_pos;
/* As nx_fr_term_block without tf or column, and with each row's position
 * list in `out` (its arena emptied first). */
int nx_fr_term_block_pos(nx_fr_term *t, int64_t lo, int n_words,
                         const uint64_t *cand, uint64_t *bits,
                         nx_fr_block_pos *out);
/* The lowest rowid a block walk of `t` may still find (INT64_MAX at the
 * end): a bound, deleted rows may be there. */
int64_t nx_fr_term_block_next(const nx_fr_term *t);

/* Walking a position list: each (column, token offset) in order. */
typedef struct nx_fr_pos {
    const unsigned char *p;
    int n, off;
    int col; /* current column */
    int pos; /* current token offset in it */
} nx_fr_pos;
void nx_fr_pos_init(nx_fr_pos *it, const unsigned char *p, int n);
bool nx_fr_pos_next(nx_fr_pos *it);
/* Add a position list's entries per column to tf[0..2] (columns 3 and up
 * are not added); only column `col`'s when col >= 0.  Returns how many
 * entries were in the column(s) looked at. */
int nx_fr_pos_count(const unsigned char *p, int n, int col, int *tf);

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
 * functions, is score.c's: indexer/internal.h.) */

/* Register nx_bm25f on `db` with `state` as its side channel. */
int nx_rank_register(sqlite3 *db, nx_rank_state *state, newsidx_error *err);
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
