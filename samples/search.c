/*
 * search.c - the smallest useful program on libnewsidx: search an index and
 * print the hits.
 *
 *     search DB QUERY...
 *
 * Shows the query life cycle of the public API: open the index read-only,
 * compile the user's words with newsidx_query_new(), run it, walk the hits
 * with newsidx_results_next() and read a few fields, then free everything in
 * reverse order.  Every failure is reported from the caller-owned
 * newsidx_error; the library itself prints nothing.
 *
 * Exit status: 0 if something matched, 1 if nothing did, 2 on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsidx.h"

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
    char *text = NULL;
    int rc, n = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DB QUERY...\n", argv[0]);
        return 2;
    }
    text = join_args(argc, argv, 2);
    if (text == NULL) {
        fprintf(stderr, "search: out of memory\n");
        return 2;
    }
    rc = newsidx_index_open(&idx, argv[1], NEWSIDX_OPEN_READONLY, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_new(&q, idx, text, &opts, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_run(&res, q, &err);
    if (rc == NEWSIDX_OK) {
        printf("%llu matches for \"%s\"\n",
               (unsigned long long)newsidx_results_total(res), text);
        while (newsidx_results_next(&hit, res) == NEWSIDX_OK) {
            const char *title = newsidx_hit_title(hit);
            const char *url = newsidx_hit_url(hit);

            n++;
            printf("%2d. #%lld %s\n", n, (long long)newsidx_hit_id(hit),
                   title != NULL ? title : "(no title)");
            printf("    score %.3f  %s\n", newsidx_hit_score(hit),
                   url != NULL ? url : newsidx_hit_path(hit));
        }
    } else {
        fprintf(stderr, "search: %s (%s)\n", err.message, newsidx_strerror(rc));
    }
    newsidx_results_free(res);
    newsidx_query_free(q);
    newsidx_index_close(idx);
    free(text);
    if (rc != NEWSIDX_OK)
        return 2;
    return n > 0 ? 0 : 1;
}
