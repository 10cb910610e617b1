/*
 * main.c - newsindex: index folders of news items into an index file.
 *
 * Parses options, opens the index, runs newsidx_index_paths with callbacks
 * that print per-file events and a progress bar, prints the summary (as
 * text, or as JSON through the shared printer) and maps the outcome to an
 * exit code.  Uses only the public API.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "newsidx.h"
#include "printer.h"

/* The version of the --json summary's shape (docs/json-schema.md). */
#define NEWSINDEX_JSON_FORMAT 1

enum {
    OPT_REBUILD = 256,
    OPT_JSON,
    OPT_BATCH,
    OPT_MAX_SIZE,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_STEM_LANGUAGE,
    OPT_EXCLUDE,
    OPT_SET_WEIGHTS
};

static const cli_option options[] = {
    {"db", 'd', required_argument, "FILE",
     "index file (default: $NEWSIDX_DB, then ./news.db)"},
    {"ext", 'e', required_argument, "LIST",
     "file name endings to index (default: md,markdown,txt)"},
    {"exclude", OPT_EXCLUDE, required_argument, "GLOB",
     "leave out what matches, as .newsidxignore (repeatable)"},
    {"rebuild", OPT_REBUILD, no_argument, NULL,
     "start over: empty the index, then index everything"},
    {"batch", OPT_BATCH, required_argument, "N",
     "files per transaction (default: 5000)"},
    {"max-size", OPT_MAX_SIZE, required_argument, "SIZE",
     "larger files fail (default: 16M; K, M, G suffixes)"},
    {"json", OPT_JSON, no_argument, NULL,
     "print the summary as JSON on stdout"},
    {"stem-language", OPT_STEM_LANGUAGE, required_argument, "LANG",
     "stem words in LANG: english (default), german, ... or none"},
    {"set-weights", OPT_SET_WEIGHTS, required_argument, "SPEC",
     "store the ranking default, e.g. title=12,prior=0.2"},
    {"progress", OPT_PROGRESS, no_argument, NULL,
     "show the progress bar even when stderr is not a terminal"},
    {"no-progress", OPT_NO_PROGRESS, no_argument, NULL,
     "never show the progress bar"},
    {"quiet", 'q', no_argument, NULL, "print only errors"},
    {"verbose", 'v', no_argument, NULL,
     "print every file's outcome, and again what was told before"},
    {"help", 'h', no_argument, NULL, "show this help and exit"},
    {"version", 'V', no_argument, NULL, "show the version and exit"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* A failure or a warning, kept for the JSON summary. */
typedef struct problem {
    char *path;
    unsigned line, column;
    char *field; /* a warning's, or NULL */
    char *message;
} problem;

typedef struct problem_list {
    problem *items;
    size_t n, cap;
    bool is_oom;
} problem_list;

typedef struct run_config {
    const char *db;
    char *ext_list; /* copy of --ext, split in place */
    const char *exts[64];
    size_t n_exts;
    const char **excludes; /* --exclude, in order */
    size_t n_excludes;
    newsidx_index_options opts;
    int verbosity; /* 0 quiet, 1 normal, 2 verbose */
    bool is_json;
    int progress; /* -1 never, 0 when a terminal, 1 always */
    int phase;    /* the progress phase last drawn */
    cli_progress bar;
    const char *stem_language; /* --stem-language, or NULL */
    const char *weights;       /* --set-weights, or NULL */
    /* What the events said: */
    uint64_t n_failed_events;
    uint64_t n_skipped_shown, n_warnings_shown; /* printed on stderr */
    problem_list failures, warnings;            /* for --json */
} run_config;

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool
is_interrupted(void *payload)
{
    (void)payload;
    return interrupted != 0;
}

static void
usage(void)
{
    printf(
        "Usage: newsindex [OPTION]... PATH...\n"
        "Index the news items (Markdown files with YAML front matter) "
        "under each PATH.\n"
        "Running it again brings the index up to date.  Options may come "
        "anywhere;\n"
        "a PATH that starts with '-' goes after -- (newsindex -- -dir).\n\n");
    cli_print_options(stdout, options, N_OPTIONS);
    printf("\nExit status: 0 all well; 1 could not run, or the disk is full;\n"
           "2 usage error; 5 some files could not be indexed.  See "
           "newsindex(1).\n");
}

static const char *const event_verbs[] = {
    [NEWSIDX_EVENT_ADDED] = "added",
    [NEWSIDX_EVENT_UPDATED] = "updated",
    [NEWSIDX_EVENT_RENAMED] = "renamed",
    [NEWSIDX_EVENT_REMOVED] = "removed",
    [NEWSIDX_EVENT_SKIPPED] = "notice",
    [NEWSIDX_EVENT_FAILED] = "error",
    [NEWSIDX_EVENT_WARNING] = "warning",
    [NEWSIDX_EVENT_UNCHANGED] = "unchanged",
};

/* Keep a copy of a problem for the JSON summary. */
static void
problem_add(problem_list *list, const newsidx_event *ev)
{
    problem *p;

    if (list->is_oom)
        return;
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        problem *grown = realloc(list->items, cap * sizeof(*grown));

        if (grown == NULL) {
            list->is_oom = true;
            return;
        }
        list->items = grown;
        list->cap = cap;
    }
    p = &list->items[list->n];
    p->path = strdup(ev->path);
    p->line = ev->line;
    p->column = ev->column;
    p->field =
        ev->field != NULL && ev->field[0] != '\0' ? strdup(ev->field) : NULL;
    p->message = strdup(ev->message != NULL ? ev->message : "");
    list->n++;
    if (p->path == NULL || p->message == NULL)
        list->is_oom = true;
}

static void
problem_list_free(problem_list *list)
{
    size_t i;

    for (i = 0; i < list->n; i++) {
        free(list->items[i].path);
        free(list->items[i].field);
        free(list->items[i].message);
    }
    free(list->items);
}

/* The verbosity an event needs to be printed: errors always; a notice or
 * a warning when it is told for the first time, and with --verbose when
 * it is told again; every other outcome with --verbose. */
static int
event_need(const newsidx_event *ev)
{
    switch (ev->kind) {
    case NEWSIDX_EVENT_FAILED:
        return 0;
    case NEWSIDX_EVENT_WARNING:
    case NEWSIDX_EVENT_SKIPPED:
        return ev->is_retold ? 2 : 1;
    default:
        return 2;
    }
}

/* Print one event as "path:line:column: kind: message". */
static void
event_print(run_config *cfg, const newsidx_event *ev)
{
    cli_progress_clear(&cfg->bar);
    cli_put_escaped(stderr, cli_display_path(ev->path));
    if (ev->line > 0)
        fprintf(stderr, ":%u:%u", ev->line, ev->column);
    fprintf(stderr, ": %s", event_verbs[ev->kind]);
    if (ev->kind == NEWSIDX_EVENT_SKIPPED)
        fputs(": not a news item", stderr);
    if (ev->field != NULL && ev->field[0] != '\0') {
        fputs(": ", stderr);
        cli_put_escaped(stderr, ev->field);
    }
    if (ev->message != NULL) {
        fputs(": ", stderr);
        cli_put_escaped(stderr, ev->message);
    }
    if (ev->old_path != NULL) {
        fputs(" (from ", stderr);
        cli_put_escaped(stderr, cli_display_path(ev->old_path));
        fputc(')', stderr);
    }
    fputc('\n', stderr);
}

static void
on_event(const newsidx_event *ev, void *payload)
{
    run_config *cfg = payload;

    if (ev->kind == NEWSIDX_EVENT_FAILED) {
        cfg->n_failed_events++;
        if (cfg->is_json)
            problem_add(&cfg->failures, ev);
    } else if (ev->kind == NEWSIDX_EVENT_WARNING && cfg->is_json) {
        problem_add(&cfg->warnings, ev);
    }
    if (cfg->verbosity < event_need(ev))
        return;
    cfg->n_skipped_shown += ev->kind == NEWSIDX_EVENT_SKIPPED;
    cfg->n_warnings_shown += ev->kind == NEWSIDX_EVENT_WARNING;
    event_print(cfg, ev);
}

static void
on_progress(const newsidx_progress *p, void *payload)
{
    static const char *const what[] = {"counting files", "files", "removing",
                                       "emptying the index"};
    run_config *cfg = payload;
    int phase = p->phase <= NEWSIDX_PHASE_EMPTY ? (int)p->phase : 1;

    /* The rate and the time left are those of the indexing itself. */
    if (phase == 1 && cfg->phase != 1)
        cfg->bar.start = cli_now();
    cfg->phase = phase;
    cli_progress_update(&cfg->bar, p->files_done, p->files_total, what[phase]);
}

/* The failures or the warnings, as a list of objects. */
static void
print_json_problems(printer *p, const problem_list *list, bool is_warning)
{
    size_t i;

    p->begin_list(p);
    for (i = 0; i < list->n; i++) {
        const problem *pr = &list->items[i];

        p->begin_map(p);
        p->map_key(p, "path");
        p->string(p, pr->path);
        p->map_key(p, "line");
        if (pr->line > 0)
            p->integer(p, pr->line);
        else
            p->null(p);
        p->map_key(p, "column");
        if (pr->column > 0)
            p->integer(p, pr->column);
        else
            p->null(p);
        if (is_warning) {
            p->map_key(p, "field");
            p->string(p, pr->field);
        }
        p->map_key(p, is_warning ? "message" : "reason");
        p->string(p, pr->message);
        p->end(p);
    }
    p->end(p);
}

static void
print_json_count(printer *p, const char *key, uint64_t n)
{
    p->map_key(p, key);
    p->integer(p, (int64_t)n);
}

/* The summary as one JSON object on one line (docs/json-schema.md).
 * Returns false on an output error. */
static bool
print_json_summary(const run_config *cfg, const newsidx_index_stats *s,
                   int64_t n_items)
{
    printer *p = printer_json_new(stdout, true);
    int rc;

    if (p == NULL)
        return false;
    p->begin_map(p);
    /* As in newsquery's JSON: "version" is the shape's, an integer. */
    print_json_count(p, "version", NEWSINDEX_JSON_FORMAT);
    p->map_key(p, "newsidx_version");
    p->string(p, newsidx_version());
    p->map_key(p, "db");
    p->string(p, cfg->db);
    print_json_count(p, "added", s->added);
    print_json_count(p, "updated", s->updated);
    print_json_count(p, "renamed", s->renamed);
    print_json_count(p, "unchanged", s->unchanged);
    print_json_count(p, "removed", s->removed);
    print_json_count(p, "skipped", s->skipped);
    print_json_count(p, "failed", s->failed);
    print_json_count(p, "warnings", s->warnings);
    print_json_count(p, "bytes", s->bytes);
    p->map_key(p, "items");
    p->integer(p, n_items);
    p->map_key(p, "seconds");
    p->real(p, s->seconds);
    p->map_key(p, "failures");
    print_json_problems(p, &cfg->failures, false);
    p->map_key(p, "warning_details");
    print_json_problems(p, &cfg->warnings, true);
    p->end(p);
    rc = p->finish(p);
    printer_free(p);
    return rc == 0 && !cfg->failures.is_oom && !cfg->warnings.is_oom;
}

/* "N thing" or "N things". */
static const char *
plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* The summary: JSON on stdout with --json; the text line on stderr unless
 * --quiet, and a line for what was told in earlier runs and not again. */
static bool
print_summary(const run_config *cfg, const newsidx_index_stats *s,
              int64_t n_items)
{
    uint64_t n_old_skipped = s->skipped - cfg->n_skipped_shown;
    uint64_t n_old_warnings = s->warnings - cfg->n_warnings_shown;
    bool is_ok = true;

    if (cfg->is_json)
        is_ok = print_json_summary(cfg, s, n_items);
    if (cfg->verbosity == 0)
        return is_ok;
    fprintf(stderr,
            "newsindex: %llu added, %llu updated, %llu renamed, "
            "%llu unchanged, %llu removed, %llu skipped, %llu failed "
            "(%llu warnings); %lld items in ",
            (unsigned long long)s->added, (unsigned long long)s->updated,
            (unsigned long long)s->renamed, (unsigned long long)s->unchanged,
            (unsigned long long)s->removed, (unsigned long long)s->skipped,
            (unsigned long long)s->failed, (unsigned long long)s->warnings,
            (long long)n_items);
    cli_put_escaped(stderr, cfg->db);
    fprintf(stderr, "; %.2f s\n", s->seconds);
    if (n_old_skipped > 0 && n_old_warnings > 0)
        fprintf(stderr,
                "newsindex: %llu not news item%s and %llu warning%s told "
                "in earlier runs (--verbose lists them)\n",
                (unsigned long long)n_old_skipped, plural(n_old_skipped),
                (unsigned long long)n_old_warnings, plural(n_old_warnings));
    else if (n_old_skipped > 0)
        fprintf(stderr,
                "newsindex: %llu not news item%s told in earlier runs "
                "(--verbose lists them)\n",
                (unsigned long long)n_old_skipped, plural(n_old_skipped));
    else if (n_old_warnings > 0)
        fprintf(stderr,
                "newsindex: %llu warning%s told in earlier runs "
                "(--verbose lists them)\n",
                (unsigned long long)n_old_warnings, plural(n_old_warnings));
    return is_ok;
}

/* Split --ext "md,.txt" into cfg->exts. */
static bool
parse_exts(run_config *cfg, const char *list)
{
    char *tok, *save = NULL;

    free(cfg->ext_list);
    cfg->ext_list = strdup(list);
    cfg->n_exts = 0;
    if (cfg->ext_list == NULL)
        return false;
    for (tok = strtok_r(cfg->ext_list, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == '.' || *tok == ' ')
            tok++;
        if (*tok == '\0')
            continue;
        if (cfg->n_exts == sizeof(cfg->exts) / sizeof(cfg->exts[0]))
            return false;
        cfg->exts[cfg->n_exts++] = tok;
    }
    cfg->opts.extensions = cfg->exts;
    cfg->opts.n_extensions = cfg->n_exts;
    return cfg->n_exts > 0;
}

/* Handle one option; returns -1 to go on, or an exit code. */
static int
parse_option(void *payload, int c, const char *arg)
{
    run_config *cfg = payload;
    uint64_t n;

    switch (c) {
    case 'd':
        cfg->db = arg;
        break;
    case 'e':
        if (!parse_exts(cfg, arg))
            return cli_usage_error("--ext needs a list such as md,txt");
        break;
    case OPT_REBUILD:
        cfg->opts.is_rebuild = true;
        break;
    case OPT_EXCLUDE:
        /* As the library checks them, before the index is opened. */
        if (strspn(arg, "/") == strlen(arg))
            return cli_usage_error("--exclude needs a pattern such as "
                                   "README.md or _data/, not '%s'",
                                   arg);
        if (arg[0] == '!')
            return cli_usage_error("--exclude '%s': a pattern that starts "
                                   "with '!' (an exception) is not "
                                   "supported; write \\! for a name that "
                                   "starts with it",
                                   arg);
        cfg->excludes[cfg->n_excludes++] = arg;
        break;
    case OPT_SET_WEIGHTS: {
        newsidx_error err;

        if (newsidx_weights_check(arg, &err) != NEWSIDX_OK)
            return cli_usage_error("--set-weights: %s", err.message);
        cfg->weights = arg;
        break;
    }
    case OPT_BATCH:
        if (!cli_parse_u64(arg, false, &n) || n == 0 || n > 1000000)
            return cli_usage_error("--batch needs a number from 1 to "
                                   "1000000, not '%s'",
                                   arg);
        cfg->opts.batch_size = (unsigned)n;
        break;
    case OPT_MAX_SIZE:
        if (!cli_parse_u64(arg, true, &n) || n == 0)
            return cli_usage_error("--max-size needs a size such as 16M, "
                                   "not '%s'",
                                   arg);
        cfg->opts.max_file_size = n;
        break;
    case OPT_JSON:
        cfg->is_json = true;
        break;
    case OPT_STEM_LANGUAGE: {
        /* Checked before the index is opened: a name that is no language
         * must not create a file. */
        const char *name;
        size_t i;

        for (i = 0; newsidx_stem_language_name(&name, i) == NEWSIDX_OK &&
                    strcmp(name, arg) != 0;
             i++)
            ;
        if (name == NULL) {
            fputs("newsindex: error: no stemming language '", stderr);
            cli_put_escaped(stderr, arg);
            fputs("'; the languages are:", stderr);
            for (i = 0; newsidx_stem_language_name(&name, i) == NEWSIDX_OK; i++)
                fprintf(stderr, " %s", name);
            fputc('\n', stderr);
            return CLI_EXIT_USAGE;
        }
        cfg->stem_language = arg;
        break;
    }
    case OPT_PROGRESS:
    case OPT_NO_PROGRESS:
        cfg->progress = c == OPT_PROGRESS ? 1 : -1;
        break;
    case 'q':
        cfg->verbosity = 0;
        break;
    case 'v':
        cfg->verbosity = 2;
        break;
    case 'h':
        usage();
        return CLI_EXIT_OK;
    case 'V':
        printf("newsindex (newsidx) %s\n", newsidx_version());
        return CLI_EXIT_OK;
    default:
        return cli_usage_error("unknown option");
    }
    return -1;
}

static int
parse_args(run_config *cfg, int argc, char **argv)
{
    static const cli_parser parser = {
        options, N_OPTIONS, parse_option, NULL,
        "a path that starts with '-' goes after -- (newsindex -- -dir) or "
        "as ./-dir"};
    int rc = cli_parse_options(&parser, argc, argv, cfg);

    if (rc >= 0)
        return rc;
    if (optind >= argc && cfg->stem_language == NULL && cfg->weights == NULL)
        return cli_usage_error("no PATH to index");
    if ((cfg->db == NULL || cfg->db[0] == '\0') && getenv("NEWSIDX_DB") &&
        strchr(getenv("NEWSIDX_DB"), ':') != NULL)
        return cli_usage_error("NEWSIDX_DB names several index files "
                               "(newsquery searches them as one); newsindex "
                               "writes one: name it with --db");
    cfg->db = cli_default_db(cfg->db);
    return -1;
}

/* A failure to run: its message, and for a damaged index the way out.
 * --rebuild makes every table anew, so a damaged record cannot stop it;
 * when it fails all the same, the file itself is beyond repair. */
static void
report_error(const run_config *cfg, int rc, const newsidx_error *err)
{
    cli_error("%s",
              err->message[0] != '\0' ? err->message : newsidx_strerror(rc));
    if (rc != NEWSIDX_CORRUPT)
        return;
    if (cfg->opts.is_rebuild) {
        fputs("newsindex: hint: the file cannot be repaired; remove it and "
              "index again: rm ",
              stderr);
        cli_put_escaped(stderr, cfg->db);
    } else {
        fputs("newsindex: hint: make the index anew from the news files: "
              "newsindex --rebuild --db ",
              stderr);
        cli_put_escaped(stderr, cfg->db);
        fputs(" PATH...", stderr);
    }
    fputc('\n', stderr);
}

static int
run(run_config *cfg, const char *const *paths, size_t n_paths)
{
    newsidx_index *idx = NULL;
    newsidx_index_stats stats = NEWSIDX_INDEX_STATS_INIT;
    newsidx_error err;
    int64_t n_items = 0;
    bool is_unfolded = false;
    int rc;

    rc = newsidx_index_open(
        &idx, cfg->db,
        NEWSIDX_OPEN_CREATE | (cfg->opts.is_rebuild ? NEWSIDX_OPEN_REBUILD : 0),
        &err);
    if (rc != NEWSIDX_OK) {
        report_error(cfg, rc, &err);
        return CLI_EXIT_FAILURE;
    }
    /* The language first: the words indexed next are stemmed in it. */
    if (cfg->stem_language != NULL &&
        (rc = newsidx_index_set_stem_language(idx, cfg->stem_language, &err)) !=
            NEWSIDX_OK) {
        newsidx_index_close(idx);
        report_error(cfg, rc, &err);
        return rc == NEWSIDX_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    if (cfg->weights != NULL && (rc = newsidx_index_set_weights(
                                     idx, cfg->weights, &err)) != NEWSIDX_OK) {
        newsidx_index_close(idx);
        report_error(cfg, rc, &err);
        return rc == NEWSIDX_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    if (n_paths == 0) { /* --stem-language or --set-weights alone */
        newsidx_index_close(idx);
        return CLI_EXIT_OK;
    }
    cli_display_roots(paths, n_paths);
    cli_progress_init(&cfg->bar, cfg->verbosity > 0 &&
                                     (cfg->progress > 0 ||
                                      (cfg->progress == 0 && isatty(2))));
    cfg->opts.excludes = cfg->excludes;
    cfg->opts.n_excludes = cfg->n_excludes;
    /* JSON lists every standing warning; --verbose repeats what was told. */
    cfg->opts.is_retell = cfg->is_json || cfg->verbosity > 1;
    rc = newsidx_index_paths(&stats, idx, paths, n_paths, &cfg->opts, &err);
    cli_progress_clear(&cfg->bar);
    /* The work is committed either way: a log that cannot be folded into
     * the index (a full disk) still gets the summary, then the error. */
    if (rc == NEWSIDX_OK)
        is_unfolded = newsidx_index_checkpoint(idx, &err) != NEWSIDX_OK;
    if (rc == NEWSIDX_OK || rc == NEWSIDX_CANCELLED)
        newsidx_index_count(&n_items, idx, NULL);
    newsidx_index_close(idx);
    if (rc == NEWSIDX_CANCELLED) {
        print_summary(cfg, &stats, n_items);
        cli_error("interrupted; the files done so far are saved");
        return 128 + SIGINT;
    }
    if (rc == NEWSIDX_NOTFOUND && cfg->n_failed_events > 0)
        return CLI_EXIT_FAILURE; /* each missing path was reported */
    if (rc == NEWSIDX_INVALID) { /* a pattern of a .newsidxignore */
        report_error(cfg, rc, &err);
        return CLI_EXIT_USAGE;
    }
    if (rc != NEWSIDX_OK) {
        report_error(cfg, rc, &err);
        return CLI_EXIT_FAILURE;
    }
    if (!print_summary(cfg, &stats, n_items)) {
        cli_error("cannot write the summary");
        return CLI_EXIT_FAILURE;
    }
    if (is_unfolded) {
        cli_error("%s", err.message);
        return CLI_EXIT_FAILURE;
    }
    return stats.failed > 0 ? CLI_EXIT_FILES_FAILED : CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
    static const newsidx_index_options defaults = NEWSIDX_INDEX_OPTIONS_INIT;
    run_config cfg;
    struct sigaction sa;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.opts = defaults;
    cfg.verbosity = 1;
    cli_set_program("newsindex");
    cfg.excludes = calloc((size_t)argc + 1, sizeof(*cfg.excludes));
    if (cfg.excludes == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    rc = parse_args(&cfg, argc, argv);
    if (rc < 0) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        cfg.opts.on_event = on_event;
        cfg.opts.on_progress = on_progress;
        cfg.opts.payload = &cfg;
        cfg.opts.is_cancelled = is_interrupted;
        rc = run(&cfg, (const char *const *)argv + optind,
                 (size_t)(argc - optind));
    }
    free(cfg.ext_list);
    free(cfg.excludes);
    problem_list_free(&cfg.failures);
    problem_list_free(&cfg.warnings);
    return rc;
}
