/*
 * db.c - opening and closing an index file.
 *
 * Owns the connection settings (WAL, busy timeout, synchronous), the schema
 * version check and the exclusive indexing lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h"

/* How long a statement waits for another process's lock before it gives
 * up with NEWSIDX_BUSY. */
#define DB_BUSY_TIMEOUT_MS 10000

static const char db_pragmas[] = "PRAGMA journal_mode = WAL;"
                                 "PRAGMA synchronous = NORMAL;"
                                 "PRAGMA temp_store = MEMORY;"
                                 "PRAGMA cache_size = -65536;"
                                 "PRAGMA foreign_keys = OFF;";

static int
db_pragma_int(sqlite3 *db, const char *sql, int *value_out)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(stmt);
    *value_out = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Is the database empty (a new file)? */
static int
db_is_empty(sqlite3 *db, bool *empty_out)
{
    int n = 0;
    int rc = db_pragma_int(db, "SELECT count(*) FROM sqlite_schema", &n);

    *empty_out = n == 0;
    return rc;
}

/* Check the file is ours and of our version; create the schema in a new
 * file.  With `is_rebuild`, an index of another version is dropped and made
 * anew instead of refused. */
static int
db_check_schema(newsidx_index *idx, bool is_rebuild, newsidx_error *err)
{
    int app_id = 0, version = 0, rc;
    bool is_empty = false;

    rc = db_pragma_int(idx->db, "PRAGMA application_id", &app_id);
    if (rc == SQLITE_OK)
        rc = db_pragma_int(idx->db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK)
        rc = db_is_empty(idx->db, &is_empty);
    if (rc != SQLITE_OK)
        return nx_store_error(idx, rc, "cannot read the index", err);
    if (is_empty) {
        if (idx->is_readonly)
            return nx_fail(err, NEWSIDX_SCHEMA, "'%s' is empty, not an index",
                           idx->path);
        idx->schema_version = NEWSIDX_SCHEMA_VERSION;
        return nx_schema_create(idx->db, err);
    }
    if (app_id != NX_APPLICATION_ID)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' is not a newsidx index (application_id %d)",
                       idx->path, app_id);
    idx->schema_version = version;
    if (version == NEWSIDX_SCHEMA_VERSION)
        return NEWSIDX_OK;
    if (!is_rebuild || idx->is_readonly)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' has schema version %d, this newsidx uses %d; "
                       "rebuild it with newsindex --rebuild",
                       idx->path, version, NEWSIDX_SCHEMA_VERSION);
    rc = nx_schema_drop(idx->db, err);
    if (rc == NEWSIDX_OK)
        rc = nx_schema_create(idx->db, err);
    if (rc == NEWSIDX_OK)
        idx->schema_version = NEWSIDX_SCHEMA_VERSION;
    return rc;
}

static int
db_open_flags_check(const char *path, unsigned flags, newsidx_error *err)
{
    struct stat st;

    if ((flags & NEWSIDX_OPEN_READONLY) &&
        (flags & (NEWSIDX_OPEN_CREATE | NEWSIDX_OPEN_REBUILD)))
        return nx_fail(err, NEWSIDX_INVALID,
                       "read-only cannot be combined with create or rebuild");
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && !(flags & NEWSIDX_OPEN_CREATE))
            return nx_fail(err, NEWSIDX_NOTFOUND, "no index at '%s'", path);
        if (errno != ENOENT)
            return nx_fail(err, NEWSIDX_IO, "cannot open '%s': %s", path,
                           strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        return nx_fail(err, NEWSIDX_IO, "cannot open '%s': is a directory",
                       path);
    }
    return NEWSIDX_OK;
}

int
newsidx_index_open(newsidx_index **out, const char *path, unsigned flags,
                   newsidx_error *err)
{
    newsidx_index *idx = NULL;
    int sflags, rc;

    *out = NULL;
    nx_error_clear(err);
    rc = db_open_flags_check(path, flags, err);
    if (rc != NEWSIDX_OK)
        return rc;
    idx = nx_calloc(1, sizeof(*idx));
    if (idx == NULL || (idx->path = nx_strdup(path)) == NULL) {
        nx_free(idx);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    idx->lock_fd = -1;
    idx->is_readonly = (flags & NEWSIDX_OPEN_READONLY) != 0;
    sflags = idx->is_readonly ? SQLITE_OPEN_READONLY
                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(path, &idx->db, sflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = nx_fail(err, rc == SQLITE_NOMEM ? NEWSIDX_NOMEM : NEWSIDX_IO,
                     "cannot open '%s': %s", path,
                     idx->db ? sqlite3_errmsg(idx->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(idx->db, 1);
    sqlite3_busy_timeout(idx->db, DB_BUSY_TIMEOUT_MS);
    if (!idx->is_readonly && (rc = sqlite3_exec(idx->db, db_pragmas, NULL, NULL,
                                                NULL)) != SQLITE_OK) {
        rc = nx_store_error(idx, rc, "cannot set up the index", err);
        goto fail;
    }
    rc = db_check_schema(idx, (flags & NEWSIDX_OPEN_REBUILD) != 0, err);
    if (rc != NEWSIDX_OK)
        goto fail;
    *out = idx;
    return NEWSIDX_OK;
fail:
    newsidx_index_close(idx);
    return rc;
}

void
newsidx_index_close(newsidx_index *idx)
{
    if (idx == NULL)
        return;
    nx_store_finalize_all(idx);
    sqlite3_close(idx->db);
    nx_db_unlock(idx);
    if (idx->lock_fd >= 0)
        close(idx->lock_fd);
    nx_buf_free(&idx->scratch);
    nx_free(idx->path);
    nx_free(idx);
}

int
newsidx_index_schema_version(const newsidx_index *idx)
{
    return idx->schema_version;
}

int
newsidx_index_count(int64_t *count_out, newsidx_index *idx, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc;

    *count_out = 0;
    rc = sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM items", -1, &stmt,
                            NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *count_out = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_store_error(idx, rc, "cannot count items", err);
}

/*
 * The indexing lock keeps two writers from interleaving their batches.  It
 * is a flock() on the index file through a descriptor of our own: SQLite's
 * own locks are POSIX record locks, which flock() does not touch on Linux.
 * The descriptor is closed only after SQLite has closed the file (see
 * newsidx_index_close), because closing any descriptor of a file drops the
 * process's POSIX locks on it.
 */
int
nx_db_lock(newsidx_index *idx, newsidx_error *err)
{
    if (idx->is_locked)
        return NEWSIDX_OK;
    if (idx->lock_fd < 0)
        idx->lock_fd = open(idx->path, O_RDONLY | O_CLOEXEC);
    if (idx->lock_fd < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot lock '%s': %s", idx->path,
                       strerror(errno));
    if (flock(idx->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        idx->is_locked = true;
        return NEWSIDX_OK;
    }
    if (errno == EWOULDBLOCK)
        return nx_fail(err, NEWSIDX_BUSY,
                       "'%s' is being updated by another newsindex", idx->path);
    return nx_fail(err, NEWSIDX_IO, "cannot lock '%s': %s", idx->path,
                   strerror(errno));
}

void
nx_db_unlock(newsidx_index *idx)
{
    /* The descriptor stays open: closing it would drop SQLite's POSIX
     * locks on the same file.  newsidx_index_close closes it. */
    if (idx->is_locked)
        flock(idx->lock_fd, LOCK_UN);
    idx->is_locked = false;
}
