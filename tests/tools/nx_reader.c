/*
 * nx_reader.c - a reader loop on the public API, for
 * tests/cli/T620-concurrency.sh.  Uses only newsidx.h and links the shared
 * library.
 *
 *     nx_reader DB STOPFILE MAX_SECONDS QUERY...
 *
 * Until STOPFILE exists (or MAX_SECONDS pass) it loops: open DB read-only,
 * run the next QUERY (round robin, alternating sort orders), walk every hit
 * and its related entries, check them, close.  The items are those of
 * tests/tools/gen_versioned.py: a hit titled "Gen I vV WORD" must have the
 * excerpt "Excerpt of gen I at vV: ...", the topic "ver V" and exactly
 * related_count(I, V) related entries titled "rel I.k vV", k = 0, 1, ...
 * Anything else is a half-applied file.  Every failing call counts as a
 * failure: NEWSIDX_BUSY must not escape the library's busy wait.
 *
 * Prints one summary line to stdout:
 *     reader: Q queries, H hits, R related, F failures, M mismatches
 *             (V vanished items)
 * Exit status: 0 when F and M are 0 and at least one query ran; 1 otherwise;
 * 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* access() */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "newsidx.h"

#define MAX_REPORTS 20 /* problems printed in full; the rest are counted */

typedef struct reader {
    uint64_t queries, hits, related, failures, mismatches;
    uint64_t vanished; /* mismatches: a hit without its item (id 0, no
                          title): the item changed between the search and
                          the reading of the hit */
    unsigned reports, vanished_reports;
} reader;

/* The same formula as gen_versioned.py. */
static long
related_count(long i, long v)
{
    return 1 + (i * 7 + v) % 4;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
report(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
report(reader *rd, const char *fmt, ...)
{
    va_list ap;

    if (rd->reports++ >= MAX_REPORTS)
        return;
    va_start(ap, fmt);
    fputs("nx_reader: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void
failure(reader *rd, const char *what, int rc, const newsidx_error *err)
{
    rd->failures++;
    report(rd, "%s failed: %s: %s", what, newsidx_strerror(rc), err->message);
}

static void
mismatch(reader *rd, const newsidx_hit *h, const char *what, const char *got)
{
    rd->mismatches++;
    report(rd, "hit #%" PRId64 " '%s': %s: %s", newsidx_hit_id(h),
           newsidx_hit_title(h) ? newsidx_hit_title(h) : "(null)", what,
           got != NULL ? got : "(null)");
}

/* Check one hit against the versioned-item rules. */
static void
check_hit(reader *rd, const newsidx_hit *h)
{
    const char *title = newsidx_hit_title(h), *s;
    long i, v, k, n;
    char want[128], word[32];
    size_t len;

    rd->hits++;
    if (title == NULL && newsidx_hit_id(h) == 0) {
        rd->mismatches++;
        rd->vanished++;
        if (rd->vanished_reports++ < 3)
            report(rd, "hit #0 without title, topics or related entries: "
                       "its item vanished after the search");
        return;
    }
    if (title == NULL ||
        sscanf(title, "Gen %ld v%ld %31s", &i, &v, word) != 3) {
        mismatch(rd, h, "title is not 'Gen I vV WORD'", title);
        return;
    }
    len = (size_t)snprintf(want, sizeof(want),
                           "Excerpt of gen %ld at v%ld: ", i, v);
    s = newsidx_hit_excerpt(h);
    if (s == NULL || strncmp(s, want, len) != 0)
        mismatch(rd, h, "excerpt of another version", s);
    snprintf(want, sizeof(want), "ver %ld", v);
    s = newsidx_hit_topic_count(h) == 1 ? newsidx_hit_topic(h, 0) : NULL;
    if (s == NULL || strcmp(s, want) != 0)
        mismatch(rd, h, "topic of another version", s);
    n = (long)newsidx_hit_related_count(h);
    if (n != related_count(i, v)) {
        snprintf(want, sizeof(want), "%ld related entries, want %ld", n,
                 related_count(i, v));
        mismatch(rd, h, "related entries", want);
    }
    for (k = 0; k < n; k++) {
        rd->related++;
        s = newsidx_hit_related_title(h, (size_t)k);
        snprintf(want, sizeof(want), "rel %ld.%ld v%ld", i, k, v);
        if (s == NULL || strcmp(s, want) != 0)
            mismatch(rd, h, "related entry of another version", s);
    }
}

static void
one_query(reader *rd, const char *db, const char *text, newsidx_sort sort)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_index *idx = NULL;
    newsidx_query *q = NULL;
    newsidx_results *r = NULL;
    const newsidx_hit *h;
    newsidx_error err;
    uint64_t n = 0;
    int rc;

    opts.limit = 50;
    opts.related_limit = 10;
    opts.sort = sort;
    rd->queries++;
    rc = newsidx_index_open(&idx, db, NEWSIDX_OPEN_READONLY, &err);
    if (rc != NEWSIDX_OK) {
        failure(rd, "open", rc, &err);
        return;
    }
    rc = newsidx_query_new(&q, idx, text, &opts, &err);
    if (rc != NEWSIDX_OK) {
        failure(rd, "query_new", rc, &err);
        goto done;
    }
    rc = newsidx_query_run(&r, q, &err);
    if (rc != NEWSIDX_OK) {
        failure(rd, "query_run", rc, &err);
        goto done;
    }
    while (newsidx_results_next(&h, r) == NEWSIDX_OK) {
        check_hit(rd, h);
        n++;
    }
    if (n > newsidx_results_total(r)) {
        rd->mismatches++;
        report(rd, "'%s': %" PRIu64 " hits but a total of %" PRIu64, text, n,
               newsidx_results_total(r));
    }
done:
    newsidx_results_free(r);
    newsidx_query_free(q);
    newsidx_index_close(idx);
}

int
main(int argc, char **argv)
{
    static const newsidx_sort sorts[] = {NEWSIDX_SORT_RANK, NEWSIDX_SORT_DATE,
                                         NEWSIDX_SORT_QUALITY,
                                         NEWSIDX_SORT_HEAT};
    reader rd = {0, 0, 0, 0, 0, 0, 0, 0};
    time_t end;
    long max_seconds;
    int i;

    if (argc < 5) {
        fprintf(stderr, "usage: nx_reader DB STOPFILE MAX_SECONDS QUERY...\n");
        return 2;
    }
    max_seconds = strtol(argv[3], NULL, 10);
    end = time(NULL) + max_seconds;
    for (i = 0; access(argv[2], F_OK) != 0 && time(NULL) < end; i++)
        one_query(&rd, argv[1], argv[4 + i % (argc - 4)],
                  sorts[(i / (argc - 4)) % 4]);
    printf("reader: %" PRIu64 " queries, %" PRIu64 " hits, %" PRIu64
           " related, %" PRIu64 " failures, %" PRIu64 " mismatches (%" PRIu64
           " vanished items)\n",
           rd.queries, rd.hits, rd.related, rd.failures, rd.mismatches,
           rd.vanished);
    return rd.failures == 0 && rd.mismatches == 0 && rd.queries > 0 ? 0 : 1;
}
