/*
 * nx_bench.c - the measuring half of bench/run (bench/README.md).
 *
 *   nx_bench queries DB QUERIES [ROUNDS]
 *       In-process latency of every query of QUERIES (CLASS<TAB>QUERY
 *       lines) through libnewsidx: query_new + run + every hit with its
 *       related items, default options (top 10, collapse on, 3 related),
 *       ROUNDS times (default 3) after one warm-up pass.  Then, per query:
 *       the same query without collapsing, and the two baselines, each once
 *       (after a warm-up): plain FTS5 `ORDER BY bm25(fts, 10, 4, 1) x prior`
 *       and the same formula newsidx ranks by, `ORDER BY nx_bm25f(...) x
 *       prior`, both written in SQL over every match.  The newsidx top-10
 *       (no collapsing) must equal the exhaustive nx_bm25f top-10.
 *       Writes a JSON summary to stdout and one line per query to stderr
 *       when a check fails.
 *   nx_bench more DB QUERIES [ROUNDS]
 *       In-process latency of queries that carry options
 *       (CLASS<TAB>OPTIONS<TAB>QUERY lines, bench/queries-more.txt: facets,
 *       pages deep in the results), measured as `queries` measures its
 *       own (every hit with its related items, and every facet value),
 *       ROUNDS times (default 3) after a warm-up pass, without baselines or
 *       checks.  Writes per class p50/p95/p99 and each query's median as
 *       JSON; exits 1 when a query fails.
 *   nx_bench profile DB QUERIES [ROUNDS]
 *       Only the in-process newsidx queries, ROUNDS times (default 10),
 *       and the time they took: a loop to run under perf or callgrind.
 *       With NX_BENCH_DETAIL=FILE, each query's median into FILE.
 *   nx_bench spawn NEWSQUERY DB QUERIES [ROUNDS]
 *       Whole-process latency: `NEWSQUERY --db DB --format json [OPTIONS]
 *       QUERY` started with posix_spawn for every query, output to
 *       /dev/null; overall, per class and each query's median.
 *   nx_bench grep RG DIR QUERIES
 *       ripgrep over the raw files for the plain words of the rare, mid and
 *       common queries (`rg -l -i -w -F WORD DIR`), as a scale reference.
 *   nx_bench yaml DIR
 *       The libyaml floor: read every .md file under DIR and parse its
 *       front matter to events, nothing more.
 *   nx_bench measure CMD [ARG...]
 *       Run CMD; print its wall time, peak RSS and exit status as JSON.
 *
 * A query-set line is CLASS<TAB>QUERY or CLASS<TAB>OPTIONS<TAB>QUERY, where
 * OPTIONS are newsquery options split on spaces: --facets LIST, --offset N,
 * --limit N (-n N) and --no-collapse, applied alike through the library
 * and on newsquery's command line.
 *
 * This is a benchmark tool, not a product: it uses internal headers (the
 * baseline reuses the WHERE clause newsidx builds, so both rank the same
 * candidate set) and exits on the first setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <yaml.h>

#include "newsidx.h"
#include "results.h"

extern char **environ;

#define MAX_QUERIES 4096
#define TOP         10
#define MAX_OPTS    8 /* words of a line's OPTIONS */

typedef struct bench_query {
    char cls[16];
    char *text;
    char *opts_text;            /* the line's OPTIONS, NULL when none */
    newsidx_query_options opts; /* the options they set */
    double *t_newsidx;          /* newsidx's time, one per round (in-process, or
                                   whole-process for spawn) */
    double t_nocollapse, t_bm25, t_bm25f;
    uint64_t total;
    int n_hits;   /* hits on the page (more) */
    int failed;   /* the query failed (more, spawn) */
    int same;     /* top-10 equal to the exhaustive nx_bm25f top-10 */
    int tie_only; /* differs only in the order of equal scores */
} bench_query;

/* What run_newsidx saw: the first TOP hits' ids and scores, the number of
 * matches and of hits on the page. */
typedef struct bench_page {
    int64_t ids[TOP];
    double scores[TOP];
    uint64_t total;
    int n_hits;
} bench_page;

/* "nx_bench: WHAT ARG" on stderr, and exit 2. */
static void
die(const char *what, const char *arg)
{
    fprintf(stderr, "nx_bench: %s %s\n", what, arg);
    exit(2);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Split `spec` on spaces into words[] (at most MAX_OPTS); `buf` receives
 * a copy the words point into (free it).  Returns the number of words. */
static size_t
split_options(char **words, char **buf, const char *spec)
{
    char *save = NULL, *w;
    size_t n = 0;

    *buf = strdup(spec);
    for (w = strtok_r(*buf, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
        if (n == MAX_OPTS)
            die("too many options:", spec);
        words[n++] = w;
    }
    return n;
}

/* The value of a numeric option; exits on anything else. */
static uint64_t
option_number(const char *name, const char *value)
{
    char *end;
    unsigned long long v;

    if (value == NULL || value[0] < '0' || value[0] > '9')
        die("option needs a number:", name);
    errno = 0;
    v = strtoull(value, &end, 10);
    if (*end != '\0' || errno != 0)
        die("option needs a number:", name);
    return (uint64_t)v;
}

/* NEWSIDX_FACET_* bits of a --facets LIST such as "topic,provider,year". */
static unsigned
option_facets(const char *list)
{
    char *buf, *save = NULL, *w;
    unsigned bits = 0;

    if (list == NULL)
        die("option needs a list:", "--facets");
    buf = strdup(list);
    for (w = strtok_r(buf, ",", &save); w != NULL;
         w = strtok_r(NULL, ",", &save)) {
        if (strcmp(w, "topic") == 0)
            bits |= NEWSIDX_FACET_TOPIC;
        else if (strcmp(w, "provider") == 0)
            bits |= NEWSIDX_FACET_PROVIDER;
        else if (strcmp(w, "year") == 0)
            bits |= NEWSIDX_FACET_YEAR;
        else
            die("unknown facet:", w);
    }
    free(buf);
    return bits;
}

/* Set `o` from the newsquery options of `spec`, those a query-set line may
 * carry; exits on any other. */
static void
parse_options(newsidx_query_options *o, const char *spec)
{
    char *words[MAX_OPTS], *buf;
    size_t n = split_options(words, &buf, spec), i;

    for (i = 0; i < n; i++) {
        const char *w = words[i], *v = i + 1 < n ? words[i + 1] : NULL;

        if (strcmp(w, "--no-collapse") == 0) {
            o->no_collapse = true;
            continue;
        }
        if (strcmp(w, "--facets") == 0)
            o->facets = option_facets(v);
        else if (strcmp(w, "--offset") == 0)
            o->offset = option_number(w, v);
        else if (strcmp(w, "--limit") == 0 || strcmp(w, "-n") == 0)
            o->limit = (unsigned)option_number(w, v);
        else
            die("unknown option in a query set:", w);
        i++;
    }
    free(buf);
}

/* Fill *q from a line without its end of line: CLASS<TAB>QUERY or
 * CLASS<TAB>OPTIONS<TAB>QUERY; false for a comment or a line without a
 * tab. */
static bool
parse_query_line(bench_query *q, char *line)
{
    newsidx_query_options init = NEWSIDX_QUERY_OPTIONS_INIT;
    char *tab = strchr(line, '\t'), *tab2;

    if (line[0] == '#' || line[0] == '\0' || tab == NULL)
        return false;
    *tab = '\0';
    memset(q, 0, sizeof(*q));
    q->opts = init;
    memcpy(q->cls, line,
           strlen(line) < sizeof(q->cls) ? strlen(line) : sizeof(q->cls) - 1);
    tab2 = strchr(tab + 1, '\t');
    if (tab2 != NULL) {
        *tab2 = '\0';
        q->opts_text = strdup(tab + 1);
        parse_options(&q->opts, q->opts_text);
        tab = tab2;
    }
    q->text = strdup(tab + 1);
    return true;
}

static size_t
read_queries(const char *path, bench_query *qs)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;

    if (f == NULL)
        die("cannot open", path);
    while (fgets(line, sizeof(line), f) != NULL && n < MAX_QUERIES) {
        line[strcspn(line, "\r\n")] = '\0';
        if (parse_query_line(&qs[n], line))
            n++;
    }
    fclose(f);
    if (n == 0)
        die("no queries in", path);
    return n;
}

/* Free what read_queries and cmd_queries allocated. */
static void
free_queries(bench_query *qs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(qs[i].text);
        free(qs[i].opts_text);
        free(qs[i].t_newsidx);
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
pct(const double *v, size_t n, double p)
{
    size_t k = (size_t)ceil(p / 100.0 * (double)n);

    if (n == 0)
        return NAN;
    return v[k == 0 ? 0 : k - 1];
}

static void
print_stats(const char *name, double *v, size_t n, int comma)
{
    qsort(v, n, sizeof(*v), cmp_double);
    printf("  \"%s\": {\"n\": %zu, \"p50_ms\": %.3f, \"p95_ms\": %.3f,"
           " \"p99_ms\": %.3f, \"max_ms\": %.3f}%s\n",
           name, n, pct(v, n, 50) * 1e3, pct(v, n, 95) * 1e3,
           pct(v, n, 99) * 1e3, n ? v[n - 1] * 1e3 : NAN, comma ? "," : "");
}

/* The length of every facet value of the kinds `facets` asks for. */
static size_t
read_facets(const newsidx_results *r, unsigned facets)
{
    static const unsigned kinds[] = {
        NEWSIDX_FACET_TOPIC, NEWSIDX_FACET_PROVIDER, NEWSIDX_FACET_YEAR};
    const char *value;
    uint64_t count;
    size_t k, i, sum = 0;

    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if ((facets & kinds[k]) == 0)
            continue;
        for (i = 0; newsidx_results_facet(&value, &count, r, kinds[k], i) ==
                    NEWSIDX_OK;
             i++)
            sum += strlen(value) + (size_t)count;
    }
    return sum;
}

/* Run one newsidx query with the options of its line (no_collapse on top)
 * and walk its hits and related items, and its facets; what it saw goes to
 * *out.  Returns the number of hits, -1 when the query fails. */
static int
run_newsidx(bench_page *out, newsidx_index *idx, const bench_query *bq,
            bool no_collapse)
{
    newsidx_query_options opts = bq->opts;
    newsidx_error err;
    newsidx_query *q = NULL;
    newsidx_results *r = NULL;
    const newsidx_hit *h;
    volatile size_t sink = 0;
    int n = 0;

    opts.no_collapse = opts.no_collapse || no_collapse;
    if (newsidx_query_new(&q, idx, bq->text, &opts, &err) != NEWSIDX_OK ||
        newsidx_query_run(&r, q, &err) != NEWSIDX_OK) {
        fprintf(stderr, "nx_bench: query '%s': %s\n", bq->text, err.message);
        newsidx_query_free(q);
        return -1;
    }
    out->total = newsidx_results_total(r);
    while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
        size_t i, nr = newsidx_hit_related_count(h);
        const char *s = newsidx_hit_snippet(h);

        sink += s != NULL ? strlen(s) : 0;
        for (i = 0; i < nr; i++) {
            const char *t = newsidx_hit_related_title(h, i);

            sink += t != NULL ? strlen(t) : 0;
        }
        if (n < TOP) {
            out->ids[n] = newsidx_hit_id(h);
            out->scores[n] = newsidx_hit_score(h);
        }
        n++;
    }
    sink += read_facets(r, opts.facets);
    (void)sink;
    out->n_hits = n;
    newsidx_results_free(r);
    newsidx_query_free(q);
    return n;
}

/* The prior factor of docs/ranking.md in SQL.  With equal quality and heat
 * weights (the default) it is the item's level / 1023 (items.level);
 * otherwise it comes from quality and heat. */
static void
prior_sql(char *out, size_t size, const nx_weights *w)
{
    if (w->quality == w->heat) {
        snprintf(out, size, "(1.0 + %.17g * (2.0 * (i.level / 1023.0) - 1.0))",
                 w->strength);
        return;
    }
    snprintf(out, size,
             "(1.0 + %.17g * (2.0 * ((%.17g * (CASE WHEN i.quality IS NULL"
             " OR i.quality < 0 THEN 0.5 WHEN i.quality >= %.17g THEN 1.0"
             " ELSE ln(1.0 + i.quality) / ln(1.0 + %.17g) END) + %.17g *"
             " (CASE WHEN i.heat IS NULL OR i.heat < 0 THEN 0.5 WHEN"
             " i.heat >= %.17g THEN 1.0 ELSE ln(1.0 + i.heat) / ln(1.0 +"
             " %.17g) END)) / %.17g) - 1.0))",
             w->strength, w->quality, NX_PRIOR_QUALITY_TOP,
             NX_PRIOR_QUALITY_TOP, w->heat, NX_PRIOR_HEAT_TOP,
             NX_PRIOR_HEAT_TOP, w->quality + w->heat);
}

/* A baseline: every match scored in SQL, top 10 by score then id.
 * `text_fn` is "bm25" (FTS5's, negated: it is lower for better matches) or
 * "nx_bm25f".  Item ids go to keys[]. */
static int
run_baseline(newsidx_index *idx, const char *text, const char *text_fn,
             int64_t *keys, double *scores)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_error err;
    newsidx_query *q = NULL;
    search_sql s;
    sqlite3_stmt *stmt = NULL;
    char prior[1024], head[2048];
    double idf[SEARCH_MAX_TERMS];
    int64_t n_rows = 0;
    int n = 0, n_idf = 0, rc;

    if (newsidx_query_new(&q, idx, text, &opts, &err) != NEWSIDX_OK)
        return -1;
    /* The same formula: nx_bm25f with the query's idfs (docs/ranking.md),
     * worked out as newsidx does. */
    if (strcmp(text_fn, "nx_bm25f") == 0 &&
        (nx_search_rows(q, &n_rows, &err) != NEWSIDX_OK ||
         nx_search_idf(q, n_rows, idf, &n_idf, &err) != NEWSIDX_OK)) {
        fprintf(stderr, "nx_bench: baseline '%s': %s\n", text, err.message);
        newsidx_query_free(q);
        return -1;
    }
    nx_read_half_of(idx)->rank.idf = n_idf > 0 ? idf : NULL;
    nx_read_half_of(idx)->rank.n_idf = n_idf;
    prior_sql(prior, sizeof(prior), &q->w);
    if (q->match[0] != '\0')
        snprintf(head, sizeof(head),
                 "SELECT i.id, %s%s(fts, %.17g, %.17g, %.17g) * %s AS s",
                 strcmp(text_fn, "bm25") == 0 ? "-" : "", text_fn, q->w.title,
                 q->w.excerpt, q->w.body, prior);
    else
        snprintf(head, sizeof(head), "SELECT i.id, %s AS s", prior);
    nx_search_where(&s, q);
    rc = nx_search_prepare(&stmt, idx, &s, head,
                           " ORDER BY s DESC, i.id LIMIT 10", &err);
    if (rc != NEWSIDX_OK) {
        fprintf(stderr, "nx_bench: baseline '%s': %s\n", text, err.message);
        n = -1;
    }
    while (n >= 0 && sqlite3_step(stmt) == SQLITE_ROW) {
        keys[n] = sqlite3_column_int64(stmt, 0);
        scores[n] = sqlite3_column_double(stmt, 1);
        n++;
    }
    sqlite3_finalize(stmt);
    nx_read_half_of(idx)->rank.idf = NULL;
    nx_read_half_of(idx)->rank.n_idf = 0;
    nx_search_sql_free(&s);
    newsidx_query_free(q);
    return n;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The "classes" object: per query class (in order of first appearance),
 * newsidx p50/p99 over every round, the FTS5 bm25 baseline's p50 and the
 * median number of matches. */
static void
print_classes(const bench_query *qs, size_t n, size_t rounds)
{
    double *v = calloc(n * rounds, sizeof(double)),
           *b = calloc(n, sizeof(double));
    uint64_t *tot = calloc(n, sizeof(uint64_t));
    size_t i, j, k, n_printed = 0;

    printf("  \"classes\": {");
    for (i = 0; i < n; i++) {
        size_t m = 0, mb = 0;

        for (j = 0; j < i && strcmp(qs[j].cls, qs[i].cls) != 0; j++)
            ;
        if (j < i) /* class already printed */
            continue;
        for (j = i; j < n; j++) {
            if (strcmp(qs[j].cls, qs[i].cls) != 0)
                continue;
            for (k = 0; k < rounds; k++)
                v[m++] = qs[j].t_newsidx[k];
            tot[mb] = qs[j].total;
            b[mb++] = qs[j].t_bm25;
        }
        qsort(v, m, sizeof(double), cmp_double);
        qsort(b, mb, sizeof(double), cmp_double);
        qsort(tot, mb, sizeof(uint64_t), cmp_u64);
        printf("%s\n    \"%s\": {\"n\": %zu, \"p50_ms\": %.3f, \"p99_ms\":"
               " %.3f, \"bm25_p50_ms\": %.3f, \"median_matches\": %llu}",
               n_printed++ > 0 ? "," : "", qs[i].cls, mb, pct(v, m, 50) * 1e3,
               pct(v, m, 99) * 1e3, pct(b, mb, 50) * 1e3,
               (unsigned long long)tot[mb / 2]);
    }
    printf("\n  },\n");
    free(v);
    free(b);
    free(tot);
}

static int
cmd_queries(int argc, char **argv)
{
    static bench_query qs[MAX_QUERIES];
    newsidx_index *idx = NULL;
    newsidx_error err;
    size_t n, i, k, rounds = argc > 4 ? (size_t)atoi(argv[4]) : 3;
    double *all, *big_nx, *big_bm25, *big_bm25f, *v1, *v2, *v3;
    size_t n_all = 0, n_big = 0, n_same = 0, n_tie = 0, n_diff = 0;
    double sum_ratio_bm25 = 0, sum_ratio_bm25f = 0, t0;

    if (argc < 4)
        die("usage:", "nx_bench queries DB QUERIES [ROUNDS]");
    if (rounds < 1)
        rounds = 1;
    n = read_queries(argv[3], qs);
    /* The baselines know no options: such lines are for `more`. */
    for (i = 0; i < n; i++)
        if (qs[i].opts_text != NULL)
            die("a query with options is for nx_bench more:", qs[i].text);
    if (newsidx_index_open(&idx, argv[2], NEWSIDX_OPEN_READONLY, &err) !=
        NEWSIDX_OK)
        die("cannot open the index:", err.message);

    all = calloc(n * rounds, sizeof(double));
    big_nx = calloc(n, sizeof(double));
    big_bm25 = calloc(n, sizeof(double));
    big_bm25f = calloc(n, sizeof(double));
    v1 = calloc(n, sizeof(double));
    v2 = calloc(n, sizeof(double));
    v3 = calloc(n, sizeof(double));
    for (i = 0; i < n; i++)
        qs[i].t_newsidx = calloc(rounds, sizeof(double));

    /* Warm-up: the page cache and SQLite's cache see every query once. */
    for (i = 0; i < n; i++) {
        bench_page pg;

        run_newsidx(&pg, idx, &qs[i], false);
        qs[i].total = pg.total;
    }
    for (k = 0; k < rounds; k++) {
        for (i = 0; i < n; i++) {
            bench_page pg;

            t0 = now_s();
            run_newsidx(&pg, idx, &qs[i], false);
            qs[i].t_newsidx[k] = now_s() - t0;
            all[n_all++] = qs[i].t_newsidx[k];
        }
    }
    for (i = 0; i < n; i++) {
        bench_page pg;
        int64_t *ids = pg.ids, keys[TOP], kb[TOP];
        double *sc = pg.scores, bsc[TOP], bsc2[TOP];
        int nh, nb, j, same;

        t0 = now_s();
        nh = run_newsidx(&pg, idx, &qs[i], true);
        qs[i].t_nocollapse = now_s() - t0;
        run_baseline(idx, qs[i].text, "bm25", kb, bsc2); /* warm-up */
        t0 = now_s();
        run_baseline(idx, qs[i].text, "bm25", kb, bsc2);
        qs[i].t_bm25 = now_s() - t0;
        t0 = now_s();
        nb = run_baseline(idx, qs[i].text, "nx_bm25f", keys, bsc);
        qs[i].t_bm25f = now_s() - t0;
        if (nh > TOP)
            nh = TOP;
        same = nh == nb;
        for (j = 0; same && j < nb; j++)
            same = keys[j] == ids[j];
        qs[i].same = same;
        if (!same) {
            /* Only equal scores in another order? */
            int tie = nh == nb;

            for (j = 0; tie && j < nb; j++)
                tie = fabs(sc[j] - bsc[j]) <= 1e-9 * fabs(bsc[j]);
            qs[i].tie_only = tie;
            fprintf(stderr,
                    "nx_bench: top-10 differs for '%s' (%d vs %d hits%s)\n",
                    qs[i].text, nh, nb, tie ? ", equal scores" : "");
            for (j = 0; j < TOP && (j < nh || j < nb); j++)
                fprintf(
                    stderr, "  %d: newsidx %lld %.12g | baseline %lld %.12g\n",
                    j + 1, j < nh ? (long long)ids[j] : -1, j < nh ? sc[j] : 0,
                    j < nb ? (long long)keys[j] : -1, j < nb ? bsc[j] : 0);
        }
        n_same += same;
        n_tie += !same && qs[i].tie_only;
        n_diff += !same && !qs[i].tie_only;
        v1[i] = qs[i].t_nocollapse;
        v2[i] = qs[i].t_bm25;
        v3[i] = qs[i].t_bm25f;
        if (qs[i].total > 100000) {
            double med;

            qsort(qs[i].t_newsidx, rounds, sizeof(double), cmp_double);
            med = qs[i].t_newsidx[rounds / 2];
            big_nx[n_big] = med;
            big_bm25[n_big] = qs[i].t_bm25;
            big_bm25f[n_big] = qs[i].t_bm25f;
            sum_ratio_bm25 += log(qs[i].t_bm25 / med);
            sum_ratio_bm25f += log(qs[i].t_bm25f / med);
            n_big++;
        }
    }

    if (getenv("NX_BENCH_DETAIL") != NULL) {
        FILE *fp = fopen(getenv("NX_BENCH_DETAIL"), "w");

        /* Per query: class, text, matches, newsidx median and the
         * baselines, in ms (a tab-separated file for a closer look). */
        for (i = 0; fp != NULL && i < n; i++) {
            qsort(qs[i].t_newsidx, rounds, sizeof(double), cmp_double);
            fprintf(fp, "%s\t%s\t%llu\t%.3f\t%.3f\t%.3f\n", qs[i].cls,
                    qs[i].text, (unsigned long long)qs[i].total,
                    qs[i].t_newsidx[rounds / 2] * 1e3, qs[i].t_bm25 * 1e3,
                    qs[i].t_bm25f * 1e3);
        }
        if (fp != NULL)
            fclose(fp);
    }
    printf("{\n  \"queries\": %zu,\n  \"rounds\": %zu,\n", n, rounds);
    print_stats("newsidx", all, n_all, 1);
    print_stats("newsidx_no_collapse", v1, n, 1);
    print_stats("baseline_bm25", v2, n, 1);
    print_stats("baseline_bm25f", v3, n, 1);
    printf("  \"big_queries\": %zu,\n", n_big);
    if (n_big > 0) {
        print_stats("big_newsidx", big_nx, n_big, 1);
        print_stats("big_baseline_bm25", big_bm25, n_big, 1);
        print_stats("big_baseline_bm25f", big_bm25f, n_big, 1);
        printf("  \"big_speedup_bm25_geomean\": %.2f,\n",
               exp(sum_ratio_bm25 / (double)n_big));
        printf("  \"big_speedup_bm25f_geomean\": %.2f,\n",
               exp(sum_ratio_bm25f / (double)n_big));
    }
    print_classes(qs, n, rounds);
    printf("  \"same_top10\": %zu,\n  \"same_but_tie_order\": %zu,\n"
           "  \"different_top10\": %zu\n}\n",
           n_same, n_tie, n_diff);
    newsidx_index_close(idx);
    free(all);
    free(big_nx);
    free(big_bm25);
    free(big_bm25f);
    free(v1);
    free(v2);
    free(v3);
    free_queries(qs, n);
    return n_diff > 0 ? 1 : 0;
}

/* `text` as a JSON string. */
static void
print_json_string(const char *text)
{
    const unsigned char *p;

    putchar('"');
    for (p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* The median of q's rounds (t_newsidx, sorted in place). */
static double
query_median(bench_query *q, size_t rounds)
{
    qsort(q->t_newsidx, rounds, sizeof(double), cmp_double);
    return q->t_newsidx[rounds / 2];
}

/* The "classes" object of `more` and `spawn`: per query class (in order of
 * first appearance), p50/p95/p99/max over every round of its queries;
 * with `has_matches`, also the median number of matches and the number of
 * empty pages. */
static void
print_class_pcts(const bench_query *qs, size_t n, size_t rounds,
                 bool has_matches)
{
    double *v = calloc(n * rounds, sizeof(double));
    uint64_t *tot = calloc(n, sizeof(uint64_t));
    size_t i, j, k, n_printed = 0;

    printf("  \"classes\": {");
    for (i = 0; i < n; i++) {
        size_t m = 0, mq = 0, empty = 0;

        for (j = 0; j < i && strcmp(qs[j].cls, qs[i].cls) != 0; j++)
            ;
        if (j < i) /* class already printed */
            continue;
        for (j = i; j < n; j++) {
            if (strcmp(qs[j].cls, qs[i].cls) != 0)
                continue;
            for (k = 0; k < rounds; k++)
                v[m++] = qs[j].t_newsidx[k];
            tot[mq++] = qs[j].total;
            empty += qs[j].n_hits == 0;
        }
        qsort(v, m, sizeof(double), cmp_double);
        qsort(tot, mq, sizeof(uint64_t), cmp_u64);
        printf("%s\n    \"%s\": {\"n\": %zu, \"p50_ms\": %.3f, \"p95_ms\":"
               " %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f",
               n_printed++ > 0 ? "," : "", qs[i].cls, mq, pct(v, m, 50) * 1e3,
               pct(v, m, 95) * 1e3, pct(v, m, 99) * 1e3, v[m - 1] * 1e3);
        if (has_matches)
            printf(", \"median_matches\": %llu, \"empty_pages\": %zu",
                   (unsigned long long)tot[mq / 2], empty);
        printf("}");
    }
    printf("\n  },\n");
    free(v);
    free(tot);
}

/* The "per_query" list, last in the object: each query's class, options,
 * text and median time (with `has_matches`, its matches and hits too). */
static void
print_per_query(bench_query *qs, size_t n, size_t rounds, bool has_matches)
{
    size_t i;

    printf("  \"per_query\": [");
    for (i = 0; i < n; i++) {
        printf("%s\n    {\"class\": ", i > 0 ? "," : "");
        print_json_string(qs[i].cls);
        printf(", \"options\": ");
        print_json_string(qs[i].opts_text != NULL ? qs[i].opts_text : "");
        printf(", \"query\": ");
        print_json_string(qs[i].text);
        if (has_matches)
            printf(", \"matches\": %llu, \"hits\": %d",
                   (unsigned long long)qs[i].total, qs[i].n_hits);
        printf(", \"failed\": %s, \"median_ms\": %.3f}",
               qs[i].failed ? "true" : "false",
               query_median(&qs[i], rounds) * 1e3);
    }
    printf("\n  ]\n");
}

static int
cmd_more(int argc, char **argv)
{
    static bench_query qs[MAX_QUERIES];
    newsidx_index *idx = NULL;
    newsidx_error err;
    size_t n, i, k, rounds = argc > 4 ? (size_t)atoi(argv[4]) : 3;
    int failed = 0;

    if (argc < 4)
        die("usage:", "nx_bench more DB QUERIES [ROUNDS]");
    if (rounds < 1)
        rounds = 1;
    n = read_queries(argv[3], qs);
    if (newsidx_index_open(&idx, argv[2], NEWSIDX_OPEN_READONLY, &err) !=
        NEWSIDX_OK)
        die("cannot open the index:", err.message);
    /* Warm-up, which also records the matches and the hits. */
    for (i = 0; i < n; i++) {
        bench_page pg;

        qs[i].t_newsidx = calloc(rounds, sizeof(double));
        qs[i].failed = run_newsidx(&pg, idx, &qs[i], false) < 0;
        qs[i].total = qs[i].failed ? 0 : pg.total;
        qs[i].n_hits = qs[i].failed ? 0 : pg.n_hits;
        failed += qs[i].failed;
    }
    for (k = 0; k < rounds; k++) {
        for (i = 0; i < n; i++) {
            bench_page pg;
            double t0 = now_s();

            run_newsidx(&pg, idx, &qs[i], false);
            qs[i].t_newsidx[k] = now_s() - t0;
        }
    }
    printf("{\n  \"queries\": %zu,\n  \"rounds\": %zu,\n  \"failed\": %d,\n", n,
           rounds, failed);
    print_class_pcts(qs, n, rounds, true);
    print_per_query(qs, n, rounds, true);
    printf("}\n");
    newsidx_index_close(idx);
    free_queries(qs, n);
    return failed ? 1 : 0;
}

/* posix_spawn argv with stdout and stderr to /dev/null; wall seconds. */
static double
spawn_wait(char *const *args, int *status, struct rusage *ru)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    double t0 = now_s();

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, args[0], &fa, NULL, args, environ) != 0)
        die("cannot start", args[0]);
    posix_spawn_file_actions_destroy(&fa);
    wait4(pid, status, 0, ru);
    return now_s() - t0;
}

static int
cmd_spawn(int argc, char **argv)
{
    static bench_query qs[MAX_QUERIES];
    size_t n, i, k, m = 0, rounds = argc > 5 ? (size_t)atoi(argv[5]) : 1;
    double *v;
    int status, failed = 0;
    struct rusage ru;

    if (argc < 5)
        die("usage:", "nx_bench spawn NEWSQUERY DB QUERIES [ROUNDS]");
    if (rounds < 1)
        rounds = 1;
    n = read_queries(argv[4], qs);
    v = calloc(n * rounds, sizeof(double));
    for (i = 0; i < n; i++)
        qs[i].t_newsidx = calloc(rounds, sizeof(double));
    for (k = 0; k < rounds; k++) {
        for (i = 0; i < n; i++) {
            char *args[MAX_OPTS + 7] = {argv[2], "--db", argv[3], "--format",
                                        "json"},
                                  *buf = NULL;
            size_t a = 5;

            if (qs[i].opts_text != NULL)
                a += split_options(args + a, &buf, qs[i].opts_text);
            args[a++] = qs[i].text;
            args[a] = NULL;
            v[m++] = qs[i].t_newsidx[k] = spawn_wait(args, &status, &ru);
            free(buf);
            /* 0 = hits, 1 is not used by newsquery without --exit-status */
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                failed++;
                qs[i].failed = 1;
            }
        }
    }
    printf("{\n  \"queries\": %zu,\n  \"rounds\": %zu,\n  \"failed\": %d,\n", n,
           rounds, failed);
    print_stats("newsquery_json", v, m, 1);
    print_class_pcts(qs, n, rounds, false);
    print_per_query(qs, n, rounds, false);
    printf("}\n");
    free(v);
    free_queries(qs, n);
    return failed ? 1 : 0;
}

static int
cmd_grep(int argc, char **argv)
{
    static bench_query qs[MAX_QUERIES];
    size_t n, i, m = 0;
    double *v;
    int status;
    struct rusage ru;

    if (argc < 5)
        die("usage:", "nx_bench grep RG DIR QUERIES");
    n = read_queries(argv[4], qs);
    v = calloc(n, sizeof(double));
    for (i = 0; i < n; i++) {
        char *args[] = {argv[2], "-l",       "-i",    "-w",
                        "-F",    qs[i].text, argv[3], NULL};

        if (strcmp(qs[i].cls, "rare") != 0 && strcmp(qs[i].cls, "mid") != 0 &&
            strcmp(qs[i].cls, "common") != 0)
            continue;
        v[m++] = spawn_wait(args, &status, &ru);
    }
    printf("{\n  \"queries\": %zu,\n", m);
    print_stats("ripgrep", v, m, 0);
    printf("}\n");
    free(v);
    free_queries(qs, n);
    return 0;
}

/* libyaml floor: parse the front matter of every .md file to events. */
static void
yaml_file(const char *path, size_t *files, size_t *events, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    char *buf, *start, *end;
    long size;
    yaml_parser_t p;
    yaml_event_t ev;
    int done = 0;

    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    buf = malloc((size_t)size + 1);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f), free(buf);
        return;
    }
    fclose(f);
    buf[size] = '\0';
    *bytes += (size_t)size;
    start = strncmp(buf, "---\n", 4) == 0 ? buf + 4 : buf;
    end = strstr(start, "\n---");
    if (end == NULL)
        end = buf + size;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)start,
                                 (size_t)(end - start + 1));
    while (!done) {
        if (!yaml_parser_parse(&p, &ev))
            break;
        done = ev.type == YAML_STREAM_END_EVENT;
        (*events)++;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(buf);
    (*files)++;
}

static void
yaml_walk(const char *dir, size_t *files, size_t *events, size_t *bytes)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            yaml_walk(path, files, events, bytes);
        else if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0)
            yaml_file(path, files, events, bytes);
    }
    closedir(d);
}

static int
cmd_yaml(int argc, char **argv)
{
    size_t files = 0, events = 0, bytes = 0;
    double t0 = now_s(), t;

    if (argc < 3)
        die("usage:", "nx_bench yaml DIR");
    yaml_walk(argv[2], &files, &events, &bytes);
    t = now_s() - t0;
    printf("{\"files\": %zu, \"events\": %zu, \"bytes\": %zu,"
           " \"seconds\": %.3f}\n",
           files, events, bytes, t);
    return files > 0 ? 0 : 1;
}

static int
cmd_measure(int argc, char **argv)
{
    pid_t pid;
    int status;
    struct rusage ru;
    double t0 = now_s(), t;

    if (argc < 3)
        die("usage:", "nx_bench measure CMD [ARG...]");
    if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0)
        die("cannot start", argv[2]);
    wait4(pid, &status, 0, &ru);
    t = now_s() - t0;
    printf("{\"seconds\": %.3f, \"max_rss_kb\": %ld, \"exit\": %d}\n", t,
           ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    return 0;
}

static int
cmd_profile(int argc, char **argv)
{
    static bench_query qs[MAX_QUERIES];
    newsidx_index *idx = NULL;
    newsidx_error err;
    size_t n, i, k, rounds = argc > 4 ? (size_t)atoi(argv[4]) : 10;
    const char *detail = getenv("NX_BENCH_DETAIL");
    double t0 = now_s();

    if (argc < 4)
        die("usage:", "nx_bench profile DB QUERIES [ROUNDS]");
    if (rounds < 1)
        rounds = 1;
    n = read_queries(argv[3], qs);
    if (newsidx_index_open(&idx, argv[2], NEWSIDX_OPEN_READONLY, &err) !=
        NEWSIDX_OK)
        die("cannot open the index:", err.message);
    for (i = 0; i < n; i++)
        qs[i].t_newsidx = calloc(rounds, sizeof(double));
    for (k = 0; k < rounds; k++) {
        for (i = 0; i < n; i++) {
            bench_page pg;
            double t1 = now_s();

            run_newsidx(&pg, idx, &qs[i], false);
            qs[i].t_newsidx[k] = now_s() - t1;
            qs[i].total = pg.total;
        }
    }
    printf("{\"queries\": %zu, \"rounds\": %zu, \"seconds\": %.3f}\n", n,
           rounds, now_s() - t0);
    if (detail != NULL) {
        FILE *fp = fopen(detail, "w");

        /* Per query: class, text, matches, newsidx median in ms (the
         * first round, cold, counts like any other). */
        for (i = 0; fp != NULL && i < n; i++) {
            qsort(qs[i].t_newsidx, rounds, sizeof(double), cmp_double);
            fprintf(fp, "%s\t%s\t%llu\t%.3f\n", qs[i].cls, qs[i].text,
                    (unsigned long long)qs[i].total,
                    qs[i].t_newsidx[rounds / 2] * 1e3);
        }
        if (fp != NULL)
            fclose(fp);
    }
    newsidx_index_close(idx);
    free_queries(qs, n);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "queries") == 0)
        return cmd_queries(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "more") == 0)
        return cmd_more(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "profile") == 0)
        return cmd_profile(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "spawn") == 0)
        return cmd_spawn(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "grep") == 0)
        return cmd_grep(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "yaml") == 0)
        return cmd_yaml(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "measure") == 0)
        return cmd_measure(argc, argv);
    fprintf(stderr, "usage: nx_bench queries|more|profile|spawn|grep|yaml|"
                    "measure"
                    " ...\n"
                    "(see the comment at the top of bench/nx_bench.c)\n");
    return 2;
}
