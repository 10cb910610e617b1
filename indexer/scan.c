/*
 * scan.c - walking files and folders into a sorted list of candidates.
 *
 * The walk records each candidate's absolute path, size and mtime; nothing
 * is read.  Paths are sorted bytewise (as SQLite's BINARY collation sorts
 * them), so the indexer visits files in a stable order.  Hidden entries
 * (names starting with '.') and symbolic links to folders are not followed;
 * a folder that cannot be read is remembered as "blind" so that the files
 * under it are never mistaken for deleted ones.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal.h"

static const char *const scan_default_exts[] = {"md", "markdown", "txt"};

/* Nesting limit: deeper folders are reported and not entered. */
#define SCAN_MAX_DEPTH 256

typedef struct scan_ctx {
    nx_scan *scan;
    const char *const *exts;
    size_t n_exts;
    nx_scan_report_fn report;
    void *payload;
    nx_buf path;     /* the path being walked */
    size_t *offsets; /* arena offsets of entry paths, fixed up at the end */
    bool is_oom;
} scan_ctx;

bool
nx_scan_ext_matches(const char *path, const char *const *exts, size_t n_exts)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t i;

    if (exts == NULL) {
        exts = scan_default_exts;
        n_exts = sizeof(scan_default_exts) / sizeof(scan_default_exts[0]);
    }
    if (dot == NULL || dot[1] == '\0')
        return false;
    for (i = 0; i < n_exts; i++) {
        const char *e = exts[i][0] == '.' ? exts[i] + 1 : exts[i];

        if (strcasecmp(dot + 1, e) == 0)
            return true;
    }
    return false;
}

static int64_t
scan_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static bool
scan_push_str(char ***list, size_t *n, const char *s)
{
    char **grown = nx_realloc(*list, (*n + 1) * sizeof(**list));

    if (grown == NULL)
        return false;
    *list = grown;
    if ((grown[*n] = nx_strdup(s)) == NULL)
        return false;
    (*n)++;
    return true;
}

/* Record the file at ctx->path. */
static void
scan_add(scan_ctx *ctx, const struct stat *st)
{
    nx_scan *scan = ctx->scan;

    if (scan->n_entries == scan->cap) {
        size_t cap = scan->cap ? scan->cap * 2 : 256;
        nx_scan_entry *e = nx_realloc(scan->entries, cap * sizeof(*e));
        size_t *o = nx_realloc(ctx->offsets, cap * sizeof(*o));

        if (e != NULL)
            scan->entries = e;
        if (o != NULL)
            ctx->offsets = o;
        if (e == NULL || o == NULL) {
            ctx->is_oom = true;
            return;
        }
        scan->cap = cap;
    }
    ctx->offsets[scan->n_entries] = scan->arena.len;
    nx_buf_put(&scan->arena, ctx->path.data, ctx->path.len + 1);
    scan->entries[scan->n_entries].size = (int64_t)st->st_size;
    scan->entries[scan->n_entries].mtime_ns = scan_mtime_ns(st);
    scan->n_entries++;
}

static void scan_dir(scan_ctx *ctx, int depth);
static void scan_blind(scan_ctx *ctx, int err_no, const char *what);

/* Look at the entry whose path is in ctx->path: a given path (is_root),
 * or `name` in the open folder `dfd`, looked at relative to it (a stat of
 * the whole path walks it again from the root, a tenth of a re-run). */
static void
scan_entry(scan_ctx *ctx, int depth, bool is_root, int dfd, const char *name)
{
    struct stat st;

    if (is_root ? stat(ctx->path.data, &st)
                : fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
        /* Gone since readdir: nothing to say.  Anything else (a folder we
         * may list but not enter): report, and never take what is there as
         * deleted. */
        if (errno != ENOENT)
            scan_blind(ctx, errno, "cannot access");
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Follow links to files, never links to folders (no loops). */
        if ((is_root ? stat(ctx->path.data, &st) : fstatat(dfd, name, &st, 0)) !=
            0) {
            ctx->report(ctx->path.data, errno, "broken symbolic link",
                        ctx->payload);
            return;
        }
        if (S_ISDIR(st.st_mode))
            return;
    }
    if (S_ISDIR(st.st_mode))
        scan_dir(ctx, depth + 1);
    else if (S_ISREG(st.st_mode) &&
             (is_root ||
              nx_scan_ext_matches(ctx->path.data, ctx->exts, ctx->n_exts)))
        scan_add(ctx, &st);
}

static void
scan_blind(scan_ctx *ctx, int err_no, const char *what)
{
    ctx->report(ctx->path.data, err_no, what, ctx->payload);
    if (!scan_push_str(&ctx->scan->blind, &ctx->scan->n_blind, ctx->path.data))
        ctx->is_oom = true;
}

static void
scan_dir(scan_ctx *ctx, int depth)
{
    size_t base = ctx->path.len;
    struct dirent *de = NULL;
    int read_errno = 0;
    DIR *dir;

    if (depth > SCAN_MAX_DEPTH) {
        scan_blind(ctx, ELOOP, "folders nested too deep");
        return;
    }
    dir = opendir(ctx->path.data);
    if (dir == NULL) {
        scan_blind(ctx, errno, "cannot read folder");
        return;
    }
    while (!ctx->is_oom && (errno = 0, de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        ctx->path.len = base;
        if (base == 0 || ctx->path.data[base - 1] != '/')
            nx_buf_putc(&ctx->path, '/');
        nx_buf_puts(&ctx->path, de->d_name);
        if (nx_buf_oom(&ctx->path))
            ctx->is_oom = true;
        else
            scan_entry(ctx, depth, false, dirfd(dir), de->d_name);
    }
    if (de == NULL)
        read_errno = errno;
    if (read_errno != 0 && !ctx->is_oom)
        scan_blind(ctx, read_errno, "cannot read folder");
    closedir(dir);
    ctx->path.len = base;
    ctx->path.data[base] = '\0';
}

static int
scan_cmp(const void *a, const void *b)
{
    return strcmp(((const nx_scan_entry *)a)->path,
                  ((const nx_scan_entry *)b)->path);
}

/* Point entries into the arena, sort them, drop duplicates (a file given
 * twice, or inside two given folders). */
static void
scan_finish(scan_ctx *ctx)
{
    nx_scan *scan = ctx->scan;
    size_t i, n = 0;

    for (i = 0; i < scan->n_entries; i++)
        scan->entries[i].path = scan->arena.data + ctx->offsets[i];
    if (scan->n_entries > 1)
        qsort(scan->entries, scan->n_entries, sizeof(*scan->entries), scan_cmp);
    for (i = 0; i < scan->n_entries; i++) {
        if (n == 0 ||
            strcmp(scan->entries[n - 1].path, scan->entries[i].path) != 0)
            scan->entries[n++] = scan->entries[i];
    }
    scan->n_entries = n;
}

/* Walk one given path. Returns false if it does not exist at all. */
static bool
scan_root(scan_ctx *ctx, const char *given)
{
    char *abs = realpath(given, NULL);
    struct stat st;

    if (abs == NULL || stat(abs, &st) != 0) {
        ctx->report(given, errno, "cannot access", ctx->payload);
        free(abs);
        return false;
    }
    nx_buf_clear(&ctx->path);
    nx_buf_puts(&ctx->path, abs);
    if (S_ISDIR(st.st_mode) &&
        !scan_push_str(&ctx->scan->roots, &ctx->scan->n_roots, abs))
        ctx->is_oom = true;
    free(abs);
    if (!nx_buf_oom(&ctx->path) && !ctx->is_oom)
        scan_entry(ctx, 0, true, AT_FDCWD, NULL);
    return true;
}

int
nx_scan_run(nx_scan *scan, const char *const *paths, size_t n_paths,
            const char *const *exts, size_t n_exts, nx_scan_report_fn report,
            void *payload, newsidx_error *err)
{
    scan_ctx ctx = {scan,    exts,        n_exts, report,
                    payload, NX_BUF_INIT, NULL,   false};
    size_t i, n_found = 0;

    memset(scan, 0, sizeof(*scan));
    for (i = 0; i < n_paths && !ctx.is_oom; i++)
        n_found += scan_root(&ctx, paths[i]);
    if (nx_buf_oom(&ctx.path) || nx_buf_oom(&scan->arena))
        ctx.is_oom = true;
    if (!ctx.is_oom)
        scan_finish(&ctx);
    nx_buf_free(&ctx.path);
    nx_free(ctx.offsets);
    if (ctx.is_oom)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (n_found == 0 && n_paths > 0)
        return nx_fail(err, NEWSIDX_NOTFOUND, "cannot access '%s'", paths[0]);
    return NEWSIDX_OK;
}

static void
scan_free_list(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        nx_free(list[i]);
    nx_free(list);
}

void
nx_scan_free(nx_scan *scan)
{
    nx_free(scan->entries);
    scan_free_list(scan->roots, scan->n_roots);
    scan_free_list(scan->blind, scan->n_blind);
    nx_buf_free(&scan->arena);
    memset(scan, 0, sizeof(*scan));
}

bool
nx_scan_contains(const nx_scan *scan, const char *path)
{
    size_t lo = 0, hi = scan->n_entries;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(scan->entries[mid].path, path);

        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Is `path` inside folder `dir` (or the folder itself)? */
static bool
scan_is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    if (strncmp(path, dir, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n > 0 && dir[n - 1] == '/');
}

bool
nx_scan_covers(const nx_scan *scan, const char *path)
{
    size_t i;
    bool is_covered = false;

    for (i = 0; i < scan->n_roots && !is_covered; i++)
        is_covered = scan_is_under(path, scan->roots[i]);
    for (i = 0; i < scan->n_blind && is_covered; i++)
        is_covered = !scan_is_under(path, scan->blind[i]);
    return is_covered;
}
