/*
 * fts5read.c - reading the fts table's inverted index straight from its
 * `fts_data` and `fts_idx` tables, as FTS5 3.40 lays them out, so that the
 * engine can walk a term's rows without going through SQL row by row.
 *
 * Owns the knowledge of FTS5's storage format; nothing else looks inside
 * fts_data.  The format is the one ext/fts5/fts5_index.c of SQLite 3.40
 * documents (FTS5 "version" 4, detail=full, no prefix indexes, legacy
 * structure record).  nx_fr_open checks for it and reports anything else
 * as unsupported, so that the caller falls back to SQL; so it does for
 * every file when NEWSIDX_FTS5_READER=off is in the environment (the
 * fallbacks' switch, for tests and for a future SQLite), after checking
 * the records FTS5 trusts all the same.
 *
 * Every byte read is untrusted (an index file travels): each offset,
 * count, varint, delta, rowid order and size taken from a record is
 * checked before use, in a type that cannot overflow, and allocations
 * grow with what the records hold, never with a size a record states.
 * A record out of shape stops the reader with SQLITE_CORRUPT and a
 * reason naming the record (nx_fr_error).  Rowids must rise within a
 * doclist and lie in [0, FR_MAX_ROWID], so that the block walk's slots
 * (rowid - lo) stay inside the caller's block.
 *
 * A term iterator merges the term's doclists of every segment the way
 * FTS5 does: for each rowid the entry of the newest segment wins (segments
 * are taken in FTS5's order: level 0 first, the newest segment of a level
 * first), and a winning entry with an empty position list is a deleted
 * row.  Only committed data is read, in the caller's read transaction.
 */
#include "fts5read.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* FTS5's limits and record ids (fts5_index.c). */
#define FR_STRUCTURE_ROWID 10
#define FR_AVERAGES_ROWID  1
#define FR_MAX_SEGMENTS    2000
#define FR_MAX_LEVELS      64
#define FR_PAD             16 /* zero bytes after every record read */
/* Rowids newsindex writes count up from 1; anything past this is
 * damage, and rowid + a page's worth of deltas cannot overflow. */
#define FR_MAX_ROWID ((int64_t)1 << 62)
/* FTS5's records are a page (4,050 bytes by default) or little more; a
 * larger one is damage.  With offsets below this, offset + a position
 * list's size (below 2^30) cannot overflow an int. */
#define FR_MAX_RECORD (1 << 28)

static int64_t
fr_segment_rowid(int segid, int pgno)
{
    return ((int64_t)segid << 37) + pgno;
}

/* The record of a doclist index (dlidx) page: FTS5_DLIDX_ROWID. */
static int64_t
fr_dlidx_rowid(int segid, int height, int pgno)
{
    return ((int64_t)segid << 37) + ((int64_t)1 << 36) +
           ((int64_t)height << 31) + pgno;
}

/* One segment of the structure record. */
typedef struct fr_segment {
    int segid, pg_first, pg_last;
} fr_segment;

struct nx_fr {
    sqlite3 *db;
    sqlite3_blob *blob; /* on fts_data.block, reopened for each record */
    sqlite3_stmt *idx;  /* the leaf that may hold a term */
    fr_segment *segs;   /* in FTS5's merge order: newest first */
    int n_segs;
    int64_t n_rows; /* rows of the fts table (averages record) */
    int64_t col_total[NX_FR_COLUMNS];
    nx_buf scratch;        /* record reads */
    unsigned char *dl_buf; /* dlidx records */
    size_t dl_cap;
    int rc;                             /* sticky SQLite result code */
    const char *why;                    /* with SQLITE_CORRUPT: the reason */
    int64_t bad_id;                     /* and the fts_data record, or -1 */
    uint64_t n_pages;                   /* leaf pages read (for tests) */
    uint64_t n_dl_records, n_dl_leaves; /* dlidx read (for tests) */
};

/* A leaf page read into memory (padded with FR_PAD zero bytes). */
typedef struct fr_page {
    unsigned char *p;
    int nn;     /* bytes of the record */
    int sz;     /* bytes before the page index (szLeaf) */
    size_t cap; /* allocated */
    int pgno;
    int64_t id; /* its fts_data record */
} fr_page;

/* A leaf of a long doclist and the first rowid on it, from its dlidx. */
typedef struct fr_leaf {
    int64_t rowid;
    int pgno;
} fr_leaf;

/* One segment's part of a term iterator. */
typedef struct fr_seg_iter {
    const fr_segment *seg;
    fr_page page; /* the current leaf */
    fr_page next; /* a prefetched following leaf, or pgno 0 */
    int off;      /* offset of the current position list */
    int n_pos;    /* its size in bytes */
    int eod;      /* offset where the term's doclist ends on the page */
    int64_t rowid;
    bool is_eof;
    bool is_taken; /* fr_seg_block_tf took the current entry */
    /* The first entry, to go back to (fr_seg_rewind). */
    int start_pg, start_off, start_n_pos, start_eod;
    int64_t start_rowid;
    /* The doclist index of a doclist over many leaves: every later leaf
     * that holds a rowid, loaded on the first seek that may use it. */
    int term_pg;    /* the leaf the term starts on (the dlidx's key) */
    bool has_dlidx; /* fts_idx says there is one, and it is this term's */
    bool dl_tried;  /* loaded, or found unusable */
    fr_leaf *dl;
    int n_dl, dl_cap;
} fr_seg_iter;

struct nx_fr_term {
    nx_fr *r;
    fr_seg_iter *s; /* n of them, in merge order */
    int n;
    int *heap; /* the segments not at their end, a min-heap on (rowid,
                  merge order) */
    int n_heap;
    int win; /* the segment whose entry is current */
    int64_t rowid;
    bool is_eof;
    nx_buf poslist; /* a position list spanning pages, put together */
};

/**************************************************************************
** Varints: SQLite's format (big-endian groups of 7 bits, the ninth byte
** whole).  Callers make sure 9 readable bytes follow `p` (the pad).
*/
static inline int
fr_varint(const unsigned char *p, uint64_t *v)
{
    uint64_t x = 0;
    int i;

    if (p[0] < 0x80) { /* most varints of a doclist are one byte */
        *v = p[0];
        return 1;
    }
    for (i = 0; i < 8; i++) {
        x = (x << 7) | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    *v = (x << 8) | p[8];
    return 9;
}

static inline int
fr_varint32(const unsigned char *p, int *v)
{
    uint64_t x;
    int n = fr_varint(p, &x);

    *v = (int)(x & 0x7fffffff);
    return n;
}

/* The varint at a[*i] of a record of n bytes (padded), *i moved past it:
 * false when it does not start and end inside the record. */
static bool
fr_get(const unsigned char *a, int n, int *i, uint64_t *v)
{
    if (*i >= n)
        return false;
    *i += fr_varint(a + *i, v);
    return *i <= n;
}

/* fr_get of a count, size or page number: at most INT32_MAX. */
static bool
fr_get32(const unsigned char *a, int n, int *i, int *v)
{
    uint64_t x;

    if (!fr_get(a, n, i, &x) || x > INT32_MAX)
        return false;
    *v = (int)x;
    return true;
}

static unsigned
fr_u16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/**************************************************************************
** Records
*/
/* Stop the reader: record `id` of fts_data (-1: none in particular) is
 * out of shape, for reason `why` (a static string). */
static int
fr_corrupt(nx_fr *r, int64_t id, const char *why)
{
    if (r->rc == SQLITE_OK) {
        r->rc = SQLITE_CORRUPT;
        r->why = why;
        r->bad_id = id;
    }
    return r->rc;
}

/* A rowid read whole from a record, or a rowid plus a delta: true when it
 * lies in [lo, FR_MAX_ROWID]. */
static bool
fr_rowid_ok(uint64_t v, int64_t lo)
{
    return v <= (uint64_t)FR_MAX_ROWID && (int64_t)v >= lo;
}

/* Read record `rowid` of fts_data into `buf` (grown as needed, padded).
 * *n_out gets its size.  SQLITE_OK, or the sticky error. */
static int
fr_read(nx_fr *r, int64_t rowid, unsigned char **buf, size_t *cap, int *n_out)
{
    int n, rc;

    if (r->rc != SQLITE_OK)
        return r->rc;
    rc = r->blob != NULL ? sqlite3_blob_reopen(r->blob, rowid)
                         : sqlite3_blob_open(r->db, "main", "fts_data", "block",
                                             rowid, 0, &r->blob);
    if (rc == SQLITE_ERROR) /* a missing record means a damaged index */
        return fr_corrupt(r, rowid, "the record is missing");
    if (rc != SQLITE_OK) {
        r->rc = rc;
        return r->rc;
    }
    n = sqlite3_blob_bytes(r->blob);
    if (n > FR_MAX_RECORD)
        return fr_corrupt(r, rowid, "the record is too large");
    if (*cap < (size_t)n + FR_PAD) {
        size_t ncap = (size_t)n + FR_PAD + 4096;
        unsigned char *p = nx_realloc(*buf, ncap);

        if (p == NULL) {
            r->rc = SQLITE_NOMEM;
            return r->rc;
        }
        *buf = p;
        *cap = ncap;
    }
    rc = sqlite3_blob_read(r->blob, *buf, n, 0);
    if (rc != SQLITE_OK) {
        r->rc = rc;
        return rc;
    }
    memset(*buf + n, 0, FR_PAD);
    *n_out = n;
    return SQLITE_OK;
}

/* Read leaf `pgno` of segment `seg` into `pg`. */
static int
fr_read_leaf(nx_fr *r, const fr_segment *seg, int pgno, fr_page *pg)
{
    int rc = fr_read(r, fr_segment_rowid(seg->segid, pgno), &pg->p, &pg->cap,
                     &pg->nn);

    if (rc != SQLITE_OK)
        return rc;
    r->n_pages++;
    pg->pgno = pgno;
    pg->id = fr_segment_rowid(seg->segid, pgno);
    if (pg->nn < 4)
        return fr_corrupt(r, pg->id, "a leaf shorter than its header");
    pg->sz = (int)fr_u16(pg->p + 2);
    if (pg->sz > pg->nn || pg->sz < 4)
        return fr_corrupt(r, pg->id, "the leaf's size is out of range");
    return SQLITE_OK;
}

static bool
fr_page_is_termless(const fr_page *pg)
{
    return pg->sz >= pg->nn;
}

/* Parse the structure record: the segments in merge order. */
static int
fr_structure(nx_fr *r, const unsigned char *a, int n)
{
    const int64_t id = FR_STRUCTURE_ROWID;
    int i = 4, n_levels, n_total, lv, k, at = 0;
    uint64_t unused;

    if (n < 7) /* the cookie and three varints */
        return fr_corrupt(r, id, "the structure record is too short");
    /* A V2 record (contentless_delete tables of later SQLite) starts with
     * 0xff after the cookie: not a layout this reader knows. */
    if (a[4] == 0xff)
        return SQLITE_NOTFOUND;
    if (!fr_get32(a, n, &i, &n_levels) || !fr_get32(a, n, &i, &n_total) ||
        !fr_get(a, n, &i, &unused)) /* the write counter */
        return fr_corrupt(r, id, "the structure record is cut short");
    if (n_levels > FR_MAX_LEVELS || n_total > FR_MAX_SEGMENTS)
        return fr_corrupt(r, id, "too many levels or segments");
    r->segs = nx_calloc((size_t)n_total + 1, sizeof(*r->segs));
    if (r->segs == NULL)
        return r->rc = SQLITE_NOMEM;
    for (lv = 0; lv < n_levels; lv++) {
        int n_merge, n_seg;

        if (!fr_get32(a, n, &i, &n_merge) || !fr_get32(a, n, &i, &n_seg))
            return fr_corrupt(r, id, "the structure record is cut short");
        /* Both at most n_total: no sum below can overflow. */
        if (n_seg > n_total - at || n_merge > n_seg)
            return fr_corrupt(r, id, "a level has too many segments");
        /* Oldest first in the record; the merge takes the newest first. */
        for (k = 0; k < n_seg; k++) {
            fr_segment *s = &r->segs[at + n_seg - 1 - k];

            if (!fr_get32(a, n, &i, &s->segid) ||
                !fr_get32(a, n, &i, &s->pg_first) ||
                !fr_get32(a, n, &i, &s->pg_last))
                return fr_corrupt(r, id, "the structure record is cut short");
            /* FTS5 gives segment ids 1..2000 and numbers leaves from 1;
             * a segment being written by an incremental merge may still
             * be empty, (0, 0), and is skipped (no leaf of it is read). */
            if (s->segid <= 0 || s->segid > FR_MAX_SEGMENTS ||
                (s->pg_first < 1 && s->pg_last != 0) ||
                s->pg_last < s->pg_first)
                return fr_corrupt(r, id, "a segment is out of range");
        }
        at += n_seg;
    }
    if (at != n_total)
        return fr_corrupt(r, id, "the levels do not add up to the segments");
    r->n_segs = n_total;
    return SQLITE_OK;
}

/* Parse the averages record: rows and tokens per column. */
static int
fr_averages(nx_fr *r, const unsigned char *a, int n)
{
    int i = 0, c;
    uint64_t v;

    if (n == 0) { /* an empty table */
        r->n_rows = 0;
        memset(r->col_total, 0, sizeof(r->col_total));
        return SQLITE_OK;
    }
    if (!fr_get(a, n, &i, &v) || v > (uint64_t)FR_MAX_ROWID)
        return fr_corrupt(r, FR_AVERAGES_ROWID, "the row count is malformed");
    r->n_rows = (int64_t)v;
    for (c = 0; c < NX_FR_COLUMNS; c++) {
        if (!fr_get(a, n, &i, &v) || v > (uint64_t)FR_MAX_ROWID)
            return fr_corrupt(r, FR_AVERAGES_ROWID,
                              "a column's token count is malformed");
        r->col_total[c] = (int64_t)v;
    }
    return SQLITE_OK;
}

/* Does fts_data hold record `rowid`? */
static bool
fr_has_record(nx_fr *r, int64_t rowid)
{
    sqlite3_stmt *stmt;
    bool has = false;

    if (r->rc != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "SELECT 1 FROM fts_data WHERE id = ?1", -1,
                           &stmt, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(stmt, 1, rowid);
    has = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return has;
}

/* Is the fts table one this reader knows?  Version 4 of FTS5's format,
 * created by schema.c (so detail=full and no prefix index). */
static int
fr_check_version(nx_fr *r)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(
        r->db, "SELECT v FROM fts_config WHERE k = 'version'", -1, &stmt, NULL);
    int version = -1;

    if (rc != SQLITE_OK)
        return r->rc = rc;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    rc = sqlite3_finalize(stmt);
    if (rc != SQLITE_OK)
        return r->rc = rc;
    return version == 4 ? SQLITE_OK : SQLITE_NOTFOUND;
}

bool
nx_fr_is_off(void)
{
    const char *v = getenv("NEWSIDX_FTS5_READER");

    return v != NULL && strcmp(v, "off") == 0;
}

static int
fr_open(nx_fr **out, sqlite3 *db, newsidx_error *err)
{
    nx_fr *r = nx_calloc(1, sizeof(*r));
    unsigned char *buf = NULL;
    size_t cap = 0;
    int n = 0, rc;

    *out = NULL;
    if (r == NULL)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    r->db = db;
    r->bad_id = -1;
    rc = fr_check_version(r);
    if (rc == SQLITE_OK)
        rc = fr_read(r, FR_STRUCTURE_ROWID, &buf, &cap, &n);
    if (rc == SQLITE_OK)
        rc = fr_structure(r, buf, n);
    if (rc == SQLITE_OK && fr_has_record(r, FR_AVERAGES_ROWID))
        rc = fr_read(r, FR_AVERAGES_ROWID, &buf, &cap, &n);
    else
        n = 0; /* no row was ever written */
    if (rc == SQLITE_OK)
        rc = fr_averages(r, buf, n);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(db,
                                "SELECT pgno FROM fts_idx WHERE segid = ?1 AND"
                                " term <= ?2 ORDER BY term DESC LIMIT 1",
                                -1, 0, &r->idx, NULL);
    nx_free(buf);
    if (rc == SQLITE_NOTFOUND) { /* another format: no reader */
        nx_fr_close(r);
        return NEWSIDX_OK;
    }
    if (rc != SQLITE_OK) {
        r->rc = r->rc != SQLITE_OK ? r->rc : rc;
        rc = nx_fr_error(r, err);
        nx_fr_close(r);
        return rc;
    }
    *out = r;
    return NEWSIDX_OK;
}

int
nx_fr_open(nx_fr **out, sqlite3 *db, newsidx_error *err)
{
    int rc = fr_open(out, db, err);

    /* Switched off: the records were checked (FTS5 trusts them, and
     * nothing else would check them), the reader is not used. */
    if (rc == NEWSIDX_OK && nx_fr_is_off()) {
        nx_fr_close(*out);
        *out = NULL;
    }
    return rc;
}

int
nx_fr_stats(sqlite3 *db, int64_t *n_rows, int64_t *col_total,
            newsidx_error *err)
{
    nx_fr *r = NULL;
    int c, rc = fr_open(&r, db, err);

    *n_rows = -1;
    for (c = 0; r != NULL && c < NX_FR_COLUMNS; c++)
        col_total[c] = r->col_total[c];
    if (r != NULL)
        *n_rows = r->n_rows;
    nx_fr_close(r);
    return rc;
}

int
nx_fr_check(sqlite3 *db, newsidx_error *err)
{
    nx_fr *r = NULL;
    int rc = nx_fr_open(&r, db, err);

    nx_fr_close(r);
    return rc;
}

void
nx_fr_close(nx_fr *r)
{
    if (r == NULL)
        return;
    sqlite3_blob_close(r->blob);
    sqlite3_finalize(r->idx);
    nx_free(r->segs);
    nx_free(r->dl_buf);
    nx_buf_free(&r->scratch);
    nx_free(r);
}

int64_t
nx_fr_rows(const nx_fr *r)
{
    return r->n_rows;
}

int64_t
nx_fr_col_total(const nx_fr *r, int col)
{
    return col >= 0 && col < NX_FR_COLUMNS ? r->col_total[col] : 0;
}

uint64_t
nx_fr_pages_read(const nx_fr *r)
{
    return r->n_pages;
}

void
nx_fr_dlidx_read(const nx_fr *r, uint64_t *records, uint64_t *leaves)
{
    *records = r->n_dl_records;
    *leaves = r->n_dl_leaves;
}

int
nx_fr_error(const nx_fr *r, newsidx_error *err)
{
    int64_t id = r->bad_id;
    const char *why = r->why != NULL ? r->why : "a malformed record";

    int code = nx_db_status(r->rc);

    if (code == NEWSIDX_OK)
        return NEWSIDX_OK;
    if (code == NEWSIDX_NOMEM)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    if (code != NEWSIDX_CORRUPT)
        return nx_fail(err, code, "cannot read the fts index: %s",
                       sqlite3_errstr(r->rc));
    if (id == FR_STRUCTURE_ROWID || id == FR_AVERAGES_ROWID)
        return nx_fail(err, NEWSIDX_CORRUPT,
                       "the index is damaged: fts_data record %lld (FTS5's %s"
                       " record): %s",
                       (long long)id,
                       id == FR_STRUCTURE_ROWID ? "structure" : "averages",
                       why);
    if (id > FR_STRUCTURE_ROWID && ((id >> 36) & 1) != 0)
        return nx_fail(err, NEWSIDX_CORRUPT,
                       "the index is damaged: fts_data record %lld (the"
                       " doclist index of segment %lld at leaf %lld): %s",
                       (long long)id, (long long)(id >> 37),
                       (long long)(id & 0x7fffffff), why);
    if (id > FR_STRUCTURE_ROWID)
        return nx_fail(err, NEWSIDX_CORRUPT,
                       "the index is damaged: fts_data record %lld (leaf %lld"
                       " of segment %lld): %s",
                       (long long)id, (long long)(id & 0x7fffffff),
                       (long long)(id >> 37), why);
    return nx_fail(err, NEWSIDX_CORRUPT,
                   "the index is damaged: the fts index (fts_data, fts_idx):"
                   " %s",
                   why);
}

/**************************************************************************
** One segment's doclist of one term
*/

/* The page where the doclist of `key` (the term with FTS5's '0' prefix)
 * starts in segment `seg`, from fts_idx; 0 on error (r->rc set) or when
 * the segment has no such leaf (skip it).  *dlidx tells whether the last
 * term of that page has a doclist index. */
static int
fr_idx_page(nx_fr *r, const fr_segment *seg, const char *key, int n,
            bool *dlidx)
{
    int64_t pg = seg->pg_first;
    int rc;

    *dlidx = false;

    sqlite3_reset(r->idx);
    sqlite3_bind_int(r->idx, 1, seg->segid);
    sqlite3_bind_blob(r->idx, 2, key, n, SQLITE_STATIC);
    rc = sqlite3_step(r->idx);
    if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(r->idx, 0);

        if (v < 0) {
            sqlite3_reset(r->idx);
            fr_corrupt(r, -1, "fts_idx names a negative leaf");
            return 0;
        }
        /* A leaf past the segment's last: the segment an incremental merge
         * is writing has its leaves in fts_idx before the structure
         * record counts them.  Not there, for this reader (the caller
         * skips it). */
        if ((v >> 1) > seg->pg_last) {
            sqlite3_reset(r->idx);
            return 0;
        }
        pg = v >> 1;
        *dlidx = (v & 1) != 0;
        rc = SQLITE_DONE;
    }
    sqlite3_reset(r->idx);
    if (rc != SQLITE_DONE) {
        r->rc = rc;
        return 0;
    }
    if (pg < seg->pg_first) {
        *dlidx = false;
        return seg->pg_first;
    }
    return (int)pg;
}

/* Read the position-list size at s->off; s->off moves past it. */
static int
fr_seg_load_npos(nx_fr *r, fr_seg_iter *s)
{
    int sz;

    if (s->off >= s->page.sz)
        return fr_corrupt(r, s->page.id, "a doclist entry is cut short");
    s->off += fr_varint32(s->page.p + s->off, &sz);
    s->n_pos = sz >> 1;
    return SQLITE_OK;
}

/* Where the doclist of a page entered from its start ends on it: at its
 * first term (the page index's first entry), or past the page. */
static int
fr_page_first_term(nx_fr *r, const fr_page *pg, int *eod)
{
    int first;

    if (fr_page_is_termless(pg)) {
        *eod = pg->nn + 1;
        return SQLITE_OK;
    }
    fr_varint32(pg->p + pg->sz, &first);
    if (first < 4 || first > pg->sz)
        return fr_corrupt(r, pg->id, "the page index is out of range");
    *eod = first;
    return SQLITE_OK;
}

/* Read the rowid (absolute) at s->off, moving to the next page first when
 * the doclist's first rowid does not fit on this one. */
static int
fr_seg_load_first_rowid(nx_fr *r, fr_seg_iter *s)
{
    uint64_t v;

    if (s->off >= s->page.sz) {
        if (s->page.pgno >= s->seg->pg_last)
            return fr_corrupt(r, s->page.id,
                              "a doclist runs past its segment's last leaf");
        if (fr_read_leaf(r, s->seg, s->page.pgno + 1, &s->page) != SQLITE_OK ||
            fr_page_first_term(r, &s->page, &s->eod) != SQLITE_OK)
            return r->rc;
        if (s->page.sz <= 4)
            return fr_corrupt(r, s->page.id,
                              "a doclist's first rowid is "
                              "missing");
        s->off = 4;
    }
    s->off += fr_varint(s->page.p + s->off, &v);
    if (!fr_rowid_ok(v, 0))
        return fr_corrupt(r, s->page.id, "a rowid is out of range");
    s->rowid = (int64_t)v;
    return fr_seg_load_npos(r, s);
}

/* The next entry of a leaf's page index after the term at *term_off:
 * false at the index's end or (r failed) when it points past the leaf. */
static bool
fr_page_next_term(nx_fr *r, const fr_page *pg, int *pgidx, int *term_off)
{
    int delta;

    if (*pgidx >= pg->nn)
        return false;
    *pgidx += fr_varint32(pg->p + *pgidx, &delta);
    /* *term_off < pg->sz: no overflow */
    if (delta <= 0 || delta >= pg->sz - *term_off) {
        fr_corrupt(r, pg->id, "the page index is out of range");
        return false;
    }
    *term_off += delta;
    return true;
}

/*
 * Find the term `key` (n bytes) on the current page: the footer lists the
 * offsets of the page's terms, each prefix-compressed against the one
 * before.  On success s->off points at the term's first rowid and s->eod
 * where its doclist ends on this page (past the page when it goes on).
 */
static int
fr_seg_find_term(nx_fr *r, fr_seg_iter *s, const char *key, int n)
{
    const unsigned char *a = s->page.p;
    int pgidx = s->page.sz, term_off, off;
    int n_keep = 0, n_new, n_match = 0;

    if (fr_page_is_termless(&s->page))
        return SQLITE_NOTFOUND;
    pgidx += fr_varint32(a + pgidx, &term_off);
    if (term_off < 4 || term_off >= s->page.sz)
        return fr_corrupt(r, s->page.id, "the page index is out of range");
    off = term_off;
    for (;;) {
        int i, n_cmp;

        if (off >= s->page.sz)
            return fr_corrupt(r, s->page.id, "a term is cut short");
        off += fr_varint32(a + off, &n_new);
        if (n_new > s->page.sz - off)
            return fr_corrupt(r, s->page.id, "a term is cut short");
        if (n_keep < n_match)
            return SQLITE_NOTFOUND; /* passed where it would be */
        if (n_keep == n_match) {
            n_cmp = n_new < n - n_match ? n_new : n - n_match;
            for (i = 0;
                 i < n_cmp && a[off + i] == (unsigned char)key[n_match + i];
                 i++)
                ;
            n_match += i;
            if (n_match == n)
                return i == n_new ? (s->off = off + n_new, SQLITE_OK)
                                  : SQLITE_NOTFOUND;
            if (i < n_new && a[off + i] > (unsigned char)key[n_match])
                return SQLITE_NOTFOUND;
        }
        if (!fr_page_next_term(r, &s->page, &pgidx, &term_off))
            return r->rc != SQLITE_OK ? r->rc : SQLITE_NOTFOUND;
        off = term_off + fr_varint32(a + term_off, &n_keep);
    }
}

/* Where the doclist that starts at s->off ends on this page: at the next
 * term the footer lists, or past the page. */
static void
fr_seg_set_eod(fr_seg_iter *s)
{
    const unsigned char *a = s->page.p;
    int pgidx = s->page.sz, delta, first;
    int64_t term_off; /* a sum of deltas: in 64 bits, it cannot overflow */

    pgidx += fr_varint32(a + pgidx, &first);
    term_off = first;
    while (pgidx < s->page.nn && term_off < s->off) {
        pgidx += fr_varint32(a + pgidx, &delta);
        term_off += delta;
    }
    s->eod = term_off >= s->off && term_off <= s->page.nn ? (int)term_off
                                                          : s->page.nn + 1;
}

/* With s->page the leaf where a term's doclist starts (pgno `pg`, `dlidx`
 * from fts_idx) and s->off on its first rowid (fr_seg_find_term): the
 * iterator on the doclist's first entry. */
static int
fr_seg_start(nx_fr *r, fr_seg_iter *s, int pg, bool dlidx)
{
    int rc;

    fr_seg_set_eod(s);
    s->is_eof = false;
    s->term_pg = pg;
    /* The page's dlidx is that of its last term: ours when our doclist
     * goes on past the page. */
    s->has_dlidx = dlidx && s->eod > s->page.nn;
    rc = fr_seg_load_first_rowid(r, s);
    s->start_pg = s->page.pgno;
    s->start_off = s->off;
    s->start_n_pos = s->n_pos;
    s->start_eod = s->eod;
    s->start_rowid = s->rowid;
    return rc;
}

/* The last term of a leaf (with FTS5's prefix byte) into `out`; false for a
 * page without terms or a malformed one. */
static bool
fr_page_last_term(nx_fr *r, const fr_page *pg, nx_buf *out)
{
    const unsigned char *a = pg->p;
    int pgidx = pg->sz, term_off, off, n_keep = 0, n_new;

    nx_buf_clear(out);
    if (fr_page_is_termless(pg))
        return false;
    pgidx += fr_varint32(a + pgidx, &term_off);
    if (term_off < 4 || term_off >= pg->sz)
        return fr_corrupt(r, pg->id, "the page index is out of range"), false;
    off = term_off;
    for (;;) {
        if (off >= pg->sz)
            return fr_corrupt(r, pg->id, "a term is cut short"), false;
        off += fr_varint32(a + off, &n_new);
        if (n_keep > (int)out->len || n_new > pg->sz - off)
            return fr_corrupt(r, pg->id, "a term is cut short"), false;
        out->len = (size_t)n_keep;
        nx_buf_put(out, a + off, (size_t)n_new);
        if (nx_buf_oom(out)) {
            r->rc = SQLITE_NOMEM;
            return false;
        }
        if (!fr_page_next_term(r, pg, &pgidx, &term_off))
            return r->rc == SQLITE_OK;
        off = term_off + fr_varint32(a + term_off, &n_keep);
    }
}

/* Bytewise order of two keys, the shorter first on a tie (FTS5's). */
static int
fr_key_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);

    return c != 0 ? c : (na > nb) - (na < nb);
}

/* The leaf after the current one (kept for reuse). */
static int
fr_seg_next_page(nx_fr *r, fr_seg_iter *s)
{
    fr_page t;

    if (s->page.pgno >= s->seg->pg_last) {
        s->is_eof = true;
        return SQLITE_OK;
    }
    if (s->next.pgno == s->page.pgno + 1) {
        t = s->page;
        s->page = s->next;
        s->next = t;
        s->next.pgno = 0;
        return SQLITE_OK;
    }
    return fr_read_leaf(r, s->seg, s->page.pgno + 1, &s->page);
}

static int fr_seg_next_slow(nx_fr *r, fr_seg_iter *s, int off);
static bool fr_seg_enter_page(nx_fr *r, fr_seg_iter *s, int64_t min, int *rc);

/* Advance to the next entry of the term in this segment. */
static inline int
fr_seg_next(nx_fr *r, fr_seg_iter *s)
{
    int off = s->off + s->n_pos;
    const unsigned char *a = s->page.p;

    /* The common case: the next entry is on this page, its rowid delta and
     * its size one byte each (the delta at least 1: rowids rise, and
     * below FR_MAX_ROWID + a record's bytes they cannot overflow). */
    if (off + 2 < s->page.sz && off < s->eod && a[off] < 0x80 && a[off] != 0 &&
        a[off + 1] < 0x80) {
        s->rowid += a[off];
        s->n_pos = a[off + 1] >> 1;
        s->off = off + 2;
        return SQLITE_OK;
    }
    return fr_seg_next_slow(r, s, off);
}

/* fr_seg_next for every other case. */
static int
fr_seg_next_slow(nx_fr *r, fr_seg_iter *s, int off)
{
    uint64_t delta;

    if (off < s->page.sz) {
        if (off >= s->eod) { /* the next term starts here */
            s->is_eof = true;
            return SQLITE_OK;
        }
        off += fr_varint(s->page.p + off, &delta);
        if (delta == 0 || delta > (uint64_t)(FR_MAX_ROWID - s->rowid))
            return fr_corrupt(r, s->page.id, "rowids out of order");
        s->rowid += (int64_t)delta;
        s->off = off;
        return fr_seg_load_npos(r, s);
    }
    /* The next entry is on a later page: the first whose header says it
     * starts a rowid; a page that starts a term ends this doclist. */
    for (;;) {
        int rc = fr_seg_next_page(r, s);

        if (rc != SQLITE_OK || s->is_eof)
            return rc;
        if (fr_seg_enter_page(r, s, s->rowid + 1, &rc))
            return rc;
        if (!fr_page_is_termless(&s->page)) {
            s->is_eof = true;
            return SQLITE_OK;
        }
    }
}

/* Make `s` a leaf of the doclist: when its header says a rowid starts on
 * it, settle there (true, *rc the outcome: that rowid must be `min` or
 * more).  False when the page holds none: only the end of a position
 * list. */
static bool
fr_seg_enter_page(nx_fr *r, fr_seg_iter *s, int64_t min, int *rc)
{
    unsigned first = fr_u16(s->page.p);
    uint64_t v;

    *rc = fr_page_first_term(r, &s->page, &s->eod);
    if (*rc != SQLITE_OK)
        return true;
    if (first == 0)
        return false;
    if (first < 4 || (int)first >= s->page.sz) {
        *rc = fr_corrupt(r, s->page.id,
                         "the leaf's first rowid is out of "
                         "range");
        return true;
    }
    s->off = (int)first;
    s->off += fr_varint(s->page.p + s->off, &v);
    if (!fr_rowid_ok(v, min)) {
        *rc = fr_corrupt(r, s->page.id, "rowids out of order");
        return true;
    }
    s->rowid = (int64_t)v;
    *rc = fr_seg_load_npos(r, s);
    return true;
}

/* Go to leaf `pgno` of the doclist, which the dlidx says starts with
 * rowid `rowid`, and settle on that rowid. */
static int
fr_seg_goto(nx_fr *r, fr_seg_iter *s, int pgno, int64_t rowid)
{
    int rc;

    if (s->next.pgno == pgno) {
        fr_page t = s->page;

        s->page = s->next;
        s->next = t;
        s->next.pgno = 0;
    } else if (s->page.pgno != pgno &&
               (rc = fr_read_leaf(r, s->seg, pgno, &s->page)) != SQLITE_OK) {
        return rc;
    }
    s->is_eof = false;
    if (!fr_seg_enter_page(r, s, rowid, &rc) ||
        (rc == SQLITE_OK && s->rowid != rowid))
        return fr_corrupt(r, s->page.id,
                          "the doclist index disagrees with the leaf");
    return rc;
}

/* Parse one level-0 dlidx record (`id`: a flags byte, the first leaf and
 * its rowid, then per later leaf: a 0x00 for each leaf without a rowid,
 * then the rowid's delta) onto s->dl, grown as entries come: each takes
 * a byte of the record at least. */
static int
fr_dl_parse(nx_fr *r, fr_seg_iter *s, int64_t id, const unsigned char *a, int n)
{
    int i = 1, pg;
    int64_t pgno, rowid;
    uint64_t v;

    if (n < 3 || !fr_get32(a, n, &i, &pg) || !fr_get(a, n, &i, &v) ||
        !fr_rowid_ok(v, 0))
        return fr_corrupt(r, id, "the record is cut short");
    pgno = pg;
    rowid = (int64_t)v;
    for (;;) {
        if (s->n_dl > 0 && (pgno <= s->dl[s->n_dl - 1].pgno ||
                            rowid <= s->dl[s->n_dl - 1].rowid))
            return fr_corrupt(r, id, "leaves or rowids out of order");
        if (pgno <= s->term_pg || pgno > s->seg->pg_last)
            return fr_corrupt(r, id, "a leaf outside the doclist");
        if (s->n_dl == s->dl_cap) {
            int cap = s->dl_cap ? 2 * s->dl_cap : 64;
            fr_leaf *grown = nx_realloc(s->dl, (size_t)cap * sizeof(*grown));

            if (grown == NULL)
                return r->rc = SQLITE_NOMEM;
            s->dl = grown;
            s->dl_cap = cap;
        }
        s->dl[s->n_dl].pgno = (int)pgno;
        s->dl[s->n_dl++].rowid = rowid;
        while (i < n && a[i] == 0) {
            i++;
            pgno++;
        }
        if (i >= n)
            return SQLITE_OK;
        if (!fr_get(a, n, &i, &v) || v == 0 ||
            v > (uint64_t)(FR_MAX_ROWID - rowid))
            return fr_corrupt(r, id, "rowids out of order");
        pgno++;
        rowid += (int64_t)v;
    }
}

/*
 * Load the doclist index of s's term: its level-0 records are keyed by
 * the term's leaf and the ones after it; when there are several, the
 * level-1 record lists them (one entry each).  A dlidx of three levels
 * or more (a doclist of hundreds of thousands of leaves) is not read:
 * seeks then walk.
 */
static int
fr_dl_load(nx_fr *r, fr_seg_iter *s)
{
    int n, n_rec = 1, k, rc;
    int64_t id = fr_dlidx_rowid(s->seg->segid, 0, s->term_pg);

    s->dl_tried = true;
    rc = fr_read(r, id, &r->dl_buf, &r->dl_cap, &n);
    if (rc != SQLITE_OK)
        return rc;
    if (n > 0 && (r->dl_buf[0] & 1)) { /* several: count them in level 1 */
        int i = 1, dummy;
        uint64_t v;

        id = fr_dlidx_rowid(s->seg->segid, 1, s->term_pg);
        rc = fr_read(r, id, &r->dl_buf, &r->dl_cap, &n);
        if (rc != SQLITE_OK)
            return rc;
        if (n < 3 || (r->dl_buf[0] & 1))
            return SQLITE_OK; /* deeper: left unused */
        if (!fr_get32(r->dl_buf, n, &i, &dummy) ||
            !fr_get(r->dl_buf, n, &i, &v))
            return fr_corrupt(r, id, "the record is cut short");
        for (n_rec = 1; i < n; n_rec++) {
            if (!fr_get(r->dl_buf, n, &i, &v))
                return fr_corrupt(r, id, "the record is cut short");
        }
        /* A record lists one leaf at least, after the term's. */
        if (n_rec > s->seg->pg_last - s->term_pg)
            return fr_corrupt(r, id, "more records than leaves");
    }
    for (k = 0; k < n_rec; k++) {
        id = fr_dlidx_rowid(s->seg->segid, 0, s->term_pg + k);
        rc = fr_read(r, id, &r->dl_buf, &r->dl_cap, &n);
        if (rc == SQLITE_OK)
            rc = fr_dl_parse(r, s, id, r->dl_buf, n);
        r->n_dl_records++;
        if (rc != SQLITE_OK) {
            nx_free(s->dl);
            s->dl = NULL;
            s->n_dl = s->dl_cap = 0;
            return rc;
        }
    }
    r->n_dl_leaves += (uint64_t)s->n_dl;
    return SQLITE_OK;
}

/* The last leaf of the dlidx whose first rowid is at most `target`; -1
 * when there is none (or no dlidx). */
static int
fr_dl_find(nx_fr *r, fr_seg_iter *s, int64_t target)
{
    int lo = 0, hi;

    if (!s->has_dlidx)
        return -1;
    if (!s->dl_tried && fr_dl_load(r, s) != SQLITE_OK)
        return -1;
    hi = s->n_dl;
    while (lo < hi) { /* the first leaf past target */
        int mid = lo + (hi - lo) / 2;

        if (s->dl[mid].rowid <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* Move `s` forward to its first entry at `target` or after, jumping over
 * leaves with the dlidx when it has one. */
static int
fr_seg_seek(nx_fr *r, fr_seg_iter *s, int64_t target)
{
    if (s->is_eof || s->rowid >= target)
        return SQLITE_OK;
    if (s->has_dlidx) {
        int i = fr_dl_find(r, s, target);

        if (r->rc != SQLITE_OK)
            return r->rc;
        if (i >= 0 && s->dl[i].pgno > s->page.pgno) {
            /* A later leaf starts with a later rowid. */
            if (s->dl[i].rowid <= s->rowid)
                return fr_corrupt(
                    r, fr_dlidx_rowid(s->seg->segid, 0, s->term_pg),
                    "the doclist index disagrees with the leaves");
            if (fr_seg_goto(r, s, s->dl[i].pgno, s->dl[i].rowid) != SQLITE_OK)
                return r->rc;
        }
    }
    while (!s->is_eof && s->rowid < target) {
        if (fr_seg_next(r, s) != SQLITE_OK)
            return r->rc;
    }
    return SQLITE_OK;
}

/* Put `s` on its first entry at `from` or after, wherever it is now:
 * forward as fr_seg_seek, or back through the dlidx or to the start. */
static int
fr_seg_rewind(nx_fr *r, fr_seg_iter *s, int64_t from)
{
    int i;

    if (!s->is_eof && s->rowid <= from)
        return fr_seg_seek(r, s, from);
    i = fr_dl_find(r, s, from);
    if (r->rc != SQLITE_OK)
        return r->rc;
    if (i >= 0) {
        if (fr_seg_goto(r, s, s->dl[i].pgno, s->dl[i].rowid) != SQLITE_OK)
            return r->rc;
    } else {
        if (s->page.pgno != s->start_pg) {
            if (s->next.pgno == s->start_pg) {
                fr_page t = s->page;

                s->page = s->next;
                s->next = t;
                s->next.pgno = 0;
            } else if (fr_read_leaf(r, s->seg, s->start_pg, &s->page) !=
                       SQLITE_OK) {
                return r->rc;
            }
        }
        s->off = s->start_off;
        s->n_pos = s->start_n_pos;
        s->eod = s->start_eod;
        s->rowid = s->start_rowid;
        s->is_eof = false;
    }
    return fr_seg_seek(r, s, from);
}

/* The current position list of `s`, put together in `buf` when it goes
 * on over later pages (the next of them is kept for fr_seg_next). */
static int
fr_seg_poslist(nx_fr *r, fr_seg_iter *s, nx_buf *buf, const unsigned char **p,
               int *n)
{
    int have = s->page.sz - s->off, rem, pgno;

    if (s->n_pos <= have) {
        *p = s->page.p + s->off;
        *n = s->n_pos;
        return SQLITE_OK;
    }
    nx_buf_clear(buf);
    nx_buf_put(buf, s->page.p + s->off, (size_t)(have > 0 ? have : 0));
    rem = s->n_pos - (have > 0 ? have : 0);
    /* The list's bytes come from the leaves read: buf grows with them. */
    for (pgno = s->page.pgno + 1; rem > 0; pgno++) {
        int take;

        if (pgno > s->seg->pg_last)
            return fr_corrupt(r, s->page.id,
                              "a position list runs past its segment");
        if (fr_read_leaf(r, s->seg, pgno, &s->next) != SQLITE_OK)
            return r->rc;
        take = s->next.sz - 4 < rem ? s->next.sz - 4 : rem;
        nx_buf_put(buf, s->next.p + 4, (size_t)take);
        rem -= take;
    }
    nx_buf_reserve(buf, FR_PAD); /* the pad nx_fr_pos_next may read */
    if (nx_buf_oom(buf))
        return r->rc = SQLITE_NOMEM;
    memset(buf->data + buf->len, 0, FR_PAD);
    *p = (const unsigned char *)buf->data;
    *n = s->n_pos;
    return SQLITE_OK;
}

static void
fr_seg_free(fr_seg_iter *s)
{
    nx_free(s->page.p);
    nx_free(s->next.p);
    nx_free(s->dl);
}

/**************************************************************************
** A term over every segment
*/

/* Is segment a's entry before segment b's: the lower rowid, and for one
 * rowid the newer segment (the lower index)? */
static bool
fr_heap_less(const nx_fr_term *t, int a, int b)
{
    int64_t x = t->s[a].rowid, y = t->s[b].rowid;

    return x < y || (x == y && a < b);
}

static void
fr_heap_down(nx_fr_term *t, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i, tmp;

        if (l < t->n_heap && fr_heap_less(t, t->heap[l], t->heap[m]))
            m = l;
        if (r < t->n_heap && fr_heap_less(t, t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            return;
        tmp = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = tmp;
        i = m;
    }
}

/* The segment at the top of the heap has moved (or ended): restore it. */
static void
fr_heap_fix_top(nx_fr_term *t)
{
    if (t->s[t->heap[0]].is_eof)
        t->heap[0] = t->heap[--t->n_heap];
    if (t->n_heap > 0)
        fr_heap_down(t, 0);
}

/* Move every segment past rowid `at`. */
static int
fr_term_pass(nx_fr_term *t, int64_t at)
{
    while (t->n_heap > 0 && t->s[t->heap[0]].rowid <= at) {
        if (fr_seg_next(t->r, &t->s[t->heap[0]]) != SQLITE_OK)
            return t->r->rc;
        fr_heap_fix_top(t);
    }
    return SQLITE_OK;
}

/* Settle on the smallest rowid of the segments: the newest segment that
 * holds it wins (the heap's top); a winner with an empty position list is
 * a deleted row, skipped with every older entry of that rowid. */
static int
fr_term_settle(nx_fr_term *t)
{
    while (t->n_heap > 0) {
        int win = t->heap[0];

        if (t->s[win].n_pos > 0) {
            t->win = win;
            t->rowid = t->s[win].rowid;
            return SQLITE_OK;
        }
        if (fr_term_pass(t, t->s[win].rowid) != SQLITE_OK)
            return t->r->rc;
    }
    t->is_eof = true;
    return SQLITE_OK;
}

/* Make term iterator `t` ready once its segments are opened (t->n of
 * them): its heap, and its first row.  Frees it and sets *out to NULL
 * when it has no row. */
static int
fr_term_ready(nx_fr *r, nx_fr_term *t, nx_fr_term **out)
{
    int i;

    *out = NULL;
    t->heap = nx_malloc((size_t)(t->n + 1) * sizeof(*t->heap));
    if (t->heap == NULL && r->rc == SQLITE_OK)
        r->rc = SQLITE_NOMEM;
    for (i = 0; r->rc == SQLITE_OK && i < t->n; i++)
        t->heap[t->n_heap++] = i;
    for (i = t->n_heap / 2; r->rc == SQLITE_OK && i-- > 0;)
        fr_heap_down(t, i);
    if (r->rc == SQLITE_OK)
        fr_term_settle(t);
    if (r->rc != SQLITE_OK || t->is_eof) {
        nx_fr_term_close(t);
        return r->rc;
    }
    *out = t;
    return SQLITE_OK;
}

/* The bytes of a token FTS5 keeps. */
static size_t
fr_token_len(size_t len)
{
    return len > NX_FR_MAX_TOKEN ? NX_FR_MAX_TOKEN : len;
}

int
nx_fr_terms_open(nx_fr *r, int n, const char *const *terms, const size_t *lens,
                 nx_fr_term **out)
{
    fr_seg_iter probe;
    nx_buf key = NX_BUF_INIT, last = NX_BUF_INIT;
    int i, k;

    for (k = 0; k < n; k++)
        out[k] = NULL;
    if (r->rc != SQLITE_OK)
        return r->rc;
    for (k = 0; k < n; k++) {
        nx_fr_term *t;

        if (k > 0 && fr_key_cmp(terms[k - 1], fr_token_len(lens[k - 1]),
                                terms[k], fr_token_len(lens[k])) >= 0) {
            r->rc = SQLITE_MISUSE; /* not in order */
            goto fail;
        }
        t = nx_calloc(1, sizeof(*t));
        if (t == NULL ||
            (t->s = nx_calloc((size_t)r->n_segs + 1, sizeof(*t->s))) == NULL) {
            nx_free(t);
            r->rc = SQLITE_NOMEM;
            goto fail;
        }
        t->r = r;
        out[k] = t;
    }
    memset(&probe, 0, sizeof(probe));
    /* Per segment, the terms in order: a term on the leaf read for an
     * earlier one is found there without a new lookup or read. */
    for (i = 0; i < r->n_segs && r->rc == SQLITE_OK; i++) {
        const fr_segment *seg = &r->segs[i];
        bool has_page = false, dlidx = false;
        int pg = 0;

        for (k = 0; k < n && r->rc == SQLITE_OK; k++) {
            nx_fr_term *t = out[k];
            fr_seg_iter *s = &t->s[t->n];

            nx_buf_clear(&key);
            nx_buf_putc(&key, '0'); /* FTS5's main index */
            nx_buf_put(&key, terms[k], fr_token_len(lens[k]));
            if (nx_buf_oom(&key)) {
                r->rc = SQLITE_NOMEM;
                break;
            }
            if (!has_page ||
                fr_key_cmp(key.data, key.len, last.data, last.len) > 0) {
                int at = fr_idx_page(r, seg, key.data, (int)key.len, &dlidx);

                if (at == 0 || at > seg->pg_last)
                    continue;
                if (!has_page || at != pg) {
                    probe.seg = seg;
                    if (fr_read_leaf(r, seg, at, &probe.page) != SQLITE_OK ||
                        !fr_page_last_term(r, &probe.page, &last)) {
                        has_page = false;
                        continue;
                    }
                    pg = at;
                    has_page = true;
                }
            }
            /* The term is on this leaf or nowhere in the segment. */
            probe.seg = seg;
            probe.is_eof = true;
            if (fr_seg_find_term(r, &probe, key.data, (int)key.len) !=
                SQLITE_OK)
                continue;
            /* Found: the iterator gets a copy of the leaf. */
            s->seg = seg;
            s->page.cap = (size_t)probe.page.nn + FR_PAD;
            s->page.p = nx_malloc(s->page.cap);
            if (s->page.p == NULL) {
                r->rc = SQLITE_NOMEM;
                break;
            }
            memcpy(s->page.p, probe.page.p, s->page.cap);
            s->page.nn = probe.page.nn;
            s->page.sz = probe.page.sz;
            s->page.pgno = probe.page.pgno;
            s->page.id = probe.page.id;
            s->off = probe.off; /* where fr_seg_find_term found it */
            if (fr_seg_start(r, s, pg, dlidx) == SQLITE_OK)
                t->n++;
            else
                fr_seg_free(s), memset(s, 0, sizeof(*s));
        }
    }
    fr_seg_free(&probe);
    nx_buf_free(&key);
    nx_buf_free(&last);
    for (k = 0; k < n && r->rc == SQLITE_OK; k++)
        fr_term_ready(r, out[k], &out[k]);
    if (r->rc == SQLITE_OK)
        return SQLITE_OK;
fail:
    for (k = 0; k < n; k++) {
        nx_fr_term_close(out[k]);
        out[k] = NULL;
    }
    return r->rc;
}

int
nx_fr_term_open(nx_fr_term **out, nx_fr *r, const char *term, size_t len)
{
    return nx_fr_terms_open(r, 1, &term, &len, out);
}

int
nx_fr_term_next(nx_fr_term *t)
{
    if (t->is_eof)
        return SQLITE_OK;
    if (fr_term_pass(t, t->rowid) != SQLITE_OK)
        return t->r->rc;
    return fr_term_settle(t);
}

int
nx_fr_term_seek(nx_fr_term *t, int64_t rowid)
{
    if (t->is_eof || t->rowid >= rowid)
        return SQLITE_OK;
    while (t->n_heap > 0 && t->s[t->heap[0]].rowid < rowid) {
        if (fr_seg_seek(t->r, &t->s[t->heap[0]], rowid) != SQLITE_OK)
            return t->r->rc;
        fr_heap_fix_top(t);
    }
    return fr_term_settle(t);
}

int
nx_fr_term_rewind(nx_fr_term *t, int64_t from)
{
    int i;

    t->n_heap = 0;
    for (i = 0; i < t->n; i++) {
        if (fr_seg_rewind(t->r, &t->s[i], from) != SQLITE_OK)
            return t->r->rc;
        if (!t->s[i].is_eof)
            t->heap[t->n_heap++] = i;
    }
    for (i = t->n_heap / 2; i-- > 0;)
        fr_heap_down(t, i);
    t->is_eof = false;
    return fr_term_settle(t);
}

bool
nx_fr_term_eof(const nx_fr_term *t)
{
    return t == NULL || t->is_eof;
}

int64_t
nx_fr_term_rowid(const nx_fr_term *t)
{
    return t->rowid;
}

int
nx_fr_term_poslist(nx_fr_term *t, const unsigned char **p, int *n)
{
    return fr_seg_poslist(t->r, &t->s[t->win], &t->poslist, p, n);
}

void
nx_fr_term_close(nx_fr_term *t)
{
    int i;

    if (t == NULL)
        return;
    for (i = 0; i < t->r->n_segs && t->s != NULL; i++)
        fr_seg_free(&t->s[i]);
    nx_free(t->s);
    nx_free(t->heap);
    nx_buf_free(&t->poslist);
    nx_free(t);
}

/**************************************************************************
** A term a block of rows at a time
**
** Each segment is walked on its own over the block, the oldest first, so
** that a newer segment's entry for a row replaces an older one's (and a
** newer empty entry, a deletion, clears it).  An iterator used this way
** must not be used with the row functions above.
*/

/* The rows of segment `s` below `hi` into bits (bit rowid - lo), where
 * `cand` allows: fr_seg_next's fast case with the state in locals (a
 * write to bits may not alias them), the rest left to fr_seg_next. */
static int
fr_seg_block_rows(nx_fr *r, fr_seg_iter *s, int64_t hi, int64_t lo,
                  const uint64_t *cand, uint64_t *bits)
{
    while (!s->is_eof && s->rowid < hi) {
        const unsigned char *a = s->page.p;
        int off = s->off, n_pos = s->n_pos, sz = s->page.sz;
        int end = (s->eod < sz ? s->eod : sz) - 2;
        int64_t rowid = s->rowid;

        for (;;) {
            unsigned slot = (unsigned)(rowid - lo);
            uint64_t bit = (uint64_t)1 << (slot & 63);

            if (cand == NULL || (cand[slot >> 6] & bit)) {
                if (n_pos > 0)
                    bits[slot >> 6] |= bit;
                else /* a newer segment's deletion */
                    bits[slot >> 6] &= ~bit;
            }
            off += n_pos;
            /* The next entry: its rowid delta and its size one byte each,
             * before the doclist ends on this page. */
            if (off >= end || a[off] >= 0x80 || a[off] == 0 ||
                a[off + 1] >= 0x80)
                break;
            rowid += a[off];
            if (rowid >= hi) { /* the next block's: stay on it */
                s->off = off + 2;
                s->n_pos = a[off + 1] >> 1;
                s->rowid = rowid;
                return SQLITE_OK;
            }
            n_pos = a[off + 1] >> 1;
            off += 2;
        }
        /* Back to the iterator, before the entry it could not take. */
        s->rowid = rowid;
        s->off = off - n_pos;
        s->n_pos = n_pos;
        if (fr_seg_next(r, s) != SQLITE_OK)
            return r->rc;
    }
    return SQLITE_OK;
}

/* The occurrences per column (0..2) of the position list p[0..n), the
 * list whole on the page, into c[0..3]; false when it holds a column
 * past the fourth or ends inside a varint (the caller then uses
 * nx_fr_pos_count). */
static inline bool
fr_pos_count_fast(const unsigned char *p, int n, uint32_t c[4])
{
    int i = 0, col = 0;

    while (i < n) {
        unsigned v = p[i];

        if (v == 0x01) {
            if (i + 1 >= n || p[i + 1] > 3)
                return false; /* no such column here */
            col = p[i + 1];
            i += 2;
            continue;
        }
        while (p[i] & 0x80) /* a longer offset */
            i++;
        i++;
        c[col]++;
    }
    return i == n;
}

/* Segment `s`'s entries below `hi` with their occurrences (tf, when not
 * NULL) and, with col >= 0, only rows holding one in column col: the loop
 * of fr_seg_block_rows, counting too.  An entry it cannot take (its list
 * runs over the page, a long varint) is left to fr_seg_block. */
static void
fr_seg_block_tf(fr_seg_iter *s, int64_t hi, int64_t lo, const uint64_t *cand,
                uint64_t *bits, uint32_t (*tf)[3], int col)
{
    const unsigned char *a = s->page.p;
    int off = s->off, n_pos = s->n_pos, sz = s->page.sz;
    int end = (s->eod < sz ? s->eod : sz) - 2;
    int64_t rowid = s->rowid;

    while (rowid < hi) {
        unsigned slot = (unsigned)(rowid - lo);
        uint64_t bit = (uint64_t)1 << (slot & 63);

        if (off + n_pos > sz)
            break; /* the list goes on to the next page */
        if (cand == NULL || (cand[slot >> 6] & bit)) {
            uint32_t c[4] = {0, 0, 0, 0};
            bool hits;

            if (n_pos > 0 && !fr_pos_count_fast(a + off, n_pos, c))
                break;
            hits = col < 0 ? n_pos > 0 : col <= 3 && c[col] > 0;
            if (col >= 0 && col <= 3) { /* only that column's count */
                uint32_t keep = c[col];

                memset(c, 0, sizeof(c));
                c[col] = keep;
            }
            if (hits) {
                bits[slot >> 6] |= bit;
                if (tf != NULL) {
                    tf[slot][0] = c[0];
                    tf[slot][1] = c[1];
                    tf[slot][2] = c[2];
                }
            } else {
                bits[slot >> 6] &= ~bit;
            }
        }
        /* The next entry, when its rowid delta and size are one byte. */
        if (off + n_pos >= end || a[off + n_pos] >= 0x80 ||
            a[off + n_pos] == 0 || a[off + n_pos + 1] >= 0x80) {
            /* taken: leave the iterator on it, for fr_seg_next */
            s->off = off;
            s->n_pos = n_pos;
            s->rowid = rowid;
            s->is_taken = true;
            return;
        }
        off += n_pos;
        rowid += a[off];
        n_pos = a[off + 1] >> 1;
        off += 2;
    }
    s->off = off;
    s->n_pos = n_pos;
    s->rowid = rowid;
}

/* Segment `s`'s entries in [lo, lo + 64 * n_words): see nx_fr_term_block. */
static int
fr_seg_block(nx_fr_term *t, fr_seg_iter *s, int64_t lo, int n_words,
             const uint64_t *cand, uint64_t *bits, uint32_t (*tf)[3], int col,
             nx_fr_block_pos *out)
{
    nx_fr *r = t->r;
    int64_t hi = lo + 64 * (int64_t)n_words;

    if (fr_seg_seek(r, s, lo) != SQLITE_OK)
        return r->rc;
    /* Rowids rise (every move checks it), so the slots below stay in the
     * block; this holds the walk to it should a path ever miss. */
    if (!s->is_eof && s->rowid < lo)
        return fr_corrupt(r, s->page.id, "rowids out of order");
    if (tf == NULL && col < 0 && out == NULL) { /* rows: the tight loop */
        if (fr_seg_block_rows(r, s, hi, lo, cand, bits) != SQLITE_OK)
            return r->rc;
    }
    while (!s->is_eof && s->rowid < hi) {
        unsigned slot;
        uint64_t bit;

        if (out == NULL) { /* counting: the tight loop first */
            s->is_taken = false;
            fr_seg_block_tf(s, hi, lo, cand, bits, tf, col);
            if (s->rowid >= hi)
                break;
            if (s->is_taken) { /* it took the entry, not the next one */
                if (fr_seg_next(r, s) != SQLITE_OK)
                    return r->rc;
                continue;
            }
        }
        slot = (unsigned)(s->rowid - lo);
        bit = (uint64_t)1 << (slot & 63);
        if (cand == NULL || (cand[slot >> 6] & bit)) {
            int c[3] = {0, 0, 0}, hits = s->n_pos > 0;

            if (hits && (tf != NULL || col >= 0 || out != NULL)) {
                const unsigned char *p;
                int n;

                if (fr_seg_poslist(r, s, &t->poslist, &p, &n) != SQLITE_OK)
                    return r->rc;
                if (tf != NULL || col >= 0)
                    hits = nx_fr_pos_count(p, n, col, c) > 0;
                if (hits && out != NULL) {
                    nx_buf *a = &out->arena;

                    out->off[slot] = (uint32_t)a->len;
                    out->len[slot] = (uint32_t)n;
                    if (a->len + (size_t)n < a->cap) { /* the common case */
                        memcpy(a->data + a->len, p, (size_t)n);
                        a->len += (size_t)n;
                    } else {
                        nx_buf_put(a, p, (size_t)n);
                    }
                }
            }
            if (hits) {
                bits[slot >> 6] |= bit;
                if (tf != NULL) {
                    tf[slot][0] = (uint32_t)c[0];
                    tf[slot][1] = (uint32_t)c[1];
                    tf[slot][2] = (uint32_t)c[2];
                }
            } else {
                bits[slot >> 6] &= ~bit;
            }
        }
        if (fr_seg_next(r, s) != SQLITE_OK)
            return r->rc;
    }
    return SQLITE_OK;
}

int
nx_fr_term_block(nx_fr_term *t, int64_t lo, int n_words, const uint64_t *cand,
                 uint64_t *bits, uint32_t (*tf)[3], int col)
{
    int i;

    for (i = t->n; i-- > 0;) {
        if (fr_seg_block(t, &t->s[i], lo, n_words, cand, bits, tf, col, NULL) !=
            SQLITE_OK)
            return t->r->rc;
    }
    return SQLITE_OK;
}

int
nx_fr_term_block_pos(nx_fr_term *t, int64_t lo, int n_words,
                     const uint64_t *cand, uint64_t *bits, nx_fr_block_pos *out)
{
    int i;

    nx_buf_clear(&out->arena);
    for (i = t->n; i-- > 0;) {
        if (fr_seg_block(t, &t->s[i], lo, n_words, cand, bits, NULL, -1, out) !=
            SQLITE_OK)
            return t->r->rc;
    }
    /* The pad nx_fr_pos_next may read past the last list. */
    nx_buf_reserve(&out->arena, FR_PAD);
    if (nx_buf_oom(&out->arena))
        return t->r->rc = SQLITE_NOMEM;
    memset(out->arena.data + out->arena.len, 0, FR_PAD);
    return SQLITE_OK;
}

int64_t
nx_fr_term_block_next(const nx_fr_term *t)
{
    int64_t best = INT64_MAX;
    int i;

    for (i = 0; i < t->n; i++) {
        if (!t->s[i].is_eof && t->s[i].rowid < best)
            best = t->s[i].rowid;
    }
    return best;
}

/**************************************************************************
** Position lists
*/
void
nx_fr_pos_init(nx_fr_pos *it, const unsigned char *p, int n)
{
    it->p = p;
    it->n = n;
    it->off = 0;
    it->col = 0;
    it->pos = 0;
}

int
nx_fr_pos_count(const unsigned char *p, int n, int col, int *tf)
{
    int i = 0, c = 0, hits = 0;

    while (i < n) {
        if (p[i] == 0x01) {
            i++;
            i += fr_varint32(p + i, &c);
            if (i > n)
                break; /* the column number runs past the list */
            continue;
        }
        while (i < n && (p[i] & 0x80))
            i++;
        if (i >= n)
            break; /* an offset that runs past the list: not counted */
        i++;
        if (col >= 0 && c != col)
            continue;
        hits++;
        if (c < 3)
            tf[c]++;
    }
    return hits;
}

/* The next (column, offset) of the list; false at its end.  Offsets are
 * stored as (delta + 2) per column; 0x01 and a varint switch columns.
 * Inline, for nx_fr_pos_list's loop. */
static inline bool
fr_pos_next(nx_fr_pos *it)
{
    while (it->off < it->n) {
        int v;

        if (it->p[it->off] == 0x01) {
            it->off++;
            if (it->off >= it->n)
                return false;
            it->off += fr_varint32(it->p + it->off, &v);
            if (it->off > it->n)
                return false; /* the column number runs past the list */
            it->col = v;
            it->pos = 0;
            continue;
        }
        it->off += fr_varint32(it->p + it->off, &v);
        /* Malformed (an offset that runs past the list, or out of
         * range): stop.  The pad after the list keeps the read safe. */
        if (it->off > it->n || v < 2 || v - 2 > INT32_MAX - it->pos)
            return false;
        it->pos += v - 2;
        return true;
    }
    return false;
}

bool
nx_fr_pos_next(nx_fr_pos *it)
{
    return fr_pos_next(it);
}

int
nx_fr_pos_list(int64_t *out, int *col_max, const unsigned char *p, int n,
               int max)
{
    nx_fr_pos it;
    int m = 0, c = -1;

    nx_fr_pos_init(&it, p, n);
    while (fr_pos_next(&it)) {
        c = it.col > c ? it.col : c;
        if (m == max) {
            m = -1;
            break;
        }
        out[m++] = (int64_t)it.col << 32 | it.pos;
    }
    /* A column named last, with no entry after it, is named all the same
     * (a list "01 05" names column 5). */
    if (m >= 0 && it.col > 0 && it.col > c)
        c = it.col;
    *col_max = c;
    return m;
}

int
nx_fr_docsize(uint32_t *len_out, sqlite3 *db, sqlite3_stmt **stmt, int64_t id,
              int col)
{
    uint32_t v = 0;
    int c = 0, i = 0, n, rc = SQLITE_OK;
    const unsigned char *p;

    *len_out = 0;
    if (*stmt == NULL)
        rc = sqlite3_prepare_v2(db, "SELECT sz FROM fts_docsize WHERE id = ?1",
                                -1, stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_reset(*stmt);
    sqlite3_bind_int64(*stmt, 1, id);
    rc = sqlite3_step(*stmt);
    if (rc != SQLITE_ROW) /* no record: 0; a failed read: its code */
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    p = sqlite3_column_blob(*stmt, 0);
    n = sqlite3_column_bytes(*stmt, 0);
    while (i < n && c <= col) {
        v = 0;
        while (i < n && (p[i] & 0x80))
            v = (v << 7) | (p[i++] & 0x7f);
        if (i < n)
            v = (v << 7) | p[i++];
        c++;
    }
    *len_out = c > col ? v : 0;
    return SQLITE_OK;
}
