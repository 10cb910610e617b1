/*
 * write.h - the write half of libnewsidx (indexer/): the folder walk, the
 * front matter, preparing and storing items, the fts queue and the
 * indexing pipeline.  It stands on the format layer (format.h) and never
 * sees the read half (query/).  One section per file.  Not installed.
 */
#ifndef NX_WRITE_H
#define NX_WRITE_H

#include "format.h"

/**************************************************************************
** Interface to code in frontmatter.c (owns libyaml)
*/

/* A per-field problem: the value could not be mapped as it stands (it is
 * kept raw in `extra_json`, or was rounded, joined or replaced).  Display
 * repairs (mojibake, entities) are not warnings.  `field` is NULL for a
 * problem of the whole file, such as replaced invalid UTF-8. */
typedef struct nx_warning {
    unsigned line;   /* 1-based line in the file */
    unsigned column; /* 1-based column */
    char *field;     /* key path, e.g. "quality" or "related[2].title" */
    char *message;   /* one line, lower case */
} nx_warning;

/* One entry of an item's `related:` list. */
typedef struct nx_related {
    char *title;           /* display text, repaired; or NULL */
    char *excerpt;         /* display text, repaired; or NULL */
    char *url;             /* webUrl as written (trimmed), or NULL */
    char *amp_url;         /* ampWebUrl or NULL */
    char *cdn_amp_url;     /* cdnAmpWebUrl or NULL */
    char *type;            /* or NULL */
    char *provider_name;   /* or NULL */
    char *provider_domain; /* or NULL */
    int64_t published_at;  /* Unix seconds, UTC */
    bool has_published_at;
    int64_t quality;
    bool has_quality;
    char *images_json; /* JSON array, or NULL */
    char *extra_json;  /* JSON object of other keys and unmapped
                          values, or NULL */
} nx_related;

/* One news item as read from front matter.  All strings are valid UTF-8,
 * owned by the item; NULL when the key is absent. */
typedef struct nx_item {
    char *category;
    char *title;   /* display text, repaired */
    char *excerpt; /* display text, repaired */
    char *type;
    char *web_url;
    char *original_url;
    char *amp_url;
    char *cdn_amp_url;
    char *secured;
    int64_t published_at; /* Unix seconds, UTC */
    bool has_published_at;
    int64_t quality;
    bool has_quality;
    int64_t heat; /* -1 in the file means unknown: has_heat false */
    bool has_heat;
    int published; /* 1, 0, or -1 when absent or unmappable */
    char *provider_name;
    char *provider_domain;
    char *provider_images_json; /* JSON array or NULL */
    char **topics;              /* repaired display text */
    size_t n_topics;
    char *images_json; /* JSON array or NULL */
    nx_related *related;
    size_t n_related;
    char *extra_json; /* JSON object: unknown keys and values that
                         could not be mapped, under their own key */
    char *body;       /* text after the closing delimiter, or NULL */
    nx_warning *warnings;
    size_t n_warnings;
} nx_item;

/* Where a parse failed (1-based; 0 when unknown). */
typedef struct nx_parse_pos {
    unsigned line;
    unsigned column;
} nx_parse_pos;

/*
 * Parse one file's text.  `buf` need not be NUL-terminated and may hold
 * anything: invalid UTF-8 and control characters are replaced (and warned
 * about), a BOM and CRLF line endings are accepted.
 *
 * Returns
 * - NEWSIDX_OK and `*out` (free with nx_item_free) for a news item;
 * - NEWSIDX_NOTFOUND when the text is not a news item: no front matter
 *   (the first line is not `---`), or a mapping with neither title nor
 *   excerpt; `err` says which;
 * - NEWSIDX_PARSE for malformed front matter: never closed, bad YAML, not a
 *   mapping, more than one document, or over a limit: nesting deeper than
 *   64 levels, more than 100000 node visits (alias expansions counted),
 *   1000 anchors or 10000 aliases; `pos_out` (may be NULL) gets the
 *   position in the file and `err` the reason;
 * - NEWSIDX_NOMEM.
 */
int nx_frontmatter_parse(nx_item **out, const char *buf, size_t len,
                         nx_parse_pos *pos_out, newsidx_error *err);

void nx_item_free(nx_item *item);

/**************************************************************************
** Interface to code in prepare.c
**
** What store.c writes for an item, worked out from the item alone, so that
** the indexing pipeline can do it off the writing thread.
*/
/* Per-thread state of nx_prep_doc: a tokenizer and scratch space. */
typedef struct nx_prep nx_prep;
/* A new preparer with a tokenizer from `db`'s FTS5 (made on the thread
 * that owns `db`; then usable on any one thread).  SQLite result code. */
int nx_prep_new(nx_prep **out, sqlite3 *db);
void nx_prep_free(nx_prep *p);
/* Prepare `item` into `out` (free with nx_doc_clear; on failure it is
 * cleared already).  NEWSIDX_OK or NEWSIDX_NOMEM. */
int nx_prep_doc(nx_prep *p, nx_doc *out, const nx_item *item);
void nx_doc_clear(nx_doc *doc);

/**************************************************************************
** Interface to code in store.c
**
** Every INSERT/UPDATE/DELETE of files and items.  (SQLite result codes
** become statuses in db.c: nx_db_error.)
*/
/* Prepared statements of store.c, cached for the life of the handle. */
enum nx_stmt_id {
    NX_STMT_FILE_GET,
    NX_STMT_FILE_INSERT,
    NX_STMT_FILE_UPDATE,
    NX_STMT_FILE_MOVE,
    NX_STMT_FILE_DELETE,
    NX_STMT_ITEM_INSERT,
    NX_STMT_ITEM_DELETE,
    NX_STMT_ITEM_EXISTS,
    NX_STMT_TOPIC_GET,
    NX_STMT_TOPIC_INSERT,
    NX_STMT_ITEM_TOPIC_INSERT,
    NX_STMT_ITEM_TOPIC_DELETE,
    NX_STMT_PROVIDER_GET,
    NX_STMT_PROVIDER_INSERT,
    NX_STMT_PROVIDER_IMAGES,
    NX_STMT_RELATED_INSERT,
    NX_STMT_RELATED_DELETE,
    NX_STMT_UNDER_ROOT,
    NX_STMT_ITEM_HAS_WARNINGS,
    NX_STMT_ITEM_WARNINGS,
    NX_STMT_TITLE_KEY_INSERT,
    NX_STMT_TITLE_KEY_DELETE,
    NX_STMT_COUNT
};

/* What the index knows about one file. */
typedef enum nx_file_status {
    NX_FILE_NEWS = 0,    /* indexed as a news item (items.id == files.id) */
    NX_FILE_SKIPPED = 1, /* not a news item */
    NX_FILE_FAILED = 2   /* could not be indexed; message says why */
} nx_file_status;

typedef struct nx_file_rec {
    int64_t id;
    int64_t size; /* bytes; -1 for a document added from memory */
    int64_t mtime_ns;
    uint64_t hash;
    nx_file_status status;
    char *message; /* skip/failure reason or NULL */
    unsigned line, column;
} nx_file_rec;

void nx_file_rec_clear(nx_file_rec *rec);

/* The write half's state on the handle (store.c attaches it): the cached
 * statements, the fts queue and the preparer of the calling thread. */
typedef struct nx_write_half {
    sqlite3_stmt *stmt[NX_STMT_COUNT];
    struct nx_fts_queue *fts_queue; /* see ftsqueue.c; NULL until used */
    struct nx_prep *prep; /* for items prepared on the calling thread */
} nx_write_half;
/* The write half's state, made and attached on first use; NULL when out
 * of memory. */
nx_write_half *nx_write_half_of(newsidx_index *idx);

/* Look a file up by path: NEWSIDX_OK, NEWSIDX_NOTFOUND, or an error. */
int nx_store_file_get(nx_file_rec *out, newsidx_index *idx, const char *path,
                      newsidx_error *err);
/* Insert (rec->id == 0; the new id is stored in rec->id) or update a file
 * row. */
int nx_store_file_put(newsidx_index *idx, nx_file_rec *rec, const char *path,
                      newsidx_error *err);
int nx_store_file_move(newsidx_index *idx, int64_t id, const char *new_path,
                       int64_t size, int64_t mtime_ns, newsidx_error *err);
/* Delete a file row with its item, if any. */
int nx_store_file_delete(newsidx_index *idx, int64_t id, newsidx_error *err);
/* Write `item`, prepared as `doc`, as the item of file `id`, replacing
 * the old one.  The texts of `doc` are taken over (set to NULL). */
int nx_store_item_put(newsidx_index *idx, int64_t id, const nx_item *item,
                      nx_doc *doc, newsidx_error *err);
/* nx_store_item_put for an item prepared here, on the calling thread. */
int nx_store_item_put_now(newsidx_index *idx, int64_t id, const nx_item *item,
                          newsidx_error *err);
/* Remove the item of file `id` (no error if there is none). */
int nx_store_item_delete(newsidx_index *idx, int64_t id, newsidx_error *err);
/* Whether file `id` has an item (a file that failed keeps its last good
 * one). */
int nx_store_item_exists(bool *out, newsidx_index *idx, int64_t id,
                         newsidx_error *err);
/* Call `cb` with each warning stored with the item of file `id` (items
 * .warnings); `*n_out` receives their number (0 without an item).  What
 * the stored JSON lacks comes as 0 or NULL; stored JSON that is not an
 * array of objects yields none.  The strings are valid during the call. */
typedef void (*nx_store_warning_fn)(unsigned line, unsigned column,
                                    const char *field, const char *message,
                                    void *payload);
int nx_store_item_warnings(size_t *n_out, newsidx_index *idx, int64_t id,
                           nx_store_warning_fn cb, void *payload,
                           newsidx_error *err);
/* Remove everything (files, items, ...): the tables made anew, a damaged
 * record with them; meta 'weights' is kept. */
int nx_store_clear(newsidx_index *idx, newsidx_error *err);

/* The prior level of an item (nx_prior_level_of, score.c). */
int nx_prior_level(const nx_item *item);

/**************************************************************************
** Interface to code in ftsqueue.c
**
** Every write to the fts table (columns title, excerpt, body, tags; the
** rowid is the item id) and the term counts that go with it.  Writes wait
** in a queue and go to FTS5 in rowid order at nx_fts_flush (before
** COMMIT).  Functions return SQLite result codes.
*/
typedef struct nx_fts_queue nx_fts_queue;
/* Queue fts row `id`: doc's texts (taken over: set to NULL) and `tags`
 * (taken over, freed with nx_free, even on failure); counts its terms. */
int nx_fts_add(newsidx_index *idx, int64_t id, nx_doc *doc, char *tags,
               size_t tags_len);
/* Take fts row `id` out: at once when it is still queued, else by a queued
 * delete; its terms are uncounted either way. */
int nx_fts_remove(newsidx_index *idx, int64_t id);
int nx_fts_flush(newsidx_index *idx);
void nx_fts_discard(newsidx_index *idx);
void nx_fts_free(newsidx_index *idx);

/**************************************************************************
** Interface to code in scan.c
**
** Walking folders, one candidate file at a time, in path order (bytewise,
** as SQLite's BINARY collation sorts), without duplicates.  A walk keeps
** only the folders on its current path: its memory follows the largest
** folder, not the tree.
*/
typedef struct nx_scan_entry {
    const char *path; /* absolute; valid until the next nx_scan_next */
    int64_t size;     /* 0 with NX_SCAN_NAMES_ONLY */
    int64_t mtime_ns;
} nx_scan_entry;

typedef struct nx_scan nx_scan;

typedef void (*nx_scan_report_fn)(const char *path, int err_no,
                                  const char *what, void *payload);

/* Names only: no size or mtime, and a stat only where the folder listing
 * does not say whether an entry is a file or a folder; what cannot be
 * walked is not reported (a first pass before the walk that does). */
#define NX_SCAN_NAMES_ONLY 1u
/* Given paths that cannot be accessed are not reported (the first pass
 * did). */
#define NX_SCAN_QUIET_ROOTS 2u

/* What a walk takes besides its paths. */
typedef struct nx_scan_opts {
    const char *const *exts; /* endings; NULL = md, markdown, txt */
    size_t n_exts;
    const char *const *excludes; /* patterns (nx_scan_pattern_check) */
    size_t n_excludes;
    unsigned flags;           /* NX_SCAN_* */
    nx_scan_report_fn report; /* may be NULL */
    void *payload;
} nx_scan_opts;

/* The name of the file of patterns read at the top of each folder given. */
#define NX_SCAN_IGNORE_FILE ".newsidxignore"

/* A walk of `paths` for files with one of `opts->exts` (a file given by
 * name is always taken).  Inside a folder given, what matches one of
 * `opts->excludes` or of the folder's NX_SCAN_IGNORE_FILE is left out
 * (the syntax is newsidx_index_paths's).  Given paths and entries that
 * cannot be looked at are reported through `opts->report` (see the
 * flags), the entries as the walk meets them, and skipped.
 * NEWSIDX_NOTFOUND when no path exists at all; NEWSIDX_INVALID for a bad
 * pattern (of an ignore file: the message names it and the line);
 * NEWSIDX_IO for an ignore file that cannot be read; NEWSIDX_NOMEM. */
int nx_scan_open(nx_scan **out, const char *const *paths, size_t n_paths,
                 const nx_scan_opts *opts, newsidx_error *err);
/* NEWSIDX_OK if `pattern` may be an exclude pattern, else NEWSIDX_INVALID
 * with a message naming it: empty (or only '/'), or starting with '!'
 * (gitignore's exceptions, which the walk does not have). */
int nx_scan_pattern_check(const char *pattern, newsidx_error *err);
/* Does `pattern` match `rel`, a path from a folder given ("a/b.md"), of a
 * folder when `is_dir`?  (The walk's test, for the unit tests.) */
bool nx_scan_pattern_matches(const char *pattern, const char *rel, bool is_dir);
/* The next file, or NULL at the end or after a failure (nx_scan_status). */
const nx_scan_entry *nx_scan_next(nx_scan *scan);
int nx_scan_status(const nx_scan *scan, newsidx_error *err);
/* The folders given (real paths), in the order of the paths under them,
 * none inside another: their files may be removed from the index when
 * they vanish. */
size_t nx_scan_roots(const nx_scan *scan, const char *const **roots);
/* Is `path` under one of the folders given and not under a folder the walk
 * could not read (of those it met so far)? */
bool nx_scan_covers(const nx_scan *scan, const char *path);
void nx_scan_close(nx_scan *scan);
/* Does the file name end in one of the extensions (case-insensitive)? */
bool nx_scan_ext_matches(const char *path, const char *const *exts,
                         size_t n_exts);

/**************************************************************************
** Interface to code in vanished.c
**
** The indexed files a run of newsidx_index_paths no longer finds where
** they were: its first walk finds them, a new file with the same content
** claims one (a rename), and the run removes the rest at its end.
*/
typedef struct nx_vanished {
    int64_t id;
    uint64_t hash;
    nx_file_status status;
    char *path;
    bool is_claimed; /* a new file with the same content took it over */
} nx_vanished;

typedef struct nx_vanished_set {
    nx_vanished *files; /* sorted by hash */
    size_t n_files;
    size_t n_walked; /* files the walk met */
} nx_vanished_set;

/* Called at each file the walk meets, with the number met so far. */
typedef void (*nx_vanished_count_fn)(size_t n_walked, void *payload);

/* Walk `scan` (names only; closed here) along the index's list of the
 * files under its folders, both in path order, into `set` (zeroed by the
 * caller; free with nx_vanished_free, even on failure): an indexed file
 * the walk passed without finding it vanished, unless it is under a
 * folder the walk could not read.  Counts the files through `counted`.
 * NEWSIDX_OK, the walk's failure (nx_scan_status), NEWSIDX_NOMEM, or a
 * database failure. */
int nx_vanished_find(nx_vanished_set *set, newsidx_index *idx, nx_scan *scan,
                     nx_vanished_count_fn counted, void *payload,
                     newsidx_error *err);
/* A vanished file with this content hash, not yet claimed, or NULL. */
nx_vanished *nx_vanished_match(nx_vanished_set *set, uint64_t hash);
void nx_vanished_free(nx_vanished_set *set);

/**************************************************************************
** Interface to code in pipeline.c
**
** The indexing pipeline of newsidx_index_paths: the calling thread looks
** the walked files up in the index up to a window ahead of where it
** writes, and posts them as jobs in a ring; one worker thread reads,
** hashes and parses the changed ones in walk order while the calling
** thread writes the ones before.  A job's position counts the jobs posted
** before it; the worker owns the posted jobs it is not through with, the
** caller every other.  Without a worker (the thread could not be started)
** nx_pipe_wait does the work on the calling thread.
*/
typedef enum nx_pipe_job_state {
    NX_PIPE_JOB_UNCHANGED = 1, /* same size and mtime: not read */
    NX_PIPE_JOB_QUEUED         /* for the worker to read, hash and parse */
} nx_pipe_job_state;

/* One walked file on its way through the pipeline. */
typedef struct nx_pipe_job {
    nx_scan_entry entry; /* its path in path_buf */
    nx_buf path_buf;     /* kept by nx_pipe_done, for the next job */
    nx_file_rec rec;     /* what the index knows of it (if is_known) */
    bool is_known;
    nx_pipe_job_state state;
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
} nx_pipe_job;

typedef struct nx_pipe nx_pipe;

/* A pipeline for a walk of `n_files` files (the size of its ring), whose
 * worker fails files over `max_file_size` bytes; its preparer is made
 * here, from `idx`'s connection.  NEWSIDX_NOMEM or a database failure;
 * *out is NULL on failure. */
int nx_pipe_start(nx_pipe **out, newsidx_index *idx, uint64_t n_files,
                  uint64_t max_file_size, newsidx_error *err);
/* Stop the worker and free the pipeline and its jobs; NULL is fine. */
void nx_pipe_stop(nx_pipe *pipe);
/* The slot of the next job to post, the caller's to fill until posted. */
nx_pipe_job *nx_pipe_slot(nx_pipe *pipe);
/* The number of jobs posted: the position of the next. */
size_t nx_pipe_n_posted(const nx_pipe *pipe);
/* Whether `entry`, the walk's next file (NULL at the end), may be posted
 * while the job at `pos` is the next to write: always when nothing is in
 * flight, else when the window has room for it in files and in bytes. */
bool nx_pipe_may_post(const nx_pipe *pipe, size_t pos,
                      const nx_scan_entry *entry);
/* Post the slot's job to the worker or, with is_done, as done at once. */
void nx_pipe_post(nx_pipe *pipe, bool is_done);
/* The job at `pos`, once the worker is through with it. */
nx_pipe_job *nx_pipe_wait(nx_pipe *pipe, size_t pos);
/* Empty a written job's slot for the next one; its item and doc go to
 * the worker to free. */
void nx_pipe_done(nx_pipe *pipe, nx_pipe_job *job);

#endif /* NX_WRITE_H */
