/*
 * vanished.c - the indexed files that are no longer where they were: found
 * by the first walk of a run (names only) going along the index's own list
 * of files under the given folders, both in path order, and matched by
 * content hash against the new files of the second walk (a rename).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "write.h"

static int
vanished_cmp(const void *a, const void *b)
{
    uint64_t x = ((const nx_vanished *)a)->hash;
    uint64_t y = ((const nx_vanished *)b)->hash;

    return x < y ? -1 : x > y;
}

static int
vanished_add(nx_vanished_set *set, sqlite3_stmt *stmt, size_t *cap)
{
    const char *path = (const char *)sqlite3_column_text(stmt, 1);
    nx_vanished *g;

    if (set->n_files == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;

        g = nx_realloc(set->files, ncap * sizeof(*g));
        if (g == NULL)
            return NEWSIDX_NOMEM;
        set->files = g;
        *cap = ncap;
    }
    g = &set->files[set->n_files];
    g->id = sqlite3_column_int64(stmt, 0);
    g->hash = (uint64_t)sqlite3_column_int64(stmt, 2);
    g->status = (nx_file_status)sqlite3_column_int(stmt, 3);
    g->is_claimed = false;
    if ((g->path = nx_strdup(path)) == NULL)
        return NEWSIDX_NOMEM;
    set->n_files++;
    return NEWSIDX_OK;
}

/*
 * The first walk, `scan` (names only), along the index's list of the files
 * under the given folders, both in path order.  An indexed file the walk
 * passed without finding it vanished, unless it is under a folder the walk
 * could not read (that folder was met before any path past it).  Also
 * counts the files, for the progress.  Closes `scan`.
 */
int
nx_vanished_find(nx_vanished_set *set, newsidx_index *idx, nx_scan *scan,
                 nx_vanished_count_fn counted, void *payload,
                 newsidx_error *err)
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
    rc = sqlite3_prepare_v2(idx->db,
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
                counted(++n_files, payload);
                w = nx_scan_next(scan);
            }
            if (w != NULL && c == 0) { /* still there */
                counted(++n_files, payload);
                w = nx_scan_next(scan);
            } else if (nx_scan_covers(scan, path)) {
                status = vanished_add(set, stmt, &cap);
            }
        }
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    for (; w != NULL && status == NEWSIDX_OK; w = nx_scan_next(scan))
        counted(++n_files, payload);
    sqlite3_finalize(stmt);
    nx_buf_free(&lo);
    nx_buf_free(&hi);
    if (status == NEWSIDX_OK)
        status = nx_scan_status(scan, err);
    else
        status = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    nx_scan_close(scan);
    set->n_walked = n_files;
    if (status != NEWSIDX_OK)
        return status;
    if (rc != SQLITE_OK)
        return nx_db_error(idx, rc, "cannot read the index", err);
    if (set->n_files > 1)
        qsort(set->files, set->n_files, sizeof(*set->files), vanished_cmp);
    return NEWSIDX_OK;
}

/* A vanished file with this content hash, not yet claimed, or NULL. */
nx_vanished *
nx_vanished_match(nx_vanished_set *set, uint64_t hash)
{
    size_t lo = 0, hi = set->n_files;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (set->files[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < set->n_files && set->files[lo].hash == hash; lo++) {
        if (!set->files[lo].is_claimed)
            return &set->files[lo];
    }
    return NULL;
}

void
nx_vanished_free(nx_vanished_set *set)
{
    size_t i;

    for (i = 0; i < set->n_files; i++)
        nx_free(set->files[i].path);
    nx_free(set->files);
}
