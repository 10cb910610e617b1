/*
 * index.c - bringing an index up to date with files on disk, and adding or
 * removing single documents (newsidx_index_paths, _add_buffer, _remove).
 *
 * A run walks the given paths twice (scan.c), each time in path order and
 * without keeping what it walked.  The first walk, names only, goes along
 * the index's own list of files under the given folders and finds those
 * that vanished (and counts the files, for the progress).  The second
 * visits every file: unchanged files (same size and mtime) are not read;
 * changed ones are read, hashed and parsed only when the hash differs; a
 * new file whose hash equals a vanished one is taken as a rename.  What is
 * left of the vanished files is removed last.  Writes are committed every
 * batch_size files (one transaction per batch), so a killed run leaves a
 * consistent index and the next run picks up where it stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "write.h"

#define INDEX_DEFAULT_BATCH    5000
#define INDEX_DEFAULT_MAX_SIZE (16u * 1024 * 1024)
/* How far the lookups run ahead of the writes, in files and in bytes: far
 * enough that the worker goes on parsing while the writer commits a
 * batch (a commit of 5,000 items takes about as long as parsing 4,000;
 * with 64 files the worker sat idle through every commit, a third of the
 * run). */
#define INDEX_WINDOW       4096
#define INDEX_WINDOW_BYTES (32u * 1024 * 1024)
/* A thread that had to wait is woken when this many jobs are ready for
 * it (or no more will come), not at every one: a wake-up per file cost
 * about a tenth of the CPU time of a run. */
#define INDEX_WAKE 16
/* The worker frees its read buffer after a file this big, rather than keep
 * it for the rest of the run. */
#define INDEX_BIG_FILE (1024 * 1024)
/* The first walk reports its count to the progress callback every this
 * many files. */
#define INDEX_COUNT_STEP 256

/* An indexed file that is no longer where it was. */
typedef struct index_gone {
    int64_t id;
    uint64_t hash;
    nx_file_status status;
    char *path;
    bool is_claimed; /* a new file with the same content took it over */
} index_gone;

typedef enum index_job_state {
    INDEX_JOB_UNCHANGED = 1, /* same size and mtime: not read */
    INDEX_JOB_QUEUED         /* for the worker to read, hash and parse */
} index_job_state;

/* One walked file on its way through the pipeline. */
typedef struct index_job {
    nx_scan_entry entry; /* its path in path_buf */
    nx_buf path_buf;     /* kept by index_job_clear, for the next job */
    nx_file_rec rec;     /* what the index knows of it (if is_known) */
    bool is_known;
    index_job_state state;
    /* Filled by the worker: */
    int read_rc;            /* NEWSIDX_OK, or why it could not be read */
    size_t n_bytes;         /* read */
    uint64_t hash;          /* of the bytes read */
    bool is_touched;        /* known, same bytes: only the mtime moved */
    int prc;                /* nx_frontmatter_parse's status */
    nx_item *item;          /* its item when prc is NEWSIDX_OK */
    nx_doc doc;             /* the item prepared to write (nx_prep_doc) */
    nx_parse_pos pos;       /* where a parse failed */
    newsidx_error file_err; /* why reading or parsing failed */
} index_job;

/* A written item and its doc, handed back to the worker to free: memory
 * freed by the thread that allocated it goes back to that thread's cache,
 * where a free from the other thread takes the allocator's lock (glibc),
 * about a tenth of the indexing time. */
typedef struct index_spent {
    nx_item *item;
    nx_doc doc;
} index_spent;

typedef struct index_pipe {
    pthread_mutex_t lock; /* guards the fields up to is_stopping */
    pthread_cond_t work;  /* the worker waits on it for jobs */
    pthread_cond_t done;  /* the caller waits on it for finished jobs */
    size_t n_posted;      /* jobs looked up and handed over */
    size_t n_done;        /* jobs the worker is through with */
    size_t wants;         /* the caller sleeps until n_done >= wants; 0 =
                             it does not */
    bool is_worker_idle;  /* the worker sleeps */
    size_t n_bytes;       /* walked size of the jobs not yet written */
    bool is_stopping;
    bool has_worker;
    pthread_t thread;
    nx_buf content;  /* the worker's read buffer */
    nx_prep *prep;   /* the worker's preparer */
    index_job *jobs; /* a ring of n_jobs */
    size_t n_jobs;
    index_spent *spent; /* for the worker to free (under lock) */
    size_t n_spent, cap_spent;
} index_pipe;

typedef struct index_run {
    newsidx_index *idx;
    newsidx_index_options opts;
    newsidx_index_stats *stats;
    nx_scan *walk;             /* the second walk, visiting */
    const nx_scan_entry *next; /* its next file, not yet looked up; NULL
                                  at the end */
    index_gone *gone;          /* sorted by hash */
    size_t n_gone;
    unsigned n_pending; /* files written in the open transaction */
    bool in_txn;
    bool in_read; /* a read transaction is open for the lookups */
    newsidx_progress progress;
    index_pipe pipe;
} index_run;

static double
index_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
index_cancelled(const index_run *run)
{
    return (run->opts.cancel != NULL && *run->opts.cancel != 0) ||
           (run->opts.is_cancelled != NULL &&
            run->opts.is_cancelled(run->opts.payload));
}

static void
index_progress(index_run *run)
{
    if (run->opts.on_progress != NULL)
        run->opts.on_progress(&run->progress, run->opts.payload);
}

static void
index_emit(const index_run *run, newsidx_event_kind kind, const char *path,
           const char *old_path, unsigned line, unsigned column,
           const char *field, const char *message)
{
    newsidx_event ev;

    if (run->opts.on_event == NULL)
        return;
    ev.kind = kind;
    ev.path = path;
    ev.old_path = old_path;
    ev.line = line;
    ev.column = column;
    ev.field = field;
    ev.message = message;
    ev.is_retold = false;
    run->opts.on_event(&ev, run->opts.payload);
}

/* Tell again what was told of `path` in an earlier run (the file did not
 * change since). */
static void
index_retell(const index_run *run, newsidx_event_kind kind, const char *path,
             const nx_file_rec *rec)
{
    newsidx_event ev = {kind,        path, NULL,         rec->line,
                        rec->column, NULL, rec->message, true};

    if (run->opts.on_event != NULL)
        run->opts.on_event(&ev, run->opts.payload);
}

/* Where index_standing_warnings reports to. */
typedef struct index_standing {
    const index_run *run;
    const char *path;
} index_standing;

static void
index_standing_one(unsigned line, unsigned column, const char *field,
                   const char *message, void *payload)
{
    const index_standing *st = payload;
    newsidx_event ev = {NEWSIDX_EVENT_WARNING,
                        st->path,
                        NULL,
                        line,
                        column,
                        field,
                        message,
                        true};

    st->run->opts.on_event(&ev, st->run->opts.payload);
}

/* With is_retell, tell again the warnings stored with the item of file
 * `id`, which did not change, and count them.  Without, nothing is read:
 * a look at every item would cost a third more of a re-run with no
 * change, more when the items are not in the cache. */
static int
index_standing_warnings(index_run *run, const char *path, int64_t id,
                        newsidx_error *err)
{
    index_standing st = {run, path};
    size_t n = 0;
    int rc;

    if (!run->opts.is_retell)
        return NEWSIDX_OK;
    rc = nx_store_item_warnings(
        &n, run->idx, id,
        run->opts.on_event != NULL ? index_standing_one : NULL, &st, err);
    run->stats->warnings += n;
    return rc;
}

static void
index_scan_report(const char *path, int err_no, const char *what, void *payload)
{
    index_run *run = payload;
    char msg[300];

    snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err_no));
    run->stats->failed++;
    index_emit(run, NEWSIDX_EVENT_FAILED, path, NULL, 0, 0, NULL, msg);
}

/*
 * Lookups outside a write transaction share one read transaction: on its
 * own, each lookup would take and drop SQLite's shared lock and check the
 * file (two fcntl and an fstat per file, a third of a re-run with no
 * change).  The caller holds the indexing lock, so no other newsindex
 * writes meanwhile.
 */
static int
index_read_begin(index_run *run, newsidx_error *err)
{
    int rc;

    if (run->in_txn || run->in_read)
        return NEWSIDX_OK;
    rc = nx_db_exec(run->idx, "BEGIN", err);
    run->in_read = rc == NEWSIDX_OK;
    return rc;
}

static void
index_read_end(index_run *run)
{
    if (run->in_read && !sqlite3_get_autocommit(run->idx->db))
        sqlite3_exec(run->idx->db, "COMMIT", NULL, NULL, NULL);
    run->in_read = false;
}

/* Open a transaction if none is open; commit when the batch is full. */
static int
index_txn(index_run *run, bool is_flush, newsidx_error *err)
{
    int rc = NEWSIDX_OK;

    if (is_flush || run->n_pending >= run->opts.batch_size) {
        if (run->in_txn)
            rc = nx_db_commit(run->idx, err);
        run->in_txn = false;
        run->n_pending = 0;
        if (is_flush || rc != NEWSIDX_OK)
            return rc;
    }
    if (!run->in_txn) {
        index_read_end(run);
        rc = nx_db_begin(run->idx, err);
        run->in_txn = rc == NEWSIDX_OK;
    }
    return rc;
}

static int
index_gone_cmp(const void *a, const void *b)
{
    uint64_t x = ((const index_gone *)a)->hash;
    uint64_t y = ((const index_gone *)b)->hash;

    return x < y ? -1 : x > y;
}

static int
index_gone_add(index_run *run, sqlite3_stmt *stmt, size_t *cap)
{
    const char *path = (const char *)sqlite3_column_text(stmt, 1);
    index_gone *g;

    if (run->n_gone == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;

        g = nx_realloc(run->gone, ncap * sizeof(*g));
        if (g == NULL)
            return NEWSIDX_NOMEM;
        run->gone = g;
        *cap = ncap;
    }
    g = &run->gone[run->n_gone];
    g->id = sqlite3_column_int64(stmt, 0);
    g->hash = (uint64_t)sqlite3_column_int64(stmt, 2);
    g->status = (nx_file_status)sqlite3_column_int(stmt, 3);
    g->is_claimed = false;
    if ((g->path = nx_strdup(path)) == NULL)
        return NEWSIDX_NOMEM;
    run->n_gone++;
    return NEWSIDX_OK;
}

/* Open a walk of `paths` with the run's endings and patterns. */
static int
index_scan_open(index_run *run, nx_scan **out, const char *const *paths,
                size_t n_paths, unsigned flags, newsidx_error *err)
{
    nx_scan_opts so;

    so.exts = run->opts.extensions;
    so.n_exts = run->opts.n_extensions;
    so.excludes = run->opts.excludes;
    so.n_excludes = run->opts.n_excludes;
    so.flags = flags;
    so.report = index_scan_report;
    so.payload = run;
    return nx_scan_open(out, paths, n_paths, &so, err);
}

/* One more file counted by the first walk. */
static void
index_counted(index_run *run, size_t *n_files)
{
    if (++*n_files % INDEX_COUNT_STEP == 0) {
        run->progress.files_done = *n_files;
        index_progress(run);
    }
}

/*
 * The first walk, `scan` (names only), along the index's list of the files
 * under the given folders, both in path order.  An indexed file the walk
 * passed without finding it vanished, unless it is under a folder the walk
 * could not read (that folder was met before any path past it).  Also
 * counts the files, for the progress.  Closes `scan`.
 */
static int
index_find_gone(index_run *run, nx_scan *scan, newsidx_error *err)
{
    sqlite3_stmt *stmt = NULL;
    const char *const *roots;
    const nx_scan_entry *w;
    size_t cap = 0, i, n_roots, n_files = 0;
    int rc = SQLITE_OK, status = NEWSIDX_OK;
    nx_buf lo = NX_BUF_INIT, hi = NX_BUF_INIT;

    /* The folders come in path order, none inside another: their lists
     * make one list in path order. */
    n_roots = nx_scan_roots(scan, &roots);
    rc = sqlite3_prepare_v2(run->idx->db,
                            "SELECT id, path, hash, status FROM files"
                            " WHERE path >= ?1 AND path < ?2 ORDER BY path",
                            -1, &stmt, NULL);
    w = nx_scan_next(scan);
    for (i = 0; i < n_roots && rc == SQLITE_OK && status == NEWSIDX_OK; i++) {
        /* Every "root/...": from "root/" to just before "root0" ('0'
         * follows '/'); for "/" itself, "/" to "0". */
        size_t n = strcmp(roots[i], "/") == 0 ? 0 : strlen(roots[i]);

        nx_buf_clear(&lo);
        nx_buf_put(&lo, roots[i], n);
        nx_buf_putc(&lo, '/');
        nx_buf_clear(&hi);
        nx_buf_put(&hi, roots[i], n);
        nx_buf_putc(&hi, '0');
        if (nx_buf_oom(&lo) || nx_buf_oom(&hi)) {
            status = NEWSIDX_NOMEM;
            break;
        }
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, lo.data, (int)lo.len, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, hi.data, (int)hi.len, SQLITE_STATIC);
        while (status == NEWSIDX_OK &&
               (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const char *path = (const char *)sqlite3_column_text(stmt, 1);
            int c = 1;

            if (path == NULL)
                continue;
            while (w != NULL && (c = strcmp(w->path, path)) < 0) {
                index_counted(run, &n_files);
                w = nx_scan_next(scan);
            }
            if (w != NULL && c == 0) { /* still there */
                index_counted(run, &n_files);
                w = nx_scan_next(scan);
            } else if (nx_scan_covers(scan, path)) {
                status = index_gone_add(run, stmt, &cap);
            }
        }
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    for (; w != NULL && status == NEWSIDX_OK; w = nx_scan_next(scan))
        index_counted(run, &n_files);
    sqlite3_finalize(stmt);
    nx_buf_free(&lo);
    nx_buf_free(&hi);
    if (status == NEWSIDX_OK)
        status = nx_scan_status(scan, err);
    else
        status = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    nx_scan_close(scan);
    run->progress.files_done = 0;
    run->progress.files_total = n_files;
    if (status != NEWSIDX_OK)
        return status;
    if (rc != SQLITE_OK)
        return nx_db_error(run->idx, rc, "cannot read the index", err);
    if (run->n_gone > 1)
        qsort(run->gone, run->n_gone, sizeof(*run->gone), index_gone_cmp);
    return NEWSIDX_OK;
}

/* A vanished file with this content hash, not yet claimed, or NULL. */
static index_gone *
index_gone_find(index_run *run, uint64_t hash)
{
    size_t lo = 0, hi = run->n_gone;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (run->gone[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < run->n_gone && run->gone[lo].hash == hash; lo++) {
        if (!run->gone[lo].is_claimed)
            return &run->gone[lo];
    }
    return NULL;
}

/* Read a whole file into `content`; NEWSIDX_IO or NEWSIDX_NOMEM with a
 * reason in `err` on failure.  Runs on the worker thread. */
static int
index_read(nx_buf *content, const char *path, uint64_t max_size,
           newsidx_error *err)
{
    struct stat st;
    ssize_t n;
    int fd;

    nx_buf_clear(content);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return nx_fail(err, NEWSIDX_IO, "not a regular file");
    }
    if ((uint64_t)st.st_size > max_size) {
        close(fd);
        return nx_fail(err, NEWSIDX_IO,
                       "file is %lld bytes, over the %llu-byte limit",
                       (long long)st.st_size, (unsigned long long)max_size);
    }
    if (!nx_buf_reserve(content, (size_t)st.st_size + 4096)) {
        close(fd);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    while ((n = read(fd, content->data + content->len,
                     content->cap - content->len - 1)) > 0) {
        content->len += (size_t)n;
        if (content->len > max_size)
            break; /* grew while we read */
        if (!nx_buf_reserve(content, 4096))
            break;
    }
    close(fd);
    if (n < 0)
        return nx_fail(err, NEWSIDX_IO, "cannot read: %s", strerror(errno));
    if (nx_buf_oom(content))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory reading the file");
    if (content->len > max_size)
        return nx_fail(err, NEWSIDX_IO, "file is over the %llu-byte limit",
                       (unsigned long long)max_size);
    content->data[content->len] = '\0';
    return NEWSIDX_OK;
}

static void
index_emit_warnings(const index_run *run, const char *path, const nx_item *item)
{
    size_t i;

    for (i = 0; i < item->n_warnings; i++) {
        const nx_warning *w = &item->warnings[i];

        index_emit(run, NEWSIDX_EVENT_WARNING, path, NULL, w->line, w->column,
                   w->field, w->message);
    }
}

/* Free a list of spent items. */
static void
index_spent_free(index_spent *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        nx_item_free(list[i].item);
        nx_doc_clear(&list[i].doc);
    }
}

/*
 * The worker's part of a file: read it, hash it and, unless only its mtime
 * moved, parse it and prepare the item for writing.  Touches nothing but
 * the job, the worker's buffer and its preparer.
 */
static void
index_work(index_job *job, nx_buf *content, nx_prep *prep, uint64_t max_size)
{
    nx_error_clear(&job->file_err);
    job->read_rc =
        index_read(content, job->entry.path, max_size, &job->file_err);
    if (job->read_rc != NEWSIDX_OK)
        return;
    job->n_bytes = content->len;
    job->hash = nx_hash64(content->data, content->len);
    if (job->is_known && job->hash == job->rec.hash) {
        job->is_touched = true;
        return;
    }
    job->prc = nx_frontmatter_parse(&job->item, content->data, content->len,
                                    &job->pos, &job->file_err);
    if (job->prc == NEWSIDX_OK &&
        nx_prep_doc(prep, &job->doc, job->item) != NEWSIDX_OK) {
        nx_item_free(job->item);
        job->item = NULL;
        job->prc = nx_fail(&job->file_err, NEWSIDX_NOMEM,
                           "out of memory preparing the item");
    }
}

/* index_work, then let go of a big read buffer rather than keep it for
 * the rest of the run. */
static void
index_work_once(index_job *job, nx_buf *content, nx_prep *prep,
                uint64_t max_size)
{
    index_work(job, content, prep, max_size);
    if (content->cap >= INDEX_BIG_FILE)
        nx_buf_free(content);
}

/*
 * Write the parsed outcome of job->entry for the file `rec` (rec->id is 0
 * for a file the index has not seen).  Per-file problems are counted and
 * reported; only database failures are returned.
 */
static int
index_apply(index_run *run, index_job *job, nx_file_rec *rec, bool had_item,
            newsidx_error *err)
{
    const char *path = job->entry.path;
    int prc = job->prc, rc;

    nx_free(rec->message);
    rec->message = NULL;
    rec->line = rec->column = 0;
    if (prc == NEWSIDX_OK) {
        rec->status = NX_FILE_NEWS;
    } else {
        rec->status =
            prc == NEWSIDX_NOTFOUND ? NX_FILE_SKIPPED : NX_FILE_FAILED;
        rec->message = nx_strdup(job->file_err.message);
        rec->line = job->pos.line;
        rec->column = job->pos.column;
    }
    rc = nx_store_file_put(run->idx, rec, path, err);
    if (rc == NEWSIDX_OK && prc == NEWSIDX_OK)
        rc = nx_store_item_put(run->idx, rec->id, job->item, &job->doc, err);
    else if (rc == NEWSIDX_OK && prc == NEWSIDX_NOTFOUND)
        rc = nx_store_item_delete(run->idx, rec->id, err);
    /* A file that fails to parse keeps its last good item (if any) until
     * it is fixed or deleted: a bad edit must not lose the story. */
    if (rc == NEWSIDX_OK && prc == NEWSIDX_OK) {
        index_emit_warnings(run, path, job->item);
        run->stats->warnings += job->item->n_warnings;
        if (had_item)
            run->stats->updated++;
        else
            run->stats->added++;
        index_emit(run, had_item ? NEWSIDX_EVENT_UPDATED : NEWSIDX_EVENT_ADDED,
                   path, NULL, 0, 0, NULL, NULL);
    } else if (rc == NEWSIDX_OK) {
        bool is_skip = prc == NEWSIDX_NOTFOUND;

        if (is_skip)
            run->stats->skipped++;
        else
            run->stats->failed++;
        index_emit(run, is_skip ? NEWSIDX_EVENT_SKIPPED : NEWSIDX_EVENT_FAILED,
                   path, NULL, job->pos.line, job->pos.column, NULL,
                   job->file_err.message);
    }
    return rc;
}

/*
 * Count and report an unchanged file according to what the index knows of
 * it.  A failure is an error to fix: it is told on every run.  That a file
 * is not a news item, and the warnings of an item, were told when the file
 * was read: they are told again only with is_retell.  Only database
 * failures are returned.
 */
static int
index_unchanged(index_run *run, const char *path, const nx_file_rec *rec,
                newsidx_error *err)
{
    switch (rec->status) {
    case NX_FILE_NEWS:
        run->stats->unchanged++;
        index_emit(run, NEWSIDX_EVENT_UNCHANGED, path, NULL, 0, 0, NULL, NULL);
        return index_standing_warnings(run, path, rec->id, err);
    case NX_FILE_SKIPPED:
        run->stats->skipped++;
        if (run->opts.is_retell)
            index_retell(run, NEWSIDX_EVENT_SKIPPED, path, rec);
        return NEWSIDX_OK;
    default:
        run->stats->failed++;
        index_retell(run, NEWSIDX_EVENT_FAILED, path, rec);
        return NEWSIDX_OK;
    }
}

/* A file the index has not seen: a rename of a vanished file with the same
 * content, or a new file. */
static int
index_new_file(index_run *run, index_job *job, nx_file_rec *rec,
               newsidx_error *err)
{
    const nx_scan_entry *e = &job->entry;
    index_gone *g = index_gone_find(run, rec->hash);
    int rc;

    if (g == NULL)
        return index_apply(run, job, rec, false, err);
    rc =
        nx_store_file_move(run->idx, g->id, e->path, e->size, e->mtime_ns, err);
    if (rc != NEWSIDX_OK)
        return rc;
    g->is_claimed = true;
    if (g->status == NX_FILE_NEWS) {
        run->stats->renamed++;
        index_emit(run, NEWSIDX_EVENT_RENAMED, e->path, g->path, 0, 0, NULL,
                   NULL);
        return index_standing_warnings(run, e->path, g->id, err);
    }
    /* Not news, or failed, under a path not seen before: told anew. */
    rc = nx_store_file_get(rec, run->idx, e->path, err);
    if (rc != NEWSIDX_OK)
        return rc;
    if (rec->status == NX_FILE_SKIPPED)
        run->stats->skipped++;
    else
        run->stats->failed++;
    index_emit(run,
               rec->status == NX_FILE_SKIPPED ? NEWSIDX_EVENT_SKIPPED
                                              : NEWSIDX_EVENT_FAILED,
               e->path, NULL, rec->line, rec->column, NULL, rec->message);
    return NEWSIDX_OK;
}

/* The writer's part of a file, in walk order, once the worker is done with
 * it.  Only database failures are returned; file problems are counted and
 * reported. */
static int
index_visit(index_run *run, index_job *job, newsidx_error *err)
{
    const nx_scan_entry *e = &job->entry;
    nx_file_rec *rec = &job->rec;
    bool had_item;
    int rc;

    if (job->state == INDEX_JOB_UNCHANGED)
        return index_unchanged(run, e->path, rec, err);
    if (job->read_rc != NEWSIDX_OK) {
        run->stats->failed++;
        index_emit(run, NEWSIDX_EVENT_FAILED, e->path, NULL, 0, 0, NULL,
                   job->file_err.message);
        return NEWSIDX_OK;
    }
    run->stats->bytes += job->n_bytes;
    run->progress.bytes_done += job->n_bytes;
    /* No savepoint per file: a database failure stops the run and rolls
     * back the whole batch, and FTS5 flushes its pending terms to a new
     * segment at every savepoint, which made a savepoint per file cost a
     * sixth of the indexing time. */
    rc = index_txn(run, false, err);
    if (rc != NEWSIDX_OK)
        return rc;
    run->n_pending++;
    if (job->is_touched) {
        /* Touched, not changed: remember the new mtime only. */
        rc = nx_store_file_move(run->idx, rec->id, e->path, e->size,
                                e->mtime_ns, err);
        if (rc == NEWSIDX_OK)
            rc = index_unchanged(run, e->path, rec, err);
        return rc;
    }
    rec->hash = job->hash;
    rec->size = e->size;
    rec->mtime_ns = e->mtime_ns;
    if (!job->is_known)
        return index_new_file(run, job, rec, err);
    /* A file that failed keeps its last good item, if it had one: fixed,
     * it is updated, not added. */
    had_item = rec->status == NX_FILE_NEWS;
    if (rec->status == NX_FILE_FAILED)
        rc = nx_store_item_exists(&had_item, run->idx, rec->id, err);
    return rc == NEWSIDX_OK ? index_apply(run, job, rec, had_item, err) : rc;
}

/* Empty a written job's slot for the next one.  Its item and doc go to
 * the worker to free, when there is one. */
static void
index_job_clear(index_pipe *pipe, index_job *job, bool has_worker)
{
    nx_buf path_buf = job->path_buf;
    bool is_handed = false;

    nx_file_rec_clear(&job->rec);
    if (has_worker && job->item != NULL) {
        pthread_mutex_lock(&pipe->lock);
        if (pipe->n_spent == pipe->cap_spent) {
            size_t cap = pipe->cap_spent ? pipe->cap_spent * 2 : 256;
            index_spent *grown = nx_realloc(pipe->spent, cap * sizeof(*grown));

            if (grown != NULL) {
                pipe->spent = grown;
                pipe->cap_spent = cap;
            }
        }
        if (pipe->n_spent < pipe->cap_spent) {
            pipe->spent[pipe->n_spent].item = job->item;
            pipe->spent[pipe->n_spent++].doc = job->doc;
            is_handed = true;
        }
        pthread_mutex_unlock(&pipe->lock);
    }
    if (!is_handed) {
        nx_item_free(job->item);
        nx_doc_clear(&job->doc);
    }
    memset(job, 0, sizeof(*job));
    job->path_buf = path_buf;
}

/*
 * The pipeline.  The calling thread looks files up in the index up to
 * INDEX_WINDOW files (and INDEX_WINDOW_BYTES bytes) ahead of where it
 * writes, and hands those that changed to one worker thread, which reads,
 * hashes and parses them in walk order while the calling thread writes the
 * ones before.  Jobs live in a ring: the worker owns positions
 * [n_done, n_posted), the caller every other.  Without a worker (the
 * thread could not be started) the caller does the work itself.
 */
static void *
index_worker(void *arg)
{
    index_run *run = arg;
    index_pipe *pipe = &run->pipe;
    index_spent *mine = NULL, *t;
    size_t n_mine = 0, cap_mine = 0, cap, pos;

    pthread_mutex_lock(&pipe->lock);
    for (;;) {
        while (!pipe->is_stopping && pipe->n_done == pipe->n_posted) {
            pipe->is_worker_idle = true;
            pthread_cond_wait(&pipe->work, &pipe->lock);
            pipe->is_worker_idle = false;
        }
        if (pipe->is_stopping)
            break;
        pos = pipe->n_done;
        /* Take the items the writer is through with, leaving it our
         * emptied list. */
        t = pipe->spent;
        pipe->spent = mine;
        mine = t;
        n_mine = pipe->n_spent;
        pipe->n_spent = 0;
        cap = pipe->cap_spent;
        pipe->cap_spent = cap_mine;
        cap_mine = cap;
        pthread_mutex_unlock(&pipe->lock);
        index_spent_free(mine, n_mine);
        if (pipe->jobs[pos % pipe->n_jobs].state == INDEX_JOB_QUEUED)
            index_work_once(&pipe->jobs[pos % pipe->n_jobs], &pipe->content,
                            pipe->prep, run->opts.max_file_size);
        pthread_mutex_lock(&pipe->lock);
        pipe->n_done = pos + 1;
        if (pipe->wants != 0 && pipe->n_done >= pipe->wants) {
            pipe->wants = 0;
            pthread_cond_signal(&pipe->done);
        }
    }
    pthread_mutex_unlock(&pipe->lock);
    nx_free(mine);
    return NULL;
}

/* Start the worker, with its preparer made here (it needs the index's
 * connection).  Without a thread the caller does the work itself. */
static int
index_pipe_start(index_run *run, newsidx_error *err)
{
    index_pipe *pipe = &run->pipe;
    int rc;

    pthread_mutex_init(&pipe->lock, NULL);
    pthread_cond_init(&pipe->work, NULL);
    pthread_cond_init(&pipe->done, NULL);
    pipe->n_jobs = run->progress.files_total < INDEX_WINDOW
                       ? run->progress.files_total + 1
                       : INDEX_WINDOW;
    pipe->jobs = nx_calloc(pipe->n_jobs, sizeof(*pipe->jobs));
    if (pipe->jobs == NULL) {
        pipe->n_jobs = 0;
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    rc = nx_prep_new(&pipe->prep, run->idx->db);
    if (rc != SQLITE_OK)
        return nx_db_error(run->idx, rc, "cannot set up the tokenizer", err);
    pipe->has_worker =
        pthread_create(&pipe->thread, NULL, index_worker, run) == 0;
    return NEWSIDX_OK;
}

static void
index_pipe_stop(index_run *run)
{
    index_pipe *pipe = &run->pipe;
    size_t i;

    if (pipe->has_worker) {
        pthread_mutex_lock(&pipe->lock);
        pipe->is_stopping = true;
        pthread_cond_signal(&pipe->work);
        pthread_mutex_unlock(&pipe->lock);
        pthread_join(pipe->thread, NULL);
        pipe->has_worker = false;
    }
    pthread_cond_destroy(&pipe->work);
    pthread_cond_destroy(&pipe->done);
    pthread_mutex_destroy(&pipe->lock);
    for (i = 0; i < pipe->n_jobs; i++) {
        index_job_clear(pipe, &pipe->jobs[i], false);
        nx_buf_free(&pipe->jobs[i].path_buf);
    }
    index_spent_free(pipe->spent, pipe->n_spent);
    nx_free(pipe->spent);
    pipe->spent = NULL;
    pipe->n_spent = pipe->cap_spent = 0;
    nx_free(pipe->jobs);
    pipe->jobs = NULL;
    pipe->n_jobs = 0;
    nx_buf_free(&pipe->content);
    nx_prep_free(pipe->prep);
    pipe->prep = NULL;
}

/* Bytes a walked file may hold in flight: its size as the walk saw it. */
static size_t
index_entry_bytes(const nx_scan_entry *e)
{
    return (size_t)(e->size > 0 ? e->size : 0);
}

/* Look up the walk's next file in the index, into its ring slot (not yet
 * handed over, so the caller owns it), and move the walk on. */
static int
index_lookup(index_run *run, index_job **out, newsidx_error *err)
{
    index_pipe *pipe = &run->pipe;
    index_job *job = &pipe->jobs[pipe->n_posted % pipe->n_jobs];
    nx_scan_entry *e = &job->entry;
    int rc;

    nx_buf_clear(&job->path_buf);
    nx_buf_puts(&job->path_buf, run->next->path);
    if (nx_buf_oom(&job->path_buf))
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    *e = *run->next;
    e->path = job->path_buf.data;
    run->next = nx_scan_next(run->walk);
    rc = index_read_begin(run, err);
    if (rc != NEWSIDX_OK)
        return rc;
    rc = nx_store_file_get(&job->rec, run->idx, e->path, err);
    if (rc != NEWSIDX_OK && rc != NEWSIDX_NOTFOUND)
        return rc;
    job->is_known = rc == NEWSIDX_OK;
    if (job->is_known && job->rec.size == e->size &&
        job->rec.mtime_ns == e->mtime_ns)
        job->state = INDEX_JOB_UNCHANGED;
    else
        job->state = INDEX_JOB_QUEUED;
    pipe->n_bytes += index_entry_bytes(e);
    *out = job;
    return NEWSIDX_OK;
}

/* Hand the looked-up job to the worker, or, with is_done, mark it done at
 * once: an unchanged file with nothing in flight before it needs no
 * worker, and a re-run with no change then costs no thread switch per
 * file. */
static void
index_post(index_run *run, bool is_done)
{
    index_pipe *pipe = &run->pipe;

    pthread_mutex_lock(&pipe->lock);
    pipe->n_posted++;
    if (is_done)
        pipe->n_done = pipe->n_posted;
    else if (pipe->is_worker_idle &&
             pipe->n_posted - pipe->n_done >= INDEX_WAKE)
        pthread_cond_signal(&pipe->work);
    pthread_mutex_unlock(&pipe->lock);
}

/* Whether the file after the posted ones may be posted while the job at
 * `pos` is the next to write: always when nothing is in flight, else when
 * the window has room for it in files and in bytes.  A big file thus
 * waits until it can be alone, and memory stays bounded. */
static bool
index_may_post(const index_run *run, size_t pos)
{
    const index_pipe *pipe = &run->pipe;
    size_t next = pipe->n_posted;

    if (run->next == NULL)
        return false;
    if (next == pos)
        return true;
    return next - pos < pipe->n_jobs &&
           pipe->n_bytes + index_entry_bytes(run->next) <= INDEX_WINDOW_BYTES;
}

/* Wait for the worker to finish the job at `pos`, or do it here. */
static index_job *
index_wait(index_run *run, size_t pos)
{
    index_pipe *pipe = &run->pipe;
    index_job *job = &pipe->jobs[pos % pipe->n_jobs];

    if (!pipe->has_worker) {
        if (job->state == INDEX_JOB_QUEUED)
            index_work_once(job, &pipe->content, pipe->prep,
                            run->opts.max_file_size);
        pipe->n_done = pos + 1;
        return job;
    }
    pthread_mutex_lock(&pipe->lock);
    if (pipe->n_done <= pos) {
        /* Sleep until a few jobs are ready, and make sure the worker is
         * not asleep itself: it is woken late to save wake-ups. */
        pipe->wants = pos + INDEX_WAKE < pipe->n_posted ? pos + INDEX_WAKE
                                                        : pipe->n_posted;
        if (pipe->is_worker_idle)
            pthread_cond_signal(&pipe->work);
        while (pipe->n_done <= pos)
            pthread_cond_wait(&pipe->done, &pipe->lock);
    }
    pthread_mutex_unlock(&pipe->lock);
    return job;
}

/* Visit every walked file through the pipeline. */
static int
index_visit_all(index_run *run, newsidx_error *err)
{
    size_t pos;
    int rc = NEWSIDX_OK;

    rc = index_pipe_start(run, err);
    for (pos = 0;
         (pos < run->pipe.n_posted || run->next != NULL) && rc == NEWSIDX_OK;
         pos++) {
        index_job *job;

        if (index_cancelled(run)) {
            rc = nx_fail(err, NEWSIDX_CANCELLED, "cancelled");
            break;
        }
        while (rc == NEWSIDX_OK && index_may_post(run, pos)) {
            bool is_idle = run->pipe.n_posted == pos;
            index_job *next = NULL;

            rc = index_lookup(run, &next, err);
            if (rc != NEWSIDX_OK)
                break;
            if (is_idle && next->state == INDEX_JOB_UNCHANGED) {
                index_post(run, true);
                break; /* write it now, look ahead when something changed */
            }
            index_post(run, false);
        }
        if (rc != NEWSIDX_OK)
            break;
        job = index_wait(run, pos);
        rc = index_visit(run, job, err);
        run->pipe.n_bytes -= index_entry_bytes(&job->entry);
        index_job_clear(&run->pipe, job, run->pipe.has_worker);
        run->progress.files_done++;
        index_progress(run);
    }
    index_pipe_stop(run);
    if (rc == NEWSIDX_OK)
        rc = nx_scan_status(run->walk, err);
    return rc;
}

/* Remove the vanished files that no new file claimed. */
static int
index_remove_gone(index_run *run, newsidx_error *err)
{
    size_t i;
    int rc = NEWSIDX_OK;

    run->progress.phase = NEWSIDX_PHASE_REMOVE;
    for (i = 0; i < run->n_gone && rc == NEWSIDX_OK; i++) {
        index_gone *g = &run->gone[i];

        if (g->is_claimed)
            continue;
        rc = index_txn(run, false, err);
        if (rc == NEWSIDX_OK)
            rc = nx_store_file_delete(run->idx, g->id, err);
        run->n_pending++;
        if (rc == NEWSIDX_OK && g->status == NX_FILE_NEWS) {
            run->stats->removed++;
            index_emit(run, NEWSIDX_EVENT_REMOVED, g->path, NULL, 0, 0, NULL,
                       NULL);
        }
    }
    return rc;
}

/* Empty the index (is_rebuild). */
static int
index_clear(index_run *run, newsidx_error *err)
{
    int rc;

    run->progress.phase = NEWSIDX_PHASE_EMPTY;
    index_progress(run);
    rc = nx_db_begin(run->idx, err);
    if (rc == NEWSIDX_OK)
        rc = nx_store_clear(run->idx, err);
    rc = rc == NEWSIDX_OK ? nx_db_commit(run->idx, err) : rc;
    nx_db_rollback(run->idx);
    run->progress.phase = NEWSIDX_PHASE_WALK;
    index_progress(run);
    return rc;
}

/* The walks and the per-file loop; the caller holds the lock. */
static int
index_run_all(index_run *run, const char *const *paths, size_t n_paths,
              newsidx_error *err)
{
    nx_scan *first = NULL;
    int rc;

    run->progress.phase =
        run->opts.is_rebuild ? NEWSIDX_PHASE_EMPTY : NEWSIDX_PHASE_WALK;
    index_progress(run);
    /* The first walk is set up before anything is written: it reads the
     * ignore files, whose mistakes stop the run.  Given paths that do not
     * exist are reported by it, once; what the walk meets, by the second
     * walk. */
    rc = index_scan_open(run, &first, paths, n_paths, NX_SCAN_NAMES_ONLY, err);
    if (rc == NEWSIDX_OK && run->opts.is_rebuild)
        rc = index_clear(run, err);
    if (rc == NEWSIDX_OK)
        rc = index_find_gone(run, first, err);
    else
        nx_scan_close(first);
    run->progress.phase = NEWSIDX_PHASE_INDEX;
    if (rc == NEWSIDX_OK)
        rc = index_scan_open(run, &run->walk, paths, n_paths,
                             NX_SCAN_QUIET_ROOTS, err);
    if (rc == NEWSIDX_OK) {
        run->next = nx_scan_next(run->walk);
        rc = index_visit_all(run, err);
    }
    index_read_end(run);
    if (rc == NEWSIDX_OK)
        rc = index_remove_gone(run, err);
    if (run->in_txn && (rc == NEWSIDX_OK || rc == NEWSIDX_CANCELLED)) {
        int crc = index_txn(run, true, rc == NEWSIDX_OK ? err : NULL);

        rc = rc == NEWSIDX_OK ? crc : rc;
    }
    if (run->in_txn)
        nx_db_rollback(run->idx);
    return rc;
}

static int
index_options(newsidx_index_options *out, const newsidx_index_options *opts,
              newsidx_error *err)
{
    static const newsidx_index_options defaults = NEWSIDX_INDEX_OPTIONS_INIT;
    size_t i;

    *out = defaults;
    if (opts != NULL && opts->version == 1) /* a caller built before 0.3.0:
                                               its struct ends earlier */
        memcpy(out, opts, offsetof(newsidx_index_options, excludes));
    else if (opts != NULL)
        *out = *opts;
    if (out->version != 1 && out->version != NEWSIDX_INDEX_OPTIONS_VERSION)
        return nx_fail(err, NEWSIDX_INVALID,
                       "index options version %u, expected %u", out->version,
                       NEWSIDX_INDEX_OPTIONS_VERSION);
    for (i = 0; i < out->n_excludes; i++) {
        int rc = nx_scan_pattern_check(out->excludes[i], err);

        if (rc != NEWSIDX_OK)
            return rc;
    }
    if (out->batch_size == 0)
        out->batch_size = INDEX_DEFAULT_BATCH;
    if (out->max_file_size == 0)
        out->max_file_size = INDEX_DEFAULT_MAX_SIZE;
    return NEWSIDX_OK;
}

int
newsidx_index_options_init(newsidx_index_options *opts, unsigned version)
{
    static const newsidx_index_options defaults = NEWSIDX_INDEX_OPTIONS_INIT;

    if (opts == NULL || version < 1 || version > NEWSIDX_INDEX_OPTIONS_VERSION)
        return NEWSIDX_INVALID;
    /* A version 1 struct ends before the excludes. */
    memcpy(opts, &defaults,
           version == 1 ? offsetof(newsidx_index_options, excludes)
                        : sizeof(*opts));
    opts->version = version;
    return NEWSIDX_OK;
}

int
newsidx_index_stats_init(newsidx_index_stats *stats, unsigned version)
{
    if (stats == NULL || version != NEWSIDX_INDEX_STATS_VERSION)
        return NEWSIDX_INVALID;
    memset(stats, 0, sizeof(*stats));
    stats->version = version;
    return NEWSIDX_OK;
}

int
newsidx_index_paths(newsidx_index_stats *stats_out, newsidx_index *idx,
                    const char *const *paths, size_t n_paths,
                    const newsidx_index_options *opts, newsidx_error *err)
{
    newsidx_index_stats stats;
    index_run run;
    double start = index_now();
    size_t i;
    int rc;

    memset(&stats, 0, sizeof(stats));
    memset(&run, 0, sizeof(run));
    nx_error_clear(err);
    if (stats_out != NULL && stats_out->version != NEWSIDX_INDEX_STATS_VERSION)
        return nx_fail(err, NEWSIDX_INVALID,
                       "index stats version %u, expected %u (start from"
                       " NEWSIDX_INDEX_STATS_INIT)",
                       stats_out->version, NEWSIDX_INDEX_STATS_VERSION);
    stats.version = NEWSIDX_INDEX_STATS_VERSION;
    run.idx = idx;
    run.stats = &stats;
    rc = index_options(&run.opts, opts, err);
    if (rc == NEWSIDX_OK && idx->is_readonly)
        rc =
            nx_fail(err, NEWSIDX_READONLY, "'%s' is open read-only", idx->path);
    if (rc == NEWSIDX_OK)
        rc = nx_db_lock(idx, err);
    if (rc == NEWSIDX_OK)
        rc = index_run_all(&run, paths, n_paths, err);
    nx_db_unlock(idx);
    for (i = 0; i < run.n_gone; i++)
        nx_free(run.gone[i].path);
    nx_free(run.gone);
    nx_scan_close(run.walk);
    stats.seconds = index_now() - start;
    if (stats_out != NULL)
        *stats_out = stats;
    return rc;
}

/* Forward an item's warnings to a caller's callback. */
static void
index_buffer_warnings(const char *source, const nx_item *item,
                      newsidx_event_cb on_event, void *payload)
{
    index_run run;

    memset(&run, 0, sizeof(run));
    run.opts.on_event = on_event;
    run.opts.payload = payload;
    index_emit_warnings(&run, source, item);
}

int
newsidx_index_add_buffer(newsidx_index *idx, const char *source,
                         const char *buf, size_t len, newsidx_event_cb on_event,
                         void *payload, newsidx_error *err)
{
    nx_file_rec rec;
    nx_item *item = NULL;
    nx_parse_pos pos = {0, 0};
    newsidx_error perr;
    int rc;

    nx_error_clear(err);
    rc = nx_frontmatter_parse(&item, buf, len, &pos, &perr);
    if (rc == NEWSIDX_PARSE && pos.line > 0)
        return nx_fail_at(err, rc, pos.line, pos.column, "%s:%u:%u: %.200s",
                          source, pos.line, pos.column, perr.message);
    if (rc != NEWSIDX_OK)
        return nx_fail(err, rc, "%s", perr.message);
    rc = nx_db_begin(idx, err);
    if (rc == NEWSIDX_OK) {
        rc = nx_store_file_get(&rec, idx, source, err);
        if (rc == NEWSIDX_NOTFOUND)
            rc = NEWSIDX_OK;
    }
    if (rc == NEWSIDX_OK) {
        rec.size = -1;
        rec.mtime_ns = 0;
        rec.hash = nx_hash64(buf, len);
        rec.status = NX_FILE_NEWS;
        nx_free(rec.message);
        rec.message = NULL;
        rec.line = rec.column = 0;
        rc = nx_store_file_put(idx, &rec, source, err);
        if (rc == NEWSIDX_OK)
            rc = nx_store_item_put_now(idx, rec.id, item, err);
        if (rc == NEWSIDX_OK)
            rc = nx_db_commit(idx, err);
        nx_file_rec_clear(&rec);
    }
    nx_db_rollback(idx);
    if (rc == NEWSIDX_OK && on_event != NULL)
        index_buffer_warnings(source, item, on_event, payload);
    nx_item_free(item);
    return rc;
}

int
newsidx_index_remove(newsidx_index *idx, const char *source, newsidx_error *err)
{
    nx_file_rec rec;
    int rc;

    nx_error_clear(err);
    rc = nx_db_begin(idx, err);
    if (rc == NEWSIDX_OK) {
        rc = nx_store_file_get(&rec, idx, source, err);
        if (rc == NEWSIDX_NOTFOUND)
            nx_fail(err, rc, "nothing is indexed under '%s'", source);
        else if (rc == NEWSIDX_OK)
            rc = nx_store_file_delete(idx, rec.id, err);
        nx_file_rec_clear(&rec);
    }
    if (rc == NEWSIDX_OK)
        rc = nx_db_commit(idx, err);
    nx_db_rollback(idx);
    return rc;
}
