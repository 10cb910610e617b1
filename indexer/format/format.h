/*
 * format.h - the index-format layer of libnewsidx (indexer/format/): the
 * database handle and its transactions, the schema, the tokenizer and
 * stemmer, the tags, terms, docinfo and bounds tables, and the one
 * scoring module.  Both halves stand on it; it calls neither (they reach
 * it through nx_half_attach).  The FTS5 storage reader has its own header,
 * fts5read.h.  One section per file.  Not installed.
 */
#ifndef NX_FORMAT_H
#define NX_FORMAT_H

#include "base.h"

/**************************************************************************
** Interface to code in db.c and schema.c
**
** db.c owns the handle: it opens an index file (pragmas, version check,
** lock), runs its transactions, and is the one place a SQLite result code
** becomes a newsidx status (nx_db_error).  schema.c creates the tables.
*/
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_blob sqlite3_blob;

/* Translate a SQLite failure into a status with SQLite's message: the
 * one place a SQLite code becomes a newsidx status.  SQLITE_CORRUPT and
 * SQLITE_NOTADB are NEWSIDX_CORRUPT, with the reason nx_db_damaged
 * recorded when newsidx found the damage itself (the reason is then
 * used up). */
int nx_db_error(newsidx_index *idx, int sqlite_rc, const char *what,
                newsidx_error *err);
/* The status of a SQLite result code, for a caller that words its own
 * message (naming a record, say): the same mapping nx_db_error uses, so
 * that a code means one thing wherever it is met.  SQLITE_OK is
 * NEWSIDX_OK. */
int nx_db_status(int sqlite_rc);
/* Record why a stored record is out of shape ("docinfo block 3 has 12
 * bytes") for the nx_db_error that reports it; returns
 * SQLITE_CORRUPT.  The first reason stands until it is reported. */
int nx_db_damaged(newsidx_index *idx, const char *fmt, ...) NX_PRINTF(2, 3);
/* The same for a NEWSIDX_CORRUPT another part reported in `err`. */
int nx_db_damaged_from(newsidx_index *idx, const newsidx_error *err);
/* The largest item id (and fts rowid) the index file can hold: ids index
 * bitmaps of the collection, so a larger one read from a damaged file
 * must not size an allocation.  newsindex gives ids counting up from 1,
 * and every id ever given has cost the file far more than the bit a
 * bitmap spends on it. */
int64_t nx_db_max_id(newsidx_index *idx);
int nx_db_exec(newsidx_index *idx, const char *sql, newsidx_error *err);
int nx_db_begin(newsidx_index *idx, newsidx_error *err);
int nx_db_commit(newsidx_index *idx, newsidx_error *err);
void nx_db_rollback(newsidx_index *idx);

/* nx_db_begin starts a write transaction (the write half's, and
 * newsidx_index_set_stem_language's); a read transaction is
 * nx_db_exec(idx, "BEGIN") and ends with nx_db_rollback.  A commit first
 * flushes what the halves and docinfo, terms and bounds hold back; a
 * failed commit rolls back.  A rollback (safe outside a transaction)
 * drops what they hold back. */

/* The two halves keep their own state on the handle.  The format layer
 * knows it only as a pointer and the calls registered with it, so a
 * commit, a rollback and the close never call upward by name. */
enum nx_half { NX_HALF_WRITE, NX_HALF_READ, NX_HALF_COUNT };
typedef struct nx_half_ops {
    /* Before COMMIT: write what the half holds back (a SQLite result
     * code); NULL when it holds nothing back. */
    int (*flush)(newsidx_index *idx, void *state);
    /* After ROLLBACK: drop what it holds back; may be NULL. */
    void (*discard)(newsidx_index *idx, void *state);
    /* At the close, before the connection: free `state`. */
    void (*free)(newsidx_index *idx, void *state);
} nx_half_ops;
/* Attach `state` (owned by the handle from now on) for a half that has
 * none yet. */
void nx_half_attach(newsidx_index *idx, enum nx_half which, void *state,
                    const nx_half_ops *ops);
/* A half's state, or NULL before it attached one. */
void *nx_half_state(const newsidx_index *idx, enum nx_half which);

/* The application_id stamped on every index file ("nxdx"). */
#define NX_APPLICATION_ID 0x6e786478

/* Create the tables of a new, empty index. */
int nx_schema_create(newsidx_index *idx, newsidx_error *err);
/* Drop every table of the index (for a rebuild of another version). */
int nx_schema_drop(newsidx_index *idx, newsidx_error *err);

/* Take or release the exclusive indexing lock (flock on the index file);
 * NEWSIDX_BUSY when another process holds it. */
int nx_db_lock(newsidx_index *idx, newsidx_error *err);
void nx_db_unlock(newsidx_index *idx);

/**************************************************************************
** Interface to code in tags.c
**
** The fts table's columns, and the filter tokens of its tags column.
*/
#define NX_FTS_COLUMNS 4
/* The filter tokens of the tags column (store.c writes them): U+E000 and
 * a letter, then a topic or provider id, or 16 hex digits of nx_hash64 of
 * the normalized type or category, or the month and the year of the date
 * (nx_date_tag); the last one marks published: false. */
#define NX_TAG_TOPIC                                                           \
    "\xee\x80\x80"                                                             \
    "t"
#define NX_TAG_PROVIDER                                                        \
    "\xee\x80\x80"                                                             \
    "p"
#define NX_TAG_TYPE                                                            \
    "\xee\x80\x80"                                                             \
    "y"
#define NX_TAG_CATEGORY                                                        \
    "\xee\x80\x80"                                                             \
    "c"
#define NX_TAG_UNPUBLISHED                                                     \
    "\xee\x80\x80"                                                             \
    "u"
#define NX_TAG_MONTH                                                           \
    "\xee\x80\x80"                                                             \
    "m"
#define NX_TAG_YEAR                                                            \
    "\xee\x80\x80"                                                             \
    "d"
/* And one of the item's URL keys (nx_url_normalize of webUrl, originalUrl,
 * ampWebUrl, cdnAmpWebUrl) as 16 hex digits of nx_hash64: the `url:`
 * filter. */
#define NX_TAG_LINK                                                            \
    "\xee\x80\x80"                                                             \
    "l"
/* The fts column of the tags. */
#define NX_FTS_TAGS 3
/* The tag of month `month` (nx_month_of's count: months since 1970-01,
 * UTC) or, with is_year, of the year it is in, into out (at least
 * NX_DATE_TAG_SIZE bytes): NX_TAG_YEAR and the year (d2015), NX_TAG_MONTH
 * and the year and the month in two digits (m201502); a year before 0 as
 * "n" and its magnitude, for the tokenizer would cut at a minus sign. */
#define NX_DATE_TAG_SIZE 40
void nx_date_tag(char *out, bool is_year, int64_t month);

/**************************************************************************
** An item as the index stores it
**
** prepare.c (the write half) works it out from an item; ftsqueue.c,
** terms.c and bounds.c write and count it.
*/
typedef struct nx_doc_token {
    uint32_t off;   /* of the token in nx_doc.tokens */
    uint32_t len;   /* bytes, at most FTS5's 32768 */
    uint32_t hash;  /* nx_token_hash */
    uint32_t tf[3]; /* occurrences in title, excerpt, body */
} nx_doc_token;

typedef struct nx_doc {
    char *text[3];         /* normalized title, excerpt, body; NULL = none */
    size_t len[3];         /* their bytes */
    uint32_t n_tokens[3];  /* the tokens FTS5 counts in each */
    char *url_key;         /* of the webUrl; NULL without one */
    char *link_keys[3];    /* of originalUrl, ampWebUrl, cdnAmpWebUrl */
    char **related_keys;   /* n_related URL keys, NULL without a URL */
    size_t n_related;      /* = the item's */
    char **topic_keys;     /* n_topics normalized topic names */
    size_t n_topics;       /* = the item's */
    char *provider_key;    /* normalized provider name; NULL = no provider */
    char *warnings_json;   /* the warnings as a JSON array, or NULL */
    char *type_key;        /* normalized type; NULL without one */
    char *category_key;    /* normalized category; NULL without one */
    int level;             /* nx_prior_level */
    nx_buf tokens;         /* bytes of the distinct tokens */
    nx_doc_token *tok;     /* the distinct tokens of the three texts */
    size_t n_tok, cap_tok; /* used and allocated entries of `tok` */
} nx_doc;

/**************************************************************************
** Interface to code in stem.c (owns libstemmer)
**
** Word stems in the index's language (meta 'stem_language', English by
** default, "none" for no stemming): terms.c stores each word's stem beside
** its count, and queries find a word's other forms by it.
*/
#define NX_STEM_DEFAULT "english"
#define NX_STEM_NONE    "none"
/* Longer tokens are not stemmed (they are not words). */
#define NX_STEM_MAX_BYTES 256
typedef struct nx_stemmer nx_stemmer;

/* Is `language` a Snowball algorithm name ("english", "german", ...) or
 * "none"? */
bool nx_stem_language_ok(const char *language);
/* A stemmer for `language`: NEWSIDX_OK, NEWSIDX_INVALID (an unknown
 * language), NEWSIDX_NOMEM.  One thread at a time. */
int nx_stemmer_new(nx_stemmer **out, const char *language);
void nx_stemmer_free(nx_stemmer *s);
const char *nx_stemmer_language(const nx_stemmer *s);
/* The stem of normalized token `token` (`len` bytes): *stem_out points
 * into the stemmer (valid until the next call) or at `token` itself (not
 * a word, or no stemming).  False on out-of-memory. */
bool nx_stem(nx_stemmer *s, const char *token, size_t len,
             const char **stem_out, size_t *len_out);

/**************************************************************************
** Interface to code in tokenizer.c (owns the use of FTS5's tokenizer)
**
** Functions return SQLite result codes.
*/
/* The fts table's tokenizer: unicode61 with remove_diacritics 2, and these
 * Unicode categories in tokens: letters, numbers, private use (the tags)
 * and other symbols (emoji; nx_normalize sets each off by spaces, so each
 * is a token of its own). */
#define NX_TOKEN_CATEGORIES "L* N* Co So"
typedef struct nx_tokenizer nx_tokenizer;
/* xTokenize's callback: one token (`n` bytes) of the text. */
typedef int (*nx_token_fn)(void *ctx, int flags, const char *token, int n,
                           int start, int end);

/* A new instance of the fts table's tokenizer, from `db`'s FTS5. */
int nx_tokenizer_new(nx_tokenizer **out, sqlite3 *db);
void nx_tokenizer_free(nx_tokenizer *t);
/* Cut `text` as FTS5 does for a document (or, with is_query, a query). */
int nx_tokenizer_run(nx_tokenizer *t, bool is_query, const char *text,
                     size_t len, nx_token_fn cb, void *ctx);
/* The hash the term counts key tokens by (FNV-1a). */
uint32_t nx_token_hash(const char *p, size_t n);

/**************************************************************************
** Interface to code in terms.c
**
** The `terms` table: for every token of the fts table, the number of rows
** holding it, kept by the writes below so that queries get a word's idf
** without walking its doclist.  Functions return SQLite result codes.
*/
typedef struct nx_terms nx_terms;

/* The most rows a token can be in (no index holds more items); a stored
 * count outside [0, NX_TERMS_MAX_DF] is damage, and sums of a query's
 * counts stay far from overflowing. */
#define NX_TERMS_MAX_DF ((int64_t)1 << 40)
/* The token's count in column `col` of `stmt`'s row into *df; returns
 * SQLITE_CORRUPT (nx_db_damaged) when it is out of range. */
int nx_terms_df_column(newsidx_index *idx, sqlite3_stmt *stmt, int col,
                       int64_t *df);

/* Count the distinct tokens of one fts row's texts (n_texts of them; NULL
 * texts are skipped) with `sign` +1 (a row added) or -1 (a row deleted).
 * Inside the write transaction: may write counts out when they grow. */
int nx_terms_count(newsidx_index *idx, const char *const *text,
                   const size_t *len, size_t n_texts, int sign);
/* Count, as one row, the distinct tokens of a prepared document
 * (nx_prep_doc) and those of `extra` (may be NULL). */
int nx_terms_count_doc(newsidx_index *idx, const nx_doc *doc, const char *extra,
                       size_t extra_len, int sign);
/* Write the counts made since the last flush to `terms` (before COMMIT). */
int nx_terms_flush(newsidx_index *idx);
/* Forget the counts made since the last flush (after ROLLBACK). */
void nx_terms_discard(newsidx_index *idx);
/* A stemmer of the index's language (meta 'stem_language'; the default
 * when the index has none): SQLite result code, SQLITE_CORRUPT for a name
 * that is no language (nx_db_damaged). */
int nx_terms_stemmer(newsidx_index *idx, nx_stemmer **out);
/* Set the index's language (a name nx_stem_language_ok takes) and store
 * every term's stem in it, inside the caller's transaction. */
int nx_terms_set_language(newsidx_index *idx, const char *language);
/* The rows holding `text` when it is one token and `terms` knows it;
 * otherwise -1 (FTS5 must count). */
int nx_terms_df(newsidx_index *idx, const char *text, size_t len, int64_t *df);
/* The rows holding each token of `text` (as a query cuts it), into df[]
 * (at most `max`; SQLITE_TOOBIG beyond), 0 for a token no row holds. */
int nx_terms_word_dfs(newsidx_index *idx, const char *text, size_t len,
                      int64_t *df, int max, int *n_out);
/* The sum of the rows holding each token that starts with `prefix`. */
int nx_terms_prefix_df(newsidx_index *idx, const char *prefix, size_t len,
                       int64_t *sum);
void nx_terms_free(newsidx_index *idx);

/**************************************************************************
** Interface to code in score.c
**
** The ranking formula, in one place (docs/ranking.md):
**   score = bm25f x prior factor x freshness
** Every scorer calls these (the engine, the SQL fallback, the stored
** bounds).  Pure arithmetic: no SQLite.
*/
#define NX_SCORE_COLUMNS 3 /* the scored columns: title, excerpt, body */

typedef struct nx_weights {
    double title, excerpt, body; /* column weights */
    double quality, heat;        /* prior weights */
    double strength;             /* 0..0.9: prior factor in 1 +- strength */
    double fresh_half_life;      /* days; 0 = off */
    int64_t now;                 /* Unix seconds */
    double form; /* 0..1: what another form of a word typed counts for,
                    against the word itself (1) */
} nx_weights;

/* The default of nx_weights.form: "robot" finds "robots" at half the
 * weight of "robot" itself. */
#define NX_FORM_WEIGHT 0.5

#define NX_BM25_K1 1.2
#define NX_BM25_B  0.75

/* BM25's saturated term frequency of one column: tf (k1 + 1) / (tf + k1
 * (1 - b + b len / avg)). */
double nx_rank_sat(double tf, double len, double avg);
/* Lucene's idf of a phrase held by `n` of `n_rows` rows. */
double nx_rank_idf(int64_t n_rows, int64_t n);
/* One phrase's text score before its idf: the sum over the columns c
 * with tf[c] > 0 of w[c] * sat(tf[c], len[c], avg[c]) (len[c] of a column
 * without the phrase is not read). */
double nx_score_text(const double *w, const uint32_t *tf, const uint32_t *len,
                     const double *avg);

/*
 * The prior level of an item, 0 (lowest) to NX_PRIOR_LEVELS-1, from its
 * quality and heat: round(1023 * (quality part + heat part) / 2).  With
 * equal prior weights the prior of docs/ranking.md is level / 1023.
 */
#define NX_PRIOR_LEVELS 1024
int nx_prior_level_of(bool has_q, int64_t q, bool has_h, int64_t h);
/* A quality or heat value mapped onto 0..1 on a log scale, reaching 1 at
 * `top`; 0.5 (neutral) when unknown, so missing values neither help nor
 * hurt. */
#define NX_PRIOR_QUALITY_TOP 200.0
#define NX_PRIOR_HEAT_TOP    320.0
double nx_prior_part(bool has, int64_t v, double top);
/* The prior in 0..1 for an item's quality and heat under w's weights. */
double nx_rank_prior(const nx_weights *w, bool has_q, int64_t q, bool has_h,
                     int64_t h);
/* The factor of a prior: 1 + strength (2 prior - 1). */
double nx_score_prior_factor(double strength, double prior);
double nx_rank_prior_factor(const nx_weights *w, double prior);
/* The largest prior factor of any item whose rank key has `level`. */
double nx_rank_level_bound(const nx_weights *w, int level);
/* Freshness factor in [0.1, 1]; 1 when off; 0.5 for an unknown date. */
double nx_rank_fresh(const nx_weights *w, bool has_date, int64_t date);

/* What an item brings to its score besides its text (its docinfo slot or
 * its items row). */
typedef struct nx_score_doc {
    int level; /* the prior level (kept in range here) */
    bool has_quality, has_heat, has_date;
    int64_t quality, heat, date;
} nx_score_doc;

typedef struct nx_score {
    double bm25, prior, fresh; /* the factors */
    double score;              /* their product */
    double key;                /* what the sort orders by */
} nx_score;

/* The prior factor of an item under w. */
double nx_score_prior(const nx_weights *w, const nx_score_doc *d);
/* An item's factors, score and sort key (an item without the sort's
 * value sorts last: -1e300). */
void nx_score_item(nx_score *out, const nx_weights *w, newsidx_sort sort,
                   double bm25, const nx_score_doc *d);
/* The stored bound of a token in an item (the bounds table,
 * docs/schema.md): max(1, ceil(NX_BOUND_SCALE * v)), capped at 65535, v
 * its text score under NX_BOUND_W_* times the prior factor of its level
 * under NX_BOUND_STRENGTH, with tf and len per column. */
uint16_t nx_score_bound(const uint32_t *tf, const uint32_t *len,
                        const double *avg, int level);

/**************************************************************************
** Interface to code in docinfo.c
**
** The `docinfo` table: block B holds items B * NX_DOCINFO_SLOTS to
** (B + 1) * NX_DOCINFO_SLOTS - 1, slot = id % NX_DOCINFO_SLOTS, as arrays
** of little-endian numbers at these byte offsets of its blob:
**   NX_DOCINFO_LEN_OFF(c)  u16 token count of column c (title, excerpt,
**                          body); NX_DOCINFO_LEN_BIG means that many or
**                          more: the exact count is in fts_docsize
**   NX_DOCINFO_LEVEL_OFF   u16 prior level
**   NX_DOCINFO_FLAGS_OFF   u8  NX_DOC_* bits; 0 = no item in the slot
**   NX_DOCINFO_QUALITY_OFF i32 quality (clamped to 32 bits)
**   NX_DOCINFO_HEAT_OFF    i32 heat (clamped to 32 bits)
**   NX_DOCINFO_DATE_OFF    i64 published_at, Unix seconds
**   NX_DOCINFO_PROVIDER_OFF u32 providers.id, 0 for none (the facets)
**   NX_DOCINFO_URL_OFF     u64 nx_hash64 of url_key (NX_DOC_HAS_URL_KEY)
**   NX_DOCINFO_TITLE_OFF   u64 nx_hash64 of the normalized title
**                          (NX_DOC_HAS_TITLE_KEY): the collapse keys
** The first NX_DOCINFO_HOT_BYTES hold everything a default ranked query
** reads.  Functions return SQLite result codes.
*/
#define NX_DOCINFO_SHIFT        10
#define NX_DOCINFO_SLOTS        (1 << NX_DOCINFO_SHIFT)
#define NX_DOCINFO_LEN_OFF(c)   ((c)*2 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_LEVEL_OFF    (6 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_FLAGS_OFF    (8 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_HOT_BYTES    (9 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_QUALITY_OFF  (9 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_HEAT_OFF     (13 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_DATE_OFF     (17 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_PROVIDER_OFF (25 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_URL_OFF      (29 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_TITLE_OFF    (37 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_BYTES        (45 * NX_DOCINFO_SLOTS)
#define NX_DOCINFO_LEN_BIG      0xFFFFu

#define NX_DOC_PRESENT       0x01u
#define NX_DOC_UNPUBLISHED   0x02u /* published: false */
#define NX_DOC_HAS_DATE      0x04u
#define NX_DOC_HAS_QUALITY   0x08u
#define NX_DOC_HAS_HEAT      0x10u
#define NX_DOC_HAS_URL_KEY   0x20u /* a non-empty url_key */
#define NX_DOC_HAS_TITLE_KEY 0x40u /* a non-empty normalized title */

/* What docinfo records of one item. */
typedef struct nx_docinfo_rec {
    uint32_t len[3]; /* tokens in title, excerpt, body */
    int level;
    bool is_unpublished, has_date, has_quality, has_heat;
    int64_t published_at, quality, heat;
    uint32_t provider_id; /* 0 = none */
    bool has_url_key, has_title_key;
    uint64_t url_hash, title_hash; /* nx_hash64 of the keys */
} nx_docinfo_rec;

typedef struct nx_docinfo_cache nx_docinfo_cache;

/* Write `rec` into slot `slot` of a block's data. */
void nx_docinfo_pack(unsigned char *data, unsigned slot,
                     const nx_docinfo_rec *rec);
/* Readers of the little-endian fields. */
unsigned nx_docinfo_u16(const unsigned char *p);
uint32_t nx_docinfo_u32(const unsigned char *p);
uint64_t nx_docinfo_u64(const unsigned char *p);
/* Record item `id`, or mark its slot empty, in the open transaction;
 * clearing tells the title hash the slot held (*has_title false for
 * none), for the title_keys row to go too. */
int nx_docinfo_set(newsidx_index *idx, int64_t id, const nx_docinfo_rec *rec);
int nx_docinfo_clear(newsidx_index *idx, int64_t id, bool *has_title,
                     uint64_t *title_hash);
/* The items docinfo holds, as bits by id over *n_words words.  Kept by
 * the handle until the file changes; call inside a read transaction that
 * has read something (its data version is then the snapshot's). */
int nx_docinfo_live(newsidx_index *idx, const uint64_t **bits, size_t *n_words);
/* Point *blob (opened on first use, closed by the caller) at docinfo block
 * `block`: SQLITE_OK, SQLITE_CORRUPT (nx_db_damaged) for a block that is
 * missing or not NX_DOCINFO_BYTES long, or another SQLite code. */
int nx_docinfo_seek(newsidx_index *idx, sqlite3_blob **blob, int64_t block);
/* A zeroed bitmap of the item ids docinfo spans, every block up to its
 * last: *n_words_out words (one more is allocated), freed with nx_free.
 * A last block the file cannot hold is damage (SQLITE_CORRUPT,
 * nx_db_damaged); SQLITE_NOMEM; *bits_out is NULL on failure. */
int nx_docinfo_bitmap_new(newsidx_index *idx, uint64_t **bits_out,
                          size_t *n_words_out);
/* Write the changed blocks (before COMMIT); forget them (after ROLLBACK). */
int nx_docinfo_flush(newsidx_index *idx);
void nx_docinfo_discard(newsidx_index *idx);
void nx_docinfo_free(newsidx_index *idx);

/* A set of rowids as bits, kept by a handle for as long as its file's
 * data version (SQLITE_FCNTL_DATA_VERSION) stays the same. */
typedef struct nx_rowset {
    bool has; /* bits holds the set of data version `version` */
    unsigned version;
    uint64_t *bits; /* bit i of word w: rowid 64 * w + i */
    size_t n_words;
} nx_rowset;

/* Fills a row set: a new array of *n_words words into *bits. */
typedef int (*nx_rowset_fill_fn)(void *ctx, uint64_t **bits, size_t *n_words);

/* `set` for the file as the caller's read transaction sees it (one that
 * has read something): the kept bits, or new ones from `fill` when the
 * file changed.  SQLite result code (docinfo.c). */
int nx_rowset_get(sqlite3 *db, nx_rowset *set, nx_rowset_fill_fn fill,
                  void *ctx);
/* Does `set` hold the file as the caller's read transaction sees it (no
 * fill needed)? */
bool nx_rowset_is_current(sqlite3 *db, const nx_rowset *set);
void nx_rowset_free(nx_rowset *set);

/**************************************************************************
** Interface to code in bounds.c
**
** The `bounds` table (docs/schema.md): per frequent token and bound block
** (1 << NX_BOUND_SHIFT item ids) an upper bound of what the token adds to
** an item's default score.
** Functions return SQLite result codes.
*/
#define NX_BOUND_MIN_DF    4096 /* tokens held by fewer rows have none */
#define NX_BOUND_SCALE     1000.0
#define NX_BOUND_W_TITLE   10.0 /* the weights and prior strength the */
#define NX_BOUND_W_EXCERPT 4.0  /* bounds are worked out under */
#define NX_BOUND_W_BODY    1.0
#define NX_BOUND_STRENGTH  0.3
#define NX_BOUND_SHIFT     8  /* a bound block: 256 item ids */
#define NX_BOUND_CHUNK     64 /* bound blocks per row */

typedef struct nx_bounds nx_bounds;
/* A token's new row count, as the terms table has it now (terms.c tells
 * every changed count). */
void nx_bounds_seen_df(newsidx_index *idx, const char *tok, size_t len,
                       int64_t df);
/* Raise the bounds of item `id`'s tokens (in the open transaction). */
int nx_bounds_add(newsidx_index *idx, int64_t id, const nx_doc *doc);
/* Write the transaction's bounds (before COMMIT, after the fts, docinfo
 * and terms flushes); forget them (after ROLLBACK). */
int nx_bounds_flush(newsidx_index *idx);
void nx_bounds_discard(newsidx_index *idx);
void nx_bounds_free(newsidx_index *idx);
/* The column averages the bounds were worked out with; *has false when
 * the index has none yet. */
int nx_bounds_avg(newsidx_index *idx, double *avg, bool *has);

/**************************************************************************
** The index handle (db.c opens and closes it)
**
** Last, for it holds state of the files above by value.
*/
struct newsidx_index {
    sqlite3 *db;
    char *path; /* the index file name */
    bool is_readonly;
    int schema_version;
    int lock_fd;                      /* descriptor for flock(), or -1 */
    bool is_locked;                   /* the indexing lock is held */
    struct nx_terms *terms;           /* see terms.c; NULL until first used */
    struct nx_docinfo_cache *docinfo; /* see docinfo.c; NULL until used */
    nx_rowset live;           /* the items docinfo holds (nx_docinfo_live) */
    struct nx_bounds *bounds; /* see bounds.c; NULL until used */
    int64_t bound_min_df;     /* tokens held by this many rows get bounds
                                 (NX_BOUND_MIN_DF; tests lower it) */
    char stem_language[64];   /* newsidx_index_stem_language's answer */
    char damage[200]; /* why the last SQLITE_CORRUPT newsidx itself found
                         was raised (nx_db_damaged); "" when none */
    size_t n_queries; /* alive: newsidx_index_close waits for them */
    bool is_closing;  /* closed by the caller while queries were alive */
    struct {
        void *state; /* the half's own, opaque here */
        const nx_half_ops *ops;
    } half[NX_HALF_COUNT];
};

#endif /* NX_FORMAT_H */
