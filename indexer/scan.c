/*
 * scan.c - walking files and folders, one file at a time, in path order.
 *
 * A walk yields each candidate's absolute path, size and mtime; nothing is
 * read.  Paths come in bytewise order (as SQLite's BINARY collation sorts
 * them), so the indexer visits files in a stable order and can merge the
 * walk with the index's own list of files.  Hidden entries (names starting
 * with '.') and symbolic links to folders are not followed; a folder that
 * cannot be read is remembered as "blind" so that the files under it are
 * never mistaken for deleted ones.
 *
 * Nothing is kept of the folders already walked: a walk holds the entries
 * of the folders on its current path only, so that its memory follows the
 * largest folder, not the size of the tree.  Path order comes from each
 * folder's entries sorted by name, a folder's name taken with the '/' that
 * all paths under it continue with: "a-b/x" sorts before "a/x" ('-' is
 * below '/'), and so does the folder "a-b" before the folder "a".
 *
 * Exclude patterns (the caller's, and those of the NX_SCAN_IGNORE_FILE at
 * the top of each folder given) are tested on each entry as the walk
 * reads its folder, before it is looked at further: a folder that matches
 * is never entered.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "write.h"

static const char *const scan_default_exts[] = {"md", "markdown", "txt"};

/* Nesting limit: deeper folders are reported and not entered. */
#define SCAN_MAX_DEPTH 256
/* A larger ignore file is refused: it is a list of patterns, not data. */
#define SCAN_IGNORE_MAX (1024 * 1024)

/* An exclude pattern, cut at its '/'s. */
typedef struct scan_pattern {
    char *parts;      /* each part NUL-terminated, one after the other */
    size_t n_parts;   /* at least 1 */
    bool is_anchored; /* had a '/': matched against the path from the
                         folder given; else against each name */
    bool is_dir_only; /* ended with '/' */
} scan_pattern;

/* An entry of a folder that the walk will visit: a file or a folder. */
typedef struct scan_kid {
    uint32_t off; /* its name in the frame's `names` */
    uint32_t len;
    bool is_dir;
    int64_t size;
    int64_t mtime_ns;
} scan_kid;

/* A folder on the walk's current path, its entries sorted. */
typedef struct scan_frame {
    size_t path_len; /* the folder's path in walk->path */
    nx_buf names;
    scan_kid *kids;
    size_t n, cap, next;
} scan_frame;

/* The walk of one given path. */
typedef struct scan_walk {
    char *abs;       /* its real path */
    size_t root_len; /* of `abs` in `path` ("/" counts 0) */
    bool is_dir;     /* a folder; else a file, yielded once */
    bool started;    /* the first step was taken */
    bool is_done;
    int64_t size, mtime_ns; /* of a file */
    nx_buf path;            /* of the current entry */
    scan_frame *frames;
    int depth, cap_frames;
    nx_scan_entry cur; /* its next file, when has_cur */
    bool has_cur;
    scan_pattern *pats; /* of the folder's ignore file */
    size_t n_pats;
} scan_walk;

struct nx_scan {
    scan_walk *walks;
    size_t n_walks;
    const char *const *exts;
    size_t n_exts;
    unsigned flags;
    nx_scan_report_fn report;
    void *payload;
    scan_pattern *pats; /* the caller's, for every folder */
    size_t n_pats;
    int fail_rc; /* a bad pattern or ignore file, with fail_err */
    newsidx_error fail_err;
    char **roots; /* the folders walked (scan_order_roots) */
    size_t n_roots;
    char **blind; /* folders that could not be read */
    size_t n_blind;
    bool is_oom;
    bool is_primed;
    nx_buf out_path;
    nx_scan_entry out;
};

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

static void
scan_free_list(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        nx_free(list[i]);
    nx_free(list);
}

/* Report a problem met walking (a names-only walk reports none: it is a
 * first pass before the one that does). */
static void
scan_report(nx_scan *s, const char *path, int err_no, const char *what)
{
    if (s->report != NULL && !(s->flags & NX_SCAN_NAMES_ONLY))
        s->report(path, err_no, what, s->payload);
}

/* Report a folder the walk cannot see into, and remember it. */
static void
scan_blind(nx_scan *s, const char *path, int err_no, const char *what)
{
    scan_report(s, path, err_no, what);
    if (!scan_push_str(&s->blind, &s->n_blind, path))
        s->is_oom = true;
}

/* A folder's length but for the "/" of the root folder (0). */
static size_t
scan_root_len(const char *r)
{
    size_t n = strlen(r);

    return n > 0 && r[n - 1] == '/' ? n - 1 : n;
}

/**************************************************************************
** Exclude patterns
*/

/* Read pattern `src` (len bytes) into `out`.  NEWSIDX_INVALID for one
 * that is empty or starts with '!'; NEWSIDX_NOMEM. */
static int
scan_pattern_parse(scan_pattern *out, const char *src, size_t len,
                   newsidx_error *err)
{
    size_t i = 0, n = 0, src_len = len;
    char *d;

    memset(out, 0, sizeof(*out));
    if (len > 0 && src[0] == '!')
        return nx_fail(err, NEWSIDX_INVALID,
                       "exclude pattern '%.*s' starts with '!': exceptions"
                       " are not supported (write \\! for a name that starts"
                       " with it)",
                       (int)(len > 200 ? 200 : len), src);
    while (len > 0 && src[len - 1] == '/') {
        out->is_dir_only = true;
        len--;
    }
    if ((d = out->parts = nx_malloc(len + 1)) == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    out->is_anchored = memchr(src, '/', len) != NULL;
    while (i < len) {
        size_t k = i;

        while (k < len && src[k] != '/')
            k++;
        if (k > i) { /* "a//b" is "a/b"; a leading '/' only anchors */
            memcpy(d, src + i, k - i);
            d += k - i;
            *d++ = '\0';
            n++;
        }
        i = k + 1;
    }
    out->n_parts = n;
    if (n == 0) {
        nx_free(out->parts);
        out->parts = NULL;
        return nx_fail(err, NEWSIDX_INVALID, "exclude pattern '%.*s' is empty",
                       (int)(src_len > 200 ? 200 : src_len), src);
    }
    return NEWSIDX_OK;
}

static void
scan_patterns_free(scan_pattern *pats, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        nx_free(pats[i].parts);
    nx_free(pats);
}

/* Do the `n` parts from `ps` match `path` ("a/b/c") whole?  "**" as a
 * part matches any number of names, none included.  By dynamic
 * programming over (parts, names): time n x names whatever the pattern,
 * so that a hostile ignore file ("**" / "*" / "**" / ...) cannot make the
 * walk hang.  False when out of memory. */
static bool
scan_parts_match(const char *ps, size_t n, const char *path)
{
    char name[NAME_MAX + 1];
    const char *p;
    size_t m = 1, i, j;
    const char **names;
    bool *rows, *prev, *cur, is_match = false;

    for (p = path; *p != '\0'; p++)
        m += *p == '/';
    names = nx_malloc(m * sizeof(*names));
    rows = nx_malloc(2 * (m + 1) * sizeof(*rows));
    if (names == NULL || rows == NULL)
        goto done;
    prev = rows;
    cur = rows + m + 1;
    for (i = 0, p = path; i < m; i++) { /* the start of each name */
        names[i] = p;
        p += strcspn(p, "/");
        p += *p == '/';
    }
    /* prev[j]: the parts so far match the first j names. */
    prev[0] = true;
    for (j = 1; j <= m; j++)
        prev[j] = false;
    for (i = 0; i < n; i++, ps += strlen(ps) + 1) {
        bool *t;

        if (strcmp(ps, "**") == 0) {
            bool any = false;

            for (j = 0; j <= m; j++)
                cur[j] = any = any || prev[j];
        } else {
            cur[0] = false;
            for (j = 1; j <= m; j++) {
                size_t len = strcspn(names[j - 1], "/");

                cur[j] = false;
                if (!prev[j - 1] || len == 0 || len > NAME_MAX)
                    continue;
                memcpy(name, names[j - 1], len);
                name[len] = '\0';
                cur[j] = fnmatch(ps, name, 0) == 0;
            }
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    is_match = prev[m];
done:
    nx_free(names);
    nx_free(rows);
    return is_match;
}

/* Does `p` match the entry whose path from the folder given is `rel`,
 * named `name`? */
static bool
scan_pattern_match(const scan_pattern *p, const char *rel, const char *name,
                   bool is_dir)
{
    if (p->is_dir_only && !is_dir)
        return false;
    if (!p->is_anchored)
        return fnmatch(p->parts, name, 0) == 0;
    return scan_parts_match(p->parts, p->n_parts, rel);
}

int
nx_scan_pattern_check(const char *pattern, newsidx_error *err)
{
    scan_pattern p;
    int rc = scan_pattern_parse(&p, pattern, strlen(pattern), err);

    nx_free(p.parts);
    return rc;
}

bool
nx_scan_pattern_matches(const char *pattern, const char *rel, bool is_dir)
{
    const char *slash = strrchr(rel, '/');
    scan_pattern p;
    bool is_match;

    if (scan_pattern_parse(&p, pattern, strlen(pattern), NULL) != NEWSIDX_OK)
        return false;
    is_match = scan_pattern_match(&p, rel, slash ? slash + 1 : rel, is_dir);
    nx_free(p.parts);
    return is_match;
}

/* Add pattern `src` to the list; sets s->fail_rc on failure. */
static bool
scan_pattern_add(nx_scan *s, scan_pattern **pats, size_t *n, const char *src,
                 size_t len)
{
    scan_pattern *grown = nx_realloc(*pats, (*n + 1) * sizeof(**pats));

    if (grown == NULL) {
        s->fail_rc = nx_fail(&s->fail_err, NEWSIDX_NOMEM, "out of memory");
        return false;
    }
    *pats = grown;
    s->fail_rc = scan_pattern_parse(&grown[*n], src, len, &s->fail_err);
    if (s->fail_rc != NEWSIDX_OK)
        return false;
    (*n)++;
    return true;
}

/* Read the whole of `fd` into `buf` (at most SCAN_IGNORE_MAX bytes);
 * an errno, or EFBIG, or 0. */
static int
scan_read_all(int fd, nx_buf *buf)
{
    ssize_t got;

    for (;;) {
        if (!nx_buf_reserve(buf, 4096))
            return ENOMEM;
        got = read(fd, buf->data + buf->len, buf->cap - buf->len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0)
            return 0;
        buf->len += (size_t)got;
        if (buf->len > SCAN_IGNORE_MAX)
            return EFBIG;
    }
}

/* Take the patterns of `text`: one a line, blanks around it dropped;
 * blank lines and those starting with '#' are none. */
static void
scan_ignore_lines(nx_scan *s, scan_walk *w, const char *file, const char *text,
                  size_t len)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;

    while (p < end && s->fail_rc == NEWSIDX_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *e = eol != NULL ? eol : end;

        line++;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (e > p && *p != '#' &&
            !scan_pattern_add(s, &w->pats, &w->n_pats, p, (size_t)(e - p)) &&
            s->fail_rc != NEWSIDX_NOMEM) {
            newsidx_error why = s->fail_err;

            s->fail_rc = nx_fail(&s->fail_err, s->fail_rc, "'%s' line %u: %s",
                                 file, line, why.message);
        }
        p = eol != NULL ? eol + 1 : end;
    }
}

/* Read the ignore file at the top of walk `w`'s folder, if there is one. */
static void
scan_read_ignore(nx_scan *s, scan_walk *w)
{
    nx_buf file = NX_BUF_INIT, text = NX_BUF_INIT;
    int fd, e = 0;

    nx_buf_put(&file, w->abs, scan_root_len(w->abs));
    nx_buf_puts(&file, "/" NX_SCAN_IGNORE_FILE);
    if (nx_buf_oom(&file)) {
        s->fail_rc = nx_fail(&s->fail_err, NEWSIDX_NOMEM, "out of memory");
        return;
    }
    fd = open(file.data, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno != ENOENT)
        e = errno;
    if (fd >= 0) {
        e = scan_read_all(fd, &text);
        close(fd);
    }
    if (e == ENOMEM)
        s->fail_rc = nx_fail(&s->fail_err, NEWSIDX_NOMEM, "out of memory");
    else if (e != 0)
        s->fail_rc =
            nx_fail(&s->fail_err, NEWSIDX_IO, "cannot read '%s': %s", file.data,
                    e == EFBIG ? "over 1 MiB, too big for a list of"
                                 " patterns"
                               : strerror(e));
    else if (fd >= 0)
        scan_ignore_lines(s, w, file.data, text.data, text.len);
    nx_buf_free(&file);
    nx_buf_free(&text);
}

/**************************************************************************
** Folders
*/

/* The order of two entries of one folder: by name, a folder's name taken
 * with a '/' after it. */
static int
scan_kid_cmp(const char *names, const scan_kid *x, const scan_kid *y)
{
    const unsigned char *a = (const unsigned char *)names + x->off;
    const unsigned char *b = (const unsigned char *)names + y->off;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(a, b, n);
    int ca, cb;

    if (c != 0)
        return c;
    ca = n < x->len ? a[n] : x->is_dir ? '/' : -1;
    cb = n < y->len ? b[n] : y->is_dir ? '/' : -1;
    return (ca > cb) - (ca < cb);
}

/* The names of the frame being sorted, for qsort's comparison (qsort_r
 * is a GNU extension). */
static _Thread_local const char *scan_sort_names;

static int
scan_kid_qcmp(const void *a, const void *b)
{
    return scan_kid_cmp(scan_sort_names, a, b);
}

/* The path of the folder in w->path, "/" for the root folder (kept as ""
 * so that "/" and a name make "/name"). */
static const char *
scan_dir_path(const scan_walk *w)
{
    return w->path.len > 0 ? w->path.data : "/";
}

/* Put entry `name` (len bytes) of the folder whose path is the first
 * `base` bytes of w->path into w->path; false on out-of-memory. */
static bool
scan_set_path(nx_scan *s, scan_walk *w, size_t base, const char *name,
              size_t len)
{
    w->path.len = base;
    nx_buf_putc(&w->path, '/');
    nx_buf_put(&w->path, name, len);
    if (nx_buf_oom(&w->path))
        s->is_oom = true;
    return !s->is_oom;
}

/* Is the entry `name` (len bytes) of the folder at the start of w->path
 * (f->path_len bytes) left out by a pattern?  Leaves w->path on the
 * entry when a pattern needs its path. */
static bool
scan_is_excluded(nx_scan *s, scan_walk *w, const scan_frame *f,
                 const char *name, size_t len, bool is_dir)
{
    const scan_pattern *lists[2] = {s->pats, w->pats};
    size_t counts[2] = {s->n_pats, w->n_pats}, i, k;
    const char *rel = NULL, *base;

    if (s->n_pats == 0 && w->n_pats == 0)
        return false;
    if (!scan_set_path(s, w, f->path_len, name, len))
        return false;
    rel = w->path.data + w->root_len + 1;
    base = w->path.data + f->path_len + 1;
    for (k = 0; k < 2; k++) {
        for (i = 0; i < counts[k]; i++) {
            if (scan_pattern_match(&lists[k][i], rel, base, is_dir))
                return true;
        }
    }
    return false;
}

/* Add an entry named `name` to frame `f`. */
static bool
scan_kid_add(scan_frame *f, const char *name, size_t len, bool is_dir,
             const struct stat *st)
{
    scan_kid *k;

    if (len > UINT32_MAX || f->names.len > UINT32_MAX - len)
        return false;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;

        k = nx_realloc(f->kids, cap * sizeof(*k));
        if (k == NULL)
            return false;
        f->kids = k;
        f->cap = cap;
    }
    k = &f->kids[f->n];
    k->off = (uint32_t)f->names.len;
    k->len = (uint32_t)len;
    k->is_dir = is_dir;
    k->size = st != NULL ? (int64_t)st->st_size : 0;
    k->mtime_ns = st != NULL ? scan_mtime_ns(st) : 0;
    nx_buf_put(&f->names, name, len);
    if (nx_buf_oom(&f->names))
        return false;
    f->n++;
    return true;
}

/* Add the entry `name` of the folder being read to `f`, unless a pattern
 * leaves it out. */
static bool
scan_keep(nx_scan *s, scan_walk *w, scan_frame *f, const char *name, size_t len,
          bool is_dir, const struct stat *st)
{
    if (scan_is_excluded(s, w, f, name, len, is_dir))
        return true;
    return !s->is_oom && scan_kid_add(f, name, len, is_dir, st);
}

/* Look at entry `de` of the open folder `dfd` (whose path is in w->path,
 * up to f->path_len) and add it to `f` when the walk visits it. */
static void
scan_look(nx_scan *s, scan_walk *w, scan_frame *f, int dfd,
          const struct dirent *de)
{
    const char *name = de->d_name;
    size_t len = strlen(name);
    struct stat st;
    bool names_only = (s->flags & NX_SCAN_NAMES_ONLY) != 0;
    bool ok = true;

    if (names_only && de->d_type == DT_DIR) {
        ok = scan_keep(s, w, f, name, len, true, NULL);
    } else if (names_only && de->d_type == DT_REG) {
        if (nx_scan_ext_matches(name, s->exts, s->n_exts))
            ok = scan_keep(s, w, f, name, len, false, NULL);
    } else {
        /* What a pattern leaves out is not looked at, nor reported. */
        if ((de->d_type == DT_DIR || de->d_type == DT_REG) &&
            scan_is_excluded(s, w, f, name, len, de->d_type == DT_DIR))
            return;
        /* The whole path, for messages. */
        if (!scan_set_path(s, w, f->path_len, name, len))
            return;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            /* Gone since readdir: nothing to say.  Anything else (a
             * folder we may list but not enter): report, and never take
             * what is there as deleted. */
            if (errno != ENOENT)
                scan_blind(s, w->path.data, errno, "cannot access");
            return;
        }
        if (S_ISLNK(st.st_mode)) {
            /* Follow links to files, never links to folders (no loops). */
            if (fstatat(dfd, name, &st, 0) != 0) {
                scan_report(s, w->path.data, errno, "broken symbolic link");
                return;
            }
            if (S_ISDIR(st.st_mode))
                return;
        }
        if (S_ISDIR(st.st_mode))
            ok = scan_keep(s, w, f, name, len, true, NULL);
        else if (S_ISREG(st.st_mode) &&
                 nx_scan_ext_matches(name, s->exts, s->n_exts))
            ok = scan_keep(s, w, f, name, len, false, &st);
    }
    if (!ok)
        s->is_oom = true;
}

/* Read the folder whose path is w->path into a new frame on top. */
static void
scan_push(nx_scan *s, scan_walk *w)
{
    scan_frame *f;
    struct dirent *de = NULL;
    DIR *dir;
    int read_errno = 0;

    if (w->depth > SCAN_MAX_DEPTH) {
        scan_blind(s, scan_dir_path(w), ELOOP, "folders nested too deep");
        return;
    }
    if (w->depth == w->cap_frames) {
        int cap = w->cap_frames ? w->cap_frames * 2 : 8;
        scan_frame *grown = nx_realloc(w->frames, (size_t)cap * sizeof(*f));

        if (grown == NULL) {
            s->is_oom = true;
            return;
        }
        memset(grown + w->cap_frames, 0,
               (size_t)(cap - w->cap_frames) * sizeof(*f));
        w->frames = grown;
        w->cap_frames = cap;
    }
    dir = opendir(scan_dir_path(w));
    if (dir == NULL) {
        scan_blind(s, scan_dir_path(w), errno, "cannot read folder");
        return;
    }
    f = &w->frames[w->depth];
    f->path_len = w->path.len;
    f->n = f->next = 0;
    nx_buf_clear(&f->names);
    while (!s->is_oom && (errno = 0, de = readdir(dir)) != NULL) {
        if (de->d_name[0] != '.')
            scan_look(s, w, f, dirfd(dir), de);
    }
    if (de == NULL)
        read_errno = errno;
    closedir(dir);
    w->path.len = f->path_len;
    w->path.data[w->path.len] = '\0';
    if (read_errno != 0 && !s->is_oom)
        scan_blind(s, scan_dir_path(w), read_errno, "cannot read folder");
    if (f->n > 1) {
        scan_sort_names = f->names.data;
        qsort(f->kids, f->n, sizeof(*f->kids), scan_kid_qcmp);
    }
    w->depth++;
}

/* Move walk `w` to its next file; false at its end. */
static bool
scan_walk_next(nx_scan *s, scan_walk *w)
{
    w->has_cur = false;
    if (w->is_done || s->is_oom)
        return false;
    if (!w->is_dir) { /* a file given by name: itself, once */
        w->is_done = true;
        nx_buf_clear(&w->path);
        nx_buf_puts(&w->path, w->abs);
        if (nx_buf_oom(&w->path)) {
            s->is_oom = true;
            return false;
        }
        w->cur.path = w->path.data;
        w->cur.size = w->size;
        w->cur.mtime_ns = w->mtime_ns;
        return w->has_cur = true;
    }
    if (!w->started) {
        w->started = true;
        nx_buf_clear(&w->path);
        /* The root folder "/" is walked as "" (scan_dir_path); a put of
         * nothing still ends the buffer with a NUL. */
        nx_buf_put(&w->path, w->abs, scan_root_len(w->abs));
        if (nx_buf_oom(&w->path)) {
            s->is_oom = true;
            return false;
        }
        scan_push(s, w);
    }
    while (w->depth > 0 && !s->is_oom) {
        scan_frame *f = &w->frames[w->depth - 1];
        const scan_kid *k;

        if (f->next == f->n) {
            w->depth--;
            continue;
        }
        k = &f->kids[f->next++];
        if (!scan_set_path(s, w, f->path_len, f->names.data + k->off, k->len))
            break;
        if (k->is_dir) {
            scan_push(s, w);
            continue;
        }
        w->cur.path = w->path.data;
        w->cur.size = k->size;
        w->cur.mtime_ns = k->mtime_ns;
        return w->has_cur = true;
    }
    w->is_done = true;
    return false;
}

/**************************************************************************
** Walks
*/

/* Byte i of a folder's key, the folder with the '/' all paths under it
 * go on with; -1 past its end. */
static int
scan_root_key(const char *r, size_t n, size_t i)
{
    return i < n ? (unsigned char)r[i] : i == n ? '/' : -1;
}

/* Order folders as the paths under them sort: by their keys, bytewise
 * (an end sorts first), as scan_kid_cmp orders a folder's entries. */
static int
scan_root_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t nx = scan_root_len(x), ny = scan_root_len(y), i;

    for (i = 0;; i++) {
        int cx = scan_root_key(x, nx, i), cy = scan_root_key(y, ny, i);

        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx < 0)
            return 0;
    }
}

/* Sort the folders given into path order and drop those inside another
 * (a folder inside another has a key that starts with the other's, so it
 * sorts after it, or after others inside it). */
static void
scan_order_roots(nx_scan *s)
{
    size_t i, k = 0;

    if (s->n_roots < 2) /* (no array at all for files alone) */
        return;
    qsort(s->roots, s->n_roots, sizeof(*s->roots), scan_root_cmp);
    for (i = 0; i < s->n_roots; i++) {
        size_t m = k > 0 ? scan_root_len(s->roots[k - 1]) : 0;
        size_t ni = scan_root_len(s->roots[i]);

        if (k > 0 && ni >= m && memcmp(s->roots[i], s->roots[k - 1], m) == 0 &&
            (ni == m || s->roots[i][m] == '/'))
            nx_free(s->roots[i]);
        else
            s->roots[k++] = s->roots[i];
    }
    s->n_roots = k;
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

/* Set up the walk of one given path; false if it does not exist at all. */
static bool
scan_add_root(nx_scan *s, const char *given)
{
    char *abs = realpath(given, NULL);
    struct stat st;
    scan_walk *w;

    if (abs == NULL || stat(abs, &st) != 0) {
        if (s->report != NULL && !(s->flags & NX_SCAN_QUIET_ROOTS))
            s->report(given, errno, "cannot access", s->payload);
        free(abs);
        return false;
    }
    w = &s->walks[s->n_walks];
    memset(w, 0, sizeof(*w));
    w->abs = nx_strdup(abs);
    w->root_len = scan_root_len(abs);
    w->is_dir = S_ISDIR(st.st_mode);
    w->size = (int64_t)st.st_size;
    w->mtime_ns = scan_mtime_ns(&st);
    free(abs);
    if (w->abs == NULL) {
        s->is_oom = true;
        return true;
    }
    s->n_walks++;
    if (w->is_dir && !scan_push_str(&s->roots, &s->n_roots, w->abs))
        s->is_oom = true;
    if (w->is_dir && !s->is_oom && s->fail_rc == NEWSIDX_OK)
        scan_read_ignore(s, w);
    return true;
}

int
nx_scan_open(nx_scan **out, const char *const *paths, size_t n_paths,
             const nx_scan_opts *opts, newsidx_error *err)
{
    nx_scan *s = nx_calloc(1, sizeof(*s));
    size_t i, n_found = 0;

    *out = NULL;
    if (s == NULL ||
        (s->walks = nx_calloc(n_paths + 1, sizeof(*s->walks))) == NULL) {
        nx_free(s);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    s->exts = opts->exts;
    s->n_exts = opts->n_exts;
    s->flags = opts->flags;
    s->report = opts->report;
    s->payload = opts->payload;
    for (i = 0; i < opts->n_excludes && s->fail_rc == NEWSIDX_OK; i++)
        scan_pattern_add(s, &s->pats, &s->n_pats, opts->excludes[i],
                         strlen(opts->excludes[i]));
    for (i = 0; i < n_paths && !s->is_oom && s->fail_rc == NEWSIDX_OK; i++)
        n_found += scan_add_root(s, paths[i]);
    scan_order_roots(s);
    if (s->fail_rc != NEWSIDX_OK) {
        int rc = nx_fail(err, s->fail_rc, "%s", s->fail_err.message);

        nx_scan_close(s);
        return rc;
    }
    if (s->is_oom) {
        nx_scan_close(s);
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    if (n_found == 0 && n_paths > 0) {
        nx_scan_close(s);
        return nx_fail(err, NEWSIDX_NOTFOUND, "cannot access '%s'", paths[0]);
    }
    *out = s;
    return NEWSIDX_OK;
}

const nx_scan_entry *
nx_scan_next(nx_scan *s)
{
    scan_walk *best = NULL;
    size_t i;

    if (!s->is_primed) { /* each walk on its first file */
        s->is_primed = true;
        for (i = 0; i < s->n_walks; i++)
            scan_walk_next(s, &s->walks[i]);
    }
    for (i = 0; i < s->n_walks; i++) {
        scan_walk *w = &s->walks[i];

        if (w->has_cur &&
            (best == NULL || strcmp(w->cur.path, best->cur.path) < 0))
            best = w;
    }
    if (best == NULL || s->is_oom)
        return NULL;
    nx_buf_clear(&s->out_path);
    nx_buf_puts(&s->out_path, best->cur.path);
    if (nx_buf_oom(&s->out_path)) {
        s->is_oom = true;
        return NULL;
    }
    s->out = best->cur;
    s->out.path = s->out_path.data;
    /* Move on every walk that is on this file: a file given twice, or
     * inside two given folders, comes once. */
    for (i = 0; i < s->n_walks; i++) {
        scan_walk *w = &s->walks[i];

        if (w->has_cur && strcmp(w->cur.path, s->out.path) == 0)
            scan_walk_next(s, w);
    }
    return &s->out;
}

int
nx_scan_status(const nx_scan *s, newsidx_error *err)
{
    return s->is_oom ? nx_fail(err, NEWSIDX_NOMEM, "out of memory walking")
                     : NEWSIDX_OK;
}

size_t
nx_scan_roots(const nx_scan *s, const char *const **roots)
{
    *roots = (const char *const *)s->roots;
    return s->n_roots;
}

bool
nx_scan_covers(const nx_scan *s, const char *path)
{
    size_t i;
    bool is_covered = false;

    for (i = 0; i < s->n_roots && !is_covered; i++)
        is_covered = scan_is_under(path, s->roots[i]);
    for (i = 0; i < s->n_blind && is_covered; i++)
        is_covered = !scan_is_under(path, s->blind[i]);
    return is_covered;
}

void
nx_scan_close(nx_scan *s)
{
    size_t i;
    int k;

    if (s == NULL)
        return;
    for (i = 0; i < s->n_walks; i++) {
        scan_walk *w = &s->walks[i];

        for (k = 0; k < w->cap_frames; k++) {
            nx_buf_free(&w->frames[k].names);
            nx_free(w->frames[k].kids);
        }
        nx_free(w->frames);
        nx_buf_free(&w->path);
        nx_free(w->abs);
        scan_patterns_free(w->pats, w->n_pats);
    }
    nx_free(s->walks);
    scan_patterns_free(s->pats, s->n_pats);
    scan_free_list(s->roots, s->n_roots);
    scan_free_list(s->blind, s->n_blind);
    nx_buf_free(&s->out_path);
    nx_free(s);
}
