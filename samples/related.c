/*
 * related.c - walk the hits of a query together with their related items.
 *
 *     related DB QUERY...
 *
 * Each news item may list related stories in its front matter.  For every
 * hit this prints the hit, then each related entry (title, provider, date)
 * and whether the entry resolves to an item of the index: the library
 * matches the entry's normalized URL against indexed items, and
 * newsidx_hit_related_id() returns that item's id, or 0 for a story that is
 * not in the index.  A reader can follow the id with another query; here we
 * only print it.
 *
 * Shows the related-item accessors and NEWSIDX_QUERY_OPTIONS_INIT with one
 * option changed (related_limit).
 *
 * Exit status: 0 if something matched, 1 if nothing did, 2 on an error.
 */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "newsidx.h"

/* "YYYY-MM-DD" of a Unix time, in UTC. */
static const char *
format_date(char *buf, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, size, "?");
    return buf;
}

static void
print_related(const newsidx_hit *hit)
{
    size_t i, n = newsidx_hit_related_count(hit);

    for (i = 0; i < n; i++) {
        const char *title = newsidx_hit_related_title(hit, i);
        const char *provider = newsidx_hit_related_provider_name(hit, i);
        int64_t id = newsidx_hit_related_id(hit, i), when;
        char date[32] = "";

        if (newsidx_hit_related_published_at(hit, i, &when))
            format_date(date, sizeof(date), when);
        printf("    -> %s", title != NULL ? title : "(no title)");
        if (provider != NULL)
            printf(" | %s", provider);
        if (date[0] != '\0')
            printf(" | %s", date);
        if (id != 0)
            printf(" [indexed as #%lld]\n", (long long)id);
        else
            printf(" [not indexed]\n");
    }
}

/* The words of argv[first..argc) joined by spaces; malloc'ed. */
static char *
join_args(int argc, char **argv, int first)
{
    size_t len = 1;
    char *text;
    int i;

    for (i = first; i < argc; i++)
        len += strlen(argv[i]) + 1;
    text = malloc(len);
    if (text == NULL)
        return NULL;
    text[0] = '\0';
    for (i = first; i < argc; i++) {
        if (i > first)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    return text;
}

int
main(int argc, char **argv)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_error err;
    newsidx_index *idx = NULL;
    newsidx_query *q = NULL;
    newsidx_results *res = NULL;
    const newsidx_hit *hit;
    char *text;
    int rc, n = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DB QUERY...\n", argv[0]);
        return 2;
    }
    text = join_args(argc, argv, 2);
    if (text == NULL) {
        fprintf(stderr, "related: out of memory\n");
        return 2;
    }
    opts.related_limit = 10; /* every related entry, up to 10 per hit */
    rc = newsidx_index_open(&idx, argv[1], NEWSIDX_OPEN_READONLY, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_new(&q, idx, text, &opts, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_run(&res, q, &err);
    if (rc == NEWSIDX_OK) {
        while (newsidx_results_next(&hit, res) == NEWSIDX_OK) {
            const char *title = newsidx_hit_title(hit);

            n++;
            printf("#%lld %s (%zu related)\n", (long long)newsidx_hit_id(hit),
                   title != NULL ? title : "(no title)",
                   newsidx_hit_related_count(hit));
            print_related(hit);
        }
    } else {
        fprintf(stderr, "related: %s (%s)\n", err.message,
                newsidx_strerror(rc));
    }
    newsidx_results_free(res);
    newsidx_query_free(q);
    newsidx_index_close(idx);
    free(text);
    if (rc != NEWSIDX_OK)
        return 2;
    return n > 0 ? 0 : 1;
}
