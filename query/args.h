/*
 * args.h - newsquery's command line: the run configuration and the option
 * parsing that fills it (args.c).
 */
#ifndef NQ_ARGS_H
#define NQ_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "newsidx.h"

enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL, FORMAT_PATHS };

/* --facet-limit's default: values shown per facet. */
#define FACET_LIMIT_DEFAULT 20

/* Index files searched as one (--db given several times). */
#define MAX_DBS 64

typedef struct run_config {
    const char *db;           /* the first of dbs */
    const char *dbs[MAX_DBS]; /* --db, or $NEWSIDX_DB split at ':' */
    size_t n_dbs;
    char *db_env; /* the copy of $NEWSIDX_DB that dbs points into */
    char *query;  /* the QUERY words joined with spaces */
    newsidx_query_options opts;
    int64_t like_id;         /* --like, or 0 */
    int format;              /* FORMAT_* */
    bool has_format;         /* --format was given */
    bool is_null;            /* -0: paths end with NUL, not a newline */
    unsigned facet_limit;    /* values per facet; 0 = all */
    unsigned format_version; /* of the JSON document: 1 or 2 (default) */
    int color;               /* -1 never, 0 when a terminal, 1 always */
    bool is_explain;
    bool is_exit_status;
    time_t now;
} run_config;

/* Parse the command line into `cfg` (whose opts and now are set by the
 * caller).  Returns -1 to go on, or an exit code (usage error, or 0 after
 * --help/--version). */
int parse_args(run_config *cfg, int argc, char **argv);

#endif /* NQ_ARGS_H */
