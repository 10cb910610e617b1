/*
 * bounds.c - the `bounds` table: for every token that at least
 * NX_BOUND_MIN_DF rows hold, and every bound block (1 << NX_BOUND_SHIFT
 * item ids), an upper bound of
 * what the token can add to the default score of an item of the block,
 * so that a ranked query can skip blocks whose best possible item cannot
 * enter its top k (block-max: query/walk.c and query/scoring.c).
 *
 * The bound of a token in an item (nx_score_bound, score.c) is
 *   v = (sum over the columns c of wref_c * sat(tf_c, len_c, avg_c)) * prior
 * with the default column weights wref (NX_BOUND_W_*), the column
 * averages of meta('bound_avg') (FTS5's averages when the first bounds
 * were written) and the prior factor of the item's level under the
 * default prior; a block stores max(1, ceil(NX_BOUND_SCALE * v)) over its
 * items, 0 when none holds the token.  query/scoring.c turns that into a bound
 * under any query's weights and averages (docs/ranking.md).  Items taken
 * out of the index leave their bounds behind: still upper bounds.
 *
 * The writer collects the bounds of the items it adds in memory and
 * writes them before COMMIT (nx_bounds_flush).  A token that becomes
 * frequent gets its bounds for every block from the fts index itself
 * (fts5read.c), after FTS5 has been made to write its pending rows out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fts5read.h"

/* Bound blocks each (token, chunk) row holds. */
#define BOUNDS_CHUNK_SHIFT 6
#define BOUNDS_CHUNK       (1 << BOUNDS_CHUNK_SHIFT)
#if BOUNDS_CHUNK != NX_BOUND_CHUNK
#error "bounds.c and format.h disagree on the chunk"
#endif
#define BOUNDS_ROW_BYTES (2 * BOUNDS_CHUNK)

/* A token met in the items added in the open transaction, with its bounds
 * in the blocks it was met in. */
typedef struct bounds_tok {
    uint32_t off, len, hash; /* the token in `arena`; off 0 = empty */
    uint32_t first;          /* 1 + index of its first bounds_hit, 0 = none */
    bool is_frequent;        /* held by bound_min_df rows or more now */
} bounds_tok;

typedef struct bounds_hit {
    int64_t block;
    uint16_t ub;
    uint32_t next; /* 1 + index of the token's next hit, 0 = end */
} bounds_hit;

/* An item added before the averages were known (the index's first
 * batch): its numbers, for its bounds to be worked out at the flush. */
typedef struct bounds_item {
    int64_t block;
    int level;
    uint32_t len[3];
    size_t first, n; /* its tokens in `stash` */
} bounds_item;

typedef struct bounds_stash {
    size_t slot; /* of the token in `slots` */
    uint32_t tf[3];
} bounds_stash;

struct nx_bounds {
    bounds_tok *slots;
    size_t cap, used;
    bounds_hit *hits;
    size_t n_hits, cap_hits;
    bounds_item *items;
    size_t n_items, cap_items;
    bounds_stash *stash;
    size_t n_stash, cap_stash;
    nx_buf arena;
    double avg[3]; /* meta('bound_avg'), when has_avg */
    bool has_avg;
    bool is_avg_read;
    /* The tokens that have bounds rows: they are kept up to date whatever
     * their count. */
    uint32_t *known; /* open addressing on the hash: 1 + offset into
                        known_keys, 0 = empty */
    size_t cap_known, n_known;
    nx_buf known_keys; /* the tokens, each NUL-ended after its length */
    bool is_known_read;
    sqlite3_stmt *get, *put;
    sqlite3_stmt *vocab; /* bounds_backfill_sql's, on a temp table */
};

static nx_bounds *
bounds_get(newsidx_index *idx)
{
    if (idx->bounds == NULL) {
        idx->bounds = nx_calloc(1, sizeof(*idx->bounds));
        if (idx->bounds != NULL)
            nx_buf_putc(&idx->bounds->arena, '\0'); /* offset 0 = empty */
    }
    return idx->bounds;
}

static bool
bounds_grow(nx_bounds *b)
{
    size_t cap = b->cap ? 2 * b->cap : 4096, i, j;
    bounds_tok *slots = nx_calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return false;
    for (i = 0; i < b->cap; i++) {
        if (b->slots[i].off == 0)
            continue;
        for (j = b->slots[i].hash & (cap - 1); slots[j].off != 0;
             j = (j + 1) & (cap - 1))
            ;
        slots[j] = b->slots[i];
    }
    nx_free(b->slots);
    b->slots = slots;
    b->cap = cap;
    return true;
}

/* Grow an array of `size`-byte elements to hold one more. */
static bool
bounds_room(void **array, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return true;
    ncap = *cap ? 2 * *cap : 1024;
    p = nx_realloc(*array, ncap * size);
    if (p == NULL)
        return false;
    *array = p;
    *cap = ncap;
    return true;
}

/* The slot of a token, added when new; (size_t)-1 on out-of-memory. */
static size_t
bounds_slot(nx_bounds *b, const char *tok, uint32_t len, uint32_t hash)
{
    size_t i;

    if (4 * (b->used + 1) > 3 * b->cap && !bounds_grow(b))
        return (size_t)-1;
    for (i = hash & (b->cap - 1); b->slots[i].off != 0;
         i = (i + 1) & (b->cap - 1)) {
        bounds_tok *t = &b->slots[i];

        if (t->hash == hash && t->len == len &&
            memcmp(b->arena.data + t->off, tok, len) == 0)
            return i;
    }
    if (b->arena.len > UINT32_MAX - len)
        return (size_t)-1;
    b->slots[i].off = (uint32_t)b->arena.len;
    b->slots[i].len = len;
    b->slots[i].hash = hash;
    b->slots[i].first = 0;
    b->slots[i].is_frequent = false;
    nx_buf_put(&b->arena, tok, len);
    if (nx_buf_oom(&b->arena)) {
        b->slots[i].off = 0;
        return (size_t)-1;
    }
    b->used++;
    return i;
}

/* The slot of a token in the accumulator, or (size_t)-1 when absent. */
static size_t
bounds_find(const nx_bounds *b, const char *tok, uint32_t len, uint32_t hash)
{
    size_t i;

    if (b->cap == 0)
        return (size_t)-1;
    for (i = hash & (b->cap - 1); b->slots[i].off != 0;
         i = (i + 1) & (b->cap - 1)) {
        const bounds_tok *t = &b->slots[i];

        if (t->hash == hash && t->len == len &&
            memcmp(b->arena.data + t->off, tok, len) == 0)
            return i;
    }
    return (size_t)-1;
}

void
nx_bounds_seen_df(newsidx_index *idx, const char *tok, size_t len, int64_t df)
{
    nx_bounds *b = idx->bounds;
    size_t i;

    if (b == NULL || df < idx->bound_min_df)
        return;
    i = bounds_find(b, tok, (uint32_t)len, nx_token_hash(tok, len));
    if (i != (size_t)-1)
        b->slots[i].is_frequent = true;
}

static bool
bounds_known_grow(nx_bounds *b)
{
    size_t cap = b->cap_known ? 2 * b->cap_known : 4096, i, j;
    uint32_t *known = nx_calloc(cap, sizeof(*known));

    if (known == NULL)
        return false;
    for (i = 0; i < b->cap_known; i++) {
        uint32_t at = b->known[i];
        const char *k;
        uint32_t n;

        if (at == 0)
            continue;
        k = b->known_keys.data + at - 1;
        memcpy(&n, k, sizeof(n));
        for (j = nx_token_hash(k + sizeof(n), n) & (cap - 1); known[j] != 0;
             j = (j + 1) & (cap - 1))
            ;
        known[j] = at;
    }
    nx_free(b->known);
    b->known = known;
    b->cap_known = cap;
    return true;
}

/* Is the token among those with bounds rows?  With `add`, put it there. */
static bool
bounds_known(nx_bounds *b, const char *tok, uint32_t len, bool add,
             bool *is_oom)
{
    size_t i;

    if (add && 4 * (b->n_known + 1) > 3 * b->cap_known &&
        !bounds_known_grow(b)) {
        *is_oom = true;
        return false;
    }
    if (b->cap_known == 0)
        return false;
    for (i = nx_token_hash(tok, len) & (b->cap_known - 1); b->known[i] != 0;
         i = (i + 1) & (b->cap_known - 1)) {
        const char *k = b->known_keys.data + b->known[i] - 1;
        uint32_t n;

        memcpy(&n, k, sizeof(n));
        if (n == len && memcmp(k + sizeof(n), tok, len) == 0)
            return true;
    }
    if (!add)
        return false;
    if (b->known_keys.len > UINT32_MAX - len - 8) {
        *is_oom = true;
        return false;
    }
    b->known[i] = (uint32_t)b->known_keys.len + 1;
    nx_buf_put(&b->known_keys, &len, sizeof(len));
    nx_buf_put(&b->known_keys, tok, len);
    if (nx_buf_oom(&b->known_keys)) {
        b->known[i] = 0;
        *is_oom = true;
        return false;
    }
    b->n_known++;
    return true;
}

/* Read the tokens that have bounds rows, once per handle. */
static int
bounds_read_known(newsidx_index *idx, nx_bounds *b)
{
    sqlite3_stmt *stmt;
    bool is_oom = false;
    int rc;

    if (b->is_known_read)
        return SQLITE_OK;
    rc = sqlite3_prepare_v2(idx->db, "SELECT DISTINCT term FROM bounds", -1,
                            &stmt, NULL);
    while (rc == SQLITE_OK && !is_oom && sqlite3_step(stmt) == SQLITE_ROW)
        bounds_known(b, (const char *)sqlite3_column_text(stmt, 0),
                     (uint32_t)sqlite3_column_bytes(stmt, 0), true, &is_oom);
    if (rc == SQLITE_OK)
        rc = sqlite3_finalize(stmt);
    if (is_oom)
        rc = SQLITE_NOMEM;
    b->is_known_read = rc == SQLITE_OK;
    return rc;
}

/* Raise the bound of the token in slot `slot` in `block` to `ub`. */
static int
bounds_raise(nx_bounds *b, size_t slot, int64_t block, uint16_t ub)
{
    uint32_t at;

    for (at = b->slots[slot].first; at != 0; at = b->hits[at - 1].next) {
        bounds_hit *h = &b->hits[at - 1];

        if (h->block == block) {
            if (h->ub < ub)
                h->ub = ub;
            return SQLITE_OK;
        }
    }
    if (b->n_hits >= UINT32_MAX - 1 ||
        !bounds_room((void **)&b->hits, &b->cap_hits, b->n_hits,
                     sizeof(*b->hits)))
        return SQLITE_NOMEM;
    b->hits[b->n_hits].block = block;
    b->hits[b->n_hits].ub = ub;
    b->hits[b->n_hits].next = b->slots[slot].first;
    b->slots[slot].first = (uint32_t)++b->n_hits;
    return SQLITE_OK;
}

/* A SQLite code for the fts reader's failure `status` (its message in
 * `err`): a damaged index keeps the reason for nx_db_error. */
static int
bounds_fr_failed(newsidx_index *idx, int status, const newsidx_error *err)
{
    if (status == NEWSIDX_NOMEM)
        return SQLITE_NOMEM;
    if (status == NEWSIDX_CORRUPT)
        return nx_db_damaged_from(idx, err);
    return SQLITE_ERROR;
}

/* Read meta('bound_avg') into b->avg, once. */
static int
bounds_load_avg(newsidx_index *idx, nx_bounds *b)
{
    sqlite3_stmt *stmt;
    int rc;

    if (b->is_avg_read)
        return SQLITE_OK;
    rc = sqlite3_prepare_v2(idx->db,
                            "SELECT value FROM meta WHERE key = 'bound_avg'",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(stmt, 0);
        int c;

        b->has_avg = v != NULL && sscanf(v, "%lf %lf %lf", &b->avg[0],
                                         &b->avg[1], &b->avg[2]) == 3;
        /* bounds_set_avg writes three averages of 1 or more. */
        for (c = 0; c < 3 && b->has_avg; c++)
            b->has_avg = isfinite(b->avg[c]) && b->avg[c] >= 1;
        if (!b->has_avg) {
            sqlite3_finalize(stmt);
            return nx_db_damaged(idx, "meta 'bound_avg' is malformed");
        }
    }
    rc = sqlite3_finalize(stmt);
    b->is_avg_read = rc == SQLITE_OK;
    return rc;
}

int
nx_bounds_avg(newsidx_index *idx, double *avg, bool *has)
{
    nx_bounds *b = bounds_get(idx);
    int rc;

    *has = false;
    if (b == NULL)
        return SQLITE_NOMEM;
    rc = bounds_load_avg(idx, b);
    if (rc == SQLITE_OK && b->has_avg) {
        memcpy(avg, b->avg, sizeof(b->avg));
        *has = true;
    }
    return rc;
}

int
nx_bounds_add(newsidx_index *idx, int64_t id, const nx_doc *doc)
{
    nx_bounds *b = bounds_get(idx);
    int64_t block = id >> NX_BOUND_SHIFT;
    bounds_item *it = NULL;
    size_t k;
    int rc;

    if (b == NULL)
        return SQLITE_NOMEM;
    rc = bounds_load_avg(idx, b);
    if (rc != SQLITE_OK)
        return rc;
    if (!b->has_avg) { /* the numbers wait for the averages */
        if (!bounds_room((void **)&b->items, &b->cap_items, b->n_items,
                         sizeof(*b->items)))
            return SQLITE_NOMEM;
        it = &b->items[b->n_items++];
        it->block = block;
        it->level = doc->level;
        memcpy(it->len, doc->n_tokens, sizeof(it->len));
        it->first = b->n_stash;
        it->n = 0;
    }
    for (k = 0; k < doc->n_tok && rc == SQLITE_OK; k++) {
        const nx_doc_token *dt = &doc->tok[k];
        size_t slot =
            bounds_slot(b, doc->tokens.data + dt->off, dt->len, dt->hash);

        if (slot == (size_t)-1)
            return SQLITE_NOMEM;
        if (it == NULL) {
            rc = bounds_raise(
                b, slot, block,
                nx_score_bound(dt->tf, doc->n_tokens, b->avg, doc->level));
            continue;
        }
        if (!bounds_room((void **)&b->stash, &b->cap_stash, b->n_stash,
                         sizeof(*b->stash)))
            return SQLITE_NOMEM;
        b->stash[b->n_stash].slot = slot;
        memcpy(b->stash[b->n_stash].tf, dt->tf, sizeof(dt->tf));
        b->n_stash++;
        it->n++;
    }
    return rc;
}

void
nx_bounds_discard(newsidx_index *idx)
{
    nx_bounds *b = idx->bounds;

    if (b == NULL)
        return;
    if (b->slots != NULL)
        memset(b->slots, 0, b->cap * sizeof(*b->slots));
    b->used = b->n_hits = b->n_items = b->n_stash = 0;
    if (nx_buf_oom(&b->arena))
        nx_buf_free(&b->arena);
    nx_buf_clear(&b->arena);
    nx_buf_putc(&b->arena, '\0');
    /* A rollback may have taken the temp table with it. */
    sqlite3_finalize(b->vocab);
    b->vocab = NULL;
    b->is_avg_read = false; /* a rolled-back flush may have set it */
    b->has_avg = false;
    /* ... and made rows for tokens. */
    nx_free(b->known);
    b->known = NULL;
    b->cap_known = b->n_known = 0;
    nx_buf_free(&b->known_keys);
    b->is_known_read = false;
}

void
nx_bounds_free(newsidx_index *idx)
{
    nx_bounds *b = idx->bounds;

    if (b == NULL)
        return;
    sqlite3_finalize(b->get);
    sqlite3_finalize(b->put);
    sqlite3_finalize(b->vocab);

    nx_free(b->slots);
    nx_free(b->hits);
    nx_free(b->items);
    nx_free(b->stash);
    nx_buf_free(&b->arena);
    nx_free(b->known);
    nx_buf_free(&b->known_keys);
    nx_free(b);
    idx->bounds = NULL;
}

static int
bounds_prepare(newsidx_index *idx, sqlite3_stmt **stmt, const char *sql)
{
    if (*stmt != NULL) {
        sqlite3_reset(*stmt);
        return SQLITE_OK;
    }
    return sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
                              NULL);
}

/* The averages are known from here on: FTS5's, now that it has written
 * this transaction's rows, or without the fts reader those of the items
 * that waited for them (the lengths the indexer counted); kept in
 * meta('bound_avg').  Any averages make bounds: query/scoring.c scales them to
 * the query's. */
static int
bounds_set_avg(newsidx_index *idx, nx_bounds *b)
{
    char sql[256];
    nx_fr *r = NULL;
    double total[3] = {0, 0, 0};
    int64_t n = 0;
    newsidx_error err;
    size_t i;
    int c, rc = nx_fr_open(&r, idx->db, &err);

    if (rc != NEWSIDX_OK)
        return bounds_fr_failed(idx, rc, &err);
    if (r != NULL) {
        n = nx_fr_rows(r);
        for (c = 0; c < 3; c++)
            total[c] = (double)nx_fr_col_total(r, c);
        nx_fr_close(r);
    } else {
        for (i = 0; i < b->n_items; i++) {
            for (c = 0; c < 3; c++)
                total[c] += b->items[i].len[c];
        }
        n = (int64_t)b->n_items;
    }
    /* A column no item has text in yet gets a huge average: its length
     * then counts as nothing, which only raises the bounds, and keeps
     * them bounds however long that column's texts turn out. */
    for (c = 0; c < 3; c++) {
        b->avg[c] = n > 0 ? total[c] / (double)n : 0;
        if (b->avg[c] < 1)
            b->avg[c] = 1e9;
    }
    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO meta VALUES('bound_avg',"
             " '%.17g %.17g %.17g')",
             b->avg[0], b->avg[1], b->avg[2]);
    rc = sqlite3_exec(idx->db, sql, NULL, NULL, NULL);
    b->has_avg = rc == SQLITE_OK;
    return rc;
}

/* The bounds of the items that waited for the averages. */
static int
bounds_unstash(nx_bounds *b)
{
    size_t i, k;
    int rc = SQLITE_OK;

    for (i = 0; i < b->n_items && rc == SQLITE_OK; i++) {
        const bounds_item *it = &b->items[i];

        for (k = it->first; k < it->first + it->n && rc == SQLITE_OK; k++)
            rc = bounds_raise(
                b, b->stash[k].slot, it->block,
                nx_score_bound(b->stash[k].tf, it->len, b->avg, it->level));
    }
    b->n_items = b->n_stash = 0;
    return rc;
}

/* Read the row (tok, chunk) into data (zeros when absent). */
static int
bounds_read_row(newsidx_index *idx, nx_bounds *b, const char *tok, uint32_t len,
                int64_t chunk, unsigned char *data, bool *has)
{
    int rc = bounds_prepare(
        idx, &b->get, "SELECT data FROM bounds WHERE term = ?1 AND chunk = ?2");

    memset(data, 0, BOUNDS_ROW_BYTES);
    *has = false;
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(b->get, 1, tok, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(b->get, 2, chunk);
    rc = sqlite3_step(b->get);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(b->get, 0);

        if (p != NULL && sqlite3_column_bytes(b->get, 0) == BOUNDS_ROW_BYTES)
            memcpy(data, p, BOUNDS_ROW_BYTES);
        *has = true;
        rc = SQLITE_DONE;
    }
    sqlite3_reset(b->get);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
bounds_write_row(newsidx_index *idx, nx_bounds *b, const char *tok,
                 uint32_t len, int64_t chunk, const unsigned char *data)
{
    int rc = bounds_prepare(idx, &b->put,
                            "INSERT OR REPLACE INTO bounds(term, chunk, data)"
                            " VALUES(?1, ?2, ?3)");

    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(b->put, 1, tok, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(b->put, 2, chunk);
    sqlite3_bind_blob(b->put, 3, data, BOUNDS_ROW_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(b->put) == SQLITE_DONE ? SQLITE_OK
                                             : sqlite3_errcode(idx->db);
    sqlite3_reset(b->put);
    return rc;
}

static void
bounds_put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

/* Merge the token's hits into its rows, chunk by chunk. */
static int
bounds_merge(newsidx_index *idx, nx_bounds *b, const bounds_tok *t)
{
    const char *tok = b->arena.data + t->off;
    unsigned char data[BOUNDS_ROW_BYTES];
    uint32_t at, at2;
    int rc = SQLITE_OK;

    /* Hits come in no order: take each chunk once, with all its hits. */
    for (at = t->first; at != 0 && rc == SQLITE_OK; at = b->hits[at - 1].next) {
        int64_t chunk = b->hits[at - 1].block >> BOUNDS_CHUNK_SHIFT;
        bool has, is_done = false;

        for (at2 = t->first; at2 != at; at2 = b->hits[at2 - 1].next) {
            if (b->hits[at2 - 1].block >> BOUNDS_CHUNK_SHIFT == chunk)
                is_done = true;
        }
        if (is_done)
            continue;
        rc = bounds_read_row(idx, b, tok, t->len, chunk, data, &has);
        for (at2 = at; at2 != 0 && rc == SQLITE_OK;
             at2 = b->hits[at2 - 1].next) {
            const bounds_hit *h = &b->hits[at2 - 1];
            unsigned i = (unsigned)(h->block & (BOUNDS_CHUNK - 1));

            if (h->block >> BOUNDS_CHUNK_SHIFT == chunk &&
                nx_docinfo_u16(data + 2 * i) < h->ub)
                bounds_put_u16(data + 2 * i, h->ub);
        }
        if (rc == SQLITE_OK)
            rc = bounds_write_row(idx, b, tok, t->len, chunk, data);
    }
    return rc;
}

/* Docinfo of one block for the backfill. */
typedef struct bounds_dblock {
    sqlite3_blob *blob;
    int64_t block;
    bool has;
    unsigned char data[NX_DOCINFO_HOT_BYTES];
} bounds_dblock;

static int
bounds_docinfo(newsidx_index *idx, bounds_dblock *d, int64_t block)
{
    int rc;

    if (d->block == block)
        return SQLITE_OK;
    d->block = block;
    d->has = false;
    rc = d->blob != NULL ? sqlite3_blob_reopen(d->blob, block)
                         : sqlite3_blob_open(idx->db, "main", "docinfo", "data",
                                             block, 0, &d->blob);
    if (rc == SQLITE_ERROR)
        return SQLITE_OK; /* no such block */
    if (rc == SQLITE_OK && sqlite3_blob_bytes(d->blob) != NX_DOCINFO_BYTES)
        rc = SQLITE_CORRUPT;
    if (rc == SQLITE_OK)
        rc = sqlite3_blob_read(d->blob, d->data, NX_DOCINFO_HOT_BYTES, 0);
    d->has = rc == SQLITE_OK;
    return rc;
}

/* A backfill under way: a token's rows, written chunk by chunk as its
 * items come, in rising id order. */
typedef struct bounds_fill {
    const char *tok;
    uint32_t len;
    int64_t chunk;
    bounds_dblock d;
    unsigned char data[BOUNDS_ROW_BYTES];
} bounds_fill;

static void
bounds_fill_start(bounds_fill *f, const char *tok, uint32_t len)
{
    memset(f, 0, sizeof(*f));
    f->tok = tok;
    f->len = len;
    f->chunk = -1;
    f->d.block = -1;
}

/* Item `id` holds the token tf[c] times in column c. */
static int
bounds_fill_item(newsidx_index *idx, nx_bounds *b, bounds_fill *f, int64_t id,
                 const int *tf)
{
    int64_t block = id >> NX_BOUND_SHIFT;
    unsigned s = (unsigned)(id & (NX_DOCINFO_SLOTS - 1)), i;
    const unsigned char *d = f->d.data;
    uint32_t lens[3], tf3[3];
    uint16_t ub;
    int c, rc = SQLITE_OK;

    if (block >> BOUNDS_CHUNK_SHIFT != f->chunk) {
        if (f->chunk >= 0)
            rc = bounds_write_row(idx, b, f->tok, f->len, f->chunk, f->data);
        f->chunk = block >> BOUNDS_CHUNK_SHIFT;
        memset(f->data, 0, sizeof(f->data));
    }
    if (rc == SQLITE_OK)
        rc = bounds_docinfo(idx, &f->d, id >> NX_DOCINFO_SHIFT);
    if (rc != SQLITE_OK || !f->d.has ||
        !(d[NX_DOCINFO_FLAGS_OFF + s] & NX_DOC_PRESENT))
        return rc;
    for (c = 0; c < 3; c++) {
        tf3[c] = (uint32_t)tf[c];
        lens[c] = nx_docinfo_u16(d + NX_DOCINFO_LEN_OFF(c) + 2 * s);
        if (lens[c] >= NX_DOCINFO_LEN_BIG)
            lens[c] = 1; /* longer than that: 1 only raises the bound */
    }
    ub = nx_score_bound(tf3, lens, b->avg,
                        (int)nx_docinfo_u16(d + NX_DOCINFO_LEVEL_OFF + 2 * s));
    i = (unsigned)(block & (BOUNDS_CHUNK - 1));
    if (nx_docinfo_u16(f->data + 2 * i) < ub)
        bounds_put_u16(f->data + 2 * i, ub);
    return SQLITE_OK;
}

static int
bounds_fill_end(newsidx_index *idx, nx_bounds *b, bounds_fill *f, int rc)
{
    if (rc == SQLITE_OK && f->chunk >= 0)
        rc = bounds_write_row(idx, b, f->tok, f->len, f->chunk, f->data);
    sqlite3_blob_close(f->d.blob);
    return rc;
}

/* A token that became frequent: its bounds in every block, from the fts
 * index (every row of it, this transaction's included). */
static int
bounds_backfill(newsidx_index *idx, nx_bounds *b, nx_fr *r, const char *tok,
                uint32_t len)
{
    bounds_fill f;
    nx_fr_term *t = NULL;
    int rc = nx_fr_term_open(&t, r, tok, len);

    bounds_fill_start(&f, tok, len);
    for (; rc == SQLITE_OK && !nx_fr_term_eof(t); rc = nx_fr_term_next(t)) {
        int tf[3] = {0, 0, 0}, n;
        const unsigned char *p;

        rc = nx_fr_term_poslist(t, &p, &n);
        if (rc != SQLITE_OK)
            break;
        nx_fr_pos_count(p, n, -1, tf);
        rc = bounds_fill_item(idx, b, &f, nx_fr_term_rowid(t), tf);
    }
    rc = bounds_fill_end(idx, b, &f, rc);
    if (nx_fr_error(r, NULL) != NEWSIDX_OK) {
        newsidx_error err;

        rc = bounds_fr_failed(idx, nx_fr_error(r, &err), &err);
    }
    nx_fr_term_close(t);
    return rc;
}

/* The same without the fts reader: the token's rows and counts from
 * FTS5's public fts5vocab table (slower: a row per occurrence). */
static int
bounds_backfill_sql(newsidx_index *idx, nx_bounds *b, const char *tok,
                    uint32_t len)
{
    bounds_fill f;
    int rc = SQLITE_OK;

    if (b->vocab == NULL)
        rc = sqlite3_exec(idx->db,
                          "CREATE VIRTUAL TABLE IF NOT EXISTS"
                          " temp.nx_bounds_vocab USING"
                          " fts5vocab(main, 'fts', 'instance')",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = bounds_prepare(
            idx, &b->vocab,
            "SELECT doc, sum(col = 'title'), sum(col = 'excerpt'),"
            " sum(col = 'body') FROM temp.nx_bounds_vocab WHERE term = ?1"
            " GROUP BY doc ORDER BY doc");
    if (rc != SQLITE_OK)
        return rc;
    bounds_fill_start(&f, tok, len);
    sqlite3_bind_text(b->vocab, 1, tok, (int)len, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(b->vocab)) == SQLITE_ROW) {
        int tf[3], c;

        for (c = 0; c < 3; c++)
            tf[c] = sqlite3_column_int(b->vocab, 1 + c);
        rc =
            bounds_fill_item(idx, b, &f, sqlite3_column_int64(b->vocab, 0), tf);
    }
    sqlite3_reset(b->vocab);
    return bounds_fill_end(idx, b, &f, rc == SQLITE_DONE ? SQLITE_OK : rc);
}

int
nx_bounds_flush(newsidx_index *idx)
{
    nx_bounds *b = idx->bounds;
    nx_fr *r = NULL;
    bool is_sql = false; /* no fts reader: backfills through fts5vocab */
    size_t i;
    int rc = SQLITE_OK;

    if (b == NULL || (b->used == 0 && b->n_items == 0))
        return SQLITE_OK;
    /* FTS5 writes out its pending rows and averages at a savepoint: the
     * reader below then sees this transaction's rows. */
    rc = sqlite3_exec(idx->db, "SAVEPOINT nx_bounds; RELEASE nx_bounds", NULL,
                      NULL, NULL);
    if (rc == SQLITE_OK && !b->has_avg)
        rc = bounds_set_avg(idx, b);
    if (rc == SQLITE_OK)
        rc = bounds_unstash(b);
    if (rc == SQLITE_OK)
        rc = bounds_read_known(idx, b);
    for (i = 0; i < b->cap && rc == SQLITE_OK; i++) {
        const bounds_tok *t = &b->slots[i];
        const char *tok = b->arena.data + t->off;
        bool is_oom = false;

        if (t->off == 0)
            continue;
        /* A token with rows keeps them up to date; one that just became
         * frequent gets them, for every block. */
        if (bounds_known(b, tok, t->len, false, &is_oom)) {
            rc = bounds_merge(idx, b, t);
            continue;
        }
        if (!t->is_frequent)
            continue;
        if (r == NULL && !is_sql) {
            newsidx_error err;
            int status = nx_fr_open(&r, idx->db, &err);

            if (status != NEWSIDX_OK)
                rc = bounds_fr_failed(idx, status, &err);
            else if (r == NULL)
                is_sql = true;
        }
        if (rc == SQLITE_OK)
            rc = is_sql ? bounds_backfill_sql(idx, b, tok, t->len)
                        : bounds_backfill(idx, b, r, tok, t->len);
        if (rc == SQLITE_OK) {
            bounds_known(b, tok, t->len, true, &is_oom);
            rc = is_oom ? SQLITE_NOMEM : SQLITE_OK;
        }
    }
    nx_fr_close(r);
    if (b->slots != NULL)
        memset(b->slots, 0, b->cap * sizeof(*b->slots));
    b->used = b->n_hits = 0;
    nx_buf_clear(&b->arena);
    nx_buf_putc(&b->arena, '\0');
    return rc;
}
