/*
 * newsidx.h - the public API of libnewsidx.
 *
 * libnewsidx keeps a full-text index of news items (Markdown files with YAML
 * front matter) in one SQLite file with FTS5.  This header is the only one
 * installed; every type is opaque and nothing here exposes SQLite, libyaml or
 * utf8proc.
 *
 * Conventions
 * - Fallible functions return a newsidx_status: NEWSIDX_OK (0) on success, a
 *   negative code on failure.  Details go into a caller-owned newsidx_error,
 *   passed last; it may be NULL.  The library keeps no global state, prints
 *   nothing and never exits the process.
 * - An object returned through `**out` belongs to the caller and is freed by
 *   the type's one destructor, which accepts NULL.  On failure `*out` is NULL.
 * - A returned `const char *` is borrowed; its comment says how long it lives.
 *
 * Threads and processes
 * - A newsidx_index handle must be used by one thread at a time.  Open one
 *   handle per thread.
 * - Several processes may open one index file at once.  The file is in WAL
 *   mode: readers keep working while one writer indexes.  A second writer
 *   waits for the first (up to the busy timeout) and then fails with
 *   NEWSIDX_BUSY.
 */
#ifndef NEWSIDX_H
#define NEWSIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(NEWSIDX_BUILDING_SHARED)
#define NEWSIDX_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(NEWSIDX_BUILDING)
#define NEWSIDX_API __attribute__((visibility("default")))
#else
#define NEWSIDX_API
#endif

#define NEWSIDX_VERSION_MAJOR 0
#define NEWSIDX_VERSION_MINOR 1
#define NEWSIDX_VERSION_PATCH 0
#define NEWSIDX_VERSION_STRING "0.1.0"

/** The index file format this library reads and writes. */
#define NEWSIDX_SCHEMA_VERSION 1

/** Status codes.  NEWSIDX_OK is 0, failures are negative. */
typedef enum newsidx_status {
    NEWSIDX_OK = 0,         /* success */
    NEWSIDX_DONE = 1,       /* an iteration has ended; not an error */
    NEWSIDX_NOTFOUND = -1,  /* no such file, document or item */
    NEWSIDX_EXISTS = -2,    /* the object already exists */
    NEWSIDX_PARSE = -3,     /* malformed input: YAML or query syntax */
    NEWSIDX_SCHEMA = -4,    /* the index file has another schema version */
    NEWSIDX_IO = -5,        /* a file or database could not be read/written */
    NEWSIDX_NOMEM = -6,     /* out of memory */
    NEWSIDX_BUSY = -7,      /* another writer holds the index */
    NEWSIDX_CANCELLED = -8, /* the caller's cancel flag was raised */
    NEWSIDX_INVALID = -9,   /* an argument is out of range */
    NEWSIDX_READONLY = -10, /* a write through a read-only handle */
    NEWSIDX_INTERNAL = -11  /* a bug or a corrupt index */
} newsidx_status;

/**
 * Details of the last failure, owned by the caller.  No allocation is
 * involved, so it works even when memory runs out.  `code` repeats the
 * returned status; `message` is one line, lower case, no final period.
 */
typedef struct newsidx_error {
    int code;
    char message[256];
} newsidx_error;

/** The symbolic name of a status ("NEWSIDX_PARSE"); a static string. */
NEWSIDX_API const char *newsidx_strerror(int status);

/** The library version as "MAJOR.MINOR.PATCH"; a static string. */
NEWSIDX_API const char *newsidx_version(void);

/** Free a string or buffer the library allocated for the caller.  NULL ok. */
NEWSIDX_API void newsidx_free(void *ptr);

/* ------------------------------------------------------------------------
 * Opening an index
 * ------------------------------------------------------------------------ */

typedef struct newsidx_index newsidx_index;

/** Flags for newsidx_index_open(). */
#define NEWSIDX_OPEN_READONLY 0x1u /* never write; the file must exist */
#define NEWSIDX_OPEN_CREATE   0x2u /* create the file if it does not exist */
#define NEWSIDX_OPEN_REBUILD  0x4u /* an index of another schema version is
                                      emptied and recreated, not refused */

/**
 * Open (and with NEWSIDX_OPEN_CREATE, create) an index file.
 *
 * @param out   receives the handle, owned by the caller; close it with
 *              newsidx_index_close().  NULL on failure.
 * @param path  the index file name.
 * @param flags NEWSIDX_OPEN_* flags.
 * @param err   optional error details.
 * @return NEWSIDX_OK;
 *         NEWSIDX_NOTFOUND if the file does not exist and CREATE is not set;
 *         NEWSIDX_SCHEMA if the file is not a newsidx index, or has another
 *         schema version and NEWSIDX_OPEN_REBUILD is not given;
 *         NEWSIDX_INVALID for READONLY with CREATE or REBUILD;
 *         NEWSIDX_IO if the file cannot be opened or SQLite lacks FTS5;
 *         NEWSIDX_BUSY if the file stays locked past the busy timeout;
 *         NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_index_open(newsidx_index **out, const char *path,
                                   unsigned flags, newsidx_error *err);

/** Close an index handle.  NULL is allowed. */
NEWSIDX_API void newsidx_index_close(newsidx_index *idx);

/** The schema version recorded in the open index file. */
NEWSIDX_API int newsidx_index_schema_version(const newsidx_index *idx);

/**
 * Count the indexed news items.
 *
 * @return NEWSIDX_OK; NEWSIDX_IO or NEWSIDX_BUSY on a database error.
 */
NEWSIDX_API int newsidx_index_count(int64_t *count_out, newsidx_index *idx,
                                    newsidx_error *err);

/* ------------------------------------------------------------------------
 * Indexing
 * ------------------------------------------------------------------------ */

/** What happened to one file, as reported to a newsidx_event_cb. */
typedef enum newsidx_event_kind {
    NEWSIDX_EVENT_ADDED,     /* a new news item was indexed */
    NEWSIDX_EVENT_UPDATED,   /* a changed file was indexed again */
    NEWSIDX_EVENT_RENAMED,   /* a file moved; `old_path` says from where */
    NEWSIDX_EVENT_REMOVED,   /* a file vanished; its item was removed */
    NEWSIDX_EVENT_SKIPPED,   /* not a news item (no front matter, or neither
                                title nor excerpt); `message` says why */
    NEWSIDX_EVENT_FAILED,    /* the file could not be indexed */
    NEWSIDX_EVENT_WARNING,   /* the item was indexed, but a value could not
                                be mapped or had to be repaired */
    NEWSIDX_EVENT_UNCHANGED  /* the file did not change since the last run */
} newsidx_event_kind;

/**
 * One event.  Every pointer is borrowed and valid only during the callback.
 * `line` and `column` are 1-based positions in the file, 0 when unknown.
 * `field` names the front-matter key a warning is about, or NULL.
 */
typedef struct newsidx_event {
    newsidx_event_kind kind;
    const char *path;     /* the file */
    const char *old_path; /* RENAMED: the previous path; otherwise NULL */
    unsigned line;        /* 1-based line, 0 if unknown */
    unsigned column;      /* 1-based column, 0 if unknown */
    const char *field;    /* front-matter key or NULL */
    const char *message;  /* reason, one line; NULL for plain successes */
} newsidx_event;

typedef void (*newsidx_event_cb)(const newsidx_event *event, void *payload);

/** Progress of newsidx_index_paths(), reported to a newsidx_progress_cb. */
typedef struct newsidx_progress {
    uint64_t files_done;  /* files looked at so far */
    uint64_t files_total; /* files found by the walk */
    uint64_t bytes_done;  /* bytes of files read so far */
    int phase;            /* 0 = walking folders, 1 = indexing, 2 = removing */
} newsidx_progress;

typedef void (*newsidx_progress_cb)(const newsidx_progress *progress,
                                    void *payload);

/** Options for newsidx_index_paths(); start from NEWSIDX_INDEX_OPTIONS_INIT. */
typedef struct newsidx_index_options {
    unsigned version;               /* NEWSIDX_INDEX_OPTIONS_VERSION */
    const char *const *extensions;  /* file name endings without the dot;
                                       NULL = "md", "markdown", "txt" */
    size_t n_extensions;            /* entries in `extensions` */
    bool is_rebuild;                /* drop everything and start over */
    unsigned batch_size;            /* files per transaction; 0 = 500 */
    uint64_t max_file_size;         /* bytes; larger files fail; 0 = 16 MiB */
    newsidx_event_cb on_event;      /* per-file events, or NULL */
    newsidx_progress_cb on_progress; /* progress, or NULL */
    void *payload;                  /* passed to both callbacks */
    const volatile int *cancel;     /* stop soon when *cancel != 0; or NULL */
} newsidx_index_options;

#define NEWSIDX_INDEX_OPTIONS_VERSION 1
#define NEWSIDX_INDEX_OPTIONS_INIT                                           \
    {                                                                        \
        NEWSIDX_INDEX_OPTIONS_VERSION, NULL, 0, false, 0, 0, NULL, NULL,     \
            NULL, NULL                                                       \
    }

/** Counts from one newsidx_index_paths() run. */
typedef struct newsidx_index_stats {
    uint64_t added;     /* new items */
    uint64_t updated;   /* changed files indexed again */
    uint64_t renamed;   /* files that moved (counted once, not as add+remove) */
    uint64_t unchanged; /* files not re-read */
    uint64_t removed;   /* items whose files vanished */
    uint64_t skipped;   /* files that are not news items */
    uint64_t failed;    /* files that could not be indexed */
    uint64_t warnings;  /* per-field warnings on indexed items */
    uint64_t bytes;     /* bytes read */
    double seconds;     /* wall-clock time of the run */
} newsidx_index_stats;

/**
 * Bring the index up to date with the files under `paths`.
 *
 * Each path is a file or a folder, walked recursively (symbolic links to
 * folders are not followed).  Only files whose size or mtime changed are
 * read again, and a content hash confirms the change.  Files that vanished
 * from under a given folder are removed from the index; a file that moved
 * keeps its item.  Work is committed in batches, so a killed run leaves a
 * consistent index that the next run completes.
 *
 * Per-file problems are not failures of the call: they are counted in
 * `stats_out` and reported to `opts->on_event`.
 *
 * @param stats_out receives the counts (may be NULL).
 * @param idx       a read-write handle.
 * @param paths     files and folders.
 * @param n_paths   number of entries in `paths`.
 * @param opts      options, or NULL for the defaults.
 * @param err       optional error details.
 * @return NEWSIDX_OK even when some files failed;
 *         NEWSIDX_NOTFOUND if none of the paths exists (an error message
 *         names the first);
 *         NEWSIDX_READONLY for a read-only handle;
 *         NEWSIDX_CANCELLED if `*opts->cancel` became non-zero (what was
 *         committed stays);
 *         NEWSIDX_BUSY, NEWSIDX_IO, NEWSIDX_NOMEM, NEWSIDX_INVALID (bad
 *         options version).
 */
NEWSIDX_API int newsidx_index_paths(newsidx_index_stats *stats_out,
                                    newsidx_index *idx,
                                    const char *const *paths, size_t n_paths,
                                    const newsidx_index_options *opts,
                                    newsidx_error *err);

/**
 * Add or replace one document held in memory.
 *
 * `source` names the document (it becomes the item's path; it need not be a
 * file).  `buf` holds the file text: front matter between `---` lines and an
 * optional body.  Warnings go to `on_event` if given.
 *
 * @return NEWSIDX_OK (added or replaced);
 *         NEWSIDX_PARSE if the front matter is malformed (the message has
 *         line and column);
 *         NEWSIDX_NOTFOUND if the text is not a news item (no front matter,
 *         or neither title nor excerpt);
 *         NEWSIDX_READONLY, NEWSIDX_BUSY, NEWSIDX_IO, NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_index_add_buffer(newsidx_index *idx,
                                         const char *source, const char *buf,
                                         size_t len, newsidx_event_cb on_event,
                                         void *payload, newsidx_error *err);

/**
 * Remove the document indexed under `source` (a path or buffer source name).
 *
 * @return NEWSIDX_OK; NEWSIDX_NOTFOUND if nothing is indexed under it;
 *         NEWSIDX_READONLY, NEWSIDX_BUSY, NEWSIDX_IO.
 */
NEWSIDX_API int newsidx_index_remove(newsidx_index *idx, const char *source,
                                     newsidx_error *err);

/* ------------------------------------------------------------------------
 * Text normalization
 * ------------------------------------------------------------------------ */

/**
 * Normalize text the way the index does for matching: NFKC, full case
 * folding, diacritics removed, whitespace and control characters collapsed,
 * dotted abbreviations joined and CJK characters split.  Query front ends
 * pass user text through this so that `Zürich`, `zurich` and `ZURICH` match.
 *
 * @param out receives a NUL-terminated UTF-8 string owned by the caller;
 *            free it with newsidx_free().
 * @return NEWSIDX_OK; NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_normalize(char **out, const char *text, size_t len,
                                  newsidx_error *err);

#ifdef __cplusplus
}
#endif

#endif /* NEWSIDX_H */
