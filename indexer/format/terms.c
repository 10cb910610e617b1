/*
 * terms.c - per-term document frequencies, kept in the `terms` table so
 * that a ranked query gets a word's idf without walking its doclist.
 *
 * The indexer cuts every text it gives to the fts table into tokens with
 * FTS5's own tokenizer (unicode61 remove_diacritics 2, the one the fts
 * table uses), and every text it deletes from it too.  Each distinct token
 * of a row adds or takes one from that token's count in memory; the counts
 * go to `terms` before the transaction commits (nx_db_commit), or
 * earlier when they grow large.  So `terms` always holds, for every token
 * in the fts table, the number of rows holding it: what fts5vocab's `doc`
 * column says (tests/unit/test_store.c and T150 check that).
 *
 * Queries look single words up here (nx_terms_df); phrases, prefixes,
 * column filters and words missing from the table are counted by FTS5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "format.h"

/* FTS5 keeps at most this many bytes of a token (FTS5_MAX_TOKEN_SIZE). */
#define TERMS_MAX_TOKEN 32768
/* Counts are written out early past this many tokens or bytes of them,
 * which bounds the memory (about 64 bytes a token) whatever the input. */
#define TERMS_FLUSH_TOKENS ((size_t)1 << 18)
#define TERMS_FLUSH_BYTES  ((size_t)4 << 20)

/* A counted token.  Offsets fit: counts are written out past 4 MiB of
 * keys, and one row's texts are at most a file (16 MiB by default). */
typedef struct terms_slot {
    union {
        struct {
            uint32_t off;  /* of the token in `arena`; 0 = empty slot */
            uint32_t hash; /* of the token */
        } at;
        const char *key; /* the token, once the slots are packed to sort */
    } u;
    uint32_t len;   /* bytes of the token */
    int32_t delta;  /* rows gained minus rows lost */
    uint32_t stamp; /* the last row that counted it */
} terms_slot;

struct nx_terms {
    nx_tokenizer *tok;
    nx_stemmer *stemmer; /* the index's language; NULL until the first flush */
    sqlite3_stmt *add, *drop, *get, *set;
    bool has_table; /* false after `terms` was found missing (query side) */
    terms_slot *slots;
    size_t cap, used;
    nx_buf arena;   /* token bytes; offset 0 is a pad byte */
    uint32_t stamp; /* rows counted since the last flush */
    int sign;
    int rc;
};

static bool
terms_grow(nx_terms *t)
{
    size_t cap = t->cap ? 2 * t->cap : 4096, i, j;
    terms_slot *slots = nx_calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return false;
    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].u.at.off == 0)
            continue;
        for (j = t->slots[i].u.at.hash & (cap - 1); slots[j].u.at.off != 0;
             j = (j + 1) & (cap - 1))
            ;
        slots[j] = t->slots[i];
    }
    nx_free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

/* Count a token (`n` bytes, hash `h`) once for the current row. */
static int
terms_add(nx_terms *t, const char *token, size_t n, uint32_t h)
{
    size_t i;

    if (4 * (t->used + 1) > 3 * t->cap && !terms_grow(t))
        return SQLITE_NOMEM;
    for (i = h & (t->cap - 1); t->slots[i].u.at.off != 0;
         i = (i + 1) & (t->cap - 1)) {
        terms_slot *s = &t->slots[i];

        if (s->u.at.hash == h && s->len == (uint32_t)n &&
            memcmp(t->arena.data + s->u.at.off, token, n) == 0) {
            if (s->stamp != t->stamp) {
                s->stamp = t->stamp;
                s->delta += t->sign;
            }
            return SQLITE_OK;
        }
    }
    if (t->arena.len > UINT32_MAX - n)
        return SQLITE_NOMEM;
    t->slots[i].u.at.off = (uint32_t)t->arena.len;
    t->slots[i].u.at.hash = h;
    t->slots[i].len = (uint32_t)n;
    t->slots[i].delta = t->sign;
    t->slots[i].stamp = t->stamp;
    nx_buf_put(&t->arena, token, n);
    if (nx_buf_oom(&t->arena)) {
        t->slots[i].u.at.off = 0;
        return SQLITE_NOMEM;
    }
    t->used++;
    return SQLITE_OK;
}

/* xTokenize callback: count the token once per row. */
static int
terms_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
    (void)flags;
    (void)start;
    (void)end;
    if (n > TERMS_MAX_TOKEN)
        n = TERMS_MAX_TOKEN;
    return terms_add(ctx, token, (size_t)n, nx_token_hash(token, (size_t)n));
}

/* The counts and the fts table's tokenizer, made on first use. */
static int
terms_open(newsidx_index *idx)
{
    nx_terms *t;
    int rc;

    if (idx->terms != NULL)
        return SQLITE_OK;
    t = nx_calloc(1, sizeof(*t));
    if (t == NULL)
        return SQLITE_NOMEM;
    t->has_table = true;
    rc = nx_tokenizer_new(&t->tok, idx->db);
    if (rc != SQLITE_OK) {
        nx_free(t);
        return rc;
    }
    nx_buf_putc(&t->arena, '\0'); /* so that offset 0 means "empty" */
    idx->terms = t;
    return SQLITE_OK;
}

static int
terms_prepare(newsidx_index *idx, sqlite3_stmt **stmt, const char *sql)
{
    if (*stmt != NULL) {
        sqlite3_reset(*stmt);
        return SQLITE_OK;
    }
    return sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
                              NULL);
}

static int
terms_cmp(const void *a, const void *b)
{
    const terms_slot *x = a, *y = b;
    int c = memcmp(x->u.key, y->u.key, x->len < y->len ? x->len : y->len);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

int
nx_terms_count(newsidx_index *idx, const char *const *text, const size_t *len,
               size_t n_texts, int sign)
{
    nx_terms *t;
    size_t i;
    int rc = terms_open(idx);

    if (rc != SQLITE_OK)
        return rc;
    t = idx->terms;
    t->stamp++;
    t->sign = sign;
    for (i = 0; i < n_texts && rc == SQLITE_OK; i++) {
        if (text[i] != NULL && len[i] > 0)
            rc = nx_tokenizer_run(t->tok, false, text[i], len[i], terms_token,
                                  t);
    }
    if (rc == SQLITE_OK &&
        (t->used > TERMS_FLUSH_TOKENS || t->arena.len > TERMS_FLUSH_BYTES))
        rc = nx_terms_flush(idx);
    return rc;
}

int
nx_terms_count_doc(newsidx_index *idx, const nx_doc *doc, const char *extra,
                   size_t extra_len, int sign)
{
    nx_terms *t;
    size_t i;
    int rc = terms_open(idx);

    if (rc != SQLITE_OK)
        return rc;
    t = idx->terms;
    t->stamp++;
    t->sign = sign;
    for (i = 0; i < doc->n_tok && rc == SQLITE_OK; i++)
        rc = terms_add(t, doc->tokens.data + doc->tok[i].off, doc->tok[i].len,
                       doc->tok[i].hash);
    if (rc == SQLITE_OK && extra != NULL)
        rc = nx_tokenizer_run(t->tok, false, extra, extra_len, terms_token, t);
    if (rc == SQLITE_OK &&
        (t->used > TERMS_FLUSH_TOKENS || t->arena.len > TERMS_FLUSH_BYTES))
        rc = nx_terms_flush(idx);
    return rc;
}

/* Sort the counted tokens (for B-tree locality) into slots[0..used). */
static void
terms_pack(nx_terms *t)
{
    size_t i, n = 0;

    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].u.at.off != 0 && t->slots[i].delta != 0) {
            const char *key = t->arena.data + t->slots[i].u.at.off;

            t->slots[n] = t->slots[i];
            t->slots[n++].u.key = key;
        }
    }
    t->used = n;
    if (n > 1)
        qsort(t->slots, n, sizeof(*t->slots), terms_cmp);
}

/* A token's row count in the terms table, 0 without a row (a count that
 * falls to 0 takes its row away). */
static int
terms_df_of(newsidx_index *idx, const char *token, size_t n, int64_t *df)
{
    nx_terms *t = idx->terms;
    int rc;

    *df = 0;
    if (terms_prepare(idx, &t->get, "SELECT df FROM terms WHERE term = ?1") !=
        SQLITE_OK)
        return sqlite3_errcode(idx->db);
    sqlite3_bind_text(t->get, 1, token, (int)n, SQLITE_STATIC);
    rc = sqlite3_step(t->get);
    if (rc == SQLITE_ROW)
        rc = nx_terms_df_column(idx, t->get, 0, df);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    sqlite3_reset(t->get);
    return rc;
}

int
nx_terms_df_column(newsidx_index *idx, sqlite3_stmt *stmt, int col, int64_t *df)
{
    int64_t v = sqlite3_column_int64(stmt, col);

    if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER || v < 0 ||
        v > NX_TERMS_MAX_DF)
        return nx_db_damaged(idx, "a row count of the terms table is out"
                                  " of range");
    *df = v;
    return SQLITE_OK;
}

/* Bind the stem of `token` as ?3 of `stmt`: NULL when it is the token
 * itself (most are; the lookup by stem checks the term too).  False on
 * out-of-memory. */
static bool
terms_bind_stem(nx_terms *t, sqlite3_stmt *stmt, const char *token, size_t len)
{
    const char *stem;
    size_t n;

    if (!nx_stem(t->stemmer, token, len, &stem, &n))
        return false;
    if (n == len && memcmp(stem, token, n) == 0)
        sqlite3_bind_null(stmt, 3);
    else
        sqlite3_bind_text(stmt, 3, stem, (int)n, SQLITE_TRANSIENT);
    return true;
}

int
nx_terms_stemmer(newsidx_index *idx, nx_stemmer **out)
{
    sqlite3_stmt *stmt;
    char language[64];
    int rc, status;

    *out = NULL;
    snprintf(language, sizeof(language), "%s", NX_STEM_DEFAULT);
    rc = sqlite3_prepare_v2(
        idx->db, "SELECT value FROM meta WHERE key = 'stem_language'", -1,
        &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(stmt, 0);

        if (v == NULL || strlen(v) >= sizeof(language) ||
            !nx_stem_language_ok(v))
            rc = nx_db_damaged(idx, "meta 'stem_language' names no"
                                    " Snowball language");
        else
            snprintf(language, sizeof(language), "%s", v);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
        return rc;
    status = nx_stemmer_new(out, language);
    return status == NEWSIDX_OK ? SQLITE_OK : SQLITE_NOMEM;
}

int
nx_terms_set_language(newsidx_index *idx, const char *language)
{
    sqlite3_stmt *get = NULL, *set = NULL, *meta = NULL;
    nx_stemmer *stemmer = NULL;
    nx_terms terms;
    int rc;

    if (nx_stemmer_new(&stemmer, language) != NEWSIDX_OK)
        return SQLITE_NOMEM; /* the caller checked the name */
    memset(&terms, 0, sizeof(terms));
    terms.stemmer = stemmer;
    rc = sqlite3_prepare_v2(idx->db,
                            "INSERT OR REPLACE INTO meta"
                            " VALUES('stem_language', ?1)",
                            -1, &meta, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(idx->db, "SELECT term FROM terms", -1, &get,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(idx->db,
                                "UPDATE terms SET stem = ?3 WHERE term = ?1",
                                -1, &set, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(meta, 1, language, -1, SQLITE_STATIC);
        rc = sqlite3_step(meta) == SQLITE_DONE ? SQLITE_OK
                                               : sqlite3_errcode(idx->db);
    }
    while (rc == SQLITE_OK && (rc = sqlite3_step(get)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(get, 0);
        size_t len = (size_t)sqlite3_column_bytes(get, 0);

        rc = SQLITE_OK;
        sqlite3_reset(set);
        sqlite3_bind_text(set, 1, term, (int)len, SQLITE_STATIC);
        if (!terms_bind_stem(&terms, set, term, len))
            rc = SQLITE_NOMEM;
        else if (sqlite3_step(set) != SQLITE_DONE)
            rc = sqlite3_errcode(idx->db);
    }
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    sqlite3_finalize(meta);
    sqlite3_finalize(get);
    sqlite3_finalize(set);
    nx_stemmer_free(stemmer);
    /* The writer's stemmer speaks the old language: made again. */
    if (idx->terms != NULL) {
        nx_stemmer_free(idx->terms->stemmer);
        idx->terms->stemmer = NULL;
    }
    return rc;
}

int
nx_terms_flush(newsidx_index *idx)
{
    nx_terms *t = idx->terms;
    size_t i;
    int rc = SQLITE_OK;

    if (t == NULL || t->used == 0)
        return SQLITE_OK;
    terms_pack(t);
    /* A lookup, then an insert, an update or a delete: an upsert with
     * RETURNING (for the new count) cost a temporary table each time, a
     * tenth of the indexing time. */
    rc = t->stemmer != NULL ? SQLITE_OK : nx_terms_stemmer(idx, &t->stemmer);
    if (rc == SQLITE_OK)
        rc = terms_prepare(idx, &t->add,
                           "INSERT INTO terms(term, df, stem)"
                           " VALUES(?1, ?2, ?3)");
    if (rc == SQLITE_OK)
        rc = terms_prepare(idx, &t->set,
                           "UPDATE terms SET df = ?2 WHERE term = ?1");
    if (rc == SQLITE_OK)
        rc = terms_prepare(idx, &t->drop, "DELETE FROM terms WHERE term = ?1");
    for (i = 0; i < t->used && rc == SQLITE_OK; i++) {
        const terms_slot *s = &t->slots[i];
        sqlite3_stmt *stmt;
        bool has;
        int64_t df;

        rc = terms_df_of(idx, s->u.key, s->len, &df);
        if (rc != SQLITE_OK)
            break;
        has = df > 0;
        df += s->delta;
        if (df <= 0 && !has)
            continue;
        stmt = df <= 0 ? t->drop : has ? t->set : t->add;
        sqlite3_bind_text(stmt, 1, s->u.key, (int)s->len, SQLITE_STATIC);
        if (df > 0)
            sqlite3_bind_int64(stmt, 2, df);
        if (stmt == t->add && !terms_bind_stem(t, stmt, s->u.key, s->len)) {
            sqlite3_reset(stmt);
            rc = SQLITE_NOMEM;
            break;
        }
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK
                                               : sqlite3_errcode(idx->db);
        sqlite3_reset(stmt);
        /* The new count tells bounds.c which tokens are frequent. */
        if (rc == SQLITE_OK && df > 0)
            nx_bounds_seen_df(idx, s->u.key, s->len, df);
    }
    nx_terms_discard(idx);
    return rc;
}

void
nx_terms_discard(newsidx_index *idx)
{
    nx_terms *t = idx->terms;

    if (t == NULL)
        return;
    if (t->slots != NULL)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->used = 0;
    t->stamp = 0;
    if (nx_buf_oom(&t->arena))
        nx_buf_free(&t->arena); /* an out-of-memory mark is sticky */
    nx_buf_clear(&t->arena);
    nx_buf_putc(&t->arena, '\0');
}

/* The tokens of a query word: the first one kept, all counted. */
typedef struct terms_word {
    char token[TERMS_MAX_TOKEN];
    int len;
    int n;
} terms_word;

static int
terms_word_token(void *ctx, int flags, const char *token, int n, int start,
                 int end)
{
    terms_word *w = ctx;

    (void)flags;
    (void)start;
    (void)end;
    if (w->n++ == 0) {
        w->len = n > TERMS_MAX_TOKEN ? TERMS_MAX_TOKEN : n;
        memcpy(w->token, token, (size_t)w->len);
    }
    return SQLITE_OK;
}

int
nx_terms_df(newsidx_index *idx, const char *text, size_t len, int64_t *df)
{
    terms_word *w;
    nx_terms *t;
    int rc = terms_open(idx);

    *df = -1;
    if (rc != SQLITE_OK)
        return rc;
    t = idx->terms;
    if (!t->has_table)
        return SQLITE_OK;
    w = nx_malloc(sizeof(*w));
    if (w == NULL)
        return SQLITE_NOMEM;
    w->n = 0;
    rc = nx_tokenizer_run(t->tok, true, text, len, terms_word_token, w);
    /* Only a text of one token is a word that FTS5 counts as we do. */
    if (rc == SQLITE_OK && w->n == 1) {
        if (terms_prepare(idx, &t->get,
                          "SELECT df FROM terms WHERE term = ?1") !=
            SQLITE_OK) {
            t->has_table = false; /* an index without it: FTS5 counts */
        } else {
            sqlite3_bind_text(t->get, 1, w->token, w->len, SQLITE_STATIC);
            rc = sqlite3_step(t->get);
            if (rc == SQLITE_ROW)
                rc = nx_terms_df_column(idx, t->get, 0, df);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            sqlite3_reset(t->get);
        }
    }
    nx_free(w);
    return rc;
}

/* xTokenize callback of nx_terms_word_dfs: look each token up. */
typedef struct terms_dfs {
    newsidx_index *idx;
    int64_t *df;
    int max, n;
    int rc;
} terms_dfs;

static int
terms_dfs_token(void *ctx, int flags, const char *token, int n, int start,
                int end)
{
    terms_dfs *d = ctx;

    (void)flags;
    (void)start;
    (void)end;
    if (d->n >= d->max)
        return SQLITE_TOOBIG;
    if (n > TERMS_MAX_TOKEN)
        n = TERMS_MAX_TOKEN;
    d->rc = terms_df_of(d->idx, token, (size_t)n, &d->df[d->n]);
    if (d->rc == SQLITE_OK)
        d->n++;
    return d->rc;
}

int
nx_terms_word_dfs(newsidx_index *idx, const char *text, size_t len, int64_t *df,
                  int max, int *n_out)
{
    terms_dfs d;
    int rc = terms_open(idx);

    *n_out = 0;
    if (rc != SQLITE_OK)
        return rc;
    d.idx = idx;
    d.df = df;
    d.max = max;
    d.n = 0;
    d.rc = SQLITE_OK;
    rc =
        nx_tokenizer_run(idx->terms->tok, true, text, len, terms_dfs_token, &d);
    *n_out = d.n;
    return rc == SQLITE_OK ? d.rc : rc;
}

int
nx_terms_prefix_df(newsidx_index *idx, const char *prefix, size_t len,
                   int64_t *sum)
{
    sqlite3_stmt *stmt;
    nx_buf hi = NX_BUF_INIT;
    size_t n = len;
    int rc;

    *sum = 0;
    while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
        n--;
    if (n > 0) {
        nx_buf_put(&hi, prefix, n);
        if (nx_buf_oom(&hi))
            return SQLITE_NOMEM;
        hi.data[n - 1] = (char)((unsigned char)hi.data[n - 1] + 1);
    }
    rc = sqlite3_prepare_v2(
        idx->db,
        n > 0 ? "SELECT total(df) FROM terms WHERE term >= ?1 AND term < ?2"
              : "SELECT total(df) FROM terms WHERE term >= ?1",
        -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, prefix, (int)len, SQLITE_STATIC);
        if (n > 0)
            sqlite3_bind_text(stmt, 2, hi.data, (int)n, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            double v = sqlite3_column_double(stmt, 0);

            /* A sum of stored counts: out of range only when damaged (a
             * cast of a double past int64 would be undefined). */
            if (!(v >= 0 && v <= (double)NX_TERMS_MAX_DF * 4096))
                rc = nx_db_damaged(idx, "a row count of the terms table"
                                        " is out of range");
            else
                *sum = (int64_t)v;
        }
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize(stmt);
    nx_buf_free(&hi);
    return rc;
}

void
nx_terms_free(newsidx_index *idx)
{
    nx_terms *t = idx->terms;

    if (t == NULL)
        return;
    sqlite3_finalize(t->add);
    sqlite3_finalize(t->drop);
    sqlite3_finalize(t->get);
    sqlite3_finalize(t->set);
    nx_tokenizer_free(t->tok);
    nx_stemmer_free(t->stemmer);
    nx_free(t->slots);
    nx_buf_free(&t->arena);
    nx_free(t);
    idx->terms = NULL;
}
