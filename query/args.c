/*
 * args.c - newsquery's options: the table that drives getopt_long and
 * --help, and the parsing of every option value into a run_config.
 */
#include "args.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "emit.h"

enum {
    OPT_OFFSET = 256,
    OPT_COUNT,
    OPT_SORT,
    OPT_ALL,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_FRESH,
    OPT_NOW,
    OPT_EXPLAIN,
    OPT_EXACT,
    OPT_NO_COLLAPSE,
    OPT_RELATED,
    OPT_LIKE,
    OPT_FACETS,
    OPT_WEIGHTS,
    OPT_EXIT_STATUS,
    OPT_COLOR,
    OPT_FORMAT_VERSION,
    OPT_FACET_LIMIT
};

static const cli_option options[] = {
    {"db", 'd', required_argument, "FILE",
     "index file; give it again to search several files as one (default: "
     "$NEWSIDX_DB, a list separated by ':', then ./news.db)"},
    {"format", 'f', required_argument, "FORMAT",
     "text (default), json, jsonl (one hit per line) or paths"},
    {"null", '0', no_argument, NULL,
     "with --format paths: end each path with NUL (for xargs -0)"},
    {"limit", 'n', required_argument, "N", "hits per page (default: 10)"},
    {"offset", OPT_OFFSET, required_argument, "N", "skip the first N hits"},
    {"count", OPT_COUNT, no_argument, NULL, "print only the number of matches"},
    {"sort", OPT_SORT, required_argument, "ORDER",
     "rank (default), date, quality or heat"},
    {"all", OPT_ALL, no_argument, NULL, "include unpublished items"},
    {"since", OPT_SINCE, required_argument, "WHEN",
     "from WHEN: YYYY[-MM[-DD]], or 7d/12h/2w/3m/1y ago"},
    {"until", OPT_UNTIL, required_argument, "WHEN",
     "published until the end of WHEN"},
    {"fresh", OPT_FRESH, optional_argument, "HALF-LIFE",
     "favour recent items (default half-life: 30d)"},
    {"now", OPT_NOW, required_argument, "WHEN",
     "where --fresh counts from (default: newest item)"},
    {"explain", OPT_EXPLAIN, no_argument, NULL,
     "show each hit's score factors and path"},
    {"exact", OPT_EXACT, no_argument, NULL,
     "match words as typed, not their other forms"},
    {"no-collapse", OPT_NO_COLLAPSE, no_argument, NULL,
     "keep copies of one story apart"},
    {"related", OPT_RELATED, required_argument, "N",
     "related entries per hit (default: 3; 0 for none)"},
    {"like", OPT_LIKE, required_argument, "ID",
     "find items like item ID (then no QUERY)"},
    {"facets", OPT_FACETS, required_argument, "LIST",
     "count matches by topic, provider and/or year"},
    {"facet-limit", OPT_FACET_LIMIT, required_argument, "N",
     "values shown per facet (default: 20; 0 for all)"},
    {"weights", OPT_WEIGHTS, required_argument, "LIST",
     "ranking weights, e.g. title=10,excerpt=4,prior=0.3,form=0.5"},
    {"exit-status", OPT_EXIT_STATUS, no_argument, NULL,
     "exit with 4 when nothing matched"},
    {"color", OPT_COLOR, optional_argument, "WHEN",
     "auto (default), always or never"},
    {"format-version", OPT_FORMAT_VERSION, required_argument, "N",
     "the JSON schema version to print: 2 (default) or 1"},
    {"help", 'h', no_argument, NULL, "show this help and exit"},
    {"version", 'V', no_argument, NULL, "show the version and exit"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* The values of --color, in the order of run_config.color + 1. */
static const char *const color_names[] = {"never", "auto", "always"};

static void
usage(void)
{
    printf("Usage: newsquery [OPTION]... QUERY...\n"
           "       newsquery [OPTION]... --like ID\n"
           "Search the news items indexed by newsindex.  The QUERY words are "
           "joined:\n"
           "words are ANDed; \"a phrase\"; a OR b; -word; word*; title: "
           "excerpt: body:\n"
           "provider: topic: type: category: date:2021-01..2021-06-30 "
           "quality:>=60\n"
           "heat:>0.  Unpublished items only with --all.  Options may come "
           "anywhere;\n"
           "to exclude a word, quote the query ('ai -crypto') or put the "
           "words after\n"
           "-- (newsquery -- ai -crypto).\n\n");
    cli_print_options(stdout, options, N_OPTIONS);
    printf("\nExit status: 0 success; 1 could not run; 2 usage error;\n"
           "3 query syntax error; 4 no match with --exit-status.  "
           "See newsquery(1).\n");
}

/* A number with an optional unit h, d, w, m (30 days) or y (365 days);
 * `*seconds` gets its length.  A bare number counts days. */
static bool
parse_duration(const char *s, bool needs_unit, double *seconds)
{
    static const char units[] = "hdwmy";
    static const double secs[] = {3600, 86400, 7 * 86400.0, 30 * 86400.0,
                                  365 * 86400.0};
    const char *u;
    char *end;
    double v;

    if (*s < '0' || *s > '9')
        return false;
    v = strtod(s, &end);
    if (!isfinite(v) || v > 1e6)
        return false;
    if (*end == '\0' && !needs_unit) {
        *seconds = v * 86400;
        return true;
    }
    if (*end == '\0' || end[1] != '\0' || (u = strchr(units, *end)) == NULL)
        return false;
    *seconds = v * secs[u - units];
    return true;
}

/* Read exactly `n` digits at `*s` into `*out`, moving `*s` past them. */
static bool
parse_digits(const char **s, int n, int *out)
{
    int i;

    *out = 0;
    for (i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        *out = *out * 10 + (**s - '0');
    }
    return true;
}

/* WHEN for --since/--until: YYYY, YYYY-MM or YYYY-MM-DD (UTC), taking the
 * period's first or (`is_end`) last second; or a time ago such as 7d. */
static bool
parse_when(const char *s, bool is_end, time_t now, int64_t *out)
{
    struct tm tm, check;
    double ago;
    int parts = 1, y, m = 1, d = 1;
    time_t start, next;

    if (parse_duration(s, true, &ago)) {
        *out = (int64_t)now - (int64_t)ago;
        return true;
    }
    if (!parse_digits(&s, 4, &y))
        return false;
    if (*s == '-') {
        s++;
        parts++;
        if (!parse_digits(&s, 2, &m))
            return false;
    }
    if (parts == 2 && *s == '-') {
        s++;
        parts++;
        if (!parse_digits(&s, 2, &d))
            return false;
    }
    if (*s != '\0' || y < 1000 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    start = timegm(&tm);
    if (gmtime_r(&start, &check) == NULL || check.tm_mday != d)
        return false; /* 2021-02-30 */
    tm.tm_year += parts == 1;
    tm.tm_mon += parts == 2;
    tm.tm_mday += parts == 3;
    next = timegm(&tm);
    *out = is_end ? (int64_t)next - 1 : (int64_t)start;
    return true;
}

/* WHEN for --now: "now" (or "today") is the current time; a period is
 * taken at its end, as --until takes it, so that its items are past. */
static bool
parse_now(const char *s, time_t now, int64_t *out)
{
    if (strcmp(s, "now") == 0 || strcmp(s, "today") == 0) {
        *out = (int64_t)now;
        return true;
    }
    return parse_when(s, true, now, out);
}

/* --weights title=10,excerpt=4,body=1,quality=1,heat=1,prior=0.3,form=0.5 */
static bool
parse_weights(newsidx_query_options *opts, const char *list)
{
    static const char *const names[] = {"title", "excerpt", "body", "quality",
                                        "heat",  "prior",   "form"};
    double *fields[] = {
        &opts->w_title, &opts->w_excerpt,      &opts->w_body, &opts->w_quality,
        &opts->w_heat,  &opts->prior_strength, &opts->w_form};
    const size_t n_names = sizeof(names) / sizeof(names[0]);
    const char *p = list;

    while (*p != '\0') {
        size_t i, len = strcspn(p, "=,");
        char *end;
        double v;

        for (i = 0; i < n_names; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
                break;
        if (i == n_names || p[len] != '=' || p[len + 1] < '0' ||
            p[len + 1] > '9')
            return false;
        v = strtod(p + len + 1, &end);
        if (!isfinite(v) || v > 1000 || (i == 5 && v > 0.9) ||
            (i == 6 && v > 1) || (*end != ',' && *end != '\0'))
            return false;
        *fields[i] = v;
        p = *end == ',' ? end + 1 : end;
    }
    return p != list;
}

/* --facets topic,provider,year */
static bool
parse_facets(unsigned *bits, const char *list)
{
    static const char *const names[] = {"topic", "provider", "year"};
    static const unsigned kinds[] = {
        NEWSIDX_FACET_TOPIC, NEWSIDX_FACET_PROVIDER, NEWSIDX_FACET_YEAR};
    const char *p = list;

    *bits = 0;
    while (*p != '\0') {
        size_t i, len = strcspn(p, ",");

        for (i = 0; i < 3; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
                break;
        if (i == 3)
            return false;
        *bits |= kinds[i];
        p += len + (p[len] == ',');
    }
    return *bits != 0;
}

static bool
parse_choice(const char *arg, const char *const *names, size_t n, int *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    return false;
}

/* Options that take a number.  Returns -1 to go on, or an exit code. */
static int
parse_number_option(run_config *cfg, int c, const char *arg)
{
    uint64_t n;

    if (!cli_parse_u64(arg, false, &n))
        n = UINT64_MAX;
    switch (c) {
    case 'n':
        if (n > 10000)
            return cli_usage_error("--limit needs a number from 0 to 10000, "
                                   "not '%s'",
                                   arg);
        cfg->opts.limit = (unsigned)n;
        break;
    case OPT_OFFSET:
        if (n > 100000)
            return cli_usage_error("--offset needs a number from 0 to "
                                   "100000, not '%s'",
                                   arg);
        cfg->opts.offset = n;
        break;
    case OPT_RELATED:
        if (n > 1000)
            return cli_usage_error("--related needs a number from 0 to 1000, "
                                   "not '%s'",
                                   arg);
        cfg->opts.related_limit = (int)n;
        break;
    case OPT_LIKE:
        if (n == 0 || n > INT64_MAX)
            return cli_usage_error("--like needs an item id, not '%s'", arg);
        cfg->like_id = (int64_t)n;
        break;
    case OPT_FACET_LIMIT:
        if (n > 100000)
            return cli_usage_error("--facet-limit needs a number from 0 "
                                   "(all) to 100000, not '%s'",
                                   arg);
        cfg->facet_limit = (unsigned)n;
        break;
    default:
        if (n < 1 || n > EMIT_FORMAT_VERSION)
            return cli_usage_error("--format-version %s is not supported "
                                   "(1 or %d)",
                                   arg, EMIT_FORMAT_VERSION);
        cfg->format_version = (unsigned)n;
        break;
    }
    return -1;
}

/* Options about what to search.  Returns -1 to go on, or an exit code. */
static int
parse_filter_option(run_config *cfg, int c, const char *arg)
{
    static const char *const sorts[] = {"rank", "date", "quality", "heat"};
    newsidx_query_options *o = &cfg->opts;
    double secs;
    int v;

    switch (c) {
    case OPT_SORT:
        if (!parse_choice(arg, sorts, 4, &v))
            return cli_usage_error("--sort needs rank, date, quality or "
                                   "heat, not '%s'",
                                   arg);
        o->sort = (newsidx_sort)v;
        break;
    case OPT_SINCE:
    case OPT_UNTIL:
        if (!parse_when(arg, c == OPT_UNTIL, cfg->now,
                        c == OPT_SINCE ? &o->since : &o->until))
            return cli_usage_error("--%s needs YYYY, YYYY-MM, YYYY-MM-DD or "
                                   "a time ago such as 7d, not '%s'",
                                   c == OPT_SINCE ? "since" : "until", arg);
        *(c == OPT_SINCE ? &o->has_since : &o->has_until) = true;
        break;
    case OPT_FRESH:
        if (arg != NULL && (!parse_duration(arg, false, &secs) || secs <= 0))
            return cli_usage_error("--fresh needs a half-life such as 30d, "
                                   "not '%s'",
                                   arg);
        o->fresh_half_life = arg != NULL ? secs / 86400 : 30;
        break;
    case OPT_NOW:
        if (!parse_now(arg, cfg->now, &o->now))
            return cli_usage_error("--now needs YYYY, YYYY-MM, YYYY-MM-DD, "
                                   "a time ago such as 7d, or now, not '%s'",
                                   arg);
        break;
    case OPT_FACETS:
        if (!parse_facets(&o->facets, arg))
            return cli_usage_error("--facets needs a list of topic, provider "
                                   "and year, not '%s'",
                                   arg);
        break;
    default:
        if (!parse_weights(o, arg))
            return cli_usage_error("--weights needs a list such as "
                                   "title=10,prior=0.3, not '%s'",
                                   arg);
        break;
    }
    return -1;
}

/* The index files: those of --db; else $NEWSIDX_DB, a list separated
 * by ':' as PATH is; else news.db.  Returns -1 to go on, or an exit
 * code. */
static int
parse_dbs(run_config *cfg)
{
    const char *env = getenv("NEWSIDX_DB");
    char *part, *save = NULL;

    if (cfg->n_dbs > 0)
        return -1;
    if (env == NULL || env[strspn(env, ":")] == '\0') {
        cfg->dbs[cfg->n_dbs++] = "news.db";
        return -1;
    }
    if ((cfg->db_env = strdup(env)) == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    for (part = strtok_r(cfg->db_env, ":", &save); part != NULL;
         part = strtok_r(NULL, ":", &save)) {
        if (cfg->n_dbs == MAX_DBS)
            return cli_usage_error("NEWSIDX_DB names more than %d index files",
                                   MAX_DBS);
        cfg->dbs[cfg->n_dbs++] = part;
    }
    return -1;
}

/* Handle one option; returns -1 to go on, or an exit code. */
static int
parse_option(void *payload, int c, const char *arg)
{
    run_config *cfg = payload;
    static const char *const formats[] = {"text", "json", "jsonl", "paths"};

    switch (c) {
    case 'd':
        if (arg[0] == '\0')
            return cli_usage_error("--db needs a file name");
        if (cfg->n_dbs == MAX_DBS)
            return cli_usage_error("at most %d index files (--db)", MAX_DBS);
        cfg->dbs[cfg->n_dbs++] = arg;
        break;
    case 'f':
        if (!parse_choice(arg, formats, 4, &cfg->format))
            return cli_usage_error("--format needs text, json, jsonl or "
                                   "paths, not '%s'",
                                   arg);
        cfg->has_format = true;
        break;
    case '0':
        cfg->is_null = true;
        break;
    case 'n':
    case OPT_OFFSET:
    case OPT_RELATED:
    case OPT_LIKE:
    case OPT_FORMAT_VERSION:
    case OPT_FACET_LIMIT:
        return parse_number_option(cfg, c, arg);
    case OPT_SORT:
    case OPT_SINCE:
    case OPT_UNTIL:
    case OPT_FRESH:
    case OPT_NOW:
    case OPT_FACETS:
    case OPT_WEIGHTS:
        return parse_filter_option(cfg, c, arg);
    case OPT_COUNT:
        cfg->opts.is_count_only = true;
        break;
    case OPT_ALL:
        cfg->opts.include_unpublished = true;
        break;
    case OPT_EXPLAIN:
        cfg->is_explain = true;
        break;
    case OPT_EXACT:
        cfg->opts.is_exact = true;
        break;
    case OPT_NO_COLLAPSE:
        cfg->opts.no_collapse = true;
        break;
    case OPT_EXIT_STATUS:
        cfg->is_exit_status = true;
        break;
    case OPT_COLOR:
        if (arg == NULL)
            cfg->color = 1;
        else if (parse_choice(arg, color_names, 3, &cfg->color))
            cfg->color -= 1;
        else
            return cli_usage_error("--color needs auto, always or never, "
                                   "not '%s'",
                                   arg);
        break;
    case 'h':
        usage();
        return CLI_EXIT_OK;
    case 'V':
        printf("newsquery (newsidx) %s\n", newsidx_version());
        return CLI_EXIT_OK;
    default:
        return cli_usage_error("unknown option");
    }
    return -1;
}

/* cli_parser.is_value: whether `next`, after --fresh or --color without
 * '=', reads as their value (a half-life; auto, always or never). */
static bool
is_option_value(int c, const char *next)
{
    double secs;
    int v;

    if (c == OPT_FRESH)
        return parse_duration(next, false, &secs);
    return c == OPT_COLOR && parse_choice(next, color_names, 3, &v);
}

/* Join the QUERY words with single spaces into cfg->query. */
static bool
join_words(run_config *cfg, char *const *words, int n)
{
    size_t len = 1, at = 0;
    int i;

    for (i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    if ((cfg->query = malloc(len)) == NULL)
        return false;
    for (i = 0; i < n; i++) {
        size_t w = strlen(words[i]);

        if (i > 0)
            cfg->query[at++] = ' ';
        memcpy(cfg->query + at, words[i], w);
        at += w;
    }
    cfg->query[at] = '\0';
    return true;
}

int
parse_args(run_config *cfg, int argc, char **argv)
{
    static const cli_parser parser = {
        options, N_OPTIONS, parse_option, is_option_value,
        "to exclude a word, quote the query (newsquery 'ai -crypto') or put "
        "the words after -- (newsquery -- ai -crypto)"};
    int rc = cli_parse_options(&parser, argc, argv, cfg);

    if (rc >= 0)
        return rc;
    if (cfg->like_id > 0 && optind < argc)
        return cli_usage_error("--like takes no QUERY");
    if (!join_words(cfg, argv + optind, argc - optind)) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    if (cfg->query[strspn(cfg->query, " \t\n")] == '\0' && cfg->like_id == 0 &&
        !cfg->opts.has_since && !cfg->opts.has_until)
        return cli_usage_error("no QUERY to search for");
    if (cfg->opts.has_since && cfg->opts.has_until &&
        cfg->opts.since > cfg->opts.until)
        return cli_usage_error("--since is after --until");
    /* -0 alone means paths, as rg -l0 does; with another format it would
     * change nothing, which is not what was asked. */
    if (cfg->is_null && !cfg->has_format)
        cfg->format = FORMAT_PATHS;
    if (cfg->is_null && cfg->format != FORMAT_PATHS)
        return cli_usage_error("-0 (--null) goes with --format paths");
    if (cfg->format == FORMAT_PATHS && cfg->opts.is_count_only)
        return cli_usage_error("--count prints a number, --format paths "
                               "prints paths: use one");
    rc = parse_dbs(cfg);
    if (rc >= 0)
        return rc;
    if (cfg->like_id > 0 && cfg->n_dbs > 1)
        return cli_usage_error("--like takes one index file, not %zu",
                               cfg->n_dbs);
    cfg->db = cfg->dbs[0];
    return -1;
}
