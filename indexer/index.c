/*
 * index.c - bringing an index up to date with files on disk, and adding or
 * removing single documents (newsidx_index_paths, _add_buffer, _remove).
 *
 * A run walks the given paths twice (scan.c), each time in path order and
 * without keeping what it walked.  The first walk, names only, goes along
 * the index's own list of files under the given folders and finds those
 * that vanished (and counts the files, for the progress).  The second
 * visits every file: unchanged files (same size and mtime) are not read;
 * changed ones are read, hashed and parsed (by the worker thread of
 * pipeline.c) only when the hash differs; a new file whose hash equals a
 * vanished one is taken as a rename.  What is left of the vanished files
 * (vanished.c) is removed last.  Writes are committed every batch_size
 * files (one transaction per batch), so a killed run leaves a consistent
 * index and the next run picks up where it stopped.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "write.h"

#define INDEX_DEFAULT_BATCH    5000
#define INDEX_DEFAULT_MAX_SIZE (16u * 1024 * 1024)
/* The first walk reports its count to the progress callback every this
 * many files. */
#define INDEX_COUNT_STEP 256

typedef struct index_run {
    newsidx_index *idx;
    newsidx_index_options opts;
    newsidx_index_stats *stats;
    nx_scan *walk;             /* the second walk, visiting */
    const nx_scan_entry *next; /* its next file, not yet looked up; NULL
                                  at the end */
    nx_vanished_set gone;      /* the first walk's */
    unsigned n_pending;        /* files written in the open transaction */
    bool in_txn;
    bool in_read; /* a read transaction is open for the lookups */
    newsidx_progress progress;
    nx_pipe *pipe; /* see pipeline.c */
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

/* One more file counted by the first walk (nx_vanished_count_fn). */
static void
index_counted(size_t n_files, void *payload)
{
    index_run *run = payload;

    if (n_files % INDEX_COUNT_STEP == 0) {
        run->progress.files_done = n_files;
        index_progress(run);
    }
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

/*
 * Write the parsed outcome of job->entry for the file `rec` (rec->id is 0
 * for a file the index has not seen).  Per-file problems are counted and
 * reported; only database failures are returned.
 */
static int
index_apply(index_run *run, nx_pipe_job *job, nx_file_rec *rec, bool had_item,
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
index_new_file(index_run *run, nx_pipe_job *job, nx_file_rec *rec,
               newsidx_error *err)
{
    const nx_scan_entry *e = &job->entry;
    nx_vanished *g = nx_vanished_match(&run->gone, rec->hash);
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
index_visit(index_run *run, nx_pipe_job *job, newsidx_error *err)
{
    const nx_scan_entry *e = &job->entry;
    nx_file_rec *rec = &job->rec;
    bool had_item;
    int rc;

    if (job->state == NX_PIPE_JOB_UNCHANGED)
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

/* Look up the walk's next file in the index, into its ring slot (not yet
 * handed over, so the caller owns it), and move the walk on. */
static int
index_lookup(index_run *run, nx_pipe_job **out, newsidx_error *err)
{
    nx_pipe_job *job = nx_pipe_slot(run->pipe);
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
        job->state = NX_PIPE_JOB_UNCHANGED;
    else
        job->state = NX_PIPE_JOB_QUEUED;
    *out = job;
    return NEWSIDX_OK;
}

/* Visit every walked file through the pipeline. */
static int
index_visit_all(index_run *run, newsidx_error *err)
{
    size_t pos;
    int rc = NEWSIDX_OK;

    rc = nx_pipe_start(&run->pipe, run->idx, run->progress.files_total,
                       run->opts.max_file_size, err);
    for (pos = 0; rc == NEWSIDX_OK &&
                  (pos < nx_pipe_n_posted(run->pipe) || run->next != NULL);
         pos++) {
        nx_pipe_job *job;

        if (index_cancelled(run)) {
            rc = nx_fail(err, NEWSIDX_CANCELLED, "cancelled");
            break;
        }
        while (rc == NEWSIDX_OK &&
               nx_pipe_may_post(run->pipe, pos, run->next)) {
            bool is_idle = nx_pipe_n_posted(run->pipe) == pos;
            nx_pipe_job *next = NULL;

            rc = index_lookup(run, &next, err);
            if (rc != NEWSIDX_OK)
                break;
            if (is_idle && next->state == NX_PIPE_JOB_UNCHANGED) {
                nx_pipe_post(run->pipe, true);
                break; /* write it now, look ahead when something changed */
            }
            nx_pipe_post(run->pipe, false);
        }
        if (rc != NEWSIDX_OK)
            break;
        job = nx_pipe_wait(run->pipe, pos);
        rc = index_visit(run, job, err);
        nx_pipe_done(run->pipe, job);
        run->progress.files_done++;
        index_progress(run);
    }
    nx_pipe_stop(run->pipe);
    run->pipe = NULL;
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
    for (i = 0; i < run->gone.n_files && rc == NEWSIDX_OK; i++) {
        nx_vanished *g = &run->gone.files[i];

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
    if (rc == NEWSIDX_OK) {
        rc = nx_vanished_find(&run->gone, run->idx, first, index_counted, run,
                              err);
        run->progress.files_done = 0;
        run->progress.files_total = run->gone.n_walked;
    } else {
        nx_scan_close(first);
    }
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
    nx_vanished_free(&run.gone);
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
