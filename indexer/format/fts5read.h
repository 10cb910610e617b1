/*
 * fts5read.h - the FTS5 storage reader (fts5read.c), part of the index
 * format: both halves read the fts index through it (the engine its
 * doclists, bounds.c a token's rows when it becomes frequent).  Not
 * installed.
 */
#ifndef NX_FTS5READ_H
#define NX_FTS5READ_H

#include "format.h"

/**************************************************************************
** Interface to code in fts5read.c
**
** The fts table's inverted index read from fts_data and fts_idx directly
** (FTS5's storage format of SQLite 3.40).  Functions returning int give
** SQLite result codes unless they say otherwise; after a failure the
** reader stays failed and nx_fr_error() turns it into a status.
*/
#define NX_FR_COLUMNS 4 /* title, excerpt, body, tags */
/* FTS5 keeps at most this many bytes of a token (FTS5_MAX_TOKEN_SIZE): a
 * longer one is cut there when indexed and when queried, and so is a term
 * given to nx_fr_term_open. */
#define NX_FR_MAX_TOKEN 32768

typedef struct nx_fr nx_fr;
typedef struct nx_fr_term nx_fr_term;

/* A reader of `db`'s fts index, inside the caller's read transaction.
 * NEWSIDX_OK with *out set, or NULL for another FTS5 format or with
 * NEWSIDX_FTS5_READER=off in the environment (then use SQL; the records
 * FTS5 trusts are checked all the same); NEWSIDX_IO, NEWSIDX_NOMEM,
 * NEWSIDX_CORRUPT (a malformed record). */
int nx_fr_open(nx_fr **out, sqlite3 *db, newsidx_error *err);
/* Is the reader switched off (NEWSIDX_FTS5_READER=off)? */
bool nx_fr_is_off(void);
/* Checks the records FTS5 trusts (the structure and averages) before
 * FTS5 reads them (as nx_fr_open does, whatever NEWSIDX_FTS5_READER
 * says): NEWSIDX_OK (also for another FTS5 format), or nx_fr_open's
 * errors. */
int nx_fr_check(sqlite3 *db, newsidx_error *err);
/* The averages record's counts, whatever NEWSIDX_FTS5_READER says: the
 * rows into *n_rows (-1 for another FTS5 format) and the tokens of each
 * of the NX_FR_COLUMNS columns into col_total; nx_fr_open's errors. */
int nx_fr_stats(sqlite3 *db, int64_t *n_rows, int64_t *col_total,
                newsidx_error *err);
void nx_fr_close(nx_fr *r);
/* The rows of the fts table and the tokens in column `col` of them all
 * (FTS5's averages record: what xRowCount and xColumnTotalSize give). */
int64_t nx_fr_rows(const nx_fr *r);
int64_t nx_fr_col_total(const nx_fr *r, int col);
/* Leaf pages read so far (for tests and benchmarks). */
uint64_t nx_fr_pages_read(const nx_fr *r);
/* Doclist-index records read so far, and the leaves they listed. */
void nx_fr_dlidx_read(const nx_fr *r, uint64_t *records, uint64_t *leaves);
/* The reader's failure as a newsidx status with a message, or NEWSIDX_OK. */
int nx_fr_error(const nx_fr *r, newsidx_error *err);

/* An iterator over the rows holding `term` (its exact bytes), in rowid
 * order, on the first of them; *out is NULL when no row holds it. */
int nx_fr_term_open(nx_fr_term **out, nx_fr *r, const char *term, size_t len);
/* Iterators for n distinct terms given in FTS5's order (bytewise, the
 * shorter first on a tie), into out[0..n), NULL for a term no row holds:
 * as nx_fr_term_open each, but a leaf that holds several of them is
 * looked up and read once per segment (the terms of a prefix). */
int nx_fr_terms_open(nx_fr *r, int n, const char *const *terms,
                     const size_t *lens, nx_fr_term **out);
/* Move to the next row, or to the first row >= `rowid`. */
int nx_fr_term_next(nx_fr_term *t);
int nx_fr_term_seek(nx_fr_term *t, int64_t rowid);
/* Put the iterator on its first row >= `from`, wherever it is now, back
 * or forward (a new walk, of rows or of blocks, may start there). */
int nx_fr_term_rewind(nx_fr_term *t, int64_t from);
bool nx_fr_term_eof(const nx_fr_term *t); /* true for NULL too */
int64_t nx_fr_term_rowid(const nx_fr_term *t);
/* The position list of the current row (valid until the iterator moves;
 * 16 readable zero bytes follow it). */
int nx_fr_term_poslist(nx_fr_term *t, const unsigned char **p, int *n);
void nx_fr_term_close(nx_fr_term *t);

/* The term's rows in [lo, lo + 64 * n_words), as bits of `bits` (bit
 * rowid - lo), with their occurrences per column in tf[bit] when tf is not
 * NULL.  Only rows whose bit is set in `cand` (all rows when NULL) are
 * looked at; with col >= 0, only occurrences in that column count and a
 * row without one is not set.  The caller clears `bits` first.  The
 * iterator moves past the block; blocks must come in rising order (until
 * nx_fr_term_rewind), and the row functions above must not be used on the
 * same iterator. */
int nx_fr_term_block(nx_fr_term *t, int64_t lo, int n_words,
                     const uint64_t *cand, uint64_t *bits, uint32_t (*tf)[3],
                     int col);
/* Where nx_fr_term_block_pos puts the position lists of a block's rows:
 * the list of slot s is arena.data + off[s], len[s] bytes (16 readable
 * bytes follow the last); off and len have a slot per row of the block. */
typedef struct nx_fr_block_pos {
    nx_buf arena;
    uint32_t *off, *len;
} nx_fr_block_pos;
/* As nx_fr_term_block without tf or column, and with each row's position
 * list in `out` (its arena emptied first). */
int nx_fr_term_block_pos(nx_fr_term *t, int64_t lo, int n_words,
                         const uint64_t *cand, uint64_t *bits,
                         nx_fr_block_pos *out);
/* The lowest rowid a block walk of `t` may still find (INT64_MAX at the
 * end): a bound, deleted rows may be there. */
int64_t nx_fr_term_block_next(const nx_fr_term *t);

/* Walking a position list: each (column, token offset) in order. */
typedef struct nx_fr_pos {
    const unsigned char *p;
    int n, off;
    int col; /* current column */
    int pos; /* current token offset in it */
} nx_fr_pos;
void nx_fr_pos_init(nx_fr_pos *it, const unsigned char *p, int n);
bool nx_fr_pos_next(nx_fr_pos *it);
/* The entries of the position list p[0..n) as (column << 32 | offset),
 * in its order, into out[0..max): those nx_fr_pos_next gives (a malformed
 * list stops where it stops), read in one call, for a loop over many
 * lists.  Returns how many, or -1 when there are more than max.
 * *col_max is the largest column the list names, by its entries or by a
 * last column marker with no entry after it (-1 when it names none), so
 * that a caller can tell a column the table does not have. */
int nx_fr_pos_list(int64_t *out, int *col_max, const unsigned char *p, int n,
                   int max);
/* Column `col`'s length in tokens of row `id`, from FTS5's fts_docsize
 * record (a varint per column) through the caller's statement `*stmt`
 * (prepared on first use; the caller finalizes it).  SQLite result code;
 * *len_out is 0 for a row without a record or a record short of the
 * column. */
int nx_fr_docsize(uint32_t *len_out, sqlite3 *db, sqlite3_stmt **stmt,
                  int64_t id, int col);
/* Add a position list's entries per column to tf[0..2] (columns 3 and up
 * are not added); only column `col`'s when col >= 0.  Returns how many
 * entries were in the column(s) looked at. */
int nx_fr_pos_count(const unsigned char *p, int n, int col, int *tf);

#endif /* NX_FTS5READ_H */
