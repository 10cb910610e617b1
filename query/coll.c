/*
 * coll.c - several index files searched as one collection
 * (newsidx_query_new_multi): the read transactions of them all, and the
 * statistics one index built from all their items would hold.
 *
 * A query over several files is the same query made on each file (the
 * first file's query holds the others' as its `peers`).  Each file finds
 * and scores its own matches, with the collection's statistics: its rows,
 * its average column lengths (here) and each term's rows in all the files
 * (search.c adds them up).  So an item scores what it would score in one
 * index of all the items, and search.c merges the files' best into the
 * collection's best, exactly (docs/ranking.md).
 */
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/* The combined statistics, read inside the files' read transactions. */
static int
coll_read(nx_coll *coll, newsidx_error *err)
{
    size_t m;
    int c, rc = NEWSIDX_OK;

    coll->n_rows = 0;
    memset(coll->col_total, 0, sizeof(coll->col_total));
    for (m = 0; m < coll->n && rc == NEWSIDX_OK; m++) {
        int64_t rows, totals[NX_FR_COLUMNS];

        coll->at = m;
        rc = nx_fr_stats(coll->idx[m]->db, &rows, totals, err);
        if (rc == NEWSIDX_OK && rows < 0)
            rc = nx_fail(err, NEWSIDX_INVALID,
                         "%s: its full-text index is in a format newsidx "
                         "cannot combine with other files",
                         coll->idx[m]->path);
        if (rc != NEWSIDX_OK)
            break;
        coll->n_rows += rows;
        for (c = 0; c < NX_FR_COLUMNS; c++)
            coll->col_total[c] += totals[c];
    }
    for (c = 0; c < 3; c++)
        coll->avg[c] = coll->n_rows > 0
                           ? (double)coll->col_total[c] / (double)coll->n_rows
                           : 1.0;
    return rc;
}

int
nx_coll_begin(newsidx_query *q, newsidx_error *err)
{
    size_t m, n = 1 + q->n_peers;
    int rc = NEWSIDX_OK;

    /* On failure the caller ends those begun (nx_coll_end). */
    for (m = 0; m < n && rc == NEWSIDX_OK; m++)
        rc = nx_db_exec(nx_query_member(q, m)->idx, "BEGIN", err);
    if (rc == NEWSIDX_OK && q->coll != NULL)
        rc = coll_read(q->coll, err);
    return rc;
}

void
nx_coll_end(newsidx_query *q)
{
    size_t m, n = 1 + q->n_peers;

    for (m = 0; m < n; m++) {
        newsidx_index *idx = nx_query_member(q, m)->idx;

        nx_db_rollback(idx);   /* ends the read transaction */
        idx->damage[0] = '\0'; /* a reason nobody reported is stale */
    }
}

void
nx_coll_name_file(const nx_coll *coll, newsidx_error *err)
{
    nx_buf b = NX_BUF_INIT;
    size_t n;

    if (coll == NULL || err == NULL || coll->at >= coll->n)
        return;
    nx_buf_puts(&b, coll->idx[coll->at]->path);
    nx_buf_puts(&b, ": ");
    nx_buf_puts(&b, err->message);
    if (nx_buf_oom(&b)) {
        nx_buf_free(&b);
        return; /* the message without its file */
    }
    n = b.len < sizeof(err->message) - 1 ? b.len : sizeof(err->message) - 1;
    memcpy(err->message, b.data, n);
    err->message[n] = '\0';
    nx_buf_free(&b);
}
