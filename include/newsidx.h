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

#define NEWSIDX_VERSION_MAJOR  0
#define NEWSIDX_VERSION_MINOR  3
#define NEWSIDX_VERSION_PATCH  0
#define NEWSIDX_VERSION_STRING "0.3.0"

/** The index file format this library reads and writes. */
#define NEWSIDX_SCHEMA_VERSION 8

/** Status codes.  NEWSIDX_OK is 0, failures are negative.
 *
 * Every iteration ends the same way: newsidx_results_next(),
 * newsidx_results_facet(), newsidx_results_suggestion(),
 * newsidx_query_form() and newsidx_stem_language_name() return NEWSIDX_OK
 * with their outputs set, and NEWSIDX_DONE past the end (outputs NULL or
 * 0).  The lists of a hit (topics, related entries, collapsed ids) have a
 * count function instead, and are read by index below it. */
typedef enum newsidx_status {
    NEWSIDX_OK = 0,         /* success */
    NEWSIDX_DONE = 1,       /* an iteration has ended; not an error */
    NEWSIDX_NOTFOUND = -1,  /* no such file, document or item */
    NEWSIDX_EXISTS = -2,    /* reserved: no function returns it */
    NEWSIDX_PARSE = -3,     /* malformed input: YAML or query syntax */
    NEWSIDX_SCHEMA = -4,    /* not a newsidx index, or of another schema
                               version */
    NEWSIDX_IO = -5,        /* a file or database could not be read/written */
    NEWSIDX_NOMEM = -6,     /* out of memory */
    NEWSIDX_BUSY = -7,      /* another writer holds the index */
    NEWSIDX_CANCELLED = -8, /* the caller's cancel flag was raised */
    NEWSIDX_INVALID = -9,   /* an argument is out of range */
    NEWSIDX_READONLY = -10, /* a write through a read-only handle */
    NEWSIDX_INTERNAL = -11, /* a bug in newsidx */
    NEWSIDX_CORRUPT = -12   /* the index file is damaged (since 0.1.0) */
} newsidx_status;

/*
 * An index file is data that travels, and the library trusts none of it:
 * a damaged or hostile file gives NEWSIDX_CORRUPT, with a message naming
 * the damaged record, from any function that reads it (never a crash or
 * an allocation sized by the file).  newsidx_index_paths() with the
 * `is_rebuild` option makes every table anew, whatever the damage.
 */

/**
 * Details of the last failure, owned by the caller.  No allocation is
 * involved, so it works even when memory runs out.  `code` repeats the
 * returned status; `message` is one line, lower case, no final period.
 */
typedef struct newsidx_error {
    int code;
    unsigned line;   /* 1-based position of a NEWSIDX_PARSE problem, or 0 */
    unsigned column; /* 1-based; for a query, the character in the query */
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
/* An index of another schema version is emptied and recreated, not
 * refused. */
#define NEWSIDX_OPEN_REBUILD 0x4u

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

/**
 * Close an index handle.  NULL is allowed.  Queries (and their results)
 * still alive keep it open and usable: it is closed when the last of them
 * is freed, as sqlite3_close_v2() does (since 0.3.0; before, that was a
 * use after free).
 */
NEWSIDX_API void newsidx_index_close(newsidx_index *idx);

/**
 * Fold the write-ahead log ("<index>-wal") into the index file and empty it.
 *
 * Writes are committed to the log first.  Closing the last handle on the
 * file folds the log too, but cannot report a failure: call this after the
 * last write (newsidx_index_paths() does not) to learn whether the fold
 * worked; on a full disk it cannot.  A failure loses nothing: the writes
 * stay committed in the log, queries see them, and the next fold that
 * succeeds (this call or a close, in any process) completes it.
 *
 * Readers in the middle of a query keep the part of the log they read
 * from; that is not a failure, and the call does not wait for them.
 *
 * @param idx a read-write handle with no transaction open.
 * @param err optional error details.
 * @return NEWSIDX_OK, also when readers or another writer hold part of the
 *         log;
 *         NEWSIDX_IO if the index file cannot be written (a full disk, an
 *         I/O error); the message names the file and the reason;
 *         NEWSIDX_READONLY for a read-only handle;
 *         NEWSIDX_CORRUPT if the log or the file is damaged;
 *         NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_index_checkpoint(newsidx_index *idx,
                                         newsidx_error *err);

/**
 * Set the language the index stems words in ("english" when created; any
 * Snowball algorithm name such as "german" or "french", or "none").  A
 * query word finds the other forms of it the index holds ("robots" finds
 * "robot"), in this language; the stems of every word the index holds are
 * stored again, so that the next query uses it (the texts are not indexed
 * again).  Takes the indexing lock.
 *
 * @return NEWSIDX_OK; NEWSIDX_INVALID for an unknown language (the
 *         message says how to list them); NEWSIDX_READONLY; NEWSIDX_BUSY if
 * another writer holds the index; NEWSIDX_IO; NEWSIDX_CORRUPT; NEWSIDX_NOMEM.
 * @since 0.2.0
 */
NEWSIDX_API int newsidx_index_set_stem_language(newsidx_index *idx,
                                                const char *language,
                                                newsidx_error *err);

/**
 * The languages newsidx_index_set_stem_language() takes: the i-th name
 * (libstemmer's, in its order), "none" last.
 *
 * @param name receives the name, a static string; NULL past the end.
 * @return NEWSIDX_OK; NEWSIDX_DONE when `i` is past the last name.
 * @since 0.3.0 (0.2 returned the name, NULL past the end)
 */
NEWSIDX_API int newsidx_stem_language_name(const char **name, size_t i);

/**
 * The language the index stems words in (see
 * newsidx_index_set_stem_language()).
 *
 * @param out receives the name, borrowed: valid until the next call on
 *            `idx` or its close.
 * @return NEWSIDX_OK; NEWSIDX_IO; NEWSIDX_CORRUPT (a name that is no
 *         language); NEWSIDX_NOMEM.
 * @since 0.2.0
 */
NEWSIDX_API int newsidx_index_stem_language(const char **out,
                                            newsidx_index *idx,
                                            newsidx_error *err);

/** The schema version recorded in the open index file. */
NEWSIDX_API int newsidx_index_schema_version(const newsidx_index *idx);

/**
 * Count the indexed news items.
 *
 * @return NEWSIDX_OK; NEWSIDX_IO or NEWSIDX_BUSY on a database error;
 *         NEWSIDX_CORRUPT for a damaged index.
 */
NEWSIDX_API int newsidx_index_count(int64_t *count_out, newsidx_index *idx,
                                    newsidx_error *err);

/* ------------------------------------------------------------------------
 * Indexing
 * ------------------------------------------------------------------------ */

/** What happened to one file, as reported to a newsidx_event_cb. */
typedef enum newsidx_event_kind {
    NEWSIDX_EVENT_ADDED,    /* a new news item was indexed */
    NEWSIDX_EVENT_UPDATED,  /* a changed file was indexed again */
    NEWSIDX_EVENT_RENAMED,  /* a file moved; `old_path` says from where */
    NEWSIDX_EVENT_REMOVED,  /* a file vanished; its item was removed */
    NEWSIDX_EVENT_SKIPPED,  /* not a news item (no front matter, or neither
                               title nor excerpt); `message` says why.
                               Told when the file is first seen or has
                               changed, not on every run (see is_retell) */
    NEWSIDX_EVENT_FAILED,   /* the file could not be indexed */
    NEWSIDX_EVENT_WARNING,  /* the item was indexed, but a value could not
                               be mapped as written (it is kept raw).  Told
                               when the file is read (see is_retell) */
    NEWSIDX_EVENT_UNCHANGED /* the file did not change since the last run */
} newsidx_event_kind;

/**
 * One event.  Every pointer is borrowed and valid only during the callback.
 * `line` and `column` are 1-based positions in the file, 0 when unknown.
 * `field` names the front-matter key a warning is about, or NULL.
 *
 * A file that failed is reported as FAILED on every run until it is fixed
 * or gone (an error to act on), with `is_retold` set when the file did not
 * change.  A file that is not a news item (SKIPPED) and the warnings of an
 * item are told once, when the file is read; an unchanged file gets no
 * such event again unless the options ask for it (`is_retell`), and then
 * with `is_retold` set.
 */
typedef struct newsidx_event {
    newsidx_event_kind kind;
    const char *path;     /* the file */
    const char *old_path; /* RENAMED: the previous path; otherwise NULL */
    unsigned line;        /* 1-based line, 0 if unknown */
    unsigned column;      /* 1-based column, 0 if unknown */
    const char *field;    /* front-matter key or NULL */
    const char *message;  /* reason, one line; NULL for plain successes */
    bool is_retold;       /* told in an earlier run already: the file did not
                             change since (since 0.3.0) */
} newsidx_event;

typedef void (*newsidx_event_cb)(const newsidx_event *event, void *payload);

/** What newsidx_index_paths() is doing (newsidx_progress.phase; an enum
 * since 0.3.0, the same values as the int before). */
typedef enum newsidx_phase {
    NEWSIDX_PHASE_WALK = 0,   /* walking the folders, counting the files:
                                 files_done is the count so far,
                                 files_total 0 */
    NEWSIDX_PHASE_INDEX = 1,  /* reading and indexing the files */
    NEWSIDX_PHASE_REMOVE = 2, /* removing the items of vanished files */
    NEWSIDX_PHASE_EMPTY = 3   /* emptying the index (is_rebuild), before the
                                 walk (since 0.3.0) */
} newsidx_phase;

/** Progress of newsidx_index_paths(), reported to a newsidx_progress_cb. */
typedef struct newsidx_progress {
    uint64_t files_done;  /* files looked at so far */
    uint64_t files_total; /* files found by the walk */
    uint64_t bytes_done;  /* bytes of files read so far */
    newsidx_phase phase;  /* reported at the start of each phase and as it
                             goes, the first time before anything that
                             takes time */
} newsidx_progress;

typedef void (*newsidx_progress_cb)(const newsidx_progress *progress,
                                    void *payload);

/** Asked between files: true stops the run soon, with NEWSIDX_CANCELLED
 * (what was committed stays).  Called on the calling thread. */
typedef bool (*newsidx_cancel_cb)(void *payload);

/** Options for newsidx_index_paths(); start from NEWSIDX_INDEX_OPTIONS_INIT. */
typedef struct newsidx_index_options {
    unsigned version;                /* NEWSIDX_INDEX_OPTIONS_VERSION */
    const char *const *extensions;   /* file name endings without the dot;
                                        NULL = "md", "markdown", "txt" */
    size_t n_extensions;             /* entries in `extensions` */
    bool is_rebuild;                 /* drop everything and start over */
    unsigned batch_size;             /* files per transaction; 0 = 5000 */
    uint64_t max_file_size;          /* bytes; larger files fail; 0 = 16 MiB */
    newsidx_event_cb on_event;       /* per-file events, or NULL */
    newsidx_progress_cb on_progress; /* progress, or NULL */
    void *payload;                   /* passed to the callbacks */
    const volatile int *cancel;      /* version 1's way, still honoured:
                                        stop soon when *cancel != 0; or
                                        NULL (prefer is_cancelled) */
    /* Version 2 (0.3.0): */
    const char *const *excludes; /* patterns of files and folders to leave
                                    out (newsindex(1) --exclude); NULL = none */
    size_t n_excludes;           /* entries in `excludes` */
    bool is_retell; /* also report, for files that did not change, what
                       was told when they were read: SKIPPED and the
                       item's WARNINGs, with is_retold set.  Costs a look
                       at each such item (the warnings are kept with it) */
    newsidx_cancel_cb is_cancelled; /* asked with `payload` between files;
                                       or NULL */
} newsidx_index_options;

/* Version 1 (the fields up to cancel) is still accepted: the new fields
 * take their defaults. */
#define NEWSIDX_INDEX_OPTIONS_VERSION 2
#define NEWSIDX_INDEX_OPTIONS_INIT                                             \
    {                                                                          \
        NEWSIDX_INDEX_OPTIONS_VERSION, NULL, 0, false, 0, 0, NULL, NULL, NULL, \
            NULL, NULL, 0, false, NULL                                         \
    }

/**
 * The same as NEWSIDX_INDEX_OPTIONS_INIT, for callers that cannot use a
 * macro (bindings): the defaults of `version` into `opts`, whose struct is
 * that version's.  NEWSIDX_OK; NEWSIDX_INVALID for a version this library
 * does not know (`opts` untouched).
 * @since 0.3.0
 */
NEWSIDX_API int newsidx_index_options_init(newsidx_index_options *opts,
                                           unsigned version);

/** Counts from one newsidx_index_paths() run; start from
 * NEWSIDX_INDEX_STATS_INIT, so that later versions can add counts. */
typedef struct newsidx_index_stats {
    unsigned version;   /* NEWSIDX_INDEX_STATS_VERSION, set by the caller:
                           the counts it has room for (since 0.3.0) */
    uint64_t added;     /* new items */
    uint64_t updated;   /* changed files indexed again */
    uint64_t renamed;   /* files that moved (counted once, not as add+remove) */
    uint64_t unchanged; /* files not re-read */
    uint64_t removed;   /* items whose files vanished */
    uint64_t skipped;   /* files that are not news items (told or not) */
    uint64_t failed;    /* files that could not be indexed */
    uint64_t warnings;  /* per-field warnings reported (WARNING events):
                           those of the files read in this run and, with
                           is_retell, those kept in the index for the
                           items of the files that did not change */
    uint64_t bytes;     /* bytes read */
    double seconds;     /* wall-clock time of the run */
} newsidx_index_stats;

#define NEWSIDX_INDEX_STATS_VERSION 1
#define NEWSIDX_INDEX_STATS_INIT                                               \
    {                                                                          \
        NEWSIDX_INDEX_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0              \
    }

/** The same as NEWSIDX_INDEX_STATS_INIT: zeros and `version`.  NEWSIDX_OK;
 * NEWSIDX_INVALID for a version this library does not know.
 * @since 0.3.0 */
NEWSIDX_API int newsidx_index_stats_init(newsidx_index_stats *stats,
                                         unsigned version);

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
 * Inside each folder, the files and folders that match a pattern of
 * `opts->excludes` or of the folder's `.newsidxignore` file (one pattern
 * a line; blank lines and lines starting with '#' are ignored) are left
 * out, and removed from the index if they were in it.  The patterns are
 * matched against the path from the folder given, gitignore-like: '*',
 * '?' and [...] never match '/', a pattern without '/' matches a name at
 * any depth ("README.md", "_data"), one with a '/' is anchored to the
 * folder ("_data/2019-*.md", "/notes"), "**" as a whole part matches any
 * number of folders, and a trailing '/' matches folders only.  A folder
 * that matches leaves out everything under it.  A file given by name in
 * `paths` is always read.
 *
 * Per-file problems are not failures of the call: they are counted in
 * `stats_out` and reported to `opts->on_event`.
 *
 * The call starts one helper thread that reads and parses files ahead of
 * the writes, and joins it before returning.  Both callbacks run on the
 * calling thread, one file at a time, in walk order.
 *
 * @param stats_out receives the counts (may be NULL); its version set
 *        (NEWSIDX_INDEX_STATS_INIT).
 * @param idx       a read-write handle.
 * @param paths     files and folders.
 * @param n_paths   number of entries in `paths`.
 * @param opts      options, or NULL for the defaults.
 * @param err       optional error details.
 * @return NEWSIDX_OK even when some files failed;
 *         NEWSIDX_NOTFOUND if none of the paths exists (each is reported
 *         as a FAILED event first; the error message names the first);
 *         NEWSIDX_READONLY for a read-only handle;
 *         NEWSIDX_CANCELLED if `*opts->cancel` became non-zero (what was
 *         committed stays);
 *         NEWSIDX_INVALID (bad options or stats version; an exclude pattern
 * that is empty or starts with '!', in the options or, with its line, in a
 *         .newsidxignore file: nothing is written);
 *         NEWSIDX_IO (also a .newsidxignore that cannot be read);
 *         NEWSIDX_BUSY, NEWSIDX_NOMEM;
 *         NEWSIDX_CORRUPT for a damaged index (a rebuild is not stopped
 *         by damage in the index's own tables).
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
NEWSIDX_API int newsidx_index_add_buffer(newsidx_index *idx, const char *source,
                                         const char *buf, size_t len,
                                         newsidx_event_cb on_event,
                                         void *payload, newsidx_error *err);

/**
 * Remove the document indexed under `source` (a path or buffer source name).
 *
 * @return NEWSIDX_OK; NEWSIDX_NOTFOUND if nothing is indexed under it;
 *         NEWSIDX_READONLY, NEWSIDX_BUSY, NEWSIDX_IO.
 */
NEWSIDX_API int newsidx_index_remove(newsidx_index *idx, const char *source,
                                     newsidx_error *err);

/**
 * Check a ranking default before storing it (newsidx_index_set_weights()):
 * comma-separated NAME=VALUE pairs, the names of newsquery's --weights
 * (title, excerpt, body, quality, heat: 0 to 1000; prior: 0 to 0.9; form:
 * 0 to 1) and fresh (a half-life in days, 0 to 36500; 0 is off), such as
 * "title=12,prior=0.2" (docs/ranking.md).  A value is a plain decimal
 * number.  "" is valid: no stored default.
 *
 * @return NEWSIDX_OK; NEWSIDX_INVALID with a message naming the offending
 *         pair.
 * @since 0.3.0
 */
NEWSIDX_API int newsidx_weights_check(const char *spec, newsidx_error *err);

/**
 * Store the ranking default every query of the index starts from (meta
 * 'weights'; options of a query still override it), or with "" remove it.
 * `spec` is checked first (newsidx_weights_check()): a malformed one
 * writes nothing.  Takes the indexing lock.
 *
 * @return NEWSIDX_OK; NEWSIDX_INVALID (a malformed spec); NEWSIDX_READONLY;
 *         NEWSIDX_BUSY if another writer holds the index; NEWSIDX_IO;
 *         NEWSIDX_NOMEM.
 * @since 0.3.0
 */
NEWSIDX_API int newsidx_index_set_weights(newsidx_index *idx, const char *spec,
                                          newsidx_error *err);

/* ------------------------------------------------------------------------
 * Querying
 * ------------------------------------------------------------------------ */

typedef struct newsidx_query newsidx_query;
typedef struct newsidx_results newsidx_results;
typedef struct newsidx_hit newsidx_hit;

/** Orders of results. */
typedef enum newsidx_sort {
    NEWSIDX_SORT_RANK = 0, /* text relevance x quality/heat prior (x fresh) */
    NEWSIDX_SORT_DATE,     /* newest first */
    NEWSIDX_SORT_QUALITY,  /* highest quality first, unknown last */
    NEWSIDX_SORT_HEAT      /* highest heat first, unknown last */
} newsidx_sort;

/** Facet kinds for newsidx_query_options.facets (a bit set). */
#define NEWSIDX_FACET_TOPIC    0x1u
#define NEWSIDX_FACET_PROVIDER 0x2u
#define NEWSIDX_FACET_YEAR     0x4u

/**
 * Query options; start from NEWSIDX_QUERY_OPTIONS_INIT.  A weight left at a
 * negative value takes the default stored in the index (see
 * docs/ranking.md).
 */
typedef struct newsidx_query_options {
    unsigned version;         /* NEWSIDX_QUERY_OPTIONS_VERSION */
    newsidx_sort sort;        /* default NEWSIDX_SORT_RANK */
    unsigned limit;           /* hits per page; default 10, max 10000 */
    uint64_t offset;          /* hits to skip; at most 100000 */
    bool include_unpublished; /* also items with published: false */
    bool no_collapse;         /* keep near-duplicate stories apart */
    int related_limit;        /* related entries per hit; <0 = default 3 */
    unsigned facets;          /* NEWSIDX_FACET_* bits; 0 = none */
    bool is_count_only;       /* only count the matches */
    double w_title;           /* column weights (<0 = default) */
    double w_excerpt;
    double w_body;
    double w_quality; /* prior weights (<0 = default) */
    double w_heat;
    double prior_strength;     /* 0..0.9: how far the prior moves scores */
    double fresh_half_life;    /* days; 0 = no freshness decay */
    bool has_since, has_until; /* date bounds, Unix seconds, inclusive */
    int64_t since, until;
    int64_t now;           /* freshness's reference, Unix seconds; 0 = the
                              newest date in the index (newsidx_query_now) */
    const char *mark_open; /* snippet markers; NULL = "[" and "]" */
    const char *mark_close;
    /* Version 2 (0.2.0): */
    bool is_exact; /* words match their exact forms only, as if each were
                      written =word (docs/query.md) */
    double w_form; /* how much another form of a word counts against the
                      form typed, 0..1 (<0 = default, 0.5) */
} newsidx_query_options;

/* Version 1 (the fields up to mark_close) is still accepted: the new
 * fields take their defaults. */
#define NEWSIDX_QUERY_OPTIONS_VERSION 2
#define NEWSIDX_QUERY_OPTIONS_INIT                                             \
    {                                                                          \
        NEWSIDX_QUERY_OPTIONS_VERSION, NEWSIDX_SORT_RANK, 10, 0, false, false, \
            -1, 0, false, -1, -1, -1, -1, -1, -1, 0, false, false, 0, 0, 0,    \
            NULL, NULL, false, -1                                              \
    }

/** The same as NEWSIDX_QUERY_OPTIONS_INIT, as a function: the defaults of
 * `version` into `opts`.  NEWSIDX_OK; NEWSIDX_INVALID for a version this
 * library does not know (`opts` untouched).
 * @since 0.3.0 */
NEWSIDX_API int newsidx_query_options_init(newsidx_query_options *opts,
                                           unsigned version);

/**
 * Compile a query typed by a person.  Any string is accepted except real
 * misuse: an unknown field (`foo:bar`) or a malformed range
 * (`date:2021-13`, `quality:>=x`), which fail with NEWSIDX_PARSE and the
 * position in err->column.
 *
 * @param out  receives the query, owned by the caller; free it with
 *             newsidx_query_free().  NULL on failure.
 * @param idx  the index; closing it while the query is alive leaves it
 *             open until the query is freed (newsidx_index_close).
 * @param text the query text, any UTF-8 (invalid bytes are replaced).
 * @param opts options, or NULL for the defaults; copied, the caller keeps
 *             ownership of its strings.
 * @return NEWSIDX_OK; NEWSIDX_PARSE (err->column points at the problem);
 *         NEWSIDX_INVALID (bad options version or value, or malformed
 *         weights stored in the index: the message quotes them); NEWSIDX_IO
 *         or NEWSIDX_BUSY (reading the stored weights); NEWSIDX_CORRUPT;
 *         NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_query_new(newsidx_query **out, newsidx_index *idx,
                                  const char *text,
                                  const newsidx_query_options *opts,
                                  newsidx_error *err);

/**
 * A query for items like item `id`, built from that item's own title and
 * excerpt terms (the item itself is left out of the results).
 *
 * @param out receives the query, owned by the caller (newsidx_query_free);
 *            NULL on failure.
 * @return NEWSIDX_OK; NEWSIDX_NOTFOUND (no such item); NEWSIDX_INVALID;
 *         NEWSIDX_IO or NEWSIDX_BUSY; NEWSIDX_CORRUPT; NEWSIDX_NOMEM.
 */
NEWSIDX_API int newsidx_query_like(newsidx_query **out, newsidx_index *idx,
                                   int64_t id,
                                   const newsidx_query_options *opts,
                                   newsidx_error *err);

/**
 * Compile a query over several index files searched as one collection:
 * what it finds, and how it ranks and counts it, are what one index of
 * all their items would give (docs/ranking.md, "Several index files").
 * Scores use the files' combined statistics (rows, average lengths, the
 * rows holding each term); totals, facets and suggestions count every
 * file; near-duplicates collapse across files; each hit says which file
 * it came from (newsidx_hit_index).  The weights stored in the first
 * file apply to all.  newsidx_query_like() takes one file.
 *
 * @param idx the files, each open (read-only is enough) and each once;
 *            they must stay open while the query lives.  One file makes
 *            the same query as newsidx_query_new().
 * @param n   how many, at least 1.
 * @return what newsidx_query_new() returns; NEWSIDX_INVALID also for no
 *         file, one given twice, or files that stem words in different
 *         languages (the message names them).
 * @since 0.3.0
 */
NEWSIDX_API int newsidx_query_new_multi(newsidx_query **out,
                                        newsidx_index *const *idx, size_t n,
                                        const char *text,
                                        const newsidx_query_options *opts,
                                        newsidx_error *err);

/** The FTS5 MATCH expression the query compiled to ("" when it has only
 * filters); borrowed, valid until the query is freed. */
NEWSIDX_API const char *newsidx_query_match(const newsidx_query *q);

/**
 * The reference time of the query's freshness: an item dated then has a
 * freshness of 1 (docs/ranking.md).  It is the `now` option when not 0
 * (time(NULL) ranks as of the current time); otherwise the newest
 * publication time of an item in the index when the query was made (an
 * archive ranks as of its last item), or the current time when that
 * lies in the future or no item has a date.
 *
 * @param out receives the time in Unix seconds.
 * @return true; false when the query has no freshness (no half-life in
 *         the options or stored in the index), and `*out` is unchanged.
 * @since 0.2.0
 */
NEWSIDX_API bool newsidx_query_now(const newsidx_query *q, int64_t *out);

/**
 * The other forms of the words typed that the query also searches: a
 * word finds the words of the index with its stem ("robots" finds
 * "robot"), each counting newsidx_query_form_weight() times what the
 * form typed counts (docs/ranking.md).  None for quoted phrases, `=word`,
 * prefixes, the is_exact option and an index whose language is "none".
 * A query of newsidx_query_like() lists the forms of the item's words it
 * searches.
 *
 * @param word receives the word as typed (normalized), borrowed: valid
 *             until the query is freed.
 * @param form receives the other form, borrowed likewise.
 * @return NEWSIDX_OK; NEWSIDX_DONE when `i` is past the last form (both
 *         set to NULL).
 * @since 0.3.0 (0.2 took q and i first and returned a bool)
 */
NEWSIDX_API int newsidx_query_form(const char **word, const char **form,
                                   const newsidx_query *q, size_t i);

/** The weight of another form against the form typed, 0..1 (the
 * `w_form` option, the index's stored default, or 0.5).
 * @since 0.2.0 */
NEWSIDX_API double newsidx_query_form_weight(const newsidx_query *q);

/** Free a query.  NULL is allowed.  Results of it still alive keep it:
 * it is freed with the last of them (since 0.3.0). */
NEWSIDX_API void newsidx_query_free(newsidx_query *q);

/**
 * Run a query.
 *
 * @param out receives the results, owned by the caller; free them with
 *            newsidx_results_free().  They keep the query (and its index)
 *            alive: freeing the query first frees it with the last of its
 *            results.  NULL on failure.  A query may be run several times.
 * @return NEWSIDX_OK (also for no match); NEWSIDX_BUSY; NEWSIDX_IO;
 *         NEWSIDX_INVALID (too many filters); NEWSIDX_NOMEM;
 *         NEWSIDX_CORRUPT for a damaged index: the message names the
 *         record ("the index is damaged: fts_data record 137438953476
 *         (leaf 4 of segment 1): rowids out of order").  Every failure
 *         has a message.
 */
NEWSIDX_API int newsidx_query_run(newsidx_results **out, newsidx_query *q,
                                  newsidx_error *err);

/** Number of matching items (before collapsing and paging). */
NEWSIDX_API uint64_t newsidx_results_total(const newsidx_results *r);

/**
 * Number of stories the matches make: the matching items once
 * near-duplicates (same URL or same normalized title) are collapsed, which
 * is what the hits of every page add up to.  Equal to
 * newsidx_results_total() with no_collapse.
 *
 * @param is_exact if not NULL, receives true when the number is exact:
 *                 always when the query has at most 1,000 matches or the
 *                 page's scan saw every match.  Otherwise the number is an
 *                 upper bound (the matches less the near-duplicates found
 *                 among the best ones), and paging may end sooner.
 * @since 0.3.0
 */
NEWSIDX_API uint64_t newsidx_results_stories(const newsidx_results *r,
                                             bool *is_exact);

/**
 * Number of matching items left out for being unpublished (`published:
 * false`): what include_unpublished would add to the total.  0 with
 * include_unpublished.
 * @since 0.2.0
 */
NEWSIDX_API uint64_t newsidx_results_unpublished(const newsidx_results *r);

/**
 * Number of words and phrases of the query dropped for having nothing to
 * search for (no letter, digit or symbol such as an emoji: "!!!", "—").
 * A query whose words were all dropped matches nothing (total 0), not
 * every item.
 * @since 0.2.0
 */
NEWSIDX_API size_t newsidx_results_dropped(const newsidx_results *r);

/**
 * The next hit, in order.  The hit is borrowed: valid until the results are
 * freed.
 *
 * @return NEWSIDX_OK with `*hit` set; NEWSIDX_DONE after the last one.
 */
NEWSIDX_API int newsidx_results_next(const newsidx_hit **hit,
                                     newsidx_results *r);

/** Facet counts over every matching item: `kind` is one NEWSIDX_FACET_*
 * bit.  Every value is given (since 0.3.0; 0.2 stopped at 50), the most
 * frequent first (years: the newest first).  The value name is borrowed,
 * valid until the results are freed.
 * @return NEWSIDX_OK; NEWSIDX_DONE when `i` is past the last value. */
NEWSIDX_API int newsidx_results_facet(const char **value, uint64_t *count,
                                      const newsidx_results *r, unsigned kind,
                                      size_t i);

/**
 * "Did you mean" suggestions, made when a query finds few or no items: the
 * i-th suggested query text, most matches first.
 *
 * @param text receives the query text, borrowed: valid until the results
 *             are freed; NULL past the last.
 * @param total receives (when not NULL) the number of items the
 *              suggestion finds, counted under the query's own options as
 *              newsidx_results_total() counts the query's: always more than
 *              the query found, since a suggestion that finds no more is
 *              not made; 0 past the last.
 * @return NEWSIDX_OK; NEWSIDX_DONE when `i` is past the last suggestion.
 * @since 0.3.0 (0.2 returned the text, NULL past the last, and had
 *        newsidx_results_suggestion_total())
 */
NEWSIDX_API int newsidx_results_suggestion(const char **text, uint64_t *total,
                                           const newsidx_results *r, size_t i);

/** Free results.  NULL is allowed. */
NEWSIDX_API void newsidx_results_free(newsidx_results *r);

/* Hit fields.  Strings are borrowed, valid until the results are freed;
 * NULL when the item has no such value.  They are valid UTF-8 (text an
 * index file holds otherwise, damaged or changed by hand, is given with
 * U+FFFD in place of what is invalid), except the path: the file's name
 * byte for byte, as the system knows it. */
NEWSIDX_API int64_t newsidx_hit_id(const newsidx_hit *h);
/** The file of a query over several (newsidx_query_new_multi) the hit
 * is from: its place in the array given, 0 for the first.  Item ids are
 * those of that file.  0 for a query over one file.
 * @since 0.3.0 */
NEWSIDX_API size_t newsidx_hit_index(const newsidx_hit *h);
/** The file of the i-th id newsidx_hit_collapsed_id() gives, likewise.
 * @since 0.3.0 */
NEWSIDX_API size_t newsidx_hit_collapsed_index(const newsidx_hit *h, size_t i);
NEWSIDX_API const char *newsidx_hit_path(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_title(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_excerpt(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_url(const newsidx_hit *h);
/** Publication time in Unix seconds; false when unknown. */
NEWSIDX_API bool newsidx_hit_published_at(const newsidx_hit *h, int64_t *out);
/** False for an item marked `published: false` (true when it says
 * nothing).  @since 0.2.0 */
NEWSIDX_API bool newsidx_hit_published(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_provider_name(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_provider_domain(const newsidx_hit *h);
NEWSIDX_API size_t newsidx_hit_topic_count(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_topic(const newsidx_hit *h, size_t i);
/** Quality and heat; false when missing (heat: also when unknown, -1). */
NEWSIDX_API bool newsidx_hit_quality(const newsidx_hit *h, int64_t *out);
NEWSIDX_API bool newsidx_hit_heat(const newsidx_hit *h, int64_t *out);
NEWSIDX_API double newsidx_hit_score(const newsidx_hit *h);
/** Excerpt (or title) text around the matched terms, each wrapped in the
 * query's markers. */
NEWSIDX_API const char *newsidx_hit_snippet(const newsidx_hit *h);
/** How many items this hit stands for (1 unless near-duplicates were
 * collapsed into it). */
NEWSIDX_API uint64_t newsidx_hit_collapsed(const newsidx_hit *h);
/** The ids of the items the hit stands for: i = 0 is the hit's own id,
 * then the near-duplicates collapsed into it, best first; 0 when `i` is
 * newsidx_hit_collapsed() or more.  @since 0.3.0 */
NEWSIDX_API int64_t newsidx_hit_collapsed_id(const newsidx_hit *h, size_t i);
/** The factors of the score (for --explain): text relevance (BM25F),
 * prior factor and freshness factor; score = bm25 * prior * fresh. */
NEWSIDX_API void newsidx_hit_factors(const newsidx_hit *h, double *bm25,
                                     double *prior, double *fresh);

/** The hit's related entries, in file order, up to the related limit. */
NEWSIDX_API size_t newsidx_hit_related_count(const newsidx_hit *h);
NEWSIDX_API const char *newsidx_hit_related_title(const newsidx_hit *h,
                                                  size_t i);
NEWSIDX_API const char *newsidx_hit_related_url(const newsidx_hit *h, size_t i);
NEWSIDX_API const char *newsidx_hit_related_provider_name(const newsidx_hit *h,
                                                          size_t i);
NEWSIDX_API const char *
newsidx_hit_related_provider_domain(const newsidx_hit *h, size_t i);
NEWSIDX_API bool newsidx_hit_related_published_at(const newsidx_hit *h,
                                                  size_t i, int64_t *out);
NEWSIDX_API bool newsidx_hit_related_quality(const newsidx_hit *h, size_t i,
                                             int64_t *out);
/** The indexed item the entry resolves to (same normalized URL), or 0. */
NEWSIDX_API int64_t newsidx_hit_related_id(const newsidx_hit *h, size_t i);

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
