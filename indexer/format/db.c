/*
 * db.c - the index handle: opening and closing an index file, its
 * transactions, and the translation of SQLite result codes into newsidx
 * statuses (the one place that happens).
 *
 * Owns the connection settings (WAL, busy timeout, synchronous), the schema
 * version check, the checkpoint that folds the write-ahead log into the
 * file, and the exclusive indexing lock.  The write half and the read half
 * keep their own state on the handle (nx_half_attach): a commit, a
 * rollback and the close reach it only through the calls they registered.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "format.h"

/* How long a statement waits for another process's lock before it gives
 * up with NEWSIDX_BUSY. */
#define DB_BUSY_TIMEOUT_MS 10000

static const char db_pragmas[] = "PRAGMA journal_mode = WAL;"
                                 "PRAGMA synchronous = NORMAL;"
                                 "PRAGMA temp_store = MEMORY;"
                                 "PRAGMA foreign_keys = OFF;";

/* For every handle: 64 MiB of page cache. */
static const char db_read_pragmas[] = "PRAGMA cache_size = -65536;";

/* For read-only handles, also the file mapped into memory (up to 2 GiB
 * of it), so that reading a page is no system call and copy: about 8% of
 * a query's time.  Not for the writer, whose peak RSS would then count
 * every page of the file it touched.  SQLite falls back to reads where
 * mapping is not possible. */
static const char db_reader_pragmas[] = "PRAGMA mmap_size = 2147418112;";

int
nx_db_status(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
        return NEWSIDX_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return NEWSIDX_BUSY;
    case SQLITE_NOMEM:
        return NEWSIDX_NOMEM;
    case SQLITE_READONLY:
        return NEWSIDX_READONLY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return NEWSIDX_CORRUPT;
    case SQLITE_INTERNAL:
    case SQLITE_MISUSE:
        return NEWSIDX_INTERNAL;
    default:
        return NEWSIDX_IO;
    }
}

int
nx_db_error(newsidx_index *idx, int sqlite_rc, const char *what,
            newsidx_error *err)
{
    int code = nx_db_status(sqlite_rc), rc;

    if (code == NEWSIDX_CORRUPT && idx->damage[0] != '\0') {
        rc = nx_fail(err, code, "%s: the index is damaged: %s", what,
                     idx->damage);
        idx->damage[0] = '\0';
        return rc;
    }
    /* A code the connection did not raise itself (newsidx found the
     * problem, or a blob handle did) has no message of SQLite's. */
    if ((sqlite3_extended_errcode(idx->db) & 0xff) != (sqlite_rc & 0xff))
        return nx_fail(err, code, "%s: %s%s", what,
                       code == NEWSIDX_CORRUPT ? "the index is damaged: " : "",
                       sqlite3_errstr(sqlite_rc));
    return nx_fail(err, code, "%s: %s%s", what,
                   code == NEWSIDX_CORRUPT ? "the index is damaged: " : "",
                   sqlite3_errmsg(idx->db));
}

int
nx_db_damaged(newsidx_index *idx, const char *fmt, ...)
{
    va_list ap;

    if (idx->damage[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(idx->damage, sizeof(idx->damage), fmt, ap);
        va_end(ap);
    }
    return SQLITE_CORRUPT;
}

int
nx_db_damaged_from(newsidx_index *idx, const newsidx_error *err)
{
    static const char prefix[] = "the index is damaged: ";
    const char *m = err->message;

    if (strncmp(m, prefix, sizeof(prefix) - 1) == 0)
        m += sizeof(prefix) - 1;
    return nx_db_damaged(idx, "%s", m);
}

/* Bitmaps of ids may take this much without the file vouching for it. */
#define DB_MIN_ID_LIMIT ((int64_t)1 << 24)
#define DB_MAX_ID_LIMIT ((int64_t)1 << 40)

int64_t
nx_db_max_id(newsidx_index *idx)
{
    sqlite3_stmt *stmt;
    int64_t pages = 0, page_size = 0, limit;

    if (sqlite3_prepare_v2(idx->db,
                           "SELECT page_count, page_size FROM"
                           " pragma_page_count, pragma_page_size",
                           -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        pages = sqlite3_column_int64(stmt, 0);
        page_size = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    if (pages < 0 || page_size <= 0 || page_size > 65536 ||
        pages > DB_MAX_ID_LIMIT / 8 / page_size)
        return DB_MAX_ID_LIMIT;
    limit = DB_MIN_ID_LIMIT + 8 * pages * page_size;
    return limit < DB_MAX_ID_LIMIT ? limit : DB_MAX_ID_LIMIT;
}

int
nx_db_exec(newsidx_index *idx, const char *sql, newsidx_error *err)
{
    int rc = sqlite3_exec(idx->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "database error", err);
}

/* The halves' state, and the calls the handle makes into it. */
void
nx_half_attach(newsidx_index *idx, enum nx_half which, void *state,
               const nx_half_ops *ops)
{
    assert(idx->half[which].state == NULL && state != NULL && ops != NULL);
    idx->half[which].state = state;
    idx->half[which].ops = ops;
}

void *
nx_half_state(const newsidx_index *idx, enum nx_half which)
{
    return idx->half[which].state;
}

int
nx_db_begin(newsidx_index *idx, newsidx_error *err)
{
    int rc;

    if (idx->is_readonly)
        return nx_fail(err, NEWSIDX_READONLY, "'%s' is open read-only",
                       idx->path);
    rc = nx_db_exec(idx, "BEGIN IMMEDIATE", err);
    if (rc != NEWSIDX_OK)
        nx_db_rollback(idx);
    return rc;
}

/* What the transaction holds back goes to the file first: the halves'
 * queues (the fts rows), then docinfo, terms and the bounds, which are
 * read from the fts rows. */
int
nx_db_commit(newsidx_index *idx, newsidx_error *err)
{
    int rc = SQLITE_OK, h;

    for (h = 0; h < NX_HALF_COUNT && rc == SQLITE_OK; h++)
        if (idx->half[h].state != NULL && idx->half[h].ops->flush != NULL)
            rc = idx->half[h].ops->flush(idx, idx->half[h].state);
    if (rc == SQLITE_OK)
        rc = nx_docinfo_flush(idx);
    if (rc == SQLITE_OK)
        rc = nx_terms_flush(idx);
    if (rc == SQLITE_OK)
        rc = nx_bounds_flush(idx);
    if (rc != SQLITE_OK) {
        nx_db_rollback(idx);
        return nx_db_error(idx, rc, "cannot write the index", err);
    }
    rc = nx_db_exec(idx, "COMMIT", err);
    if (rc != NEWSIDX_OK)
        nx_db_rollback(idx);
    return rc;
}

void
nx_db_rollback(newsidx_index *idx)
{
    int h;

    if (!sqlite3_get_autocommit(idx->db))
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
    for (h = 0; h < NX_HALF_COUNT; h++)
        if (idx->half[h].state != NULL && idx->half[h].ops->discard != NULL)
            idx->half[h].ops->discard(idx, idx->half[h].state);
    nx_terms_discard(idx);
    nx_docinfo_discard(idx);
    nx_bounds_discard(idx);
}

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

/* Create the schema in an empty file, or drop an old one and create it
 * again, in one transaction, so a kill leaves either nothing or all. */
static int
db_make_schema(newsidx_index *idx, bool is_drop, newsidx_error *err)
{
    bool is_empty = false;
    int rc = nx_db_exec(idx, "BEGIN IMMEDIATE", err);

    if (rc == NEWSIDX_OK && db_is_empty(idx->db, &is_empty) != SQLITE_OK)
        rc = nx_db_error(idx, sqlite3_errcode(idx->db), "cannot read the index",
                         err);
    /* Another process may have created it while we waited for the lock. */
    if (rc == NEWSIDX_OK && is_drop)
        rc = nx_schema_drop(idx, err);
    if (rc == NEWSIDX_OK && (is_empty || is_drop))
        rc = nx_schema_create(idx, err);
    if (rc == NEWSIDX_OK)
        rc = nx_db_exec(idx, "COMMIT", err);
    if (rc != NEWSIDX_OK)
        nx_db_rollback(idx);
    else
        idx->schema_version = NEWSIDX_SCHEMA_VERSION;
    return rc;
}

/* Check the file is ours and of our version before anything is written to
 * it: a foreign SQLite file is refused untouched.  Then set up the
 * connection and create the schema of a new file.  With `is_rebuild`, an
 * index of another version is made anew instead of refused. */
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
    /* Not SQLite at all: another file was given, not a damaged index. */
    if ((rc & 0xff) == SQLITE_NOTADB)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' is not a newsidx index (not an SQLite database)",
                       idx->path);
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    if (is_empty && idx->is_readonly)
        return nx_fail(err, NEWSIDX_SCHEMA, "'%s' is empty, not an index",
                       idx->path);
    /* Another program's database: refused whatever the flags, even
     * --rebuild, so no advice is given that cannot work. */
    if (!is_empty && app_id != NX_APPLICATION_ID)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' is not a newsidx index: it is an SQLite "
                       "database of another program (application_id %d)",
                       idx->path, app_id);
    idx->schema_version = is_empty ? NEWSIDX_SCHEMA_VERSION : version;
    /* Ours, of another version: --rebuild makes it anew from the news
     * files (they are the source; the index holds nothing else). */
    if (!is_empty && version < NEWSIDX_SCHEMA_VERSION && !is_rebuild)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' has schema version %d, older than this "
                       "newsidx's %d; make it anew: newsindex --rebuild",
                       idx->path, version, NEWSIDX_SCHEMA_VERSION);
    if (!is_empty && version > NEWSIDX_SCHEMA_VERSION && !is_rebuild)
        return nx_fail(err, NEWSIDX_SCHEMA,
                       "'%s' has schema version %d, made by a newer "
                       "newsidx than this one (%d); use that newsidx, or "
                       "make it anew for this one: newsindex --rebuild",
                       idx->path, version, NEWSIDX_SCHEMA_VERSION);
    rc = sqlite3_exec(idx->db, db_read_pragmas, NULL, NULL, NULL);
    if (rc == SQLITE_OK && idx->is_readonly)
        rc = sqlite3_exec(idx->db, db_reader_pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot set up the index", err);
    if (idx->is_readonly)
        return NEWSIDX_OK;
    rc = sqlite3_exec(idx->db, db_pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot set up the index", err);
    if (is_empty || version != NEWSIDX_SCHEMA_VERSION)
        return db_make_schema(idx, !is_empty, err);
    return NEWSIDX_OK;
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
    idx->bound_min_df = NX_BOUND_MIN_DF;
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
    int h;

    if (idx == NULL)
        return;
    /* Queries still alive use the handle: it goes with the last of them
     * (newsidx_query_free), as sqlite3_close_v2 does. */
    if (idx->n_queries > 0) {
        idx->is_closing = true;
        return;
    }
    /* The halves first: their statements must be finalized before the
     * connection closes (sqlite3_close refuses to close it otherwise).
     * The read half's ranking function, registered on the connection,
     * keeps a pointer into that half's state until sqlite3_close; no
     * statement runs in between. */
    for (h = NX_HALF_COUNT - 1; h >= 0; h--)
        if (idx->half[h].state != NULL)
            idx->half[h].ops->free(idx, idx->half[h].state);
    nx_terms_free(idx);
    nx_docinfo_free(idx);
    nx_bounds_free(idx);
    sqlite3_close(idx->db);
    nx_db_unlock(idx);
    nx_free(idx->path);
    nx_free(idx);
}

/*
 * Fold the write-ahead log into the index file and empty the log.  SQLite
 * does this by itself (every 1000 pages, and when the last connection
 * closes) but ignores a failure there, so that a full disk left the log
 * behind without a word.  This is the one checkpoint whose failure is
 * reported.
 *
 * TRUNCATE, because a log emptied to zero bytes gives its space back: on
 * a nearly full disk, that is what the next write needs.  It runs without
 * the busy timeout: TRUNCATE waits for readers, and readers in the middle
 * of a query are normal (SQLITE_BUSY: they keep the part of the log they
 * read, which a later checkpoint folds), as is our own statement still
 * open (SQLITE_LOCKED).  Neither is a failure, and neither is waited for.
 * Frames copied before an error stay valid: the log remains authoritative
 * until a checkpoint completes, so nothing is lost.
 */
int
newsidx_index_checkpoint(newsidx_index *idx, newsidx_error *err)
{
    int rc;

    assert(idx != NULL);
    nx_error_clear(err);
    if (idx->is_readonly)
        return nx_fail(err, NEWSIDX_READONLY, "'%s' is open read-only",
                       idx->path);
    sqlite3_busy_timeout(idx->db, 0);
    rc = sqlite3_wal_checkpoint_v2(idx->db, "main", SQLITE_CHECKPOINT_TRUNCATE,
                                   NULL, NULL);
    sqlite3_busy_timeout(idx->db, DB_BUSY_TIMEOUT_MS);
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return NEWSIDX_OK;
    case SQLITE_FULL:
    case SQLITE_IOERR:
        return nx_fail(err, NEWSIDX_IO,
                       "cannot fold the write-ahead log into '%s': %s; the "
                       "items are safe in the log, and the next run "
                       "completes this",
                       idx->path, sqlite3_errstr(rc));
    default:
        return nx_db_error(
            idx, rc, "cannot fold the write-ahead log into the index", err);
    }
}

int
newsidx_index_set_stem_language(newsidx_index *idx, const char *language,
                                newsidx_error *err)
{
    int rc;

    assert(idx != NULL && language != NULL);
    nx_error_clear(err);
    if (!nx_stem_language_ok(language))
        return nx_fail(err, NEWSIDX_INVALID,
                       "no stemming language '%.40s' (one of Snowball's, such"
                       " as english, french, german or spanish, or none:"
                       " newsidx_stem_language_name() lists them)",
                       language);
    rc = nx_db_lock(idx, err);
    if (rc == NEWSIDX_OK)
        rc = nx_db_begin(idx, err);
    if (rc == NEWSIDX_OK) {
        int src = nx_terms_set_language(idx, language);

        rc = src == SQLITE_OK
                 ? nx_db_commit(idx, err)
                 : nx_db_error(idx, src, "cannot set the language", err);
        nx_db_rollback(idx);
    }
    nx_db_unlock(idx);
    return rc;
}

int
newsidx_index_stem_language(const char **out, newsidx_index *idx,
                            newsidx_error *err)
{
    nx_stemmer *s = NULL;
    int rc = nx_terms_stemmer(idx, &s);

    *out = NULL;
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the language", err);
    snprintf(idx->stem_language, sizeof(idx->stem_language), "%s",
             nx_stemmer_language(s));
    nx_stemmer_free(s);
    *out = idx->stem_language;
    return NEWSIDX_OK;
}

int
newsidx_index_schema_version(const newsidx_index *idx)
{
    return idx->schema_version;
}

/*
 * The items are the slots docinfo marks present (it is written with the
 * items, in the same transaction): a popcount over its flags, about a
 * kilobyte read per thousand items, where `SELECT count(*) FROM items`
 * read the whole table (1.6 GB at a million items, most of a re-run).
 * Inside a caller's transaction docinfo may not hold its items yet (it is
 * written at commit): there, the items are counted in SQL.
 */
int
newsidx_index_count(int64_t *count_out, newsidx_index *idx, newsidx_error *err)
{
    const uint64_t *bits;
    sqlite3_stmt *stmt = NULL;
    size_t n_words, i;
    int64_t n = 0;
    int rc;

    *count_out = 0;
    if (!sqlite3_get_autocommit(idx->db)) {
        rc = sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM items", -1,
                                &stmt, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            *count_out = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }
        sqlite3_finalize(stmt);
        return rc == SQLITE_OK
                   ? NEWSIDX_OK
                   : nx_db_error(idx, rc, "cannot count items", err);
    }
    /* One snapshot; a first read starts it, so that the file's data
     * version (which tells whether the kept flags are current) is this
     * snapshot's. */
    rc = sqlite3_exec(idx->db, "BEGIN; SELECT 1 FROM docinfo LIMIT 1", NULL,
                      NULL, NULL);
    if (rc == SQLITE_OK)
        rc = nx_docinfo_live(idx, &bits, &n_words);
    if (rc == SQLITE_OK) {
        for (i = 0; i < n_words; i++)
            n += __builtin_popcountll(bits[i]);
        *count_out = n;
    }
    if (!sqlite3_get_autocommit(idx->db))
        sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL);
    return rc == SQLITE_OK ? NEWSIDX_OK
                           : nx_db_error(idx, rc, "cannot count items", err);
}

/*
 * The indexing lock keeps two writers from interleaving their batches.  It
 * is a flock() on a file of its own beside the index ("<index>.lock"): a
 * descriptor of the index file itself must not be used, because closing
 * any descriptor of a file drops every POSIX record lock the process holds
 * on it, SQLite's included.  flock() locks go away with the process, so a
 * killed indexer never leaves the index locked.
 */
int
nx_db_lock(newsidx_index *idx, newsidx_error *err)
{
    char path[4096];

    if (idx->is_locked)
        return NEWSIDX_OK;
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", idx->path) >=
        sizeof(path))
        return nx_fail(err, NEWSIDX_IO, "index path too long");
    idx->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (idx->lock_fd < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot create '%s': %s", path,
                       strerror(errno));
    if (flock(idx->lock_fd, LOCK_EX | LOCK_NB) == 0) {
        idx->is_locked = true;
        return NEWSIDX_OK;
    }
    {
        int e = errno;

        close(idx->lock_fd);
        idx->lock_fd = -1;
        if (e == EWOULDBLOCK)
            return nx_fail(err, NEWSIDX_BUSY,
                           "'%s' is being updated by another newsindex",
                           idx->path);
        return nx_fail(err, NEWSIDX_IO, "cannot lock '%s': %s", path,
                       strerror(e));
    }
}

void
nx_db_unlock(newsidx_index *idx)
{
    if (idx->lock_fd >= 0) {
        flock(idx->lock_fd, LOCK_UN);
        close(idx->lock_fd);
    }
    idx->lock_fd = -1;
    idx->is_locked = false;
}
