/*
 * store.c - every write of a file and an item to an index file (the
 * write half's statements, which it keeps on the handle as nx_write_half).
 *
 * An item is written as a whole: its items row, its fts row (normalized
 * text), its topics and its related list, inside the caller's transaction,
 * so a reader never sees half of a file applied.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "write.h"

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
        "INSERT INTO items(id, level, category, title, excerpt, type,"
        " web_url, url_key, original_url, amp_url, cdn_amp_url, published_at,"
        " quality, heat, published, provider_id, images, secured, extra,"
        " body, warnings) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    [NX_STMT_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
    [NX_STMT_ITEM_EXISTS] = "SELECT 1 FROM items WHERE id = ?1",
    [NX_STMT_TOPIC_GET] = "SELECT id FROM topics WHERE name = ?1",
    [NX_STMT_TOPIC_INSERT] = "INSERT INTO topics(name, key) VALUES(?1, ?2)",
    [NX_STMT_ITEM_TOPIC_INSERT] =
        "INSERT OR IGNORE INTO item_topics(item_id, ord, topic_id)"
        " VALUES(?1, ?2, ?3)",
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
    /* The stored JSON is not trusted: what is no array of objects gives
     * no row, and never an error. */
    [NX_STMT_ITEM_HAS_WARNINGS] =
        "SELECT 1 FROM items WHERE id = ?1 AND warnings IS NOT NULL",
    [NX_STMT_ITEM_WARNINGS] =
        "SELECT json_extract(w.value, '$.line'),"
        " json_extract(w.value, '$.column'), json_extract(w.value, '$.field'),"
        " json_extract(w.value, '$.message')"
        " FROM items i, json_each(CASE WHEN json_valid(i.warnings)"
        " AND json_type(i.warnings) = 'array' THEN i.warnings END) w"
        " WHERE i.id = ?1 AND w.type = 'object'",
    [NX_STMT_TITLE_KEY_INSERT] =
        "INSERT OR IGNORE INTO title_keys(hash, id) VALUES(?1, ?2)",
    [NX_STMT_TITLE_KEY_DELETE] =
        "DELETE FROM title_keys WHERE hash = ?1 AND id = ?2",
};

static int
store_half_flush(newsidx_index *idx, void *state)
{
    (void)state;
    return nx_fts_flush(idx);
}

static void
store_half_discard(newsidx_index *idx, void *state)
{
    (void)state;
    nx_fts_discard(idx);
}

static void
store_half_free(newsidx_index *idx, void *state)
{
    nx_write_half *w = state;
    size_t i;

    for (i = 0; i < NX_STMT_COUNT; i++)
        sqlite3_finalize(w->stmt[i]);
    nx_fts_free(idx);
    nx_prep_free(w->prep);
    nx_free(w);
}

static const nx_half_ops store_half_ops = {store_half_flush, store_half_discard,
                                           store_half_free};

nx_write_half *
nx_write_half_of(newsidx_index *idx)
{
    nx_write_half *w = nx_half_state(idx, NX_HALF_WRITE);

    if (w == NULL && (w = nx_calloc(1, sizeof(*w))) != NULL)
        nx_half_attach(idx, NX_HALF_WRITE, w, &store_half_ops);
    return w;
}

/* The cached statement `id`, reset and with its bindings cleared. */
static sqlite3_stmt *
store_stmt(newsidx_index *idx, enum nx_stmt_id id, int *rc)
{
    nx_write_half *w = nx_write_half_of(idx);
    sqlite3_stmt *stmt;

    if (*rc != SQLITE_OK)
        return NULL;
    if (w == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    stmt = w->stmt[id];
    if (stmt == NULL) {
        *rc = sqlite3_prepare_v3(idx->db, store_sql[id], -1,
                                 SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
        if (*rc != SQLITE_OK)
            return NULL;
        w->stmt[id] = stmt;
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
        return nx_db_error(idx, rc, "cannot read the index", err);
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
    return nx_db_error(idx, rc, "cannot read the index", err);
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
        return nx_db_error(idx, rc, "cannot write the index", err);
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
        return nx_db_error(idx, rc, "cannot write the index", err);
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
               : nx_db_error(idx, rc, "cannot write the index", err);
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

int
nx_store_item_exists(bool *out, newsidx_index *idx, int64_t id,
                     newsidx_error *err)
{
    int rc = SQLITE_OK, step = SQLITE_DONE;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_EXISTS, &rc);

    *out = false;
    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        step = sqlite3_step(stmt);
        *out = step == SQLITE_ROW;
        sqlite3_reset(stmt);
    }
    if (rc == SQLITE_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = step;
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "cannot read the index", err);
}

/* A stored line or column: 0 unless a number in range. */
static unsigned
store_position(sqlite3_stmt *stmt, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(stmt, col);

    if (sqlite3_column_type(stmt, col) != SQLITE_INTEGER || v < 0 ||
        v > UINT32_MAX)
        return 0;
    return (unsigned)v;
}

/* A stored string, or NULL when it is not text. */
static const char *
store_text(sqlite3_stmt *stmt, int col)
{
    if (sqlite3_column_type(stmt, col) != SQLITE_TEXT)
        return NULL;
    return (const char *)sqlite3_column_text(stmt, col);
}

int
nx_store_item_warnings(size_t *n_out, newsidx_index *idx, int64_t id,
                       nx_store_warning_fn cb, void *payload,
                       newsidx_error *err)
{
    int rc = SQLITE_OK, step = SQLITE_DONE;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_HAS_WARNINGS, &rc);

    /* Most items have none: the row's header tells, without the JSON
     * functions. */
    *n_out = 0;
    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        step = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (step != SQLITE_ROW)
            stmt = NULL;
    }
    if (stmt != NULL)
        stmt = store_stmt(idx, NX_STMT_ITEM_WARNINGS, &rc);
    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
            (*n_out)++;
            if (cb != NULL)
                cb(store_position(stmt, 0), store_position(stmt, 1),
                   store_text(stmt, 2), store_text(stmt, 3), payload);
        }
        sqlite3_reset(stmt);
    }
    if (rc == SQLITE_OK && step != SQLITE_DONE)
        rc = step;
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "cannot read the index", err);
}

/* Insert or delete the title_keys row of item `id` (statement `which`). */
static void
store_title_key(newsidx_index *idx, enum nx_stmt_id which, uint64_t hash,
                int64_t id, int *rc)
{
    sqlite3_stmt *stmt = *rc == SQLITE_OK ? store_stmt(idx, which, rc) : NULL;

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, (int64_t)hash);
    sqlite3_bind_int64(stmt, 2, id);
    store_step_done(stmt, rc);
}

int
nx_store_item_delete(newsidx_index *idx, int64_t id, newsidx_error *err)
{
    int rc = SQLITE_OK, step;
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_EXISTS, &rc);
    bool has_item = false;

    if (stmt != NULL) {
        sqlite3_bind_int64(stmt, 1, id);
        step = sqlite3_step(stmt);
        if (step == SQLITE_ROW)
            has_item = true;
        else if (step != SQLITE_DONE)
            rc = step;
        sqlite3_reset(stmt);
    }
    if (has_item) {
        bool has_title = false;
        uint64_t title_hash = 0;

        rc = nx_fts_remove(idx, id);
        if (rc == SQLITE_OK)
            rc = nx_docinfo_clear(idx, id, &has_title, &title_hash);
        if (has_title)
            store_title_key(idx, NX_STMT_TITLE_KEY_DELETE, title_hash, id, &rc);
        store_run_id(idx, NX_STMT_ITEM_DELETE, id, &rc);
        store_run_id(idx, NX_STMT_ITEM_TOPIC_DELETE, id, &rc);
        store_run_id(idx, NX_STMT_RELATED_DELETE, id, &rc);
    }
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "cannot delete an item", err);
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
               : nx_db_error(idx, src, "cannot delete a file", err);
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

/* Write the item's topics; their ids go into `topic_ids`. */
static void
store_topics(newsidx_index *idx, int64_t id, const nx_item *item,
             const nx_doc *doc, int64_t *topic_ids, int *rc)
{
    size_t i;

    for (i = 0; i < item->n_topics && *rc == SQLITE_OK; i++) {
        int64_t topic =
            store_intern(idx, NX_STMT_TOPIC_GET, NX_STMT_TOPIC_INSERT,
                         item->topics[i], NULL, doc->topic_keys[i], rc);
        sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_TOPIC_INSERT, rc);

        topic_ids[i] = topic;
        if (stmt == NULL)
            return;
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        sqlite3_bind_int64(stmt, 3, topic);
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

int
nx_prior_level(const nx_item *item)
{
    return nx_prior_level_of(item->has_quality, item->quality, item->has_heat,
                             item->heat);
}

static void
store_item_row(newsidx_index *idx, int64_t id, int level, int64_t provider,
               const nx_item *item, const char *url_key, const char *warnings,
               int *rc)
{
    sqlite3_stmt *stmt = store_stmt(idx, NX_STMT_ITEM_INSERT, rc);

    if (stmt == NULL)
        return;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int(stmt, 2, level);
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

/* The tags of the item's distinct URL keys (NX_TAG_LINK), onto `b`. */
static void
store_link_tags(nx_buf *b, const nx_doc *doc)
{
    const char *keys[4] = {doc->url_key, doc->link_keys[0], doc->link_keys[1],
                           doc->link_keys[2]};
    size_t i, k;

    for (i = 0; i < 4; i++) {
        if (keys[i] == NULL || keys[i][0] == '\0')
            continue;
        for (k = 0; k < i && (keys[k] == NULL || strcmp(keys[k], keys[i])); k++)
            ;
        if (k < i)
            continue; /* the same address twice */
        nx_buf_printf(b, "%s%s%016llx", b->len ? " " : "", NX_TAG_LINK,
                      (unsigned long long)nx_hash64(keys[i], strlen(keys[i])));
    }
}

/*
 * The item's filter tokens for the fts `tags` column: topic and provider
 * ids, hashes of the normalized type and category, the month and the year
 * of its date, a mark for unpublished items and hashes of its URL keys.  Each
 * starts with a private-use character, which the unicode61 tokenizer keeps in
 * tokens and nx_normalize never makes, so no word of a text or a query is ever
 * one of them.  docs/schema.md lists them; query/plan.c writes the same ones.
 */
static char *
store_tags(const nx_item *item, const nx_doc *doc, const int64_t *topic_ids,
           int64_t provider, size_t *len_out)
{
    nx_buf b = NX_BUF_INIT;
    size_t i;

    for (i = 0; i < item->n_topics; i++)
        nx_buf_printf(&b, "%s%s%lld", b.len ? " " : "", NX_TAG_TOPIC,
                      (long long)topic_ids[i]);
    if (provider != 0)
        nx_buf_printf(&b, "%s%s%lld", b.len ? " " : "", NX_TAG_PROVIDER,
                      (long long)provider);
    if (doc->type_key != NULL)
        nx_buf_printf(&b, "%s%s%016llx", b.len ? " " : "", NX_TAG_TYPE,
                      (unsigned long long)nx_hash64(doc->type_key,
                                                    strlen(doc->type_key)));
    if (doc->category_key != NULL)
        nx_buf_printf(&b, "%s%s%016llx", b.len ? " " : "", NX_TAG_CATEGORY,
                      (unsigned long long)nx_hash64(doc->category_key,
                                                    strlen(doc->category_key)));
    if (item->has_published_at) {
        char tag[NX_DATE_TAG_SIZE];
        int64_t month = nx_month_of(item->published_at);

        nx_date_tag(tag, false, month);
        nx_buf_printf(&b, "%s%s", b.len ? " " : "", tag);
        nx_date_tag(tag, true, month);
        nx_buf_printf(&b, " %s", tag);
    }
    if (item->published == 0)
        nx_buf_printf(&b, "%s%s", b.len ? " " : "", NX_TAG_UNPUBLISHED);
    store_link_tags(&b, doc);
    nx_buf_put(&b, "", 0);
    *len_out = b.len;
    return nx_buf_detach(&b);
}

/* The item's docinfo record: with its provider (`provider`, 0 for none)
 * and the hashes of its collapse keys, the URL key and the normalized
 * title as search.c reads them from the items row. */
static void
store_docinfo_rec(nx_docinfo_rec *rec, const nx_item *item, const nx_doc *doc,
                  int64_t provider)
{
    int c;

    memset(rec, 0, sizeof(*rec));
    for (c = 0; c < 3; c++)
        rec->len[c] = doc->n_tokens[c];
    rec->level = doc->level;
    rec->is_unpublished = item->published == 0;
    rec->has_date = item->has_published_at;
    rec->published_at = item->published_at;
    rec->has_quality = item->has_quality;
    rec->quality = item->quality;
    rec->has_heat = item->has_heat;
    rec->heat = item->heat;
    rec->provider_id =
        provider > 0 && provider <= UINT32_MAX ? (uint32_t)provider : 0;
    rec->has_url_key = doc->url_key != NULL && doc->url_key[0] != '\0';
    if (rec->has_url_key)
        rec->url_hash = nx_hash64(doc->url_key, strlen(doc->url_key));
    rec->has_title_key = doc->text[0] != NULL && doc->len[0] > 0;
    if (rec->has_title_key)
        rec->title_hash = nx_hash64(doc->text[0], doc->len[0]);
}

int
nx_store_item_put(newsidx_index *idx, int64_t id, const nx_item *item,
                  nx_doc *doc, newsidx_error *err)
{
    int64_t provider, *topic_ids = NULL;
    nx_docinfo_rec rec;
    char *tags = NULL;
    size_t tags_len = 0;
    int rc = SQLITE_OK, status;

    status = nx_store_item_delete(idx, id, err);
    if (status != NEWSIDX_OK)
        return status;
    topic_ids = nx_calloc(item->n_topics + 1, sizeof(*topic_ids));
    if (topic_ids == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    provider = store_provider(idx, item, doc->provider_key, &rc);
    store_item_row(idx, id, doc->level, provider, item, doc->url_key,
                   doc->warnings_json, &rc);
    store_topics(idx, id, item, doc, topic_ids, &rc);
    store_related(idx, id, item, doc, &rc);
    /* Before nx_fts_add, which takes the texts. */
    store_docinfo_rec(&rec, item, doc, provider);
    if (rc == SQLITE_OK)
        rc = nx_bounds_add(idx, id, doc);
    if (rc == SQLITE_OK) {
        tags = store_tags(item, doc, topic_ids, provider, &tags_len);
        rc = tags != NULL ? nx_fts_add(idx, id, doc, tags, tags_len)
                          : SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK)
        rc = nx_docinfo_set(idx, id, &rec);
    if (rec.has_title_key)
        store_title_key(idx, NX_STMT_TITLE_KEY_INSERT, rec.title_hash, id, &rc);
    nx_free(topic_ids);
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "cannot write an item", err);
}

int
nx_store_item_put_now(newsidx_index *idx, int64_t id, const nx_item *item,
                      newsidx_error *err)
{
    nx_write_half *w = nx_write_half_of(idx);
    nx_doc doc;
    int rc;

    if (w == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    rc = w->prep == NULL ? nx_prep_new(&w->prep, idx->db) : SQLITE_OK;
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot set up the tokenizer", err);
    rc = nx_prep_doc(w->prep, &doc, item);
    if (rc != NEWSIDX_OK)
        return nx_fail(err, rc, "out of memory");
    rc = nx_store_item_put(idx, id, item, &doc, err);
    nx_doc_clear(&doc);
    return rc;
}

/* A copy of meta(key) in *value (NULL: none, or unreadable); SQLITE_NOMEM
 * when the copy cannot be made. */
static int
store_read_meta(newsidx_index *idx, const char *key, sqlite3_value **value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = SQLITE_OK;

    *value = NULL;
    if (sqlite3_prepare_v2(idx->db, "SELECT value FROM meta WHERE key = ?1", -1,
                           &stmt, NULL) == SQLITE_OK &&
        sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW &&
        (*value = sqlite3_value_dup(sqlite3_column_value(stmt, 0))) == NULL)
        rc = SQLITE_NOMEM;
    sqlite3_finalize(stmt);
    return rc;
}

/* Put meta(key) back as `value` was before a rebuild (NULL: nothing). */
static int
store_keep_meta(newsidx_index *idx, const char *key, sqlite3_value *value,
                newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (value == NULL)
        return NEWSIDX_OK;
    rc = sqlite3_prepare_v2(
        idx->db, "INSERT OR REPLACE INTO meta VALUES(?1, ?2)", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_value(stmt, 2, value);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = sqlite3_errcode(idx->db);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK
               ? NEWSIDX_OK
               : nx_db_error(idx, rc, "cannot keep the settings", err);
}

/*
 * Make the index anew for a rebuild: every table dropped and created
 * again, in the caller's transaction.  Not emptied with DELETE: FTS5
 * reads what it deletes, and a rebuild is what a damaged index is told to
 * do (a damaged record must not stand in its way, or stay).  The stored
 * ranking default (meta 'weights') and the language (meta
 * 'stem_language') are the user's settings, not the index's: they are
 * kept as they were.
 */
int
nx_store_clear(newsidx_index *idx, newsidx_error *err)
{
    sqlite3_value *weights = NULL, *language = NULL;
    int rc;

    nx_terms_discard(idx);
    nx_fts_discard(idx);
    nx_docinfo_discard(idx);
    nx_bounds_discard(idx);
    rc = store_read_meta(idx, "weights", &weights);
    if (rc == SQLITE_OK)
        rc = store_read_meta(idx, "stem_language", &language);
    /* A meta table too damaged to read loses the setting, not the rebuild. */
    rc = nx_db_status(rc) == NEWSIDX_NOMEM ? NEWSIDX_NOMEM : NEWSIDX_OK;
    /* Dropping the fts table has FTS5 read its structure record and its
     * version: both set to an empty table's first, so that damage there
     * cannot stop the drop (best effort: a missing table is dropped
     * anyway). */
    if (rc == NEWSIDX_OK)
        sqlite3_exec(idx->db,
                     "DELETE FROM fts_data WHERE id = 10;"
                     " INSERT INTO fts_data(id, block)"
                     " VALUES(10, x'00000000000000');"
                     " INSERT OR REPLACE INTO fts_config(k, v)"
                     " VALUES('version', 4);",
                     NULL, NULL, NULL);
    if (rc == NEWSIDX_OK)
        rc = nx_schema_drop(idx, err);
    if (rc == NEWSIDX_OK)
        rc = nx_schema_create(idx, err);
    if (rc == NEWSIDX_OK)
        rc = store_keep_meta(idx, "weights", weights, err);
    if (rc == NEWSIDX_OK)
        rc = store_keep_meta(idx, "stem_language", language, err);
    sqlite3_value_free(weights);
    sqlite3_value_free(language);
    return rc == NEWSIDX_NOMEM ? nx_fail(err, rc, "out of memory") : rc;
}

/**************************************************************************
** The stored ranking default (meta 'weights', docs/ranking.md)
*/

/* The names newsidx_weights_check takes, with the largest value of each. */
static const struct {
    const char *name;
    double max;
} store_weights[] = {
    {"title", 1000}, {"excerpt", 1000}, {"body", 1000}, {"quality", 1000},
    {"heat", 1000},  {"prior", 0.9},    {"form", 1},    {"fresh", 36500},
};
#define STORE_N_WEIGHTS (sizeof(store_weights) / sizeof(store_weights[0]))

/* Check one pair, `len` bytes at `p`; the message quotes it. */
static int
store_weight_check(const char *p, size_t len, newsidx_error *err)
{
    size_t n = strcspn(p, "="), k, i;
    int shown = (int)(len > 60 ? 60 : len);
    double v;
    char *end;

    if (n > len)
        n = len;
    for (k = 0; k < STORE_N_WEIGHTS; k++) {
        if (strlen(store_weights[k].name) == n &&
            strncmp(p, store_weights[k].name, n) == 0)
            break;
    }
    if (k == STORE_N_WEIGHTS || n == len)
        return nx_fail(err, NEWSIDX_INVALID,
                       "ranking weight '%.*s' is not NAME=VALUE with a NAME of"
                       " title, excerpt, body, quality, heat, prior, form or"
                       " fresh",
                       shown, p);
    /* A plain decimal number: digits, with a fraction after a point. */
    for (i = n + 1; i < len && p[i] >= '0' && p[i] <= '9'; i++)
        ;
    if (i > n + 1 && i < len && p[i] == '.' && i + 1 < len)
        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
            ;
    v = strtod(p + n + 1, &end);
    if (i == n + 1 || i != len || end != p + len ||
        !(v <= store_weights[k].max))
        return nx_fail(err, NEWSIDX_INVALID,
                       "ranking weight '%.*s' needs a number from 0 to %g",
                       shown, p, store_weights[k].max);
    return NEWSIDX_OK;
}

int
newsidx_weights_check(const char *spec, newsidx_error *err)
{
    const char *p = spec;

    assert(spec != NULL);
    nx_error_clear(err);
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        int rc;

        if (len == 0 || (p[len] == ',' && p[len + 1] == '\0'))
            return nx_fail(err, NEWSIDX_INVALID,
                           "ranking weights '%.60s' have an empty pair", spec);
        if ((rc = store_weight_check(p, len, err)) != NEWSIDX_OK)
            return rc;
        p += len + (p[len] == ',');
    }
    return NEWSIDX_OK;
}

int
newsidx_index_set_weights(newsidx_index *idx, const char *spec,
                          newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = newsidx_weights_check(spec, err), src;

    assert(idx != NULL);
    if (rc == NEWSIDX_OK)
        rc = nx_db_lock(idx, err);
    else
        return rc;
    if (rc == NEWSIDX_OK)
        rc = nx_db_begin(idx, err);
    if (rc == NEWSIDX_OK) {
        src = sqlite3_prepare_v2(idx->db,
                                 spec[0] != '\0'
                                     ? "INSERT OR REPLACE INTO meta"
                                       " VALUES('weights', ?1)"
                                     : "DELETE FROM meta WHERE key = 'weights'",
                                 -1, &stmt, NULL);
        if (src == SQLITE_OK && spec[0] != '\0')
            src = sqlite3_bind_text(stmt, 1, spec, -1, SQLITE_STATIC);
        if (src == SQLITE_OK && sqlite3_step(stmt) != SQLITE_DONE)
            src = sqlite3_errcode(idx->db);
        sqlite3_finalize(stmt);
        rc = src == SQLITE_OK
                 ? nx_db_commit(idx, err)
                 : nx_db_error(idx, src, "cannot store the weights", err);
        nx_db_rollback(idx);
    }
    nx_db_unlock(idx);
    return rc;
}
