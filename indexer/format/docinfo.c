/*
 * docinfo.c - the `docinfo` table: per item, what the query engine scores
 * and filters with (column lengths, prior level, flags, quality, heat,
 * date), packed in blocks of NX_DOCINFO_SLOTS item ids so that a query
 * reads one blob for a thousand items instead of a row each.
 *
 * Owns the block layout (format.h, "Interface to code in docinfo.c").
 * Every number is stored little-endian, so the file means the same on any
 * machine.  The writer keeps the blocks it changes in memory for the open
 * transaction and writes them before COMMIT (nx_docinfo_flush), or earlier
 * when it holds too many.
 */
#include <string.h>

#include <sqlite3.h>

#include "format.h"

/* Changed blocks held in memory at most; then they are written out. */
#define DOCINFO_MAX_DIRTY 64

typedef struct docinfo_block {
    int64_t block;
    unsigned char data[NX_DOCINFO_BYTES];
} docinfo_block;

struct nx_docinfo_cache {
    docinfo_block *blocks; /* changed in this transaction */
    size_t n_blocks, cap;
    sqlite3_stmt *get, *put;
};

static void
docinfo_put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
docinfo_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void
docinfo_put_u64(unsigned char *p, uint64_t v)
{
    docinfo_put_u32(p, (uint32_t)v);
    docinfo_put_u32(p + 4, (uint32_t)(v >> 32));
}

unsigned
nx_docinfo_u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

uint32_t
nx_docinfo_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint64_t
nx_docinfo_u64(const unsigned char *p)
{
    return (uint64_t)nx_docinfo_u32(p) | (uint64_t)nx_docinfo_u32(p + 4) << 32;
}

static int32_t
docinfo_clamp32(int64_t v)
{
    return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

void
nx_docinfo_pack(unsigned char *data, unsigned slot, const nx_docinfo_rec *rec)
{
    unsigned flags = NX_DOC_PRESENT;
    int c;

    for (c = 0; c < 3; c++) {
        uint32_t n = rec->len[c];

        docinfo_put_u16(data + NX_DOCINFO_LEN_OFF(c) + 2 * slot,
                        n >= NX_DOCINFO_LEN_BIG ? NX_DOCINFO_LEN_BIG : n);
    }
    docinfo_put_u16(data + NX_DOCINFO_LEVEL_OFF + 2 * slot,
                    (unsigned)rec->level);
    if (rec->is_unpublished)
        flags |= NX_DOC_UNPUBLISHED;
    if (rec->has_date)
        flags |= NX_DOC_HAS_DATE;
    if (rec->has_quality)
        flags |= NX_DOC_HAS_QUALITY;
    if (rec->has_heat)
        flags |= NX_DOC_HAS_HEAT;
    if (rec->has_url_key)
        flags |= NX_DOC_HAS_URL_KEY;
    if (rec->has_title_key)
        flags |= NX_DOC_HAS_TITLE_KEY;
    data[NX_DOCINFO_FLAGS_OFF + slot] = (unsigned char)flags;
    docinfo_put_u32(
        data + NX_DOCINFO_QUALITY_OFF + 4 * slot,
        (uint32_t)docinfo_clamp32(rec->has_quality ? rec->quality : 0));
    docinfo_put_u32(data + NX_DOCINFO_HEAT_OFF + 4 * slot,
                    (uint32_t)docinfo_clamp32(rec->has_heat ? rec->heat : 0));
    docinfo_put_u64(data + NX_DOCINFO_DATE_OFF + 8 * slot,
                    (uint64_t)(rec->has_date ? rec->published_at : 0));
    docinfo_put_u32(data + NX_DOCINFO_PROVIDER_OFF + 4 * slot,
                    rec->provider_id);
    docinfo_put_u64(data + NX_DOCINFO_URL_OFF + 8 * slot,
                    rec->has_url_key ? rec->url_hash : 0);
    docinfo_put_u64(data + NX_DOCINFO_TITLE_OFF + 8 * slot,
                    rec->has_title_key ? rec->title_hash : 0);
}

static nx_docinfo_cache *
docinfo_cache(newsidx_index *idx)
{
    if (idx->docinfo == NULL)
        idx->docinfo = nx_calloc(1, sizeof(*idx->docinfo));
    return idx->docinfo;
}

static int
docinfo_prepare(newsidx_index *idx, sqlite3_stmt **stmt, const char *sql)
{
    if (*stmt != NULL) {
        sqlite3_reset(*stmt);
        return SQLITE_OK;
    }
    return sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
                              NULL);
}

/* Read block `b->block` from the table into b->data; zeros when absent. */
static int
docinfo_load(newsidx_index *idx, nx_docinfo_cache *c, docinfo_block *b)
{
    int rc = docinfo_prepare(idx, &c->get,
                             "SELECT data FROM docinfo WHERE block = ?1");

    memset(b->data, 0, sizeof(b->data));
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(c->get, 1, b->block);
    rc = sqlite3_step(c->get);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(c->get, 0);
        int n = sqlite3_column_bytes(c->get, 0);

        if (p != NULL && n == NX_DOCINFO_BYTES)
            memcpy(b->data, p, NX_DOCINFO_BYTES);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(c->get);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
nx_docinfo_flush(newsidx_index *idx)
{
    nx_docinfo_cache *c = idx->docinfo;
    size_t i;
    int rc = SQLITE_OK;

    if (c == NULL || c->n_blocks == 0)
        return SQLITE_OK;
    rc = docinfo_prepare(
        idx, &c->put,
        "INSERT OR REPLACE INTO docinfo(block, data) VALUES(?1, ?2)");
    for (i = 0; i < c->n_blocks && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(c->put, 1, c->blocks[i].block);
        sqlite3_bind_blob(c->put, 2, c->blocks[i].data, NX_DOCINFO_BYTES,
                          SQLITE_STATIC);
        rc = sqlite3_step(c->put) == SQLITE_DONE ? SQLITE_OK
                                                 : sqlite3_errcode(idx->db);
        sqlite3_reset(c->put);
    }
    c->n_blocks = 0;
    return rc;
}

/* The in-memory copy of the block holding item `id`, loaded on first use;
 * NULL with *rc set on failure. */
static unsigned char *
docinfo_block_of(newsidx_index *idx, int64_t id, int *rc)
{
    nx_docinfo_cache *c = docinfo_cache(idx);
    int64_t block = id >> NX_DOCINFO_SHIFT;
    docinfo_block *b;
    size_t i;

    if (c == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    for (i = c->n_blocks; i-- > 0;) {
        if (c->blocks[i].block == block)
            return c->blocks[i].data;
    }
    if (c->n_blocks >= DOCINFO_MAX_DIRTY &&
        (*rc = nx_docinfo_flush(idx)) != SQLITE_OK)
        return NULL;
    if (c->n_blocks == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        docinfo_block *grown = nx_realloc(c->blocks, cap * sizeof(*grown));

        if (grown == NULL) {
            *rc = SQLITE_NOMEM;
            return NULL;
        }
        c->blocks = grown;
        c->cap = cap;
    }
    b = &c->blocks[c->n_blocks];
    b->block = block;
    *rc = docinfo_load(idx, c, b);
    if (*rc != SQLITE_OK)
        return NULL;
    c->n_blocks++;
    return b->data;
}

int
nx_docinfo_set(newsidx_index *idx, int64_t id, const nx_docinfo_rec *rec)
{
    int rc = SQLITE_OK;
    unsigned char *data = docinfo_block_of(idx, id, &rc);

    if (data != NULL)
        nx_docinfo_pack(data, (unsigned)(id & (NX_DOCINFO_SLOTS - 1)), rec);
    return rc;
}

int
nx_docinfo_clear(newsidx_index *idx, int64_t id, bool *has_title,
                 uint64_t *title_hash)
{
    int rc = SQLITE_OK;
    unsigned char *data = docinfo_block_of(idx, id, &rc);
    unsigned slot = (unsigned)(id & (NX_DOCINFO_SLOTS - 1));

    *has_title = false;
    if (data == NULL)
        return rc;
    *has_title = (data[NX_DOCINFO_FLAGS_OFF + slot] & NX_DOC_PRESENT) &&
                 (data[NX_DOCINFO_FLAGS_OFF + slot] & NX_DOC_HAS_TITLE_KEY);
    *title_hash = nx_docinfo_u64(data + NX_DOCINFO_TITLE_OFF + 8 * slot);
    data[NX_DOCINFO_FLAGS_OFF + slot] = 0;
    return rc;
}

void
nx_docinfo_discard(newsidx_index *idx)
{
    if (idx->docinfo != NULL)
        idx->docinfo->n_blocks = 0;
}

int
nx_rowset_get(sqlite3 *db, nx_rowset *set, nx_rowset_fill_fn fill, void *ctx)
{
    unsigned version = 0;
    uint64_t *bits = NULL;
    size_t n_words = 0;
    int rc =
        sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &version);

    if (rc != SQLITE_OK || (set->has && set->version == version))
        return rc;
    rc = fill(ctx, &bits, &n_words);
    if (rc != SQLITE_OK)
        return rc;
    nx_free(set->bits);
    set->bits = bits;
    set->n_words = n_words;
    set->version = version;
    set->has = true;
    return SQLITE_OK;
}

bool
nx_rowset_is_current(sqlite3 *db, const nx_rowset *set)
{
    unsigned version = 0;

    return set->has &&
           sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION,
                                &version) == SQLITE_OK &&
           set->version == version;
}

void
nx_rowset_free(nx_rowset *set)
{
    nx_free(set->bits);
    memset(set, 0, sizeof(*set));
}

int
nx_docinfo_bitmap_new(newsidx_index *idx, uint64_t **bits_out,
                      size_t *n_words_out)
{
    sqlite3_stmt *stmt;
    int64_t max_block = -1;
    int rc = sqlite3_prepare_v2(idx->db, "SELECT max(block) FROM docinfo", -1,
                                &stmt, NULL);

    *bits_out = NULL;
    *n_words_out = 0;
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_type(stmt, 0) != SQLITE_NULL)
        max_block = sqlite3_column_int64(stmt, 0);
    rc = sqlite3_finalize(stmt);
    if (rc != SQLITE_OK)
        return rc;
    /* A bitmap spans every block up to the last: ids the file can hold,
     * or a damaged block number would size it. */
    if (max_block < -1 || max_block > nx_db_max_id(idx) >> NX_DOCINFO_SHIFT)
        return nx_db_damaged(idx,
                             "docinfo block %lld is out of range for"
                             " this file",
                             (long long)max_block);
    *n_words_out = (size_t)(max_block + 1) * (NX_DOCINFO_SLOTS / 64);
    *bits_out = nx_calloc(*n_words_out + 1, sizeof(**bits_out));
    return *bits_out != NULL ? SQLITE_OK : SQLITE_NOMEM;
}

int
nx_docinfo_seek(newsidx_index *idx, sqlite3_blob **blob, int64_t block)
{
    int rc = *blob != NULL ? sqlite3_blob_reopen(*blob, block)
                           : sqlite3_blob_open(idx->db, "main", "docinfo",
                                               "data", block, 0, blob);
    int n;

    if (rc == SQLITE_ERROR) /* no such block */
        return nx_db_damaged(
            idx,
            "docinfo block %lld is missing (items %lld to %lld are"
            " in the fts index)",
            (long long)block, (long long)block * NX_DOCINFO_SLOTS,
            (long long)block * NX_DOCINFO_SLOTS + NX_DOCINFO_SLOTS - 1);
    if (rc != SQLITE_OK)
        return rc;
    n = sqlite3_blob_bytes(*blob);
    if (n != NX_DOCINFO_BYTES)
        return nx_db_damaged(idx, "docinfo block %lld has %d bytes, not %d",
                             (long long)block, n, NX_DOCINFO_BYTES);
    return SQLITE_OK;
}

/* The items docinfo holds, from the flags of every block: through a blob
 * handle, so that only the flags' pages of each block are read. */
static int
docinfo_live_fill(void *ctx, uint64_t **bits_out, size_t *n_words_out)
{
    newsidx_index *idx = ctx;
    sqlite3_stmt *stmt;
    sqlite3_blob *blob = NULL;
    unsigned char flags[NX_DOCINFO_SLOTS];
    int64_t max_block;
    size_t n_words;
    uint64_t *bits;
    int rc = nx_docinfo_bitmap_new(idx, &bits, &n_words);

    if (rc != SQLITE_OK)
        return rc;
    max_block = (int64_t)(n_words / (NX_DOCINFO_SLOTS / 64)) - 1;
    rc = sqlite3_prepare_v2(idx->db, "SELECT block FROM docinfo", -1, &stmt,
                            NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t block = sqlite3_column_int64(stmt, 0);
        uint64_t *w;
        int i;

        rc = blob != NULL ? sqlite3_blob_reopen(blob, block)
                          : sqlite3_blob_open(idx->db, "main", "docinfo",
                                              "data", block, 0, &blob);
        if (rc == SQLITE_OK && (block < 0 || block > max_block ||
                                sqlite3_blob_bytes(blob) != NX_DOCINFO_BYTES))
            rc = nx_db_damaged(idx,
                               "docinfo block %lld has %d bytes, not"
                               " %d",
                               (long long)block, sqlite3_blob_bytes(blob),
                               NX_DOCINFO_BYTES);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(blob, flags, NX_DOCINFO_SLOTS,
                                   NX_DOCINFO_FLAGS_OFF);
        if (rc != SQLITE_OK)
            break;
        w = bits + (size_t)block * (NX_DOCINFO_SLOTS / 64);
        for (i = 0; i < NX_DOCINFO_SLOTS; i++)
            w[i / 64] |= (uint64_t)(flags[i] & NX_DOC_PRESENT) << (i % 64);
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(stmt);
    sqlite3_blob_close(blob);
    if (rc != SQLITE_OK) {
        nx_free(bits);
        return rc;
    }
    *bits_out = bits;
    *n_words_out = n_words;
    return SQLITE_OK;
}

int
nx_docinfo_live(newsidx_index *idx, const uint64_t **bits, size_t *n_words)
{
    int rc = nx_rowset_get(idx->db, &idx->live, docinfo_live_fill, idx);

    *bits = idx->live.bits;
    *n_words = idx->live.n_words;
    return rc;
}

void
nx_docinfo_free(newsidx_index *idx)
{
    nx_docinfo_cache *c = idx->docinfo;

    nx_rowset_free(&idx->live);

    if (c == NULL)
        return;
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->put);
    nx_free(c->blocks);
    nx_free(c);
    idx->docinfo = NULL;
}
