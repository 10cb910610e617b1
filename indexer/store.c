/*
 * store.c - every write to an index file, and the translation of SQLite
 * result codes into newsidx statuses.
 *
 * An item is written as a whole: its items row, its fts row (normalized
 * text), its topics and its related list, inside the caller's transaction,
 * so a reader never sees half of a file applied.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "internal.h"

static const char *const store_sql[NX_STMT_COUNT] = {
    [NX_STMT_FILE_GET] = "SELECT id, size, mtime_ns, hash, status, message,"
                         " line, col FROM files WHERE path = ?1",
    [NX_STMT_FILE_INSERT] =
        "INSERT INTO files(path, size, mtime_ns, hash, status, message, line,"
        " col, indexed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, unixepoch())",
    [NX_STMT_FILE_UPDATE] =
        "UPDATE files SET size = ?2, mtime_ns = ?3, hash = ?4, status = ?5,"
        " message = ?6, line = ?7, col = ?8, indexed_at = unixepoch()"
        " WHERE id = ?1",
    [NX_STMT_FILE_MOVE] =
        "UPDATE files SET path = ?2, size = ?3, mtime_ns = ?4 WHERE id = ?1",
    [NX_STMT_FILE_DELETE] = "DELETE FROM files WHERE id = ?1",
    [NX_STMT_ITEM_INSERT] =
        "INSERT INTO items(id, rank_key, category, title, excerpt, type,"
        " web_url, url_key, original_url, amp_url, cdn_amp_url, published_at,"
        " quality, heat, published, provider_id, images, secured, extra,"
        " body, warnings) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    [NX_STMT_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
    [NX_STMT_ITEM_RANK] = "SELECT rank_key FROM items WHERE id = ?1",
    [NX_STMT_FTS_INSERT] = "INSERT INTO fts(rowid, title, excerpt, body,"
                           " quality, heat, published_at, published, url_key)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [NX_STMT_FTS_DELETE] = "DELETE FROM fts WHERE rowid = ?1",
    [NX_STMT_FTS_TEXT] =
        "SELECT title, excerpt, body FROM fts WHERE rowid = ?1",
    [NX_STMT_TOPIC_GET] = "SELECT id FROM topics WHERE name = ?1",
    [NX_STMT_TOPIC_INSERT] = "INSERT INTO topics(name, key) VALUES(?1, ?2)",
    [NX_STMT_ITEM_TOPIC_INSERT] =
        "INSERT OR IGNORE INTO item_topics(item_id, ord, topic_id, rank_key)"
        " VALUES(?1, ?2, ?3, ?4)",
    [NX_STMT_ITEM_TOPIC_DELETE] = "DELETE FROM item_topics WHERE item_id = ?1",
    [NX_STMT_PROVIDER_GET] =
        "SELECT id FROM providers WHERE name = ?1 AND domain = ?2",
    [NX_STMT_PROVIDER_INSERT] =
        "INSERT INTO providers(name, domain, key, images)"
        " VALUES(?1, ?2, ?3, ?4)",
    [NX_STMT_PROVIDER_IMAGES] =
        "UPDATE providers SET images = ?2 WHERE id = ?1 AND images IS NOT ?2",
    [NX_STMT_RELATED_INSERT] =
        "INSERT INTO related(item_id, ord, title, excerpt, published_at, url,"
        " url_key, amp_url, cdn_amp_url, type, provider_name,"
        " provider_domain, quality, images, extra) VALUES(?1, ?2, ?3, ?4,"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [NX_STMT_RELATED_DELETE] = "DELETE FROM related WHERE item_id = ?1",
    [NX_STMT_UNDER_ROOT] = "SELECT id, path, hash, status FROM files"
                           " WHERE path > ?1 AND path < ?2 ORDER BY path",
};

/* An fts row waiting in the queue: normalized texts and the unindexed
 * columns. */
typedef struct store_fts_row {
    int64_t rank_key;
    char *text[3]; /* normalized title, excerpt, body; NULL when absent */
    size_t len[3];
    char *url_key; /* or NULL */
    int64_t quality, heat, published_at, published;
    bool has_quality, has_heat, has_published_at, has_published;
} store_fts_row;

/* The fts writes of the open transaction (nx_store_fts_flush). */
struct nx_fts_queue {
    store_fts_row *rows; /* to insert */
    size_t n_rows, cap_rows;
    int64_t *gone; /* rowids to delete */
    size_t n_gone, cap_gone;
    size_t bytes;      /* text bytes in `rows` */
    int64_t first_seq; /* rank-key sequence of the first queued row */
};

/* The queue is applied early past this many bytes of text, which bounds
 * its memory whatever the files hold. */
#define STORE_FTS_QUEUE_BYTES ((size_t)16 << 20)

int
nx_store_error(newsidx_index *idx, int sqlite_rc, const char *what,
               newsidx_error *err)
{
    int code;

    switch (sqlite_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = NEWSIDX_BUSY;
        break;
    case SQLITE_NOMEM:
        code = NEWSIDX_NOMEM;
        break;
    case SQLITE_READONLY:
        code = NEWSIDX_READONLY;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_INTERNAL:
    case SQLITE_MISUSE:
        code = NEWSIDX_INTERNAL;
        break;
    default:
        code = NEWSIDX_IO;
    }
    return nx_fail(err, code, "%s: %s", what, sqlite3_errmsg(idx->db));
}

int
nx_store_exec(newsidx_index *idx, const char *sql, newsidx_error *err)
{
    int rc = sqlite3_exec(idx->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_store_error(idx, rc, "database error", err);
}

/* The cached statement `id`, reset and with its bindings cleared. */
static sqlite3_stmt *
store_stmt(newsidx_index *idx, enum nx_stmt_id id, int *rc)
{
    sqlite3_stmt *stmt = idx->stmt[id];

    if (*rc != SQLITE_OK)
        return NULL;
    if (stmt == NULL) {
        *rc = sqlite3_prepare_v3(idx->db, store_sql[id], -1,
                                 SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
        if (*rc != SQLITE_OK)
            return NULL;
        idx->stmt[id] = stmt;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

/* Step a statement that returns no row; sticky *rc. */
static void
store_step_done(sqlite3_stmt *stmt, int *rc)
{
    if (*rc != SQLITE_OK)
        return;
    *rc = sqlite3_step(stmt);
    *rc = *rc == SQLITE_DONE || *rc == SQLITE_ROW ? SQLITE_OK : *rc;
    sqlite3_reset(stmt);
}

static void
store_bind_text(sqlite3_stmt *stmt, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(stmt, col, s, -1, SQLITE_STATIC);
}

static void
store_bind_opt_int(sqlite3_stmt *stmt, int col, bool has, int64_t v)
{
    if (has)
        sqlite3_bind_int64(stmt, col, v);
}

void
nx_store_finalize_all(newsidx_index *idx)
{
    size_t i;

    for (i = 0; i < NX_STMT_COUNT; i++) {
        sqlite3_finalize(idx->stmt[i]);
        idx->stmt[i] = NULL;
    }
    nx_terms_free(idx);
    nx_store_fts_discard(idx);
    nx_free(idx->fts_queue);
    idx->fts_queue = NULL;
    nx_prep_free(idx->prep);
    idx->prep = NULL;
}

static int
store_load_seq(newsidx_index *idx, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc;

    rc = sqlite3_prepare_v2(idx->db,
                            "SELECT value FROM meta WHERE key = 'next_seq'", -1,
                            &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
        idx->next_seq = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return nx_store_error(idx, rc, "cannot read the index", err);
    if (idx->next_seq < 1)
        idx->next_seq = 1;
    return NEWSIDX_OK;
}

int
nx_store_begin(newsidx_index *idx, newsidx_error *err)
{
    int rc;

    if (idx->is_readonly)
        return nx_fail(err, NEWSIDX_READONLY, "'%s' is open read-only",
                       idx->path);
    rc = nx_store_exec(idx, "BEGIN IMMEDIATE", err);
    if (rc == NEWSIDX_OK)
        rc = store_load_seq(idx, err);
    if (rc != NEWSIDX_OK)
        nx_store_rollback(idx);
    return rc;
}

int
nx_store_commit(newsidx_index *idx, newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = nx_store_fts_flush(idx);

    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            idx->db, "UPDATE meta SET value = ?1 WHERE key = 'next_seq'", -1,
            &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, idx->next_seq);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK
                                               : sqlite3_errcode(idx->db);
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_OK)
        rc = nx_terms_flush(idx);
    if (rc != SQLITE_OK) {
        nx_store_rollback(idx);
        return nx_store_error(idx, rc, "cannot write the index", err);
    }
    rc = nx_store_exec(idx, "COMMIT", err);
    if (rc != NEWSIDX_OK)
        nx_store_rollback(idx);
    return rc;
}

void
nx_store_rollback(newsidx_index *idx)
{
    if (!sqlite3_get_autocommit(idx->db))
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    nx_terms_discard(idx);
    nx_store_fts_discard(idx);
}

void
nx_file_rec_clear(nx_file_rec *rec)
{
    nx_free(rec->message);
    memset(rec, 0, sizeof(*rec));
}

int
nx_store_file_get(nx_file_rec *out, newsidx_index *idx, const char *path,
                  newsidx_error *err)
{
    int rc = SQLITE_OK;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_FILE_GET, &rc);
    const unsigned char *msg;

    memset(out, 0, sizeof(*out));
    if (stmt == NULL)
        return nx_store_error(idx, rc, "cannot read the index", err);
    sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(stmt, 0);
        out->size = sqlite3_column_int64(stmt, 1);
        out->mtime_ns = sqlite3_column_int64(stmt, 2);
        out->hash = (uint64_t)sqlite3_column_int64(stmt, 3);
        out->status = (nx_file_status)sqlite3_column_int(stmt, 4);
        msg = sqlite3_column_text(stmt, 5);
        out->line = (unsigned)sqlite3_column_int(stmt, 6);
        out->column = (unsigned)sqlite3_column_int(stmt, 7);
        if (msg != NULL &&
            (out->message = nx_strdup((const char *)msg)) == NULL) {
            sqlite3_reset(stmt);
            return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
        }
    }
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW)
        return NEWSIDX_OK;
    if (rc == SQLITE_DONE)
        return NEWSIDX_NOTFOUND;
    return nx_store_error(idx, rc, "cannot read the index", err);
}

int
nx_store_file_put(newsidx_index *idx, nx_file_rec *rec, const char *path,
                  newsidx_error *err)
{
    int rc = SQLITE_OK;
    bool is_new = rec->id == 0;
    sqlite3_stmt *stmt = store_stmt(
        idx, is_new ? NX_STMT_FILE_INSERT : NX_STMT_FILE_UPDATE, &rc);

    if (stmt == NULL)
        return nx_store_error(idx, rc, "cannot write the index", err);
    if (is_new)
        sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(stmt, 1, rec->id);
    sqlite3_bind_int64(stmt, 2, rec->size);
    sqlite3_bind_int64(stmt, 3, rec->mtime_ns);
    sqlite3_bind_int64(stmt, 4, (int64_t)rec->hash);
    sqlite3_bind_int(stmt, 5, (int)rec->status);
    store_bind_text(stmt, 6, rec->message);
    store_bind_opt_int(stmt, 7, rec->line > 0, rec->line);
    store_bind_opt_int(stmt, 8, rec->column > 0, rec->column);
    store_step_done(stmt, &rc);
    if (rc != SQLITE_OK)
        return nx_store_error(idx, rc, "cannot write the index", err);
    if (is_new)
        rec->id = sqlite3_last_insert_rowid(idx->db);
    return NEWSIDX_OK;
}

int
nx_store_file_move(newsidx_index *idx, int64_t id, const char *new_path,
                   int64_t size, int64_t mtime_ns, newsidx_error *err)
{
    int rc = SQLITE_OK;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_FILE_MOVE, &rc);

    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, new_path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, size);
        sqlite3_bind_int64(stmt, 4, mtime_ns);
        store_step_done(stmt, &rc);
    }
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_store_error(idx, rc, "cannot write the index", err);
}

/* Run a one-parameter statement with `id` bound to ?1; sticky *rc. */
static void
store_run_id(newsidx_index *idx, enum nx_stmt_id which, int64_t id, int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, which, rc);

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, id);
    store_step_done(stmt, rc);
}

/* Take the tokens of fts row `rank_key` out of the term counts. */
static void
store_fts_uncount(newsidx_index *idx, int64_t rank_key, int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_FTS_TEXT, rc);
    const char *text[3];
    size_t len[3];
    int i, step;

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, rank_key);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        for (i = 0; i < 3; i++) {
            text[i] = (const char *)sqlite3_column_text(stmt, i);
            len[i] = (size_t)sqlite3_column_bytes(stmt, i);
            if (text[i] == NULL && sqlite3_column_type(stmt, i) != SQLITE_NULL)
                *rc = SQLITE_NOMEM;
        }
        if (*rc == SQLITE_OK)
            *rc = nx_terms_count(idx, text, len, 3, -1);
    } else if (step != SQLITE_DONE) {
        *rc = step;
    }
    sqlite3_reset(stmt);
}

static void
store_fts_row_free(store_fts_row *row)
{
    int i;

    for (i = 0; i < 3; i++)
        nx_free(row->text[i]);
    nx_free(row->url_key);
}

void
nx_store_fts_discard(newsidx_index *idx)
{
    nx_fts_queue *q = idx->fts_queue;
    size_t i;

    if (q == NULL)
        return;
    for (i = 0; i < q->n_rows; i++)
        store_fts_row_free(&q->rows[i]);
    nx_free(q->rows);
    nx_free(q->gone);
    memset(q, 0, sizeof(*q));
}

static nx_fts_queue *
store_fts_queue(newsidx_index *idx)
{
    if (idx->fts_queue == NULL)
        idx->fts_queue = nx_calloc(1, sizeof(*idx->fts_queue));
    return idx->fts_queue;
}

/* Grow an array of `size`-byte elements to hold one more; false on
 * out-of-memory (the array is unchanged). */
static bool
store_grow(void **array, size_t *cap, size_t n, size_t size)
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

static int
store_cmp_key(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static int
store_cmp_row(const void *a, const void *b)
{
    return store_cmp_key(&((const store_fts_row *)a)->rank_key,
                         &((const store_fts_row *)b)->rank_key);
}

static void
store_fts_insert(newsidx_index *idx, const store_fts_row *row, int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_FTS_INSERT, rc);
    int i;

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, row->rank_key);
    for (i = 0; i < 3; i++) {
        if (row->text[i] != NULL)
            sqlite3_bind_text(stmt, i + 2, row->text[i], (int)row->len[i],
                              SQLITE_STATIC);
    }
    store_bind_opt_int(stmt, 5, row->has_quality, row->quality);
    store_bind_opt_int(stmt, 6, row->has_heat, row->heat);
    store_bind_opt_int(stmt, 7, row->has_published_at, row->published_at);
    store_bind_opt_int(stmt, 8, row->has_published, row->published);
    store_bind_text(stmt, 9, row->url_key);
    store_step_done(stmt, rc);
}

int
nx_store_fts_flush(newsidx_index *idx)
{
    nx_fts_queue *q = idx->fts_queue;
    size_t i;
    int rc = SQLITE_OK;

    if (q == NULL || (q->n_rows == 0 && q->n_gone == 0))
        return SQLITE_OK;
    qsort(q->gone, q->n_gone, sizeof(*q->gone), store_cmp_key);
    qsort(q->rows, q->n_rows, sizeof(*q->rows), store_cmp_row);
    for (i = 0; i < q->n_gone && rc == SQLITE_OK; i++)
        store_run_id(idx, NX_STMT_FTS_DELETE, q->gone[i], &rc);
    for (i = 0; i < q->n_rows && rc == SQLITE_OK; i++)
        store_fts_insert(idx, &q->rows[i], &rc);
    nx_store_fts_discard(idx);
    return rc;
}

/* The queued row of `rank_key`, or NULL.  Only rows queued since the last
 * flush can be there, and their sequence numbers are the newest. */
static store_fts_row *
store_fts_queued(nx_fts_queue *q, int64_t rank_key)
{
    int64_t seq = rank_key & (((int64_t)1 << NX_RANK_SEQ_BITS) - 1);
    size_t i;

    if (q == NULL || q->n_rows == 0 || seq < q->first_seq)
        return NULL;
    for (i = q->n_rows; i-- > 0;) {
        if (q->rows[i].rank_key == rank_key)
            return &q->rows[i];
    }
    return NULL;
}

/* Take fts row `rank_key` out of the term counts and out of the fts
 * table: at once from the queue when it is still there, else by a queued
 * delete. */
static void
store_fts_remove(newsidx_index *idx, int64_t rank_key, int *rc)
{
    nx_fts_queue *q = store_fts_queue(idx);
    store_fts_row *row = store_fts_queued(q, rank_key);

    if (*rc != SQLITE_OK)
        return;
    if (q == NULL) {
        *rc = SQLITE_NOMEM;
        return;
    }
    if (row != NULL) {
        *rc = nx_terms_count(idx, (const char *const *)row->text, row->len, 3,
                             -1);
        q->bytes -= row->len[0] + row->len[1] + row->len[2];
        store_fts_row_free(row);
        *row = q->rows[--q->n_rows];
        return;
    }
    if (!store_grow((void **)&q->gone, &q->cap_gone, q->n_gone,
                    sizeof(*q->gone))) {
        *rc = SQLITE_NOMEM;
        return;
    }
    store_fts_uncount(idx, rank_key, rc);
    if (*rc == SQLITE_OK)
        q->gone[q->n_gone++] = rank_key;
}

int
nx_store_item_delete(newsidx_index *idx, int64_t id, newsidx_error *err)
{
    int rc = SQLITE_OK, step;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_RANK, &rc);
    int64_t rank_key = 0;
    bool has_item = false;

    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            rank_key = sqlite3_column_int64(stmt, 0);
            has_item = true;
        } else if (step != SQLITE_DONE) {
            rc = step;
        }
        sqlite3_reset(stmt);
    }
    if (has_item) {
        store_fts_remove(idx, rank_key, &rc);
        store_run_id(idx, NX_STMT_ITEM_DELETE, id, &rc);
        store_run_id(idx, NX_STMT_ITEM_TOPIC_DELETE, id, &rc);
        store_run_id(idx, NX_STMT_RELATED_DELETE, id, &rc);
    }
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_store_error(idx, rc, "cannot delete an item", err);
}

int
nx_store_file_delete(newsidx_index *idx, int64_t id, newsidx_error *err)
{
    int rc = nx_store_item_delete(idx, id, err);
    int src = SQLITE_OK;

    if (rc != NEWSIDX_OK)
        return rc;
    store_run_id(idx, NX_STMT_FILE_DELETE, id, &src);
    return src == SQLITE_OK
               ? NEWSIDX_OK
               : nx_store_error(idx, src, "cannot delete a file", err);
}

/* Look up or insert a row keyed by text: topics and providers. */
static int64_t
store_intern(newsidx_index *idx, enum nx_stmt_id get, enum nx_stmt_id put,
             const char *a, const char *b, const char *key, int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, get, rc);
    int64_t id = 0;
    int step;

    if (stmt == NULL)
        return 0;
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        id = sqlite3_column_int64(stmt, 0);
    else if (step != SQLITE_DONE)
        *rc = step;
    sqlite3_reset(stmt);
    if (id != 0 || *rc != SQLITE_OK)
        return id;
    stmt = store_stmt(idx, put, rc);
    if (stmt == NULL)
        return 0;
    sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
    if (b != NULL) {
        sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, key, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    }
    store_step_done(stmt, rc);
    return *rc == SQLITE_OK ? sqlite3_last_insert_rowid(idx->db) : 0;
}

static int64_t
store_provider(newsidx_index *idx, const nx_item *item, const char *key,
               int *rc)
{
    sqlite3_stmt *stmt;
    int64_t id;

    if (key == NULL)
        return 0;
    id = store_intern(idx, NX_STMT_PROVIDER_GET, NX_STMT_PROVIDER_INSERT,
                      item->provider_name ? item->provider_name : "",
                      item->provider_domain ? item->provider_domain : "", key,
                      rc);
    if (id != 0 && item->provider_images_json != NULL &&
        (stmt = store_stmt(idx, NX_STMT_PROVIDER_IMAGES, rc)) != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, item->provider_images_json, -1,
                          SQLITE_STATIC);
        store_step_done(stmt, rc);
    }
    return id;
}

static void
store_topics(newsidx_index *idx, int64_t id, int64_t rank_key,
             const nx_item *item, const nx_doc *doc, int *rc)
{
    size_t i;

    for (i = 0; i < item->n_topics && *rc == SQLITE_OK; i++) {
        int64_t topic =
            store_intern(idx, NX_STMT_TOPIC_GET, NX_STMT_TOPIC_INSERT,
                         item->topics[i], NULL, doc->topic_keys[i], rc);
        sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_TOPIC_INSERT, rc);

        if (stmt == NULL)
            return;
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        sqlite3_bind_int64(stmt, 3, topic);
        sqlite3_bind_int64(stmt, 4, rank_key);
        store_step_done(stmt, rc);
    }
}

static void
store_related(newsidx_index *idx, int64_t id, const nx_item *item,
              const nx_doc *doc, int *rc)
{
    size_t i;

    for (i = 0; i < item->n_related && *rc == SQLITE_OK; i++) {
        const nx_related *r = &item->related[i];
        sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_RELATED_INSERT, rc);

        if (stmt == NULL)
            return;
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        store_bind_text(stmt, 3, r->title);
        store_bind_text(stmt, 4, r->excerpt);
        store_bind_opt_int(stmt, 5, r->has_published_at, r->published_at);
        store_bind_text(stmt, 6, r->url);
        store_bind_text(stmt, 7, doc->related_keys[i]);
        store_bind_text(stmt, 8, r->amp_url);
        store_bind_text(stmt, 9, r->cdn_amp_url);
        store_bind_text(stmt, 10, r->type);
        store_bind_text(stmt, 11, r->provider_name);
        store_bind_text(stmt, 12, r->provider_domain);
        store_bind_opt_int(stmt, 13, r->has_quality, r->quality);
        store_bind_text(stmt, 14, r->images_json);
        store_bind_text(stmt, 15, r->extra_json);
        store_step_done(stmt, rc);
    }
}

double
nx_prior_part(bool has, int64_t v, double top)
{
    if (!has || v < 0)
        return 0.5;
    if ((double)v >= top)
        return 1.0;
    return log1p((double)v) / log1p(top);
}

int
nx_prior_level(const nx_item *item)
{
    double q =
        nx_prior_part(item->has_quality, item->quality, NX_PRIOR_QUALITY_TOP);
    double h = nx_prior_part(item->has_heat, item->heat, NX_PRIOR_HEAT_TOP);
    int level = (int)lround((q + h) / 2.0 * (NX_PRIOR_LEVELS - 1));

    return level < 0                  ? 0
           : level >= NX_PRIOR_LEVELS ? NX_PRIOR_LEVELS - 1
                                      : level;
}

int
nx_rank_month(bool has_date, int64_t t)
{
    int64_t m;

    if (!has_date)
        return NX_RANK_NO_DATE;
    m = nx_month_of(t);
    m = m < 0 ? 0 : m > NX_RANK_MONTH_MAX ? NX_RANK_MONTH_MAX : m;
    return NX_RANK_MONTH_MAX - (int)m;
}

int64_t
nx_rank_key(int level, bool is_unpublished, int month, int64_t seq)
{
    return (is_unpublished ? NX_RANK_UNPUBLISHED : 0) |
           ((int64_t)(NX_PRIOR_LEVELS - 1 - level) << NX_RANK_LEVEL_SHIFT) |
           ((int64_t)(month & ((1 << NX_RANK_MONTH_BITS) - 1))
            << NX_RANK_SEQ_BITS) |
           (seq & (((int64_t)1 << NX_RANK_SEQ_BITS) - 1));
}

int
nx_rank_key_level(int64_t key)
{
    return NX_PRIOR_LEVELS - 1 -
           (int)((key >> NX_RANK_LEVEL_SHIFT) & (NX_PRIOR_LEVELS - 1));
}

int
nx_rank_key_month(int64_t key)
{
    return (int)((key >> NX_RANK_SEQ_BITS) & ((1 << NX_RANK_MONTH_BITS) - 1));
}

static void
store_item_row(newsidx_index *idx, int64_t id, int64_t rank_key,
               int64_t provider, const nx_item *item, const char *url_key,
               const char *warnings, int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_INSERT, rc);

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, rank_key);
    store_bind_text(stmt, 3, item->category);
    store_bind_text(stmt, 4, item->title);
    store_bind_text(stmt, 5, item->excerpt);
    store_bind_text(stmt, 6, item->type);
    store_bind_text(stmt, 7, item->web_url);
    store_bind_text(stmt, 8, url_key);
    store_bind_text(stmt, 9, item->original_url);
    store_bind_text(stmt, 10, item->amp_url);
    store_bind_text(stmt, 11, item->cdn_amp_url);
    store_bind_opt_int(stmt, 12, item->has_published_at, item->published_at);
    store_bind_opt_int(stmt, 13, item->has_quality, item->quality);
    store_bind_opt_int(stmt, 14, item->has_heat, item->heat);
    store_bind_opt_int(stmt, 15, item->published >= 0, item->published);
    store_bind_opt_int(stmt, 16, provider != 0, provider);
    store_bind_text(stmt, 17, item->images_json);
    store_bind_text(stmt, 18, item->secured);
    store_bind_text(stmt, 19, item->extra_json);
    store_bind_text(stmt, 20, item->body);
    store_bind_text(stmt, 21, warnings);
    store_step_done(stmt, rc);
}

/* Queue the fts row: the document's normalized texts (taken over) plus
 * the ranking priors; count its terms. */
static void
store_fts_queue_row(newsidx_index *idx, int64_t rank_key, const nx_item *item,
                    nx_doc *doc, int *rc, bool *is_oom)
{
    nx_fts_queue *q = store_fts_queue(idx);
    store_fts_row row;
    int i;

    if (*rc != SQLITE_OK || *is_oom)
        return;
    if (q == NULL || !store_grow((void **)&q->rows, &q->cap_rows, q->n_rows,
                                 sizeof(*q->rows))) {
        *is_oom = true;
        return;
    }
    *rc = nx_terms_count_doc(idx, doc, 1);
    if (*rc != SQLITE_OK)
        return;
    memset(&row, 0, sizeof(row));
    row.rank_key = rank_key;
    for (i = 0; i < 3; i++) {
        row.text[i] = doc->text[i];
        row.len[i] = doc->len[i];
        doc->text[i] = NULL;
        q->bytes += row.len[i];
    }
    row.url_key = doc->url_key;
    doc->url_key = NULL;
    row.has_quality = item->has_quality;
    row.quality = item->quality;
    row.has_heat = item->has_heat;
    row.heat = item->heat;
    row.has_published_at = item->has_published_at;
    row.published_at = item->published_at;
    row.has_published = item->published >= 0;
    row.published = item->published;
    if (q->n_rows == 0)
        q->first_seq = rank_key & (((int64_t)1 << NX_RANK_SEQ_BITS) - 1);
    q->rows[q->n_rows++] = row;
    if (q->bytes > STORE_FTS_QUEUE_BYTES)
        *rc = nx_store_fts_flush(idx);
}

int
nx_store_item_put(newsidx_index *idx, int64_t id, const nx_item *item,
                  nx_doc *doc, newsidx_error *err)
{
    int64_t rank_key, provider;
    bool is_oom = false;
    int rc = SQLITE_OK, status;

    status = nx_store_item_delete(idx, id, err);
    if (status != NEWSIDX_OK)
        return status;
    rank_key = nx_rank_key(doc->level, item->published == 0, doc->month,
                           idx->next_seq++);
    provider = store_provider(idx, item, doc->provider_key, &rc);
    store_item_row(idx, id, rank_key, provider, item, doc->url_key,
                   doc->warnings_json, &rc);
    store_fts_queue_row(idx, rank_key, item, doc, &rc, &is_oom);
    store_topics(idx, id, rank_key, item, doc, &rc);
    store_related(idx, id, item, doc, &rc);
    if (is_oom)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_store_error(idx, rc, "cannot write an item", err);
}

int
nx_store_item_put_now(newsidx_index *idx, int64_t id, const nx_item *item,
                      newsidx_error *err)
{
    nx_doc doc;
    int rc;

    rc = idx->prep == NULL ? nx_prep_new(&idx->prep, idx->db) : SQLITE_OK;
    if (rc != SQLITE_OK)
        return nx_store_error(idx, rc, "cannot set up the tokenizer", err);
    rc = nx_prep_doc(idx->prep, &doc, item);
    if (rc != NEWSIDX_OK)
        return nx_fail(err, rc, "out of memory");
    rc = nx_store_item_put(idx, id, item, &doc, err);
    nx_doc_clear(&doc);
    return rc;
}

int
nx_store_clear(newsidx_index *idx, newsidx_error *err)
{
    nx_terms_discard(idx);
    nx_store_fts_discard(idx);
    return nx_store_exec(idx,
                         "DELETE FROM related; DELETE FROM item_topics;"
                         " DELETE FROM items; DELETE FROM topics;"
                         " DELETE FROM providers; DELETE FROM files;"
                         " DELETE FROM fts; DELETE FROM terms;"
                         " UPDATE meta SET value = 1 WHERE key = 'next_seq';",
                         err);
}
