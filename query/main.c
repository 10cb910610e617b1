/*
 * main.c - newsquery: search an index made by newsindex.
 *
 * Parses options (args.c), opens the index read-only, compiles and runs the
 * query, describes the results through the printer picked once from --format
 * (emit.c) and maps the outcome to an exit code.  Uses only the public
 * API.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "emit.h"
#include "newsidx.h"
#include "printer.h"

/* A query syntax error: the message, the query, a caret under the
 * character err->column counts (1-based, in characters). */
static void
report_query_error(const char *query, const newsidx_error *err)
{
    const unsigned char *u;
    unsigned col = 1;

    cli_error("%s", err->message);
    if (err->column == 0)
        return;
    fputs("  ", stderr);
    for (u = (const unsigned char *)query; *u != '\0'; u++)
        fputc(*u < 0x20 || *u == 0x7f ? ' ' : *u, stderr);
    fputs("\n  ", stderr);
    for (u = (const unsigned char *)query; *u != '\0' && col < err->column;
         u++) {
        if ((*u & 0xc0) != 0x80) { /* the first byte of a character */
            fputc(' ', stderr);
            col++;
        }
    }
    for (; col < err->column; col++)
        fputc(' ', stderr);
    fputs("^\n", stderr);
}

/* A failure to run: its message, and for a damaged index the way out
 * (newsindex makes a new one from the news files). */
static void
report_error(const char *db, int rc, const newsidx_error *err)
{
    cli_error("%s",
              err->message[0] != '\0' ? err->message : newsidx_strerror(rc));
    if (rc == NEWSIDX_CORRUPT) {
        fputs("newsquery: hint: rebuild the index from the news files: "
              "newsindex --rebuild --db ",
              stderr);
        cli_put_escaped(stderr, db);
        fputs(" PATH...\n", stderr);
    }
}

/* Open the index read-only; returns NULL after printing why not. */
static newsidx_index *
open_index(const char *db)
{
    newsidx_index *idx = NULL;
    newsidx_error err;
    int rc = newsidx_index_open(&idx, db, NEWSIDX_OPEN_READONLY, &err);

    if (rc == NEWSIDX_NOTFOUND)
        cli_error("no index at '%s'; create it with 'newsindex --db %s "
                  "PATH...'",
                  db, db);
    else if (rc != NEWSIDX_OK)
        report_error(db, rc, &err);
    return idx;
}

/* --format paths prints nothing but paths: that more stories match than
 * were listed is said on stderr (a pipeline's stdout stays clean). */
static void
hint_more_paths(const run_config *cfg, const newsidx_results *r)
{
    uint64_t stories = newsidx_results_stories(r, NULL);
    uint64_t after =
        stories > cfg->opts.offset ? stories - cfg->opts.offset : 0;
    uint64_t shown = after < cfg->opts.limit ? after : cfg->opts.limit;

    if (after > shown)
        fprintf(stderr,
                "newsquery: hint: %llu of %llu stories listed; --limit and "
                "--offset list more\n",
                (unsigned long long)shown, (unsigned long long)stories);
}

/* Open every index file; false after printing why not (the handles
 * opened are in idx[], NULL past the last).  A file given twice is the
 * library's to refuse (newsidx_query_new_multi). */
static bool
open_indexes(const run_config *cfg, newsidx_index **idx)
{
    size_t i;

    for (i = 0; i < cfg->n_dbs; i++) {
        if ((idx[i] = open_index(cfg->dbs[i])) == NULL)
            return false;
    }
    return true;
}

static int
run(run_config *cfg, printer *p)
{
    emit_info info = {.query = cfg->query,
                      .like_id = cfg->like_id,
                      .offset = cfg->opts.offset,
                      .facets = cfg->opts.facets,
                      .is_explain = cfg->is_explain,
                      .is_all = cfg->opts.include_unpublished,
                      .facet_limit = cfg->facet_limit,
                      .format_version = cfg->format_version,
                      .dbs = cfg->dbs,
                      .n_dbs = cfg->n_dbs};
    newsidx_index *idx[MAX_DBS] = {NULL};
    newsidx_query *q = NULL;
    newsidx_results *r = NULL;
    newsidx_error err;
    uint64_t total = 0;
    size_t i;
    int rc, exit_code = CLI_EXIT_FAILURE;

    if (!open_indexes(cfg, idx)) {
        for (i = 0; i < cfg->n_dbs; i++)
            newsidx_index_close(idx[i]);
        return CLI_EXIT_FAILURE;
    }
    cfg->opts.mark_open = p->mark_open;
    cfg->opts.mark_close = p->mark_close;
    if (cfg->like_id > 0)
        rc = newsidx_query_like(&q, idx[0], cfg->like_id, &cfg->opts, &err);
    else
        rc = newsidx_query_new_multi(&q, idx, cfg->n_dbs, cfg->query,
                                     &cfg->opts, &err);
    if (rc == NEWSIDX_OK) {
        info.has_now = newsidx_query_now(q, &info.now);
        info.q = q;
        rc = newsidx_query_run(&r, q, &err);
    }
    if (rc == NEWSIDX_PARSE) {
        report_query_error(cfg->query, &err);
        exit_code = CLI_EXIT_QUERY;
    } else if (rc == NEWSIDX_NOTFOUND && cfg->like_id > 0) {
        cli_error("no item with id %lld", (long long)cfg->like_id);
    } else if (rc != NEWSIDX_OK) {
        report_error(cfg->db, rc, &err);
    } else {
        total = newsidx_results_total(r);
        if (cfg->opts.is_count_only)
            emit_count(p, &info, r);
        else
            emit_results(p, &info, r);
        if (cfg->format == FORMAT_PATHS)
            hint_more_paths(cfg, r);
        exit_code =
            cfg->is_exit_status && total == 0 ? CLI_EXIT_NOMATCH : CLI_EXIT_OK;
    }
    newsidx_results_free(r);
    newsidx_query_free(q);
    for (i = 0; i < cfg->n_dbs; i++)
        newsidx_index_close(idx[i]);
    return exit_code;
}

/* The one place that looks at --format. */
static printer *
make_printer(const run_config *cfg)
{
    const char *no_color = getenv("NO_COLOR");
    bool is_color =
        cfg->color > 0 || (cfg->color == 0 && isatty(STDOUT_FILENO) &&
                           (no_color == NULL || no_color[0] == '\0'));

    switch (cfg->format) {
    case FORMAT_JSON:
        return printer_json_new(stdout, false);
    case FORMAT_JSONL:
        return printer_json_new(stdout, true);
    case FORMAT_PATHS:
        return printer_paths_new(stdout, cfg->is_null);
    default:
        return printer_text_new(stdout, is_color);
    }
}

int
main(int argc, char **argv)
{
    static const newsidx_query_options defaults = NEWSIDX_QUERY_OPTIONS_INIT;
    run_config cfg;
    printer *p = NULL;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.opts = defaults;
    cfg.now = time(NULL);
    cfg.facet_limit = FACET_LIMIT_DEFAULT;
    cfg.format_version = EMIT_FORMAT_VERSION;
    cli_set_program("newsquery");
    rc = parse_args(&cfg, argc, argv);
    if (rc < 0 && (p = make_printer(&cfg)) == NULL) {
        cli_error("out of memory");
        rc = CLI_EXIT_FAILURE;
    }
    if (rc < 0) {
        rc = run(&cfg, p);
        if (p->finish(p) != 0 && rc != CLI_EXIT_FAILURE) {
            cli_error("cannot write the results");
            rc = CLI_EXIT_FAILURE;
        }
    }
    printer_free(p);
    free(cfg.query);
    free(cfg.db_env);
    return rc;
}
