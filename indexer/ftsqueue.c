/*
 * ftsqueue.c - every write to the fts table, and the term counts that go
 * with them.
 *
 * The fts writes of a transaction wait in a queue and go to FTS5 at commit
 * (nx_fts_flush), deletes first, each sorted by rowid: FTS5 writes its
 * pending terms out as a new segment whenever a write's rowid is not above
 * the last one.  The queue is applied early past FTS_QUEUE_BYTES of text,
 * which bounds its memory whatever the files hold.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "write.h"

#define FTS_QUEUE_BYTES ((size_t)16 << 20)

/* An fts row waiting in the queue. */
typedef struct fts_row {
    int64_t id;
    char *text[NX_FTS_COLUMNS]; /* title, excerpt, body, tags; NULL = none */
    size_t len[NX_FTS_COLUMNS];
} fts_row;

struct nx_fts_queue {
    fts_row *rows; /* to insert */
    size_t n_rows, cap_rows;
    size_t *slot; /* open addressing on the id: 1 + index into rows */
    size_t cap_slot;
    int64_t *gone; /* rowids to delete */
    size_t n_gone, cap_gone;
    size_t bytes; /* text bytes in `rows` */
    sqlite3_stmt *insert, *del, *text;
};

/* The queue, or NULL before the first row. */
static nx_fts_queue *
fts_queue_peek(newsidx_index *idx)
{
    nx_write_half *w = nx_half_state(idx, NX_HALF_WRITE);

    return w != NULL ? w->fts_queue : NULL;
}

/* The queue, made on first use; NULL when out of memory. */
static nx_fts_queue *
fts_queue(newsidx_index *idx)
{
    nx_write_half *w = nx_write_half_of(idx);

    if (w != NULL && w->fts_queue == NULL)
        w->fts_queue = nx_calloc(1, sizeof(*w->fts_queue));
    return w != NULL ? w->fts_queue : NULL;
}

static void
fts_row_free(fts_row *row)
{
    int i;

    for (i = 0; i < NX_FTS_COLUMNS; i++)
        nx_free(row->text[i]);
}

void
nx_fts_discard(newsidx_index *idx)
{
    nx_fts_queue *q = fts_queue_peek(idx);
    size_t i;

    if (q == NULL)
        return;
    for (i = 0; i < q->n_rows; i++)
        fts_row_free(&q->rows[i]);
    q->n_rows = q->n_gone = q->bytes = 0;
    if (q->slot != NULL)
        memset(q->slot, 0, q->cap_slot * sizeof(*q->slot));
}

void
nx_fts_free(newsidx_index *idx)
{
    nx_fts_queue *q = fts_queue_peek(idx);

    if (q == NULL)
        return;
    nx_fts_discard(idx);
    sqlite3_finalize(q->insert);
    sqlite3_finalize(q->del);
    sqlite3_finalize(q->text);
    nx_free(q->rows);
    nx_free(q->slot);
    nx_free(q->gone);
    nx_free(q);
    ((nx_write_half *)nx_half_state(idx, NX_HALF_WRITE))->fts_queue = NULL;
}

/* Grow an array of `size`-byte elements to hold one more; false on
 * out-of-memory (the array is unchanged). */
static bool
fts_grow(void **array, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return true;
    ncap = *cap ? *cap * 2 : 256;
    p = nx_realloc(*array, ncap * size);
    if (p == NULL)
        return false;
    *array = p;
    *cap = ncap;
    return true;
}

static size_t
fts_hash(int64_t id, size_t cap)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15u) >> 20) & (cap - 1);
}

/* Rebuild the id index for the rows at hand, at twice the size if
 * `grow`; false on out-of-memory. */
static bool
fts_reindex(nx_fts_queue *q, bool grow)
{
    size_t cap = q->cap_slot ? q->cap_slot * (grow ? 2 : 1) : 512, i, j;
    size_t *slot =
        grow || q->slot == NULL ? nx_calloc(cap, sizeof(*slot)) : q->slot;

    if (slot == NULL)
        return false;
    if (slot == q->slot)
        memset(slot, 0, cap * sizeof(*slot));
    for (i = 0; i < q->n_rows; i++) {
        for (j = fts_hash(q->rows[i].id, cap); slot[j] != 0;
             j = (j + 1) & (cap - 1))
            ;
        slot[j] = i + 1;
    }
    if (slot != q->slot)
        nx_free(q->slot);
    q->slot = slot;
    q->cap_slot = cap;
    return true;
}

/* The index in q->rows of the queued row `id`, or (size_t)-1. */
static size_t
fts_find(const nx_fts_queue *q, int64_t id)
{
    size_t j;

    if (q->n_rows == 0)
        return (size_t)-1;
    for (j = fts_hash(id, q->cap_slot); q->slot[j] != 0;
         j = (j + 1) & (q->cap_slot - 1)) {
        if (q->rows[q->slot[j] - 1].id == id)
            return q->slot[j] - 1;
    }
    return (size_t)-1;
}

static int
fts_prepare(newsidx_index *idx, sqlite3_stmt **stmt, const char *sql)
{
    if (*stmt != NULL) {
        sqlite3_reset(*stmt);
        sqlite3_clear_bindings(*stmt);
        return SQLITE_OK;
    }
    return sqlite3_prepare_v3(idx->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
                              NULL);
}

static int
fts_step(newsidx_index *idx, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);

    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK
                                               : sqlite3_errcode(idx->db);
    sqlite3_reset(stmt);
    return rc;
}

static int
fts_cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static int
fts_cmp_row(const void *a, const void *b)
{
    return fts_cmp_id(&((const fts_row *)a)->id, &((const fts_row *)b)->id);
}

static int
fts_insert(newsidx_index *idx, nx_fts_queue *q, const fts_row *row)
{
    int i, rc = fts_prepare(idx, &q->insert,
                            "INSERT INTO fts(rowid, title, excerpt, body, tags)"
                            " VALUES(?1, ?2, ?3, ?4, ?5)");

    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(q->insert, 1, row->id);
    for (i = 0; i < NX_FTS_COLUMNS; i++) {
        if (row->text[i] != NULL)
            sqlite3_bind_text(q->insert, i + 2, row->text[i], (int)row->len[i],
                              SQLITE_STATIC);
    }
    return fts_step(idx, q->insert);
}

int
nx_fts_flush(newsidx_index *idx)
{
    nx_fts_queue *q = fts_queue_peek(idx);
    size_t i;
    int rc = SQLITE_OK;

    if (q == NULL || (q->n_rows == 0 && q->n_gone == 0))
        return SQLITE_OK;
    if (q->n_gone > 1) /* qsort's array must not be NULL, even for 0 */
        qsort(q->gone, q->n_gone, sizeof(*q->gone), fts_cmp_id);
    if (q->n_rows > 1)
        qsort(q->rows, q->n_rows, sizeof(*q->rows), fts_cmp_row);
    for (i = 0; i < q->n_gone && rc == SQLITE_OK; i++) {
        rc = fts_prepare(idx, &q->del, "DELETE FROM fts WHERE rowid = ?1");
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(q->del, 1, q->gone[i]);
            rc = fts_step(idx, q->del);
        }
    }
    for (i = 0; i < q->n_rows && rc == SQLITE_OK; i++)
        rc = fts_insert(idx, q, &q->rows[i]);
    nx_fts_discard(idx);
    return rc;
}

int
nx_fts_add(newsidx_index *idx, int64_t id, nx_doc *doc, char *tags,
           size_t tags_len)
{
    nx_fts_queue *q = fts_queue(idx);
    fts_row *row;
    size_t j;
    int i, rc;

    if (q == NULL ||
        !fts_grow((void **)&q->rows, &q->cap_rows, q->n_rows,
                  sizeof(*q->rows)) ||
        (4 * (q->n_rows + 1) > 3 * q->cap_slot && !fts_reindex(q, true))) {
        nx_free(tags);
        return SQLITE_NOMEM;
    }
    rc = nx_terms_count_doc(idx, doc, tags, tags_len, 1);
    if (rc != SQLITE_OK) {
        nx_free(tags);
        return rc;
    }
    row = &q->rows[q->n_rows];
    row->id = id;
    for (i = 0; i < 3; i++) {
        row->text[i] = doc->text[i];
        row->len[i] = doc->len[i];
        doc->text[i] = NULL;
    }
    row->text[3] = tags;
    row->len[3] = tags_len;
    for (i = 0; i < NX_FTS_COLUMNS; i++)
        q->bytes += row->len[i];
    for (j = fts_hash(id, q->cap_slot); q->slot[j] != 0;
         j = (j + 1) & (q->cap_slot - 1))
        ;
    q->slot[j] = ++q->n_rows;
    return q->bytes > FTS_QUEUE_BYTES ? nx_fts_flush(idx) : SQLITE_OK;
}

/* Take the tokens of fts row `id`, as stored, out of the term counts. */
static int
fts_uncount(newsidx_index *idx, nx_fts_queue *q, int64_t id)
{
    const char *text[NX_FTS_COLUMNS];
    size_t len[NX_FTS_COLUMNS];
    int i, rc, step;

    rc = fts_prepare(idx, &q->text,
                     "SELECT title, excerpt, body, tags FROM fts"
                     " WHERE rowid = ?1");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(q->text, 1, id);
    step = sqlite3_step(q->text);
    if (step == SQLITE_ROW) {
        for (i = 0; i < NX_FTS_COLUMNS; i++) {
            text[i] = (const char *)sqlite3_column_text(q->text, i);
            len[i] = (size_t)sqlite3_column_bytes(q->text, i);
            if (text[i] == NULL &&
                sqlite3_column_type(q->text, i) != SQLITE_NULL)
                rc = SQLITE_NOMEM;
        }
        if (rc == SQLITE_OK)
            rc = nx_terms_count(idx, text, len, NX_FTS_COLUMNS, -1);
    } else if (step != SQLITE_DONE) {
        rc = step;
    }
    sqlite3_reset(q->text);
    return rc;
}

int
nx_fts_remove(newsidx_index *idx, int64_t id)
{
    nx_fts_queue *q = fts_queue(idx);
    size_t at;
    int rc;

    if (q == NULL)
        return SQLITE_NOMEM;
    at = fts_find(q, id);
    if (at != (size_t)-1) {
        fts_row *row = &q->rows[at];
        int i;

        rc = nx_terms_count(idx, (const char *const *)row->text, row->len,
                            NX_FTS_COLUMNS, -1);
        for (i = 0; i < NX_FTS_COLUMNS; i++)
            q->bytes -= row->len[i];
        fts_row_free(row);
        *row = q->rows[--q->n_rows];
        if (rc == SQLITE_OK && !fts_reindex(q, false))
            rc = SQLITE_NOMEM;
        return rc;
    }
    if (!fts_grow((void **)&q->gone, &q->cap_gone, q->n_gone, sizeof(*q->gone)))
        return SQLITE_NOMEM;
    rc = fts_uncount(idx, q, id);
    if (rc == SQLITE_OK)
        q->gone[q->n_gone++] = id;
    return rc;
}
