/*
 * feed.c - feed documents to an index from memory.
 *
 *     feed DB [FILE...]
 *
 * Without FILE arguments, reads documents from standard input, separated by
 * lines holding only "%%", and adds each under the source name "stdin:N"
 * (N is the document's place in the stream, from 1; blank ones are
 * skipped).  With FILE arguments, reads each file whole and adds it
 * under its own name.  The index is created if it does not exist.
 *
 * Shows newsidx_index_add_buffer(): the library indexes text the caller
 * holds (from a socket, an archive, a database ...) without any file behind
 * it, and delivers per-document warnings to an event callback instead of
 * printing them.  A document that fails (malformed YAML, not a news item) is
 * reported and skipped; the others are still added.
 *
 * Exit status: 0 if every document was added, 1 if some failed, 2 if the
 * index could not be opened or input could not be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsidx.h"

/* A growable text buffer. */
typedef struct doc_buf {
    char *data;
    size_t len, cap;
} doc_buf;

/* Counts, passed to the event callback as its payload. */
typedef struct feed_stats {
    unsigned added, failed, warnings;
} feed_stats;

static int
doc_append(doc_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;

        while (b->len + n + 1 > cap)
            cap *= 2;
        p = realloc(b->data, cap);
        if (p == NULL)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Warnings about one document: the item was indexed, but a value had to be
 * dropped or repaired.  Every pointer in `ev` is valid only here. */
static void
on_event(const newsidx_event *ev, void *payload)
{
    feed_stats *st = payload;

    if (ev->kind != NEWSIDX_EVENT_WARNING)
        return;
    st->warnings++;
    fprintf(stderr, "feed: %s", ev->path);
    if (ev->line > 0)
        fprintf(stderr, ":%u:%u", ev->line, ev->column);
    fprintf(stderr, ": warning: %s%s%s\n", ev->field != NULL ? ev->field : "",
            ev->field != NULL ? ": " : "",
            ev->message != NULL ? ev->message : "");
}

/* Add one document; blank documents (e.g. after a final "%%") are ignored. */
static void
feed_one(newsidx_index *idx, const char *source, const doc_buf *doc,
         feed_stats *st)
{
    newsidx_error err;
    size_t i;
    int rc;

    for (i = 0; i < doc->len; i++)
        if (strchr(" \t\r\n", doc->data[i]) == NULL)
            break;
    if (i == doc->len)
        return;
    rc = newsidx_index_add_buffer(idx, source, doc->data, doc->len, on_event,
                                  st, &err);
    if (rc == NEWSIDX_OK) {
        st->added++;
        printf("added %s\n", source);
    } else {
        st->failed++;
        fprintf(stderr, "feed: %s: %s (%s)\n", source, err.message,
                newsidx_strerror(rc));
    }
}

/* Split standard input on "%%" lines. */
static int
feed_stdin(newsidx_index *idx, feed_stats *st)
{
    doc_buf doc = {NULL, 0, 0};
    char line[4096], source[32];
    unsigned n = 0;
    int rc = 0, at_bol = 1;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        size_t len = strlen(line);
        int is_sep =
            at_bol && (strcmp(line, "%%\n") == 0 ||
                       strcmp(line, "%%\r\n") == 0 || strcmp(line, "%%") == 0);

        /* fgets() splits long lines: only a whole line can separate. */
        at_bol = len > 0 && line[len - 1] == '\n';
        if (is_sep) {
            snprintf(source, sizeof(source), "stdin:%u", ++n);
            feed_one(idx, source, &doc, st);
            doc.len = 0;
            continue;
        }
        if (doc_append(&doc, line, len) != 0) {
            fprintf(stderr, "feed: out of memory\n");
            rc = -1;
            break;
        }
    }
    if (ferror(stdin)) {
        fprintf(stderr, "feed: cannot read standard input\n");
        rc = -1;
    }
    if (rc == 0 && doc.len > 0) {
        snprintf(source, sizeof(source), "stdin:%u", ++n);
        feed_one(idx, source, &doc, st);
    }
    free(doc.data);
    return rc;
}

/* Read a whole file and add it under its name. */
static int
feed_file(newsidx_index *idx, const char *path, feed_stats *st)
{
    doc_buf doc = {NULL, 0, 0};
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    int rc = 0;

    if (f == NULL) {
        perror(path);
        st->failed++;
        return 0;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (doc_append(&doc, chunk, n) != 0) {
            fprintf(stderr, "feed: out of memory\n");
            rc = -1;
            break;
        }
    if (ferror(f)) {
        perror(path);
        st->failed++;
    } else if (rc == 0) {
        feed_one(idx, path, &doc, st);
    }
    fclose(f);
    free(doc.data);
    return rc;
}

int
main(int argc, char **argv)
{
    feed_stats st = {0, 0, 0};
    newsidx_error err;
    newsidx_index *idx = NULL;
    int64_t count = 0;
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DB [FILE...]\n", argv[0]);
        return 2;
    }
    if (newsidx_index_open(&idx, argv[1], NEWSIDX_OPEN_CREATE, &err) !=
        NEWSIDX_OK) {
        fprintf(stderr, "feed: %s\n", err.message);
        return 2;
    }
    if (argc == 2)
        rc = feed_stdin(idx, &st);
    for (i = 2; i < argc && rc == 0; i++)
        rc = feed_file(idx, argv[i], &st);
    if (newsidx_index_count(&count, idx, &err) != NEWSIDX_OK)
        fprintf(stderr, "feed: %s\n", err.message);
    printf("%u added, %u failed, %u warnings; %lld items in the index\n",
           st.added, st.failed, st.warnings, (long long)count);
    newsidx_index_close(idx);
    if (rc != 0)
        return 2;
    return st.failed > 0 ? 1 : 0;
}
