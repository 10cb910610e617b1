/*
 * engine.c - the query engine: a query's matches found by walking the fts
 * index's doclists directly (fts5read.c) and scored from the docinfo
 * blocks, with the same formula and the same arithmetic as the nx_bm25f
 * SQL function (rank.c), so that its top-k is exactly the SQL scan's.
 *
 * A query is an AND of groups, each an OR of phrases (a word, a quoted
 * phrase, a prefix, each perhaps restricted to a column), plus the tag
 * filters (an OR of tag tokens each), the excluded phrases and the range
 * filters.  Rows are visited in rowid order: the required groups are
 * leapfrogged (each seeks to the highest rowid any of them is on) until
 * all agree on a row, which then goes through the exclusions and the
 * docinfo filters before it is counted and scored.
 *
 * The engine declines what it does not run (--like, a prefix phrase of
 * several words, a query of filters alone, an index whose FTS5 format the
 * reader does not know); search.c then runs the query in SQL.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

#define ENG_EOF          INT64_MAX
#define ENG_MAX_PHRASES  (SEARCH_MAX_TERMS + 64) /* words and tags */
#define ENG_MAX_ALTS     4096 /* terms a prefix may stand for */
#define ENG_MAX_POSITION 4096 /* positions of a token kept for phrases */
#define ENG_MAX_TOKENS   64   /* tokens of a phrase (more: SQL) */
/* The walk goes a unit of item ids at a time: a bound block. */
#define ENG_UNIT_SHIFT NX_BOUND_SHIFT
#define ENG_UNIT       (1 << ENG_UNIT_SHIFT)
#define ENG_WORDS      (ENG_UNIT / 64) /* a unit's rows, as bits */
/* The engine's own status for "not a query the engine runs": it stays
 * inside this file (nx_engine_run and nx_engine_count say it through
 * *is_declined), never in a status another file sees. */
#define ENG_DECLINED (-100)
#define ENG_TOP      16 /* blocks of the highest bounds walked first */
/* A prefix's terms held by at most idx->prefix_rare_df rows
 * (NX_PREFIX_RARE_DF) are read whole when the query opens
 * (eng_prefix_rare), at most ENG_RARE_ROWS rows in all: a block walk pays
 * a seek per term and block, which for the hundreds of rare terms of a
 * short prefix was most of the query. */
#define ENG_RARE_ROWS (1 << 20)
/* The years a date tag may name (int64 seconds span 292 billion). */
#define ENG_MAX_YEAR ((int64_t)300000000000)

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
    /* A count's unpublished rows (eng_unpub), when they are left out. */
    bool has_unpub; /* unpub and n_unpub are set (unpub may be NULL) */
    const uint64_t *unpub;
    size_t n_unpub;        /* words */
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
    uint64_t n_walked;        /* blocks the top walk went through */
    uint64_t *walked;         /* those blocks, as bits (n_blocks of them) */
    uint64_t n_walked_rows;   /* the matches it counted there */
    uint64_t n_counted_only;  /* blocks the bounds left unscored */
    uint64_t n_blocks_scored; /* blocks with bounds the walk scored */
    bool is_counting;  /* a walk that only counts: no occurrences needed */
    uint64_t n_hidden; /* matches left out for being unpublished */
    /* Rows scored only when a bound from their occurrences alone can beat
     * the score to beat (eng_row_bound); 0 = off. */
    bool has_row_bound;
    double row_factor;  /* the largest prior and freshness factor */
    double sat_max[64]; /* sat(tf, length 0) for small tf */
} eng;

/**************************************************************************
** Phrases
*/

/* Positions (column << 32 | offset) of the position list p (n bytes)
 * into e->pos_buf[k] (nx_fr_pos_list); false when there are too many to
 * check as a phrase, or (e->rc set) when the list names a column the fts
 * table does not have. */
static bool
eng_positions(eng *e, const unsigned char *p, int n, int k)
{
    int col_max,
        m = nx_fr_pos_list(e->pos_buf[k], &col_max, p, n, ENG_MAX_POSITION);

    if (col_max >= NX_FR_COLUMNS) {
        e->rc = nx_db_damaged(e->q->idx,
                              "a position list of the"
                              " fts index names column"
                              " %d",
                              col_max);
        return false;
    }
    if (m < 0)
        return false;
    e->pos_n[k] = m;
    return true;
}

static bool
eng_has_pos(const int64_t *a, int n, int64_t v)
{
    int lo = 0, hi = n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v;
}

/* Is the phrase, whose tokens all hold slot `s` of the block their
 * position lists are in (p->pos), there as a phrase: consecutive tokens in
 * one column, in p->column if set?  Its occurrences go to tf. */
static bool
eng_phrase_here(eng *e, eng_phrase *p, unsigned s, int *tf)
{
    int k, i, n_hits = 0;

    for (k = 0; k < p->n_tok; k++) {
        const nx_fr_block_pos *bp = &p->pos[k];

        if (!eng_positions(e,
                           (const unsigned char *)bp->arena.data + bp->off[s],
                           (int)bp->len[s], k)) {
            if (e->rc == SQLITE_OK)
                e->rc = SQLITE_TOOBIG; /* caught by the caller: SQL */
            return false;
        }
    }
    for (i = 0; i < e->pos_n[0]; i++) {
        int64_t v = e->pos_buf[0][i];
        int col = (int)(v >> 32);

        if (p->column >= 0 && col != p->column)
            continue;
        for (k = 1; k < p->n_tok; k++) {
            if (!eng_has_pos(e->pos_buf[k], e->pos_n[k], v + k))
                break;
        }
        if (k == p->n_tok) {
            n_hits++;
            if (col < 3)
                tf[col]++;
        }
    }
    return n_hits > 0;
}

/* Where each term of prefix `p` may next hold a row (after a walk or a
 * rewind moved them). */
static void
eng_alt_next(eng_phrase *p)
{
    int k;

    for (k = 0; k < p->n_alt; k++)
        p->alt_next[k] = nx_fr_term_block_next(p->alt[k]);
}

/* Move a prefix's rare rows on to the first unit at `unit` or after (a
 * walk goes forward only); its index, n_units at the end. */
static size_t
eng_rare_at(eng_phrase *p, int64_t unit)
{
    while (p->unit_at < p->n_units && p->units[p->unit_at] < unit)
        p->unit_at++;
    return p->unit_at;
}

/* Put a prefix's rare rows on the first unit at row `from` or after. */
static void
eng_rare_rewind(eng_phrase *p, int64_t from)
{
    size_t lo = 0, hi = p->n_units;
    int64_t unit = from >> ENG_UNIT_SHIFT;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (p->units[mid] < unit)
            lo = mid + 1;
        else
            hi = mid;
    }
    p->unit_at = lo;
}

static void
eng_phrase_free(eng_phrase *p)
{
    int i;

    for (i = 0; i < p->n_tok; i++) {
        nx_fr_term_close(p->tok[i]);
        if (p->pos != NULL) {
            nx_buf_free(&p->pos[i].arena);
            nx_free(p->pos[i].off);
            nx_free(p->pos[i].len);
        }
    }
    nx_free(p->pos);
    for (i = 0; i < p->n_alt; i++)
        nx_fr_term_close(p->alt[i]);
    nx_free(p->tok);
    nx_free(p->alt);
    nx_free(p->alt_next);
    nx_buf_free(&p->words);
    nx_free(p->ub);
    nx_free(p->units);
    nx_free(p->start);
    nx_free(p->rare_slot);
    nx_free(p->rare_tf);
    memset(p, 0, sizeof(*p));
}

/**************************************************************************
** Building the phrases
*/

typedef struct eng_tokens {
    eng *e;
    eng_phrase *p;
    int n_max;
} eng_tokens;

/* xTokenize callback: open an iterator for each token of a phrase. */
static int
eng_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
    eng_tokens *t = ctx;
    eng_phrase *p = t->p;
    nx_fr_term **grown;

    (void)flags;
    (void)start;
    (void)end;
    if (p->n_tok >= t->n_max)
        return SQLITE_TOOBIG;
    if (n > NX_FR_MAX_TOKEN) /* FTS5 keeps no more of a token */
        n = NX_FR_MAX_TOKEN;
    grown = nx_realloc(p->tok, (size_t)(p->n_tok + 1) * sizeof(*grown));
    if (grown == NULL)
        return SQLITE_NOMEM;
    p->tok = grown;
    p->tok[p->n_tok] = NULL;
    nx_buf_put(&p->words, token, (size_t)n);
    nx_buf_putc(&p->words, '\0');
    if (nx_buf_oom(&p->words))
        return SQLITE_NOMEM;
    if (nx_fr_term_open(&p->tok[p->n_tok], t->e->r, token, (size_t)n) !=
        SQLITE_OK)
        return SQLITE_CORRUPT; /* the reader's failure: eng_error */
    if (p->tok[p->n_tok] == NULL)
        p->is_empty = true;
    p->n_tok++;
    return SQLITE_OK;
}

/* The bytes just past every string that starts with `s` (n bytes), into
 * `out`; false when there is none (all 0xff). */
static bool
eng_prefix_end(nx_buf *out, const char *s, size_t n)
{
    while (n > 0 && (unsigned char)s[n - 1] == 0xff)
        n--;
    nx_buf_clear(out);
    if (n == 0)
        return false;
    nx_buf_put(out, s, n);
    if (nx_buf_oom(out))
        return false;
    out->data[n - 1] = (char)((unsigned char)s[n - 1] + 1);
    return true;
}

/* One row of a rare term, read whole. */
typedef struct eng_rare_row {
    int64_t id;
    uint32_t tf[3];
} eng_rare_row;

static int
eng_rare_cmp(const void *a, const void *b)
{
    int64_t x = ((const eng_rare_row *)a)->id,
            y = ((const eng_rare_row *)b)->id;

    return (x > y) - (x < y);
}

/*
 * Read the rare terms of prefix `p` (its[k] with dfs[k] <= rare_df, up
 * to ENG_RARE_ROWS rows in all) whole into its units, closing their
 * iterators (set to NULL).  Rows of several terms are kept apart: the
 * walk adds them up.  The rows go into units by a counting sort when
 * their ids are close together (newsindex gives them counting up from
 * 1), else by a sort.
 */
static int
eng_prefix_rare(newsidx_index *e_idx, eng_phrase *p, nx_fr_term **its,
                const int64_t *dfs, int n, int64_t rare_df)
{
    eng_rare_row *rows = NULL;
    uint32_t *count = NULL;
    size_t n_rows = 0, cap = 0, i, total = 0;
    int64_t lo_unit = INT64_MAX, hi_unit = INT64_MIN;
    uint64_t range = 0;
    bool is_dense;
    int k, rc = SQLITE_OK;

    for (k = 0; k < n && rc == SQLITE_OK; k++) {
        nx_fr_term *t = its[k];

        if (t == NULL || dfs[k] > rare_df ||
            total + (size_t)dfs[k] > ENG_RARE_ROWS)
            continue;
        total += (size_t)dfs[k];
        for (; !nx_fr_term_eof(t) && rc == SQLITE_OK;
             rc = nx_fr_term_next(t) == SQLITE_OK ? SQLITE_OK
                                                  : SQLITE_CORRUPT) {
            const unsigned char *pl;
            int tf[3] = {0, 0, 0}, np;
            int64_t unit;
            eng_rare_row *r;

            if (nx_fr_term_poslist(t, &pl, &np) != SQLITE_OK) {
                rc = SQLITE_CORRUPT;
                break;
            }
            if (nx_fr_pos_count(pl, np, p->column, tf) == 0)
                continue;                  /* not in the column asked for */
            if (n_rows == ENG_RARE_ROWS) { /* more than the counts said */
                rc = nx_db_damaged(e_idx, "the terms table counts fewer"
                                          " rows than the fts index holds");
                break;
            }
            if (n_rows == cap) {
                size_t ncap = cap ? cap * 2 : 1024;

                r = nx_realloc(rows, ncap * sizeof(*rows));
                if (r == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                rows = r;
                cap = ncap;
            }
            r = &rows[n_rows++];
            r->id = nx_fr_term_rowid(t);
            r->tf[0] = (uint32_t)tf[0];
            r->tf[1] = (uint32_t)tf[1];
            r->tf[2] = (uint32_t)tf[2];
            unit = r->id >> ENG_UNIT_SHIFT;
            lo_unit = unit < lo_unit ? unit : lo_unit;
            hi_unit = unit > hi_unit ? unit : hi_unit;
        }
        /* Read whole (or failed): the walk needs it no more. */
        nx_fr_term_close(t);
        its[k] = NULL;
    }
    if (rc != SQLITE_OK || n_rows == 0) {
        nx_free(rows);
        return rc;
    }
    range = (uint64_t)hi_unit - (uint64_t)lo_unit + 1;
    p->units = nx_malloc(n_rows * sizeof(*p->units));
    p->start = nx_malloc((n_rows + 1) * sizeof(*p->start));
    p->rare_slot = nx_malloc(n_rows);
    p->rare_tf = nx_malloc(n_rows * sizeof(*p->rare_tf));
    is_dense = range <= 4 * (uint64_t)n_rows + 65536;
    if (is_dense)
        count = nx_calloc((size_t)range + 1, sizeof(*count));
    if (p->units == NULL || p->start == NULL || p->rare_slot == NULL ||
        p->rare_tf == NULL || (is_dense && count == NULL))
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && is_dense) { /* a counting sort by unit */
        uint32_t at = 0;
        uint64_t u;

        for (i = 0; i < n_rows; i++)
            count[(rows[i].id >> ENG_UNIT_SHIFT) - lo_unit]++;
        for (u = 0; u < range; u++) {
            if (count[u] == 0)
                continue;
            p->units[p->n_units] = lo_unit + (int64_t)u;
            p->start[p->n_units++] = at;
            at += count[u];
            count[u] = at - count[u]; /* where its next row goes */
        }
        p->start[p->n_units] = at;
        for (i = 0; i < n_rows; i++) {
            uint32_t *to = &count[(rows[i].id >> ENG_UNIT_SHIFT) - lo_unit];

            p->rare_slot[*to] = (uint8_t)(rows[i].id & (ENG_UNIT - 1));
            memcpy(p->rare_tf[*to], rows[i].tf, sizeof(rows[i].tf));
            (*to)++;
        }
    } else if (rc == SQLITE_OK) { /* ids far apart: sort them */
        qsort(rows, n_rows, sizeof(*rows), eng_rare_cmp);
        for (i = 0; i < n_rows; i++) {
            int64_t unit = rows[i].id >> ENG_UNIT_SHIFT;

            if (p->n_units == 0 || p->units[p->n_units - 1] != unit) {
                p->units[p->n_units] = unit;
                p->start[p->n_units++] = (uint32_t)i;
            }
            p->rare_slot[i] = (uint8_t)(rows[i].id & (ENG_UNIT - 1));
            memcpy(p->rare_tf[i], rows[i].tf, sizeof(rows[i].tf));
        }
        p->start[p->n_units] = (uint32_t)n_rows;
    }
    nx_free(rows);
    nx_free(count);
    return rc;
}

/* A prefix: an iterator for every term of the index that starts with the
 * prefix (the terms table lists them all, in FTS5's order); opened
 * together, so that each segment's leaves are read once for all of them.
 * ENG_DECLINED for too many. */
static int
eng_prefix(eng *e, eng_phrase *p, const char *text)
{
    sqlite3_stmt *stmt;
    bool has_end = eng_prefix_end(&e->scratch, text, strlen(text));
    const char **terms = NULL;
    size_t *lens = NULL, at;
    int64_t *dfs = NULL;
    nx_fr_term **its = NULL;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db,
        has_end ? "SELECT term, df FROM terms WHERE term >= ?1 AND term < ?2"
                  " ORDER BY term"
                : "SELECT term, df FROM terms WHERE term >= ?1 ORDER BY term",
        -1, &stmt, NULL);
    int n = 0, k;

    p->is_prefix = true;
    p->df = 0;
    if (rc != SQLITE_OK)
        return e->rc = rc;
    sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
    if (has_end)
        sqlite3_bind_text(stmt, 2, e->scratch.data, (int)e->scratch.len,
                          SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == ENG_MAX_ALTS) {
            sqlite3_finalize(stmt);
            nx_free(dfs);
            return ENG_DECLINED;
        }
        if (n % 256 == 0) {
            int64_t *grown = nx_realloc(dfs, (size_t)(n + 256) * sizeof(*dfs));

            if (grown == NULL) {
                sqlite3_finalize(stmt);
                nx_free(dfs);
                return e->rc = SQLITE_NOMEM;
            }
            dfs = grown;
        }
        nx_buf_put(&p->words, sqlite3_column_text(stmt, 0),
                   (size_t)sqlite3_column_bytes(stmt, 0));
        nx_buf_putc(&p->words, '\0');
        if (nx_terms_df_column(e->q->idx, stmt, 1, &dfs[n]) != SQLITE_OK) {
            rc = SQLITE_CORRUPT;
            break;
        }
        p->df += dfs[n]; /* at most ENG_MAX_ALTS of NX_TERMS_MAX_DF */
        n++;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE || nx_buf_oom(&p->words)) {
        nx_free(dfs);
        return e->rc = rc == SQLITE_DONE  ? SQLITE_NOMEM
                       : rc == SQLITE_ROW ? SQLITE_ERROR
                                          : rc;
    }
    terms = nx_calloc((size_t)n + 1, sizeof(*terms));
    lens = nx_calloc((size_t)n + 1, sizeof(*lens));
    its = nx_calloc((size_t)n + 1, sizeof(*its));
    p->alt = nx_calloc((size_t)n + 1, sizeof(*p->alt));
    rc = terms == NULL || lens == NULL || its == NULL || p->alt == NULL
             ? SQLITE_NOMEM
             : SQLITE_OK;
    for (k = 0, at = 0; rc == SQLITE_OK && k < n; k++) {
        terms[k] = p->words.data + at;
        lens[k] = strlen(terms[k]);
        at += lens[k] + 1;
    }
    if (rc == SQLITE_OK && n > 0 &&
        nx_fr_terms_open(e->r, n, terms, lens, its) != SQLITE_OK)
        rc = SQLITE_CORRUPT;
    if (rc == SQLITE_OK)
        rc = eng_prefix_rare(e->q->idx, p, its, dfs, n,
                             e->q->half->prefix_rare_df);
    /* Keep the terms left to walk (their words stay listed in order). */
    for (k = 0; rc == SQLITE_OK && k < n; k++) {
        if (its[k] != NULL)
            p->alt[p->n_alt++] = its[k];
    }
    for (k = 0; rc != SQLITE_OK && k < n; k++)
        nx_fr_term_close(its[k]);
    nx_free(terms);
    nx_free(lens);
    nx_free(its);
    nx_free(dfs);
    if (rc != SQLITE_OK)
        return e->rc = rc;
    p->is_empty = p->n_alt == 0 && p->n_units == 0;
    p->alt_next = nx_malloc(((size_t)p->n_alt + 1) * sizeof(*p->alt_next));
    if (p->alt_next == NULL)
        return e->rc = SQLITE_NOMEM;
    eng_alt_next(p);
    return SQLITE_OK;
}

/* Make a phrase from a term of the query. */
static int
eng_phrase_make(eng *e, eng_phrase *p, const nx_term *t)
{
    eng_tokens tk;
    int rc;

    memset(p, 0, sizeof(*p));
    p->df = -1;
    p->column = t->is_column ? t->column : -1;
    if (t->is_prefix) {
        if (strchr(t->text, ' ') != NULL)
            return ENG_DECLINED; /* a prefix phrase of several words */
        return eng_prefix(e, p, t->text);
    }
    tk.e = e;
    tk.p = p;
    tk.n_max = ENG_MAX_TOKENS;
    rc = nx_tokenizer_run(e->tok, true, t->text, strlen(t->text), eng_token,
                          &tk);
    if (rc == SQLITE_TOOBIG)
        return ENG_DECLINED;
    if (rc != SQLITE_OK)
        return e->rc = rc;
    if (p->n_tok == 0)
        p->is_empty = true;
    if (p->n_tok == 1 && !t->is_column) {
        rc = nx_terms_df(e->q->idx, t->text, strlen(t->text), &p->df);
        if (rc != SQLITE_OK)
            return e->rc = rc;
    }
    return SQLITE_OK;
}

/* A tag phrase: one token, in the tags column. */
static int
eng_tag_make(eng *e, eng_phrase *p, const char *tag)
{
    memset(p, 0, sizeof(*p));
    p->column = NX_FTS_TAGS;
    p->n_tok = 1;
    p->tok = nx_calloc(1, sizeof(*p->tok));
    if (p->tok == NULL)
        return e->rc = SQLITE_NOMEM;
    nx_buf_put(&p->words, tag, strlen(tag) + 1);
    if (nx_buf_oom(&p->words))
        return e->rc = SQLITE_NOMEM;
    if (nx_fr_term_open(&p->tok[0], e->r, tag, strlen(tag)) != SQLITE_OK)
        return e->rc = SQLITE_CORRUPT;
    p->is_empty = p->tok[0] == NULL;
    return e->rc = nx_terms_df(e->q->idx, tag, strlen(tag), &p->df);
}

/* About how many rows a phrase matches, for the order of the leapfrog:
 * the terms table's count, or a large number when it has none. */
static int64_t
eng_phrase_cost(const eng_phrase *p)
{
    if (p->is_empty)
        return 0;
    return p->df >= 0 ? p->df : ENG_EOF / 1024;
}

/* Add phrase `p` to the OR of group `g`. */
static void
eng_group_add(eng *e, eng_group *g, eng_phrase *p)
{
    eng_phrase **grown = nx_realloc(g->ph, (size_t)(g->n + 1) * sizeof(*grown));

    if (grown == NULL) {
        e->rc = SQLITE_NOMEM;
        return;
    }
    g->ph = grown;
    g->ph[g->n++] = p;
    g->cost += eng_phrase_cost(p);
}

/* The range filters are answered from docinfo, which clamps quality and
 * heat to 32 bits: bounds beyond that are left to SQL. */
static bool
eng_filters_fit(const nx_parsed *p)
{
    size_t i;

    for (i = 0; i < p->n_filters; i++) {
        const nx_filter *f = &p->filters[i];

        if ((f->kind == NX_FILTER_QUALITY || f->kind == NX_FILTER_HEAT) &&
            ((f->has_lo && (f->lo < INT32_MIN + 1 || f->lo > INT32_MAX - 1)) ||
             (f->has_hi && (f->hi < INT32_MIN + 1 || f->hi > INT32_MAX - 1))))
            return false;
    }
    return true;
}

static int
eng_group_cmp(const void *a, const void *b)
{
    const eng_group *x = a, *y = b;

    return (x->cost > y->cost) - (x->cost < y->cost);
}

/* The calendar years the index has dated items in (their year tags in the
 * terms table): *first > *last when it has none. */
static int
eng_date_years(eng *e, int64_t *first, int64_t *last)
{
    static const char lo[] = NX_TAG_YEAR, hi[] = NX_TAG_YEAR "\x7f";
    size_t n = sizeof(lo) - 1;
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db, "SELECT term FROM terms WHERE term >= ?1 AND term < ?2",
        -1, &stmt, NULL);

    *first = INT64_MAX;
    *last = INT64_MIN;
    if (rc != SQLITE_OK)
        return e->rc = rc;
    sqlite3_bind_text(stmt, 1, lo, (int)n, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, hi, (int)n + 1, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(stmt, 0) + n;
        bool neg = *t == 'n';
        int64_t y = strtoll(t + neg, NULL, 10);

        /* A year of a date in int64 seconds has 12 digits at most; in a
         * damaged tag, a month count below must not overflow. */
        if (y < 0 || y > ENG_MAX_YEAR)
            y = ENG_MAX_YEAR;
        y = neg ? -y : y;
        *first = y < *first ? y : *first;
        *last = y > *last ? y : *last;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : (e->rc = rc);
}

/* Add tag `tag` to group g (not yet counted in n_req). */
static bool
eng_date_tag(eng *e, eng_group *g, const char *tag)
{
    if (e->n_ph == ENG_MAX_PHRASES)
        return false;
    if (eng_tag_make(e, &e->ph[e->n_ph++], tag) != SQLITE_OK)
        return false;
    eng_group_add(e, g, &e->ph[e->n_ph - 1]);
    return e->rc == SQLITE_OK;
}

/*
 * A date range [lo, hi] (either end open) as a required group: the OR of
 * the tags of the years it covers whole and of its other months (store.c
 * tags every dated item with its month and year).  A row with none of
 * them is not in the range; the rows with one still go through the exact
 * check (eng_keep).  Ends are clamped to the years the index has dates in;
 * a range that would need more tags than the engine holds is left to the
 * exact check alone.
 */
static void
eng_date_group(eng *e, bool has_lo, int64_t lo, bool has_hi, int64_t hi)
{
    eng_group *g = &e->req[e->n_req];
    int64_t y_first, y_last, m_lo, m_hi, m, n_tags = 0;
    char tag[NX_DATE_TAG_SIZE];

    if (eng_date_years(e, &y_first, &y_last) != SQLITE_OK)
        return;
    if (y_first > y_last) { /* no item has a date */
        e->is_void = true;
        return;
    }
    m_lo = (y_first - 1970) * 12;
    m_hi = (y_last - 1970) * 12 + 11;
    if (has_lo && nx_month_of(lo) > m_lo)
        m_lo = nx_month_of(lo);
    if (has_hi && nx_month_of(hi) < m_hi)
        m_hi = nx_month_of(hi);
    if (m_lo > m_hi) {
        e->is_void = true;
        return;
    }
    /* Whole years count once; counting stops where no more would fit. */
    for (m = m_lo; m <= m_hi && n_tags <= ENG_MAX_PHRASES; n_tags++)
        m += m % 12 == 0 && m + 11 <= m_hi ? 12 : 1;
    if (n_tags > ENG_MAX_PHRASES - e->n_ph || e->n_req == ENG_MAX_PHRASES)
        return;
    for (m = m_lo; m <= m_hi && e->rc == SQLITE_OK;) {
        bool whole = m % 12 == 0 && m + 11 <= m_hi;

        nx_date_tag(tag, whole, m);
        if (!eng_date_tag(e, g, tag))
            return;
        m += whole ? 12 : 1;
    }
    e->n_req++;
}

/* eng_build's way out after a phrase failed with `rc`: a decline, or
 * NEWSIDX_OK with the failure in e->rc (eng_open reports it). */
static int
eng_build_failed(eng *e, int rc)
{
    if (rc == ENG_DECLINED)
        return rc;
    if (e->rc == SQLITE_OK)
        e->rc = rc;
    return NEWSIDX_OK;
}

/* Every phrase of the query, grouped: NEWSIDX_OK (failures are left in
 * e->rc) or ENG_DECLINED. */
static int
eng_build(eng *e)
{
    const nx_parsed *p = e->q->parsed;
    size_t i, j;
    int rc;

    if (p->is_general || p->n_terms + p->n_excluded > SEARCH_MAX_TERMS ||
        !eng_filters_fit(p))
        return ENG_DECLINED; /* an expression of any shape: SQL */
    e->has_text = p->n_terms > 0;
    for (i = 0; i < p->n_terms; i++) { /* the scored phrases first */
        rc = eng_phrase_make(e, &e->ph[e->n_ph++], &p->terms[i]);
        if (rc != SQLITE_OK)
            return eng_build_failed(e, rc);
        if (p->terms[i].group >= (size_t)e->n_req)
            e->n_req = (int)p->terms[i].group + 1;
        eng_group_add(e, &e->req[p->terms[i].group], &e->ph[e->n_ph - 1]);
    }
    e->n_scored = e->n_ph;
    for (i = 0; i < p->n_excluded; i++) {
        rc = eng_phrase_make(e, &e->ph[e->n_ph++], &p->excluded[i]);
        if (rc != SQLITE_OK)
            return eng_build_failed(e, rc);
        eng_group_add(e, &e->neg[e->n_neg++], &e->ph[e->n_ph - 1]);
    }
    for (i = 0; i < p->n_filters; i++) {
        const nx_tags *t = &e->q->tags[i];
        eng_group *list = p->filters[i].is_negated ? e->neg : e->req;
        int *n = p->filters[i].is_negated ? &e->n_neg : &e->n_req;

        if (p->filters[i].kind > NX_FILTER_LAST_TAG)
            continue;
        if (t->n == 0) { /* nothing in the index fits */
            if (!p->filters[i].is_negated)
                e->is_void = true;
            continue;
        }
        if (e->n_ph + (int)t->n > ENG_MAX_PHRASES)
            return ENG_DECLINED;
        for (j = 0; j < t->n; j++) {
            rc = eng_tag_make(e, &e->ph[e->n_ph++], t->tok[j]);
            if (rc != SQLITE_OK)
                return eng_build_failed(e, rc);
            eng_group_add(e, &list[*n], &e->ph[e->n_ph - 1]);
        }
        (*n)++;
    }
    if (e->n_req == 0)
        return ENG_DECLINED; /* filters alone: SQL walks the items */
    /* Date ranges narrow the walk to the rows of their months. */
    for (i = 0; i < p->n_filters && e->rc == SQLITE_OK; i++) {
        const nx_filter *f = &p->filters[i];

        if (f->kind == NX_FILTER_DATE && !f->is_negated)
            eng_date_group(e, f->has_lo, f->lo, f->has_hi, f->hi);
    }
    if (e->q->opts.has_since || e->q->opts.has_until)
        eng_date_group(e, e->q->opts.has_since, e->q->opts.since,
                       e->q->opts.has_until, e->q->opts.until);
    /* The cheapest group leads the leapfrog. */
    qsort(e->req, (size_t)e->n_req, sizeof(*e->req), eng_group_cmp);
    return NEWSIDX_OK;
}

/**************************************************************************
** Groups, block by block
**
** The walk goes one unit (ENG_UNIT rowids, a bound block) at a time:
** the cheapest group lists its matches in the block, each other group
** keeps those of them it holds too, the exclusions drop theirs; what is
** left is counted and scored from the block's docinfo in one go.
*/

static bool
eng_bit(const uint64_t *bits, unsigned s)
{
    return (bits[s >> 6] >> (s & 63)) & 1;
}

static void
eng_set(uint64_t *bits, unsigned s)
{
    bits[s >> 6] |= (uint64_t)1 << (s & 63);
}

static bool
eng_none(const uint64_t *bits)
{
    int i;

    for (i = 0; i < ENG_WORDS; i++) {
        if (bits[i] != 0)
            return false;
    }
    return true;
}

/* A prefix's rows in block `lo` among `cand`: the union of its terms',
 * their occurrences added up. */
static void
eng_prefix_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                 uint64_t *out, uint32_t (*tf)[3])
{
    int64_t hi = lo + ENG_UNIT, unit = lo >> ENG_UNIT_SHIFT;
    int k, w;

    /* The rare terms' rows, read whole. */
    if (eng_rare_at(p, unit) < p->n_units && p->units[p->unit_at] == unit) {
        uint32_t j;

        for (j = p->start[p->unit_at]; j < p->start[p->unit_at + 1]; j++) {
            unsigned sl = p->rare_slot[j];
            bool is_new = !eng_bit(out, sl);

            if (cand != NULL && !eng_bit(cand, sl))
                continue;
            if (tf != NULL) {
                tf[sl][0] = (is_new ? 0 : tf[sl][0]) + p->rare_tf[j][0];
                tf[sl][1] = (is_new ? 0 : tf[sl][1]) + p->rare_tf[j][1];
                tf[sl][2] = (is_new ? 0 : tf[sl][2]) + p->rare_tf[j][2];
            }
            eng_set(out, sl);
        }
        p->unit_at++;
    }

    for (k = 0; k < p->n_alt && e->rc == SQLITE_OK; k++) {
        if (p->alt_next[k] >= hi)
            continue; /* nothing of this term here */
        memset(e->tmp_bits, 0, sizeof(e->tmp_bits));
        if (nx_fr_term_block(p->alt[k], lo, ENG_WORDS, cand, e->tmp_bits,
                             tf != NULL ? e->tmp_tf : NULL,
                             p->column) != SQLITE_OK)
            e->rc = SQLITE_CORRUPT;
        p->alt_next[k] = nx_fr_term_block_next(p->alt[k]);
        for (w = 0; w < ENG_WORDS; w++) {
            uint64_t m = e->tmp_bits[w];

            while (m != 0 && tf != NULL) {
                unsigned s = (unsigned)(w * 64 + __builtin_ctzll(m));
                bool is_new = !eng_bit(out, s);

                m &= m - 1;
                tf[s][0] = (is_new ? 0 : tf[s][0]) + e->tmp_tf[s][0];
                tf[s][1] = (is_new ? 0 : tf[s][1]) + e->tmp_tf[s][1];
                tf[s][2] = (is_new ? 0 : tf[s][2]) + e->tmp_tf[s][2];
                eng_set(out, s);
            }
            out[w] |= e->tmp_bits[w];
        }
    }
}

/* A phrase of several words: its rows in block `lo` among `cand` (every
 * row when NULL), with their occurrences into tf when not NULL.  The
 * tokens' rows are intersected a token at a time, their position lists
 * kept, and the rows all hold are checked for the phrase. */
static void
eng_tokens_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                 uint64_t *out, uint32_t (*tf)[3])
{
    uint64_t all[ENG_WORDS], got[ENG_WORDS];
    int k, w;

    if (e->pos_buf == NULL) {
        e->pos_buf = nx_malloc(ENG_MAX_TOKENS * sizeof(*e->pos_buf));
        if (e->pos_buf == NULL) {
            e->rc = SQLITE_NOMEM;
            return;
        }
    }
    if (p->pos == NULL) {
        p->pos = nx_calloc((size_t)p->n_tok, sizeof(*p->pos));
        for (k = 0; p->pos != NULL && k < p->n_tok; k++) {
            p->pos[k].off = nx_malloc(ENG_UNIT * sizeof(*p->pos[k].off));
            p->pos[k].len = nx_malloc(ENG_UNIT * sizeof(*p->pos[k].len));
            if (p->pos[k].off == NULL || p->pos[k].len == NULL)
                break;
        }
        if (p->pos == NULL || k < p->n_tok) {
            e->rc = SQLITE_NOMEM;
            return;
        }
    }
    for (k = 0; k < p->n_tok && e->rc == SQLITE_OK; k++) {
        memset(got, 0, sizeof(got));
        if (nx_fr_term_block_pos(p->tok[k], lo, ENG_WORDS, k == 0 ? cand : all,
                                 got, &p->pos[k]) != SQLITE_OK)
            e->rc = SQLITE_CORRUPT;
        for (w = 0; w < ENG_WORDS; w++)
            all[w] = k == 0 ? got[w] : all[w] & got[w];
        if (eng_none(all))
            return; /* the others catch up in a later block */
    }
    for (w = 0; w < ENG_WORDS && e->rc == SQLITE_OK; w++) {
        uint64_t m = all[w];

        while (m != 0 && e->rc == SQLITE_OK) {
            unsigned s = (unsigned)(w * 64 + __builtin_ctzll(m));
            int c[3] = {0, 0, 0};

            m &= m - 1;
            if (!eng_phrase_here(e, p, s, c))
                continue;
            eng_set(out, s);
            if (tf != NULL) {
                tf[s][0] = (uint32_t)c[0];
                tf[s][1] = (uint32_t)c[1];
                tf[s][2] = (uint32_t)c[2];
            }
        }
    }
}

/* The rows of unit [lo, lo + ENG_UNIT) that phrase `p` holds,
 * among `cand` (every row when NULL), into `out`; for a scored phrase
 * also into its own bits, with its occurrences per column. */
static void
eng_phrase_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                 uint64_t *out)
{
    int i = (int)(p - e->ph);
    uint32_t(*tf)[3] = i < e->n_scored && !e->is_counting ? e->ph_tf[i] : NULL;

    memset(out, 0, ENG_WORDS * sizeof(*out));
    if (p->is_empty)
        return;
    if (p->is_prefix)
        eng_prefix_block(e, p, lo, cand, out, tf);
    else if (p->n_tok == 1 && nx_fr_term_block(p->tok[0], lo, ENG_WORDS, cand,
                                               out, tf, p->column) != SQLITE_OK)
        e->rc = SQLITE_CORRUPT;
    else if (p->n_tok > 1)
        eng_tokens_block(e, p, lo, cand, out, tf);
    if (i < e->n_scored)
        memcpy(e->ph_bits[i], out, sizeof(e->ph_bits[i]));
}

/* The rows of block `lo` that group `g` holds (any of its phrases), among
 * `cand` (every row when NULL), into `out`. */
static void
eng_group_block(eng *e, eng_group *g, int64_t lo, const uint64_t *cand,
                uint64_t *out)
{
    uint64_t got[ENG_WORDS];
    int i, w;

    memset(out, 0, ENG_WORDS * sizeof(*out));
    for (i = 0; i < g->n && e->rc == SQLITE_OK; i++) {
        eng_phrase_block(e, g->ph[i], lo, cand, got);
        for (w = 0; w < ENG_WORDS; w++)
            out[w] |= got[w];
    }
}

/* The lowest rowid at or after `from` a phrase of `g` may hold. */
static int64_t
eng_group_next(eng_group *g, int64_t from)
{
    int64_t best = ENG_EOF;
    int i, k;

    for (i = 0; i < g->n; i++) {
        eng_phrase *p = g->ph[i];
        int64_t at = ENG_EOF;

        if (p->is_empty)
            continue;
        if (p->is_prefix) {
            for (k = 0; k < p->n_alt; k++) {
                if (p->alt_next[k] < at)
                    at = p->alt_next[k];
            }
            if (eng_rare_at(p, from >> ENG_UNIT_SHIFT) < p->n_units &&
                p->units[p->unit_at] << ENG_UNIT_SHIFT < at)
                at = p->units[p->unit_at] << ENG_UNIT_SHIFT;
        } else { /* a phrase is where all its tokens are */
            at = 0;
            for (k = 0; k < p->n_tok; k++) {
                int64_t x = nx_fr_term_block_next(p->tok[k]);

                if (x > at)
                    at = x;
            }
        }
        if (at < from)
            at = from;
        if (at < best)
            best = at;
    }
    return best;
}

/**************************************************************************
** docinfo
*/

/* The docinfo block of row `id` in e->dbuf; false (e->rc set) when it
 * cannot be read.  Every row of the fts index is an item with its slot in
 * docinfo, written in the same transaction: a missing or malformed block
 * is damage. */
static bool
eng_docinfo(eng *e, int64_t id)
{
    int64_t block = id >> NX_DOCINFO_SHIFT;
    int rc, n;

    if (block == e->dblock)
        return e->dhas;
    e->dblock = block;
    e->dhas = false;
    rc = e->dblob != NULL ? sqlite3_blob_reopen(e->dblob, block)
                          : sqlite3_blob_open(e->q->idx->db, "main", "docinfo",
                                              "data", block, 0, &e->dblob);
    if (rc == SQLITE_ERROR) { /* no such block */
        e->rc = nx_db_damaged(
            e->q->idx,
            "docinfo block %lld is missing (items %lld"
            " to %lld are in the fts index)",
            (long long)block, (long long)block * NX_DOCINFO_SLOTS,
            (long long)block * NX_DOCINFO_SLOTS + NX_DOCINFO_SLOTS - 1);
        return false;
    }
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return false;
    }
    n = sqlite3_blob_bytes(e->dblob);
    if (n != NX_DOCINFO_BYTES) {
        e->rc =
            nx_db_damaged(e->q->idx, "docinfo block %lld has %d bytes, not %d",
                          (long long)block, n, NX_DOCINFO_BYTES);
        return false;
    }
    /* What the query needs: the hot part, and the dates or quality and
     * heat only when it uses them. */
    rc = sqlite3_blob_read(e->dblob, e->dbuf, NX_DOCINFO_HOT_BYTES, 0);
    if (rc == SQLITE_OK && e->need_qh)
        rc = sqlite3_blob_read(e->dblob, e->dbuf + NX_DOCINFO_QUALITY_OFF,
                               NX_DOCINFO_DATE_OFF - NX_DOCINFO_QUALITY_OFF,
                               NX_DOCINFO_QUALITY_OFF);
    if (rc == SQLITE_OK && e->need_date)
        rc = sqlite3_blob_read(e->dblob, e->dbuf + NX_DOCINFO_DATE_OFF,
                               NX_DOCINFO_BYTES - NX_DOCINFO_DATE_OFF,
                               NX_DOCINFO_DATE_OFF);
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return false;
    }
    e->dhas = true;
    return true;
}

/* The exact token count of column `col` of row `id` (fts_docsize), for a
 * count docinfo could not hold. */
static uint32_t
eng_docsize(eng *e, int64_t id, int col)
{
    uint32_t v = 0;
    int c = 0, i = 0, n;
    const unsigned char *p;

    if (e->docsize == NULL &&
        sqlite3_prepare_v2(e->q->idx->db,
                           "SELECT sz FROM fts_docsize WHERE id = ?1", -1,
                           &e->docsize, NULL) != SQLITE_OK) {
        e->rc = sqlite3_errcode(e->q->idx->db);
        return 0;
    }
    sqlite3_reset(e->docsize);
    sqlite3_bind_int64(e->docsize, 1, id);
    if (sqlite3_step(e->docsize) != SQLITE_ROW)
        return 0;
    p = sqlite3_column_blob(e->docsize, 0);
    n = sqlite3_column_bytes(e->docsize, 0);
    while (i < n && c <= col) {
        v = 0;
        while (i < n && (p[i] & 0x80))
            v = (v << 7) | (p[i++] & 0x7f);
        if (i < n)
            v = (v << 7) | p[i++];
        c++;
    }
    return c > col ? v : 0;
}

static bool
eng_in_range(bool has, int64_t v, const nx_filter *f)
{
    if (!has)
        return false;
    return (!f->has_lo || v >= f->lo) && (!f->has_hi || v <= f->hi);
}

/* The filters answered from docinfo (slot `s`); false drops the row.  A
 * row that passes all but being unpublished counts in e->n_hidden. */
static bool
eng_keep(eng *e, unsigned s)
{
    const newsidx_query *q = e->q;
    const unsigned char *d = e->dbuf;
    unsigned flags = d[NX_DOCINFO_FLAGS_OFF + s];
    bool has_date = (flags & NX_DOC_HAS_DATE) != 0;
    bool is_hidden =
        !q->opts.include_unpublished && (flags & NX_DOC_UNPUBLISHED) != 0;
    int64_t date = 0;
    size_t i;

    if (!(flags & NX_DOC_PRESENT))
        return false;
    if (!e->need_full) {
        e->n_hidden += is_hidden;
        return !is_hidden;
    }
    if (has_date)
        date = (int64_t)nx_docinfo_u64(d + NX_DOCINFO_DATE_OFF + 8 * s);
    if ((q->opts.has_since || q->opts.has_until) &&
        !(has_date && (!q->opts.has_since || date >= q->opts.since) &&
          (!q->opts.has_until || date <= q->opts.until)))
        return false;
    for (i = 0; i < q->parsed->n_filters; i++) {
        const nx_filter *f = &q->parsed->filters[i];
        bool in;

        switch (f->kind) {
        case NX_FILTER_DATE:
            in = eng_in_range(has_date, date, f);
            break;
        case NX_FILTER_QUALITY:
            in = eng_in_range(
                (flags & NX_DOC_HAS_QUALITY) != 0,
                (int32_t)nx_docinfo_u32(d + NX_DOCINFO_QUALITY_OFF + 4 * s), f);
            break;
        case NX_FILTER_HEAT:
            in = eng_in_range(
                (flags & NX_DOC_HAS_HEAT) != 0,
                (int32_t)nx_docinfo_u32(d + NX_DOCINFO_HEAT_OFF + 4 * s), f);
            break;
        default:
            continue;
        }
        if (in == f->is_negated)
            return false;
    }
    e->n_hidden += is_hidden;
    return !is_hidden;
}

/**************************************************************************
** Scoring
*/

/* bm25f of row `id` (docinfo slot `s`), as nx_bm25f computes it: for each
 * phrase the weighted saturations of its columns, times its idf. */
static double
eng_bm25f(eng *e, int64_t id, unsigned s, unsigned u)
{
    uint32_t len[3] = {0, 0, 0};
    bool has_len[3] = {false, false, false};
    double score = 0;
    int i, c;

    for (i = 0; i < e->n_scored; i++) {
        const uint32_t *tf;

        if (!eng_bit(e->ph_bits[i], u))
            continue;
        tf = e->ph_tf[i][u];
        /* The lengths of the columns the phrase is in, once per row. */
        for (c = 0; c < 3; c++) {
            if (tf[c] == 0 || has_len[c])
                continue;
            len[c] = nx_docinfo_u16(e->dbuf + NX_DOCINFO_LEN_OFF(c) + 2 * s);
            if (len[c] >= NX_DOCINFO_LEN_BIG)
                len[c] = eng_docsize(e, id, c);
            has_len[c] = true;
        }
        score += e->idf[i] * nx_score_text(e->w, tf, len, e->avg);
    }
    return score;
}

/* Score row `id` (docinfo slot `s`, bit `u` of its unit) into `c`
 * (search.c's fields and sort key). */
static void
eng_score(eng *e, int64_t id, unsigned s, unsigned u, search_cand *c)
{
    const newsidx_query *q = e->q;
    const unsigned char *d = e->dbuf;
    unsigned flags = d[NX_DOCINFO_FLAGS_OFF + s];
    nx_score_doc doc;

    memset(&doc, 0, sizeof(doc));
    doc.level = (int)nx_docinfo_u16(d + NX_DOCINFO_LEVEL_OFF + 2 * s);
    doc.has_quality = (flags & NX_DOC_HAS_QUALITY) != 0;
    doc.has_heat = (flags & NX_DOC_HAS_HEAT) != 0;
    doc.has_date = (flags & NX_DOC_HAS_DATE) != 0;
    if (e->need_full) {
        doc.quality =
            (int32_t)nx_docinfo_u32(d + NX_DOCINFO_QUALITY_OFF + 4 * s);
        doc.heat = (int32_t)nx_docinfo_u32(d + NX_DOCINFO_HEAT_OFF + 4 * s);
        doc.date = (int64_t)nx_docinfo_u64(d + NX_DOCINFO_DATE_OFF + 8 * s);
    }
    memset(c, 0, sizeof(*c));
    c->id = id;
    nx_search_score(c, q, e->has_text ? eng_bm25f(e, id, s, u) : 1.0, &doc);
}

/* The idf of each scored phrase (nx_search_idf) and the column averages,
 * as nx_bm25f works them out (rank.c). */
static int
eng_weights(eng *e, newsidx_error *err)
{
    int64_t n_rows = nx_fr_rows(e->r);
    int c, n = 0, rc;

    e->w[0] = e->q->w.title;
    e->w[1] = e->q->w.excerpt;
    e->w[2] = e->q->w.body;
    for (c = 0; c < 3; c++)
        e->avg[c] = n_rows > 0
                        ? (double)nx_fr_col_total(e->r, c) / (double)n_rows
                        : 1.0;
    rc = nx_search_idf(e->q, n_rows, e->idf, &n, err);
    if (rc == NEWSIDX_OK && n != e->n_scored)
        rc = ENG_DECLINED;
    return rc;
}

/**************************************************************************
** Running a query
*/

/* Which parts of docinfo past the hot ones the query reads: the dates
 * (for date filters, --since/--until, freshness, a date sort) and quality
 * and heat (for their filters, unequal prior weights, their sorts). */
static void
eng_needs(eng *e)
{
    const newsidx_query *q = e->q;
    size_t i;

    e->need_qh = q->w.quality != q->w.heat ||
                 q->opts.sort == NEWSIDX_SORT_QUALITY ||
                 q->opts.sort == NEWSIDX_SORT_HEAT;
    e->need_date = q->w.fresh_half_life > 0 ||
                   q->opts.sort == NEWSIDX_SORT_DATE || q->opts.has_since ||
                   q->opts.has_until;
    for (i = 0; i < q->parsed->n_filters; i++) {
        nx_filter_kind k = q->parsed->filters[i].kind;

        e->need_date |= k == NX_FILTER_DATE;
        e->need_qh |= k == NX_FILTER_QUALITY || k == NX_FILTER_HEAT;
    }
    e->need_full = e->need_date || e->need_qh;
}

static void
eng_free(eng *e)
{
    int i;

    for (i = 0; i < e->n_ph; i++)
        eng_phrase_free(&e->ph[i]);
    for (i = 0; i < ENG_MAX_PHRASES; i++) {
        nx_free(e->req[i].ph);
        nx_free(e->neg[i].ph);
    }
    nx_free(e->ph_bits);
    nx_free(e->ph_tf);
    nx_free(e->block_ub);
    nx_free(e->walked);
    nx_free(e->pos_buf);
    sqlite3_blob_close(e->dblob);
    sqlite3_finalize(e->docsize);
    nx_fr_close(e->r);
    nx_buf_free(&e->scratch);
    nx_free(e);
}

static int eng_error(eng *e, newsidx_error *err);
static void eng_row_bound_init(eng *e);
static double eng_theta(const search_run *run);

/* Set up the engine for `q`: NEWSIDX_OK, ENG_DECLINED, or an error
 * with its message. */
static int
eng_open(eng **out, newsidx_query *q, newsidx_error *err)
{
    eng *e;
    int rc;

    *out = NULL;
    if (q->parsed == NULL || q->self_id != 0)
        return ENG_DECLINED;
    e = nx_calloc(1, sizeof(*e));
    if (e == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    e->q = q;
    e->dblock = -1;
    rc = nx_fr_open(&e->r, q->idx->db, err);
    if (rc == NEWSIDX_OK && e->r == NULL)
        rc = ENG_DECLINED; /* another FTS5 format */
    if (rc == NEWSIDX_OK) {
        if (q->half->qtok == NULL)
            e->rc = nx_tokenizer_new(&q->half->qtok, q->idx->db);
        e->tok = q->half->qtok;
        rc = e->rc == SQLITE_OK ? eng_build(e) : NEWSIDX_OK;
    }
    if (rc == NEWSIDX_OK && e->rc == SQLITE_OK)
        rc = eng_weights(e, err);
    if (rc == NEWSIDX_OK && e->rc == SQLITE_OK) {
        size_t n = (size_t)(e->n_scored > 0 ? e->n_scored : 1);

        e->ph_bits = nx_calloc(n, sizeof(*e->ph_bits));
        e->ph_tf = nx_malloc(n * sizeof(*e->ph_tf));
        if (e->ph_bits == NULL || e->ph_tf == NULL)
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    eng_needs(e);
    if (rc == NEWSIDX_OK && e->rc == SQLITE_OK)
        eng_row_bound_init(e);
    if (rc == NEWSIDX_OK && e->rc != SQLITE_OK)
        rc = eng_error(e, err);
    if (rc != NEWSIDX_OK) {
        eng_free(e);
        return rc;
    }
    *out = e;
    return NEWSIDX_OK;
}

/* Drop from `m` the slots of block `lo` an exclusion holds. */
static void
eng_exclude(eng *e, int64_t lo, uint64_t *m)
{
    uint64_t got[ENG_WORDS];
    int i, w;

    for (i = 0; i < e->n_neg && !eng_none(m); i++) {
        eng_group_block(e, &e->neg[i], lo, m, got);
        for (w = 0; w < ENG_WORDS; w++)
            m[w] &= ~got[w];
    }
}

/*
 * A bound of a row's score from its occurrences alone: each column's
 * saturation at its largest, for a length of 0 (the shortest), times the
 * largest prior and freshness factor.  A row whose bound cannot beat the
 * score to beat is counted without being scored: the lengths, the prior
 * and the division per column are what a score costs.  Set up for ranked
 * queries with weights and idfs of one sign (a bound needs them).
 */
static void
eng_row_bound_init(eng *e)
{
    const nx_weights *w = &e->q->w;
    double f0 = nx_rank_prior_factor(w, 0.0), f1 = nx_rank_prior_factor(w, 1.0);
    int i, c;

    e->has_row_bound = e->q->opts.sort == NEWSIDX_SORT_RANK && e->has_text;
    for (c = 0; c < 3; c++)
        e->has_row_bound &= e->w[c] >= 0;
    for (i = 0; i < e->n_scored; i++)
        e->has_row_bound &= e->idf[i] >= 0;
    /* The prior under unequal weights lies between the two ends too. */
    e->row_factor = f0 > f1 ? f0 : f1;
    e->has_row_bound &= e->row_factor > 0;
    for (i = 0; i < 64; i++)
        e->sat_max[i] = nx_rank_sat(i, 0, 1);
}

static double
eng_sat_max(const eng *e, uint32_t tf)
{
    return tf < 64 ? e->sat_max[tf] : nx_rank_sat(tf, 0, 1);
}

/* The bound of the row at bit `u` of the block being scored. */
static double
eng_row_bound(const eng *e, unsigned u)
{
    double v = 0;
    int i, c;

    for (i = 0; i < e->n_scored; i++) {
        const uint32_t *tf;
        double part = 0;

        if (!eng_bit(e->ph_bits[i], u))
            continue;
        tf = e->ph_tf[i][u];
        for (c = 0; c < 3; c++) {
            if (tf[c] != 0)
                part += e->w[c] * eng_sat_max(e, tf[c]);
        }
        v += e->idf[i] * part;
    }
    return v * e->row_factor;
}

/* The unpublished rows as bits: the rows of their tag (store.c). */
static int
eng_unpub_fill(void *ctx, uint64_t **bits_out, size_t *n_words_out)
{
    eng *e = ctx;
    nx_fr_term *t = NULL;
    uint64_t *bits = NULL;
    size_t n_words = 0;
    int64_t max_id = nx_db_max_id(e->q->idx);
    int rc = nx_fr_term_open(&t, e->r, NX_TAG_UNPUBLISHED,
                             sizeof(NX_TAG_UNPUBLISHED) - 1);

    while (rc == SQLITE_OK && !nx_fr_term_eof(t)) {
        int64_t id = nx_fr_term_rowid(t);
        size_t w;

        /* The bitmap grows to the largest id: one the file can hold. */
        if (id < 0 || id > max_id) {
            rc = nx_db_damaged(e->q->idx,
                               "item id %lld is out of range for this"
                               " file",
                               (long long)id);
            break;
        }
        w = (size_t)(id >> 6);
        if (w >= n_words) {
            size_t grow = n_words ? n_words : 1024;
            uint64_t *p;

            while (grow + n_words <= w)
                grow *= 2;
            p = nx_realloc(bits, (n_words + grow) * sizeof(*p));
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            memset(p + n_words, 0, grow * sizeof(*p));
            bits = p;
            n_words += grow;
        }
        bits[w] |= (uint64_t)1 << (id & 63);
        if (nx_fr_term_next(t) != SQLITE_OK)
            rc = SQLITE_CORRUPT;
    }
    nx_fr_term_close(t);
    if (rc != SQLITE_OK) {
        nx_free(bits);
        return rc;
    }
    *bits_out = bits;
    *n_words_out = n_words;
    return SQLITE_OK;
}

/*
 * The unpublished rows, kept by the handle until the file changes (the
 * reader has started the read transaction).  A block that is only
 * counted needs nothing else: every row of the fts index is an item.
 * (Reading the flags of every docinfo block instead cost 45 ms at a
 * million items, half of a one-word query run by newsquery.)
 */
static int
eng_unpub(eng *e)
{
    nx_rowset *set = &e->q->half->unpub;
    int rc = nx_rowset_get(e->q->idx->db, set, eng_unpub_fill, e);

    if (rc != SQLITE_OK)
        return rc;
    e->unpub = set->bits;
    e->n_unpub = set->n_words;
    e->has_unpub = true;
    return SQLITE_OK;
}

/* Count, and score into `run` (when not NULL), the slots `m` of block
 * `lo` that pass the docinfo filters; returns how many did. */
static uint64_t
eng_take(eng *e, int64_t lo, const uint64_t *m, search_run *run)
{
    uint64_t n = 0;
    int w;

    if (run == NULL && !e->need_full) { /* a count the tags settle */
        size_t at = (size_t)lo / 64;
        bool all = e->q->opts.include_unpublished;
        int rc;

        if (!all && !e->has_unpub && (rc = eng_unpub(e)) != SQLITE_OK) {
            e->rc = rc;
            return 0;
        }
        for (w = 0; w < ENG_WORDS; w++) {
            uint64_t keep = m[w];

            if (!all && at + w < e->n_unpub) {
                keep &= ~e->unpub[at + w];
                e->n_hidden +=
                    (uint64_t)__builtin_popcountll(m[w] & e->unpub[at + w]);
            }
            n += (uint64_t)__builtin_popcountll(keep);
        }
        return n; /* (no self_id here: eng_open) */
    }
    if (!eng_docinfo(e, lo))
        return 0;
    for (w = 0; w < ENG_WORDS; w++) {
        uint64_t bits = m[w];

        while (bits != 0) {
            unsigned u = (unsigned)(w * 64 + __builtin_ctzll(bits));
            int64_t id = lo + u;
            unsigned s = (unsigned)(id & (NX_DOCINFO_SLOTS - 1));

            bits &= bits - 1;
            if (!eng_keep(e, s) || id == e->q->self_id)
                continue;
            n++;
            if (run != NULL) {
                search_cand c;

                if (e->has_row_bound && run->n_cands == run->cap &&
                    eng_row_bound(e, u) * (1.0 + 1e-9) < eng_theta(run)) {
                    run->is_complete = false; /* a row left out */
                    continue;
                }
                eng_score(e, id, s, u, &c);
                nx_search_offer(run, &c);
            }
        }
    }
    return n;
}

/* The matches of the block at `lo`, scored into `run` when it is not
 * NULL (else only counted, without occurrences); returns how many. */
static uint64_t
eng_block(eng *e, int64_t lo, search_run *run)
{
    uint64_t m[ENG_WORDS], got[ENG_WORDS];
    int i, k;

    e->is_counting = run == NULL;
    for (i = 0; i < e->n_scored; i++)
        memset(e->ph_bits[i], 0, sizeof(e->ph_bits[i]));
    eng_group_block(e, &e->req[0], lo, NULL, m);
    for (k = 1; k < e->n_req && !eng_none(m); k++) {
        eng_group_block(e, &e->req[k], lo, m, got);
        for (i = 0; i < ENG_WORDS; i++)
            m[i] &= got[i];
    }
    eng_exclude(e, lo, m);
    return eng_none(m) ? 0 : eng_take(e, lo, m, run);
}

/* The score a row must beat to enter run's best: 0 until it is full. */
static double
eng_theta(const search_run *run)
{
    return run->n_cands == run->cap && run->cap > 0 ? run->cands[0].score : 0;
}

/*
 * Walk every match, block by block in rowid order, scoring them into
 * `run` when it is not NULL; returns the number of matches.  Blocks the
 * top walk took (e->walked) are skipped: it counted them.  With bounds, a
 * block whose bound cannot beat the worst of run's best is only counted:
 * none of its rows could enter, so the best are exactly the exhaustive
 * walk's.
 */
static uint64_t
eng_walk(eng *e, search_run *run)
{
    eng_group *lead = &e->req[0];
    uint64_t n = 0;
    int64_t next = 0;

    if (e->is_void)
        return 0;
    while (e->rc == SQLITE_OK) {
        int64_t lo, b, at = eng_group_next(lead, next);
        bool score = run != NULL;

        /* The next block the cheapest group may have a match in. */
        if (at == ENG_EOF)
            break;
        lo = at & ~(int64_t)(ENG_UNIT - 1);
        next = lo + ENG_UNIT;
        b = lo >> ENG_UNIT_SHIFT;
        if (e->walked != NULL && b < e->n_blocks &&
            eng_bit(e->walked, (unsigned)b))
            continue; /* counted by the top walk */
        if (score && e->block_ub != NULL && b < e->n_blocks &&
            e->block_ub[b] * (1.0 + 1e-9) < eng_theta(run)) {
            score = false;
            run->is_complete = false; /* rows left out */
            e->n_counted_only++;
        }
        if (score && e->block_ub != NULL)
            e->n_blocks_scored++;
        n += eng_block(e, lo, score ? run : NULL);
    }
    return n;
}

/* Put the iterators of every phrase back on their first rows at `from`
 * or after, for a new walk from there: a walk moves them forward only. */
static void
eng_rewind(eng *e, int64_t from)
{
    int i, k;

    for (i = 0; i < e->n_ph && e->rc == SQLITE_OK; i++) {
        eng_phrase *p = &e->ph[i];
        int n = p->is_prefix ? p->n_alt : p->n_tok;
        nx_fr_term **its = p->is_prefix ? p->alt : p->tok;

        for (k = 0; k < n && e->rc == SQLITE_OK; k++) {
            if (its[k] != NULL && nx_fr_term_rewind(its[k], from) != SQLITE_OK)
                e->rc = SQLITE_CORRUPT;
        }
        if (p->is_prefix) {
            eng_alt_next(p);
            eng_rare_rewind(p, from);
        }
    }
}

/* A word's bounds per block (bounds.c), into a new array of n_blocks;
 * NULL when it has none. */
static double *
eng_word_bounds(eng *e, const char *word, size_t len, int64_t n_blocks)
{
    sqlite3_stmt *stmt;
    double *ub = NULL;
    int rc = sqlite3_prepare_v2(
        e->q->idx->db, "SELECT chunk, data FROM bounds WHERE term = ?1", -1,
        &stmt, NULL);

    if (rc != SQLITE_OK) {
        e->rc = rc;
        return NULL;
    }
    sqlite3_bind_text(stmt, 1, word, (int)len, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t chunk = sqlite3_column_int64(stmt, 0), b;
        const unsigned char *d = sqlite3_column_blob(stmt, 1);
        int i;

        if (sqlite3_column_bytes(stmt, 1) != 2 * NX_BOUND_CHUNK || d == NULL ||
            chunk < 0) {
            e->rc = nx_db_damaged(e->q->idx,
                                  "a row of the bounds table is malformed"
                                  " (chunk %lld)",
                                  (long long)chunk);
            break;
        }
        if (ub == NULL &&
            (ub = nx_calloc((size_t)n_blocks + 1, sizeof(*ub))) == NULL) {
            e->rc = SQLITE_NOMEM;
            break;
        }
        /* Chunks past the last item's hold no bound a query uses. */
        for (i = 0; i < NX_BOUND_CHUNK && chunk < n_blocks; i++) {
            b = chunk * NX_BOUND_CHUNK + i;
            if (b < n_blocks)
                ub[b] = nx_docinfo_u16(d + 2 * i);
        }
    }
    sqlite3_finalize(stmt);
    if (e->rc == SQLITE_OK && rc != SQLITE_DONE)
        e->rc = rc;
    if (e->rc != SQLITE_OK) {
        nx_free(ub);
        return NULL;
    }
    return ub;
}

/*
 * Bounds of token k (`w`, `len` bytes) of phrase `p` from the token's own
 * rows, for a word too rare for the bounds table (fewer rows than
 * bound_min_df: another form of a word, often): per block, the most any
 * row of it can add (its occurrences at the shortest length, with the
 * largest prior and freshness factor), in the table's scale, which the
 * caller multiplies by factor / NX_BOUND_SCALE.  NULL for a frequent word
 * (it should have had rows) or on failure (e->rc set).
 */
static double *
eng_rare_bounds(eng *e, eng_phrase *p, int k, const char *w, size_t len,
                double factor)
{
    nx_fr_term *t = p->tok[k];
    double *ub, wc[3];
    int64_t df;
    int c, rc = nx_terms_df(e->q->idx, w, len, &df);

    if (rc != SQLITE_OK)
        e->rc = rc;
    if (rc != SQLITE_OK || t == NULL || df < 0 || df >= e->q->idx->bound_min_df)
        return NULL;
    ub = nx_calloc((size_t)e->n_blocks + 1, sizeof(*ub));
    if (ub == NULL) {
        e->rc = SQLITE_NOMEM;
        return NULL;
    }
    for (c = 0; c < 3; c++) /* a negative weight only lowers a score */
        wc[c] = e->w[c] > 0 ? e->w[c] : 0;
    for (rc = nx_fr_term_rewind(t, 0); rc == SQLITE_OK && !nx_fr_term_eof(t);
         rc = nx_fr_term_next(t)) {
        const unsigned char *pl;
        int n, tf[3] = {0, 0, 0};
        int64_t b = nx_fr_term_rowid(t) >> ENG_UNIT_SHIFT;
        double v = 0;

        if ((rc = nx_fr_term_poslist(t, &pl, &n)) != SQLITE_OK)
            break;
        nx_fr_pos_count(pl, n, p->column, tf);
        for (c = 0; c < 3; c++)
            v += tf[c] ? wc[c] * eng_sat_max(e, (uint32_t)tf[c]) : 0;
        v *= e->row_factor * NX_BOUND_SCALE / factor;
        if (b < e->n_blocks && v > ub[b])
            ub[b] = v;
    }
    if (rc == SQLITE_OK)
        rc = nx_fr_term_rewind(t, 0);
    if (rc != SQLITE_OK) {
        e->rc = SQLITE_CORRUPT; /* the reader's failure: eng_error */
        nx_free(ub);
        return NULL;
    }
    return ub;
}

/* How far a bound worked out under the defaults (bounds.c) may be below
 * this query's score: the weights against the default ones, the averages
 * against those of the bounds, the prior against the default prior. */
static double
eng_bound_factor(eng *e, const double *avg_ref)
{
    static const double wref[3] = {NX_BOUND_W_TITLE, NX_BOUND_W_EXCERPT,
                                   NX_BOUND_W_BODY};
    const nx_weights *w = &e->q->w;
    double text = 0, s = w->strength;
    int c;

    for (c = 0; c < 3; c++) {
        double r = avg_ref[c] > 0 && e->avg[c] > avg_ref[c]
                       ? e->avg[c] / avg_ref[c]
                       : 1.0;

        if (avg_ref[c] <= 0 && e->avg[c] > 0)
            return -1; /* the bounds took no length into account */
        if (e->w[c] / wref[c] * r > text)
            text = e->w[c] / wref[c] * r;
    }
    if (w->quality == w->heat) /* the same level, another strength */
        return text * fmax((1 + s) / (1 + NX_BOUND_STRENGTH),
                           (1 - s) / (1 - NX_BOUND_STRENGTH));
    return text * (1 + s) / (1 - NX_BOUND_STRENGTH);
}

/* The block-max bounds of the query: e->block_ub[b] is an upper bound of
 * the score of any match in block b (0: none can match there).  Left NULL
 * when some scored phrase has no bounds (a prefix, a rare word), or the
 * query sorts otherwise. */
static void
eng_bounds(eng *e)
{
    sqlite3_stmt *stmt;
    double avg_ref[3], factor;
    bool has_avg = false;
    int64_t max_id = 0, b;
    int i, k, j, rc;

    if (e->q->opts.sort != NEWSIDX_SORT_RANK || !e->has_text)
        return;
    rc = nx_bounds_avg(e->q->idx, avg_ref, &has_avg);
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return;
    }
    if (!has_avg || (factor = eng_bound_factor(e, avg_ref)) <= 0)
        return;
    for (i = 0; i < e->n_scored; i++) {
        if (e->ph[i].is_prefix)
            return;
    }
    if (sqlite3_prepare_v2(e->q->idx->db, "SELECT max(id) FROM items", -1,
                           &stmt, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        max_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    /* A block's bound per block of ids: the ids must be ones the file
     * can hold, or a damaged one would size the array. */
    if (max_id < 0 || max_id > nx_db_max_id(e->q->idx)) {
        e->rc = nx_db_damaged(e->q->idx,
                              "item id %lld is out of range for this file",
                              (long long)max_id);
        return;
    }
    e->n_blocks = (max_id >> ENG_UNIT_SHIFT) + 1;
    e->block_ub = nx_calloc((size_t)e->n_blocks, sizeof(*e->block_ub));
    if (e->block_ub == NULL)
        return;
    /* A word's bound per block; a phrase's, the least of its words'; a
     * phrase no row holds, none. */
    for (i = 0; i < e->n_scored && e->rc == SQLITE_OK; i++) {
        eng_phrase *p = &e->ph[i];
        const char *w = p->words.data;

        if (p->is_empty) {
            p->ub = nx_calloc((size_t)e->n_blocks + 1, sizeof(*p->ub));
            if (p->ub == NULL)
                e->rc = SQLITE_NOMEM;
            continue;
        }
        for (k = 0; k < p->n_tok && w != NULL; k++) {
            size_t len = strlen(w);
            double *ub = eng_word_bounds(e, w, len, e->n_blocks);

            if (ub == NULL && e->rc == SQLITE_OK)
                ub = eng_rare_bounds(e, p, k, w, len, factor);
            if (ub == NULL) {
                nx_free(e->block_ub);
                e->block_ub = NULL;
                return;
            }
            if (p->ub == NULL) {
                p->ub = ub;
            } else {
                for (b = 0; b < e->n_blocks; b++)
                    p->ub[b] = ub[b] < p->ub[b] ? ub[b] : p->ub[b];
                nx_free(ub);
            }
            w += len + 1;
        }
    }
    if (e->rc != SQLITE_OK) { /* a phrase may be left without its bounds */
        nx_free(e->block_ub);
        e->block_ub = NULL;
        return;
    }
    /* A group adds up its phrases (one row may hold several); a block no
     * phrase of a scored group is in cannot match. */
    for (k = 0; k < e->n_req; k++) {
        const eng_group *g = &e->req[k];
        bool is_scored = false;

        for (j = 0; j < g->n; j++)
            is_scored |= g->ph[j] - e->ph < e->n_scored;
        if (!is_scored)
            continue; /* tags: no score, and no bounds */
        for (b = 0; b < e->n_blocks; b++) {
            double sum = 0;

            if (k > 0 && e->block_ub[b] < 0)
                continue;
            for (j = 0; j < g->n; j++) {
                int pi = (int)(g->ph[j] - e->ph);

                sum += e->idf[pi] * g->ph[j]->ub[b];
            }
            e->block_ub[b] = sum == 0 ? -1 : e->block_ub[b] + sum;
        }
    }
    for (b = 0; b < e->n_blocks; b++)
        e->block_ub[b] =
            e->block_ub[b] < 0 ? 0 : e->block_ub[b] / NX_BOUND_SCALE * factor;
}

static int
eng_cmp_block(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/*
 * The top walk of a query with bounds: the ENG_TOP blocks of the highest
 * bounds, first, so that the walk in rowid order after it starts with a
 * score to beat close to the final one and can leave most blocks to be
 * only counted.  It counts and marks the blocks it takes.
 */
static void
eng_walk_top(eng *e, search_run *run)
{
    int64_t top[ENG_TOP], b;
    double top_ub[ENG_TOP];
    int n = 0, i;

    e->walked = nx_calloc((size_t)e->n_blocks / 64 + 1, sizeof(*e->walked));
    if (e->walked == NULL) {
        e->rc = SQLITE_NOMEM;
        return;
    }
    for (b = 0; b < e->n_blocks; b++) { /* the best ENG_TOP, by insertion */
        double ub = e->block_ub[b];

        if (ub <= 0 || (n == ENG_TOP && ub <= top_ub[n - 1]))
            continue;
        i = n < ENG_TOP ? n++ : n - 1;
        for (; i > 0 && top_ub[i - 1] < ub; i--) {
            top_ub[i] = top_ub[i - 1];
            top[i] = top[i - 1];
        }
        top_ub[i] = ub;
        top[i] = b;
    }
    if (n == 0)
        return;
    qsort(top, (size_t)n, sizeof(*top), eng_cmp_block);
    eng_rewind(e, top[0] << ENG_UNIT_SHIFT);
    for (i = 0; i < n && e->rc == SQLITE_OK; i++) {
        e->n_walked_rows += eng_block(e, top[i] << ENG_UNIT_SHIFT, run);
        eng_set(e->walked, (unsigned)top[i]);
    }
    e->n_walked += (uint64_t)n;
    eng_rewind(e, 0);
}

/* The engine's failure as a status. */
static int
eng_error(eng *e, newsidx_error *err)
{
    int rc;

    if (e->rc == SQLITE_TOOBIG)
        return ENG_DECLINED; /* a phrase too long to check */
    if (e->r != NULL && (rc = nx_fr_error(e->r, err)) != NEWSIDX_OK)
        return rc;
    if (e->rc == SQLITE_NOMEM)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return nx_db_error(e->q->idx, e->rc, "cannot run the query", err);
}

/* An engine status as the other files take it. */
static int
eng_status(int rc, bool *is_declined)
{
    *is_declined = rc == ENG_DECLINED;
    return *is_declined ? NEWSIDX_OK : rc;
}

int
nx_engine_run(search_run *run, newsidx_query *q, bool *is_declined,
              newsidx_error *err)
{
    eng *e;
    int rc = eng_open(&e, q, err);

    if (rc != NEWSIDX_OK)
        return eng_status(rc, is_declined);
    eng_bounds(e);
    if (e->block_ub != NULL)
        eng_walk_top(e, run);
    run->n_rows = e->n_walked_rows + eng_walk(e, run);
    run->is_counted = true;
    run->n_hidden = e->n_hidden;
    run->has_hidden = true;
    q->half->rank.n_blocks += e->n_walked + e->n_blocks_scored;
    rc = e->rc == SQLITE_OK ? NEWSIDX_OK : eng_error(e, err);
    eng_free(e);
    return eng_status(rc, is_declined);
}

int
nx_engine_count(uint64_t *total_out, uint64_t *hidden_out, newsidx_query *q,
                bool *is_declined, newsidx_error *err)
{
    eng *e;
    int rc = eng_open(&e, q, err);

    if (rc != NEWSIDX_OK)
        return eng_status(rc, is_declined);
    e->is_counting = true;
    *total_out = eng_walk(e, NULL);
    *hidden_out = e->n_hidden;
    rc = e->rc == SQLITE_OK ? NEWSIDX_OK : eng_error(e, err);
    eng_free(e);
    return eng_status(rc, is_declined);
}
