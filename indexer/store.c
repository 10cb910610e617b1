/*
 * store.c - every write to an index file, and the translation of SQLite
 * result codes into newsidx statuses.
 *
 * An item is written as a whole: its items row, its fts row (normalized
 * text), its topics and its related list, inside the caller's transaction,
 * so a reader never sees half of a file applied.
 */
#include <math.h>
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
    sqlite3_stmt *stmt;
    int rc;

    rc = sqlite3_prepare_v2(idx->db,
                            "UPDATE meta SET value = ?1 WHERE key = 'next_seq'",
                            -1, &stmt, NULL);
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
        store_fts_uncount(idx, rank_key, &rc);
        store_run_id(idx, NX_STMT_FTS_DELETE, rank_key, &rc);
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

/* Normalize `s` into the scratch buffer; NULL stays NULL. */
static const char *
store_norm(nx_buf *buf, const char *s, bool *is_oom)
{
    nx_buf_clear(buf);
    if (s == NULL)
        return NULL;
    if (!nx_normalize(buf, s, strlen(s)) || !nx_buf_reserve(buf, 0)) {
        *is_oom = true;
        return NULL;
    }
    return buf->data;
}

static int64_t
store_provider(newsidx_index *idx, const nx_item *item, nx_buf *key, int *rc,
               bool *is_oom)
{
    const char *name = item->provider_name ? item->provider_name : "";
    const char *domain = item->provider_domain ? item->provider_domain : "";
    const char *norm;
    sqlite3_stmt *stmt;
    int64_t id;

    if (*name == '\0' && *domain == '\0')
        return 0;
    norm = store_norm(key, name, is_oom);
    if (norm == NULL)
        return 0;
    id = store_intern(idx, NX_STMT_PROVIDER_GET, NX_STMT_PROVIDER_INSERT, name,
                      domain, norm, rc);
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
             const nx_item *item, nx_buf *key, int *rc, bool *is_oom)
{
    size_t i;

    for (i = 0; i < item->n_topics && *rc == SQLITE_OK && !*is_oom; i++) {
        const char *norm = store_norm(key, item->topics[i], is_oom);
        int64_t topic;
        sqlite3_stmt *stmt;

        if (norm == NULL)
            return;
        topic = store_intern(idx, NX_STMT_TOPIC_GET, NX_STMT_TOPIC_INSERT,
                             item->topics[i], NULL, norm, rc);
        stmt = store_stmt(idx, NX_STMT_ITEM_TOPIC_INSERT, rc);
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
store_related(newsidx_index *idx, int64_t id, const nx_item *item, nx_buf *key,
              int *rc, bool *is_oom)
{
    size_t i;

    for (i = 0; i < item->n_related && *rc == SQLITE_OK; i++) {
        const nx_related *r = &item->related[i];
        sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_RELATED_INSERT, rc);

        if (stmt == NULL)
            return;
        nx_buf_clear(key);
        if (r->url != NULL && (!nx_url_normalize(key, r->url, strlen(r->url)) ||
                               !nx_buf_reserve(key, 0))) {
            *is_oom = true;
            return;
        }
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        store_bind_text(stmt, 3, r->title);
        store_bind_text(stmt, 4, r->excerpt);
        store_bind_opt_int(stmt, 5, r->has_published_at, r->published_at);
        store_bind_text(stmt, 6, r->url);
        store_bind_text(stmt, 7, r->url ? key->data : NULL);
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

/* The item's warnings as a JSON array, or NULL when there are none. */
static char *
store_warnings_json(const nx_item *item, bool *is_oom)
{
    nx_buf out = NX_BUF_INIT;
    size_t i;

    if (item->n_warnings == 0)
        return NULL;
    nx_buf_putc(&out, '[');
    for (i = 0; i < item->n_warnings; i++) {
        const nx_warning *w = &item->warnings[i];
        const char *field = w->field ? w->field : "";
        const char *msg = w->message ? w->message : "";

        nx_buf_printf(&out,
                      "%s{\"line\":%u,\"column\":%u,\"field\":", i ? "," : "",
                      w->line, w->column);
        nx_buf_json_string(&out, field, strlen(field));
        nx_buf_puts(&out, ",\"message\":");
        nx_buf_json_string(&out, msg, strlen(msg));
        nx_buf_putc(&out, '}');
    }
    nx_buf_putc(&out, ']');
    if (nx_buf_oom(&out))
        *is_oom = true;
    return nx_buf_detach(&out);
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

/* The fts row: normalized text plus the ranking priors. */
static void
store_fts_row(newsidx_index *idx, int64_t rank_key, const nx_item *item,
              const char *url_key, int *rc, bool *is_oom)
{
    nx_buf norm[3] = {NX_BUF_INIT, NX_BUF_INIT, NX_BUF_INIT};
    const char *text[3] = {item->title, item->excerpt, item->body};
    const char *norm_text[3] = {NULL, NULL, NULL};
    size_t norm_len[3] = {0, 0, 0};
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_FTS_INSERT, rc);
    int i;

    for (i = 0; i < 3 && stmt != NULL; i++) {
        if (text[i] != NULL && store_norm(&norm[i], text[i], is_oom) != NULL) {
            sqlite3_bind_text(stmt, i + 2, norm[i].data, (int)norm[i].len,
                              SQLITE_STATIC);
            norm_text[i] = norm[i].data;
            norm_len[i] = norm[i].len;
        }
    }
    if (stmt != NULL && !*is_oom) {
        sqlite3_bind_int64(stmt, 1, rank_key);
        store_bind_opt_int(stmt, 5, item->has_quality, item->quality);
        store_bind_opt_int(stmt, 6, item->has_heat, item->heat);
        store_bind_opt_int(stmt, 7, item->has_published_at, item->published_at);
        store_bind_opt_int(stmt, 8, item->published >= 0, item->published);
        store_bind_text(stmt, 9, url_key);
        store_step_done(stmt, rc);
        if (*rc == SQLITE_OK)
            *rc = nx_terms_count(idx, norm_text, norm_len, 3, 1);
    }
    for (i = 0; i < 3; i++)
        nx_buf_free(&norm[i]);
}

int
nx_store_item_put(newsidx_index *idx, int64_t id, const nx_item *item,
                  newsidx_error *err)
{
    nx_buf key = NX_BUF_INIT, url_key = NX_BUF_INIT;
    int64_t rank_key, provider;
    char *warnings;
    bool is_oom = false;
    int rc = SQLITE_OK, status;

    status = nx_store_item_delete(idx, id, err);
    if (status != NEWSIDX_OK)
        return status;
    if (item->web_url != NULL &&
        (!nx_url_normalize(&url_key, item->web_url, strlen(item->web_url)) ||
         !nx_buf_reserve(&url_key, 0)))
        is_oom = true;
    warnings = store_warnings_json(item, &is_oom);
    rank_key =
        nx_rank_key(nx_prior_level(item), item->published == 0,
                    nx_rank_month(item->has_published_at, item->published_at),
                    idx->next_seq++);
    provider = store_provider(idx, item, &key, &rc, &is_oom);
    if (!is_oom)
        store_item_row(idx, id, rank_key, provider, item,
                       item->web_url ? url_key.data : NULL, warnings, &rc);
    if (!is_oom)
        store_fts_row(idx, rank_key, item, item->web_url ? url_key.data : NULL,
                      &rc, &is_oom);
    if (!is_oom)
        store_topics(idx, id, rank_key, item, &key, &rc, &is_oom);
    if (!is_oom)
        store_related(idx, id, item, &key, &rc, &is_oom);
    nx_free(warnings);
    nx_buf_free(&key);
    nx_buf_free(&url_key);
    if (is_oom)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_store_error(idx, rc, "cannot write an item", err);
}

int
nx_store_clear(newsidx_index *idx, newsidx_error *err)
{
    nx_terms_discard(idx);
    return nx_store_exec(idx,
                         "DELETE FROM related; DELETE FROM item_topics;"
                         " DELETE FROM items; DELETE FROM topics;"
                         " DELETE FROM providers; DELETE FROM files;"
                         " DELETE FROM fts; DELETE FROM terms;"
                         " UPDATE meta SET value = 1 WHERE key = 'next_seq';",
                         err);
}
