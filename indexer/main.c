/*
 * main.c - newsindex: index folders of news items into an index file.
 *
 * Parses options, opens the index, runs newsidx_index_paths with callbacks
 * that print per-file events and a progress bar, prints the summary and
 * maps the outcome to an exit code.  Uses only the public API.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "newsidx.h"

enum {
    OPT_REBUILD = 256,
    OPT_JSON,
    OPT_BATCH,
    OPT_MAX_SIZE,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_STEM_LANGUAGE
};

static const cli_option options[] = {
    {"db", 'd', required_argument, "FILE",
     "index file (default: $NEWSIDX_DB, then ./news.db)"},
    {"ext", 'e', required_argument, "LIST",
     "file name endings to index (default: md,markdown,txt)"},
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
    {"progress", OPT_PROGRESS, no_argument, NULL,
     "show the progress bar even when stderr is not a terminal"},
    {"no-progress", OPT_NO_PROGRESS, no_argument, NULL,
     "never show the progress bar"},
    {"quiet", 'q', no_argument, NULL, "print only errors"},
    {"verbose", 'v', no_argument, NULL, "print every file's outcome"},
    {"help", 'h', no_argument, NULL, "show this help and exit"},
    {"version", 'V', no_argument, NULL, "show the version and exit"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

typedef struct run_config {
    const char *db;
    char *ext_list; /* copy of --ext, split in place */
    const char *exts[64];
    size_t n_exts;
    newsidx_index_options opts;
    int verbosity; /* 0 quiet, 1 normal, 2 verbose */
    bool is_json;
    int progress; /* -1 never, 0 when a terminal, 1 always */
    cli_progress bar;
    const char *stem_language; /* --stem-language, or NULL */
} run_config;

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
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

/* Print one event as "path:line:column: kind: message". */
static void
on_event(const newsidx_event *ev, void *payload)
{
    run_config *cfg = payload;
    int need =
        ev->kind == NEWSIDX_EVENT_FAILED ? 0
        : ev->kind == NEWSIDX_EVENT_WARNING || ev->kind == NEWSIDX_EVENT_SKIPPED
            ? 1
            : 2;

    if (cfg->verbosity < need)
        return;
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
on_progress(const newsidx_progress *p, void *payload)
{
    run_config *cfg = payload;

    cli_progress_update(&cfg->bar, p->files_done, p->files_total,
                        p->phase == 0 ? "walking" : "files");
}

/* Print `s` as a JSON string literal (paths are bytes; anything that is
 * not printable ASCII is escaped or replaced). */
static void
print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void
print_summary(const run_config *cfg, const newsidx_index_stats *s,
              int64_t n_items)
{
    if (cfg->is_json) {
        printf("{\"db\":");
        print_json_string(cfg->db);
        printf(",\"added\":%llu,\"updated\":%llu,\"renamed\":%llu,"
               "\"unchanged\":%llu,\"removed\":%llu,\"skipped\":%llu,"
               "\"failed\":%llu,\"warnings\":%llu,\"bytes\":%llu,"
               "\"items\":%lld,\"seconds\":%.3f}\n",
               (unsigned long long)s->added, (unsigned long long)s->updated,
               (unsigned long long)s->renamed, (unsigned long long)s->unchanged,
               (unsigned long long)s->removed, (unsigned long long)s->skipped,
               (unsigned long long)s->failed, (unsigned long long)s->warnings,
               (unsigned long long)s->bytes, (long long)n_items, s->seconds);
    }
    if (cfg->verbosity > 0)
        fprintf(stderr,
                "newsindex: %llu added, %llu updated, %llu renamed, "
                "%llu unchanged, %llu removed, %llu skipped, %llu failed "
                "(%llu warnings); %lld items in %s; %.2f s\n",
                (unsigned long long)s->added, (unsigned long long)s->updated,
                (unsigned long long)s->renamed,
                (unsigned long long)s->unchanged,
                (unsigned long long)s->removed, (unsigned long long)s->skipped,
                (unsigned long long)s->failed, (unsigned long long)s->warnings,
                (long long)n_items, cfg->db, s->seconds);
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

        for (i = 0; (name = newsidx_stem_language_name(i)) != NULL &&
                    strcmp(name, arg) != 0;
             i++)
            ;
        if (name == NULL) {
            fputs("newsindex: error: no stemming language '", stderr);
            cli_put_escaped(stderr, arg);
            fputs("'; the languages are:", stderr);
            for (i = 0; (name = newsidx_stem_language_name(i)) != NULL; i++)
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
    if (optind >= argc && cfg->stem_language == NULL)
        return cli_usage_error("no PATH to index");
    cfg->db = cli_default_db(cfg->db);
    return -1;
}

/* A failure to run: its message, and for a damaged index the way out.
 * --rebuild makes every table anew, so a damaged record cannot stop it;
 * when it fails all the same, the file itself is beyond repair. */
static void
report_error(const run_config *cfg, int rc, const newsidx_error *err)
{
    cli_error("%s", err->message[0] != '\0' ? err->message
                                            : newsidx_strerror(rc));
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
    newsidx_index_stats stats;
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
        (rc = newsidx_index_set_stem_language(idx, cfg->stem_language,
                                              &err)) != NEWSIDX_OK) {
        newsidx_index_close(idx);
        report_error(cfg, rc, &err);
        return rc == NEWSIDX_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    if (n_paths == 0) { /* --stem-language alone */
        newsidx_index_close(idx);
        return CLI_EXIT_OK;
    }
    cli_progress_init(&cfg->bar, cfg->verbosity > 0 &&
                                     (cfg->progress > 0 ||
                                      (cfg->progress == 0 && isatty(2))));
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
    if (rc != NEWSIDX_OK) {
        report_error(cfg, rc, &err);
        return CLI_EXIT_FAILURE;
    }
    print_summary(cfg, &stats, n_items);
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
    rc = parse_args(&cfg, argc, argv);
    if (rc < 0) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        cfg.opts.on_event = on_event;
        cfg.opts.on_progress = on_progress;
        cfg.opts.payload = &cfg;
        cfg.opts.cancel = (const volatile int *)&interrupted;
        rc = run(&cfg, (const char *const *)argv + optind,
                 (size_t)(argc - optind));
    }
    free(cfg.ext_list);
    return rc;
}
