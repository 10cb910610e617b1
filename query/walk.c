/*
 * walk.c - the engine's walk (engine.c) over the fts index's doclists, a
 * unit of ENG_UNIT rowids (a bound block) at a time: the cheapest group
 * lists its rows in the block as bits, read through fts5read (a phrase's
 * from its tokens' position lists), each other group keeps those it holds
 * too, the exclusions drop theirs, and what is left goes through the
 * docinfo filters and is counted, and scored into the run (scoring.c).
 * The top walk takes the blocks of the highest bounds first; the walk in
 * rowid order after it only counts a block whose bound cannot beat the
 * score to beat (block-max).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

#define WALK_TOP 16 /* blocks of the highest bounds walked first */

/**************************************************************************
** Phrases
*/

/* Positions (column << 32 | offset) of the position list p (n bytes)
 * into e->pos_buf[k] (nx_fr_pos_list); false when there are too many to
 * check as a phrase, or (e->rc set) when the list names a column the fts
 * table does not have. */
static bool
walk_positions(eng *e, const unsigned char *p, int n, int k)
{
    int col_max,
        m = nx_fr_pos_list(e->pos_buf[k], &col_max, p, n, ENG_MAX_POSITION);

    if (col_max >= NX_FR_COLUMNS) {
        e->rc = nx_db_damaged(e->q->idx,
                              "a position list of the"
                              " fts index names column"
                              " %d",
                              col_max);
        return false;
    }
    if (m < 0)
        return false;
    e->pos_n[k] = m;
    return true;
}

static bool
walk_has_pos(const int64_t *a, int n, int64_t v)
{
    int lo = 0, hi = n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v;
}

/* Is the phrase, whose tokens all hold slot `s` of the block their
 * position lists are in (p->pos), there as a phrase: consecutive tokens in
 * one column, in p->column if set?  Its occurrences go to tf. */
static bool
walk_phrase_here(eng *e, eng_phrase *p, unsigned s, int *tf)
{
    int k, i, n_hits = 0;

    for (k = 0; k < p->n_tok; k++) {
        const nx_fr_block_pos *bp = &p->pos[k];

        if (!walk_positions(e,
                            (const unsigned char *)bp->arena.data + bp->off[s],
                            (int)bp->len[s], k)) {
            if (e->rc == SQLITE_OK)
                e->rc = SQLITE_TOOBIG; /* caught by the caller: SQL */
            return false;
        }
    }
    for (i = 0; i < e->pos_n[0]; i++) {
        int64_t v = e->pos_buf[0][i];
        int col = (int)(v >> 32);

        if (p->column >= 0 && col != p->column)
            continue;
        for (k = 1; k < p->n_tok; k++) {
            if (!walk_has_pos(e->pos_buf[k], e->pos_n[k], v + k))
                break;
        }
        if (k == p->n_tok) {
            n_hits++;
            if (col < 3)
                tf[col]++;
        }
    }
    return n_hits > 0;
}

void
nx_walk_alt_next(eng_phrase *p)
{
    int k;

    for (k = 0; k < p->n_alt; k++)
        p->alt_next[k] = nx_fr_term_block_next(p->alt[k]);
}

/* Move a prefix's rare rows on to the first unit at `unit` or after (a
 * walk goes forward only); its index, n_units at the end. */
static size_t
walk_rare_at(eng_phrase *p, int64_t unit)
{
    while (p->unit_at < p->n_units && p->units[p->unit_at] < unit)
        p->unit_at++;
    return p->unit_at;
}

/* Put a prefix's rare rows on the first unit at row `from` or after. */
static void
walk_rare_rewind(eng_phrase *p, int64_t from)
{
    size_t lo = 0, hi = p->n_units;
    int64_t unit = from >> ENG_UNIT_SHIFT;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (p->units[mid] < unit)
            lo = mid + 1;
        else
            hi = mid;
    }
    p->unit_at = lo;
}

/**************************************************************************
** Groups, block by block
**
** The walk goes one unit (ENG_UNIT rowids, a bound block) at a time:
** the cheapest group lists its matches in the block, each other group
** keeps those of them it holds too, the exclusions drop theirs; what is
** left is counted and scored from the block's docinfo in one go.
*/

static void
walk_set(uint64_t *bits, unsigned s)
{
    bits[s >> 6] |= (uint64_t)1 << (s & 63);
}

static bool
walk_none(const uint64_t *bits)
{
    int i;

    for (i = 0; i < ENG_WORDS; i++) {
        if (bits[i] != 0)
            return false;
    }
    return true;
}

/* A prefix's rows in block `lo` among `cand`: the union of its terms',
 * their occurrences added up. */
static void
walk_prefix_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                  uint64_t *out, uint32_t (*tf)[3])
{
    int64_t hi = lo + ENG_UNIT, unit = lo >> ENG_UNIT_SHIFT;
    int k, w;

    /* The rare terms' rows, read whole. */
    if (walk_rare_at(p, unit) < p->n_units && p->units[p->unit_at] == unit) {
        uint32_t j;

        for (j = p->start[p->unit_at]; j < p->start[p->unit_at + 1]; j++) {
            unsigned sl = p->rare_slot[j];
            bool is_new = !nx_walk_bit(out, sl);

            if (cand != NULL && !nx_walk_bit(cand, sl))
                continue;
            if (tf != NULL) {
                tf[sl][0] = (is_new ? 0 : tf[sl][0]) + p->rare_tf[j][0];
                tf[sl][1] = (is_new ? 0 : tf[sl][1]) + p->rare_tf[j][1];
                tf[sl][2] = (is_new ? 0 : tf[sl][2]) + p->rare_tf[j][2];
            }
            walk_set(out, sl);
        }
        p->unit_at++;
    }

    for (k = 0; k < p->n_alt && e->rc == SQLITE_OK; k++) {
        if (p->alt_next[k] >= hi)
            continue; /* nothing of this term here */
        memset(e->tmp_bits, 0, sizeof(e->tmp_bits));
        if (nx_fr_term_block(p->alt[k], lo, ENG_WORDS, cand, e->tmp_bits,
                             tf != NULL ? e->tmp_tf : NULL,
                             p->column) != SQLITE_OK)
            e->rc = SQLITE_CORRUPT;
        p->alt_next[k] = nx_fr_term_block_next(p->alt[k]);
        for (w = 0; w < ENG_WORDS; w++) {
            uint64_t m = e->tmp_bits[w];

            while (m != 0 && tf != NULL) {
                unsigned s = (unsigned)(w * 64 + __builtin_ctzll(m));
                bool is_new = !nx_walk_bit(out, s);

                m &= m - 1;
                tf[s][0] = (is_new ? 0 : tf[s][0]) + e->tmp_tf[s][0];
                tf[s][1] = (is_new ? 0 : tf[s][1]) + e->tmp_tf[s][1];
                tf[s][2] = (is_new ? 0 : tf[s][2]) + e->tmp_tf[s][2];
                walk_set(out, s);
            }
            out[w] |= e->tmp_bits[w];
        }
    }
}

/* A phrase of several words: its rows in block `lo` among `cand` (every
 * row when NULL), with their occurrences into tf when not NULL.  The
 * tokens' rows are intersected a token at a time, their position lists
 * kept, and the rows all hold are checked for the phrase. */
static void
walk_tokens_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                  uint64_t *out, uint32_t (*tf)[3])
{
    uint64_t all[ENG_WORDS], got[ENG_WORDS];
    int k, w;

    if (e->pos_buf == NULL) {
        e->pos_buf = nx_malloc(ENG_MAX_TOKENS * sizeof(*e->pos_buf));
        if (e->pos_buf == NULL) {
            e->rc = SQLITE_NOMEM;
            return;
        }
    }
    if (p->pos == NULL) {
        p->pos = nx_calloc((size_t)p->n_tok, sizeof(*p->pos));
        for (k = 0; p->pos != NULL && k < p->n_tok; k++) {
            p->pos[k].off = nx_malloc(ENG_UNIT * sizeof(*p->pos[k].off));
            p->pos[k].len = nx_malloc(ENG_UNIT * sizeof(*p->pos[k].len));
            if (p->pos[k].off == NULL || p->pos[k].len == NULL)
                break;
        }
        if (p->pos == NULL || k < p->n_tok) {
            e->rc = SQLITE_NOMEM;
            return;
        }
    }
    for (k = 0; k < p->n_tok && e->rc == SQLITE_OK; k++) {
        memset(got, 0, sizeof(got));
        if (nx_fr_term_block_pos(p->tok[k], lo, ENG_WORDS, k == 0 ? cand : all,
                                 got, &p->pos[k]) != SQLITE_OK)
            e->rc = SQLITE_CORRUPT;
        for (w = 0; w < ENG_WORDS; w++)
            all[w] = k == 0 ? got[w] : all[w] & got[w];
        if (walk_none(all))
            return; /* the others catch up in a later block */
    }
    for (w = 0; w < ENG_WORDS && e->rc == SQLITE_OK; w++) {
        uint64_t m = all[w];

        while (m != 0 && e->rc == SQLITE_OK) {
            unsigned s = (unsigned)(w * 64 + __builtin_ctzll(m));
            int c[3] = {0, 0, 0};

            m &= m - 1;
            if (!walk_phrase_here(e, p, s, c))
                continue;
            walk_set(out, s);
            if (tf != NULL) {
                tf[s][0] = (uint32_t)c[0];
                tf[s][1] = (uint32_t)c[1];
                tf[s][2] = (uint32_t)c[2];
            }
        }
    }
}

/* The rows of unit [lo, lo + ENG_UNIT) that phrase `p` holds,
 * among `cand` (every row when NULL), into `out`; for a scored phrase
 * also into its own bits, with its occurrences per column. */
static void
walk_phrase_block(eng *e, eng_phrase *p, int64_t lo, const uint64_t *cand,
                  uint64_t *out)
{
    int i = (int)(p - e->ph);
    uint32_t(*tf)[3] = i < e->n_scored && !e->is_counting ? e->ph_tf[i] : NULL;

    memset(out, 0, ENG_WORDS * sizeof(*out));
    if (p->is_empty)
        return;
    if (p->is_prefix)
        walk_prefix_block(e, p, lo, cand, out, tf);
    else if (p->n_tok == 1 && nx_fr_term_block(p->tok[0], lo, ENG_WORDS, cand,
                                               out, tf, p->column) != SQLITE_OK)
        e->rc = SQLITE_CORRUPT;
    else if (p->n_tok > 1)
        walk_tokens_block(e, p, lo, cand, out, tf);
    if (i < e->n_scored)
        memcpy(e->ph_bits[i], out, sizeof(e->ph_bits[i]));
}

/* The rows of block `lo` that group `g` holds (any of its phrases), among
 * `cand` (every row when NULL), into `out`. */
static void
walk_group_block(eng *e, eng_group *g, int64_t lo, const uint64_t *cand,
                 uint64_t *out)
{
    uint64_t got[ENG_WORDS];
    int i, w;

    memset(out, 0, ENG_WORDS * sizeof(*out));
    for (i = 0; i < g->n && e->rc == SQLITE_OK; i++) {
        walk_phrase_block(e, g->ph[i], lo, cand, got);
        for (w = 0; w < ENG_WORDS; w++)
            out[w] |= got[w];
    }
}

/* The lowest rowid at or after `from` a phrase of `g` may hold. */
static int64_t
walk_group_next(eng_group *g, int64_t from)
{
    int64_t best = ENG_EOF;
    int i, k;

    for (i = 0; i < g->n; i++) {
        eng_phrase *p = g->ph[i];
        int64_t at = ENG_EOF;

        if (p->is_empty)
            continue;
        if (p->is_prefix) {
            for (k = 0; k < p->n_alt; k++) {
                if (p->alt_next[k] < at)
                    at = p->alt_next[k];
            }
            if (walk_rare_at(p, from >> ENG_UNIT_SHIFT) < p->n_units &&
                p->units[p->unit_at] << ENG_UNIT_SHIFT < at)
                at = p->units[p->unit_at] << ENG_UNIT_SHIFT;
        } else { /* a phrase is where all its tokens are */
            at = 0;
            for (k = 0; k < p->n_tok; k++) {
                int64_t x = nx_fr_term_block_next(p->tok[k]);

                if (x > at)
                    at = x;
            }
        }
        if (at < from)
            at = from;
        if (at < best)
            best = at;
    }
    return best;
}

/**************************************************************************
** docinfo
*/

/* The docinfo block of row `id` in e->dbuf; false (e->rc set) when it
 * cannot be read.  Every row of the fts index is an item with its slot in
 * docinfo, written in the same transaction: a missing or malformed block
 * is damage. */
static bool
walk_docinfo(eng *e, int64_t id)
{
    int64_t block = id >> NX_DOCINFO_SHIFT;
    int rc;

    if (block == e->dblock)
        return e->dhas;
    e->dblock = block;
    e->dhas = false;
    rc = nx_docinfo_seek(e->q->idx, &e->dblob, block);
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return false;
    }
    /* What the query needs: the hot part, and the dates or quality and
     * heat only when it uses them. */
    rc = sqlite3_blob_read(e->dblob, e->dbuf, NX_DOCINFO_HOT_BYTES, 0);
    if (rc == SQLITE_OK && e->need_qh)
        rc = sqlite3_blob_read(e->dblob, e->dbuf + NX_DOCINFO_QUALITY_OFF,
                               NX_DOCINFO_DATE_OFF - NX_DOCINFO_QUALITY_OFF,
                               NX_DOCINFO_QUALITY_OFF);
    if (rc == SQLITE_OK && e->need_date)
        rc = sqlite3_blob_read(e->dblob, e->dbuf + NX_DOCINFO_DATE_OFF,
                               NX_DOCINFO_PROVIDER_OFF - NX_DOCINFO_DATE_OFF,
                               NX_DOCINFO_DATE_OFF);
    if (rc != SQLITE_OK) {
        e->rc = rc;
        return false;
    }
    e->dhas = true;
    return true;
}

static bool
walk_in_range(bool has, int64_t v, const nx_filter *f)
{
    if (!has)
        return false;
    return (!f->has_lo || v >= f->lo) && (!f->has_hi || v <= f->hi);
}

/* The filters answered from docinfo (slot `s`); false drops the row.  A
 * row that passes all but being unpublished counts in e->n_hidden. */
static bool
walk_keep(eng *e, unsigned s)
{
    const newsidx_query *q = e->q;
    const unsigned char *d = e->dbuf;
    unsigned flags = d[NX_DOCINFO_FLAGS_OFF + s];
    bool has_date = (flags & NX_DOC_HAS_DATE) != 0;
    bool is_hidden =
        !q->opts.include_unpublished && (flags & NX_DOC_UNPUBLISHED) != 0;
    int64_t date = 0;
    size_t i;

    if (!(flags & NX_DOC_PRESENT))
        return false;
    if (!e->need_full) {
        e->n_hidden += is_hidden;
        return !is_hidden;
    }
    if (has_date)
        date = (int64_t)nx_docinfo_u64(d + NX_DOCINFO_DATE_OFF + 8 * s);
    if ((q->opts.has_since || q->opts.has_until) &&
        !(has_date && (!q->opts.has_since || date >= q->opts.since) &&
          (!q->opts.has_until || date <= q->opts.until)))
        return false;
    for (i = 0; i < q->parsed->n_filters; i++) {
        const nx_filter *f = &q->parsed->filters[i];
        bool in;

        switch (f->kind) {
        case NX_FILTER_DATE:
            in = walk_in_range(has_date, date, f);
            break;
        case NX_FILTER_QUALITY:
            in = walk_in_range(
                (flags & NX_DOC_HAS_QUALITY) != 0,
                (int32_t)nx_docinfo_u32(d + NX_DOCINFO_QUALITY_OFF + 4 * s), f);
            break;
        case NX_FILTER_HEAT:
            in = walk_in_range(
                (flags & NX_DOC_HAS_HEAT) != 0,
                (int32_t)nx_docinfo_u32(d + NX_DOCINFO_HEAT_OFF + 4 * s), f);
            break;
        default:
            continue;
        }
        if (in == f->is_negated)
            return false;
    }
    e->n_hidden += is_hidden;
    return !is_hidden;
}

/**************************************************************************
** Walking
*/

/* Drop from `m` the slots of block `lo` an exclusion holds. */
static void
walk_exclude(eng *e, int64_t lo, uint64_t *m)
{
    uint64_t got[ENG_WORDS];
    int i, w;

    for (i = 0; i < e->n_neg && !walk_none(m); i++) {
        walk_group_block(e, &e->neg[i], lo, m, got);
        for (w = 0; w < ENG_WORDS; w++)
            m[w] &= ~got[w];
    }
}

/* The unpublished rows as bits: the rows of their tag (store.c) over the
 * ids docinfo spans, read a segment at a time by nx_fr_term_block's tight
 * loop.  (Row by row, merging the segments, this was a quarter of a
 * one-word query's instructions in a newsquery process at 100,000 items.)
 * Chunks of WALK_UNPUB_WORDS words keep the word count an int. */
#define WALK_UNPUB_WORDS (1 << 20)
static int
walk_unpub_fill(void *ctx, uint64_t **bits_out, size_t *n_words_out)
{
    eng *e = ctx;
    nx_fr_term *t = NULL;
    uint64_t *bits;
    size_t n_words, lo;
    int rc = nx_docinfo_bitmap_new(e->q->idx, &bits, &n_words);

    if (rc != SQLITE_OK)
        return rc;
    rc = nx_fr_term_open(&t, e->r, NX_TAG_UNPUBLISHED,
                         sizeof(NX_TAG_UNPUBLISHED) - 1);
    /* No iterator when no item is unpublished. */
    for (lo = 0; rc == SQLITE_OK && t != NULL && lo < n_words;
         lo += WALK_UNPUB_WORDS) {
        size_t n =
            n_words - lo < WALK_UNPUB_WORDS ? n_words - lo : WALK_UNPUB_WORDS;

        rc = nx_fr_term_block(t, (int64_t)lo * 64, (int)n, NULL, bits + lo,
                              NULL, -1);
    }
    nx_fr_term_close(t);
    if (rc != SQLITE_OK) {
        nx_free(bits);
        return rc;
    }
    *bits_out = bits;
    *n_words_out = n_words;
    return SQLITE_OK;
}

/*
 * The unpublished rows, kept by the handle until the file changes (the
 * reader has started the read transaction).  A block that is only
 * counted needs nothing else: every row of the fts index is an item.
 * (Reading the flags of every docinfo block instead cost 45 ms at a
 * million items, half of a one-word query run by newsquery.)
 */
static int
walk_unpub(eng *e)
{
    nx_rowset *set = &e->q->half->unpub;
    int rc = nx_rowset_get(e->q->idx->db, set, walk_unpub_fill, e);

    if (rc != SQLITE_OK)
        return rc;
    e->unpub = set->bits;
    e->n_unpub = set->n_words;
    e->has_unpub = true;
    return SQLITE_OK;
}

/* A count of few rows reads their unpublished rows from the tag's
 * doclist, unit by unit (a seek and the rows of one unit), instead of
 * making the bitmap of every unpublished row, which costs the same
 * whatever the query: at 3,000,000 items 57% of a rare word's newsquery
 * process.  "Few": the leading group of the leapfrog (the cheapest) holds
 * at most this many rows, so the count meets at most this many units;
 * else, or when the handle holds the bitmap already, the bitmap. */
#define WALK_UNPUB_LAZY 1024

/* The unpublished rows among the slots `m` of unit `lo` into `hidden`
 * (cleared by the caller). */
static int
walk_unpub_unit(eng *e, int64_t lo, const uint64_t *m, uint64_t *hidden)
{
    int rc = SQLITE_OK;

    if (!e->has_unpub_t) {
        /* No iterator when no item is unpublished. */
        rc = nx_fr_term_open(&e->unpub_t, e->r, NX_TAG_UNPUBLISHED,
                             sizeof(NX_TAG_UNPUBLISHED) - 1);
        e->has_unpub_t = rc == SQLITE_OK;
        e->unpub_lo = -1;
    }
    if (rc != SQLITE_OK || e->unpub_t == NULL)
        return rc;
    if (lo <= e->unpub_lo) /* units come in rising order; else anew */
        rc = nx_fr_term_rewind(e->unpub_t, lo);
    e->unpub_lo = lo;
    e->n_unpub_units++;
    return rc == SQLITE_OK ? nx_fr_term_block(e->unpub_t, lo, ENG_WORDS, m,
                                              hidden, NULL, -1)
                           : rc;
}

/* The unpublished rows among the slots `m` of unit `lo` into `hidden`:
 * read for the unit alone (walk_unpub_unit), or from the bitmap
 * (walk_unpub). */
static int
walk_hidden(eng *e, int64_t lo, const uint64_t *m, uint64_t *hidden)
{
    size_t at = (size_t)lo / 64;
    int w, rc = SQLITE_OK;

    memset(hidden, 0, ENG_WORDS * sizeof(*hidden));
    if (!e->has_unpub && e->n_req > 0 && e->req[0].cost <= WALK_UNPUB_LAZY &&
        e->n_unpub_units < WALK_UNPUB_LAZY &&
        !nx_rowset_is_current(e->q->idx->db, &e->q->half->unpub))
        return walk_unpub_unit(e, lo, m, hidden);
    if (!e->has_unpub && (rc = walk_unpub(e)) != SQLITE_OK)
        return rc;
    for (w = 0; w < ENG_WORDS && at + w < e->n_unpub; w++)
        hidden[w] = e->unpub[at + w];
    return SQLITE_OK;
}

/* Mark the rows `bits` of the word of rows from `lo` (a multiple of 64)
 * in e->marks: a row past them is damage (docinfo spans every item). */
static void
walk_mark(eng *e, int64_t lo, uint64_t bits)
{
    size_t at = (size_t)lo / 64;

    if (lo < 0 || at >= e->n_marks) {
        e->rc = nx_db_damaged(e->q->idx,
                              "item %lld of the fts index is past the"
                              " docinfo blocks",
                              (long long)(lo + __builtin_ctzll(bits)));
        return;
    }
    e->marks[at] |= bits;
}

/* Count the slots `m` of unit `lo` that are published (all with
 * --all), and the others in e->n_hidden. */
static uint64_t
walk_count_tags(eng *e, int64_t lo, const uint64_t *m)
{
    uint64_t n = 0, hidden[ENG_WORDS];
    int w, rc;

    if (e->q->opts.include_unpublished)
        memset(hidden, 0, sizeof(hidden));
    else if ((rc = walk_hidden(e, lo, m, hidden)) != SQLITE_OK) {
        e->rc = rc;
        return 0;
    }
    for (w = 0; w < ENG_WORDS; w++) {
        e->n_hidden += (uint64_t)__builtin_popcountll(m[w] & hidden[w]);
        n += (uint64_t)__builtin_popcountll(m[w] & ~hidden[w]);
        if (e->marks != NULL && (m[w] & ~hidden[w]) != 0)
            walk_mark(e, lo + 64 * w, m[w] & ~hidden[w]);
    }
    return n; /* (no self_id here: eng_open) */
}

/* The score a row must beat to enter run's best: 0 until it is full. */
static double
walk_theta(const search_run *run)
{
    return run->n_cands == run->cap && run->cap > 0 ? run->cands[0].score : 0;
}

/* Count, and score into `run` (when not NULL), the slots `m` of block
 * `lo` that pass the docinfo filters; returns how many did. */
static uint64_t
walk_take(eng *e, int64_t lo, const uint64_t *m, search_run *run)
{
    uint64_t n = 0;
    int w;

    if (run == NULL && !e->need_full) /* a count the tags settle */
        return walk_count_tags(e, lo, m);
    if (!walk_docinfo(e, lo))
        return 0;
    for (w = 0; w < ENG_WORDS; w++) {
        uint64_t bits = m[w];

        while (bits != 0) {
            unsigned u = (unsigned)(w * 64 + __builtin_ctzll(bits));
            int64_t id = lo + u;
            unsigned s = (unsigned)(id & (NX_DOCINFO_SLOTS - 1));

            bits &= bits - 1;
            if (!walk_keep(e, s) || id == e->q->self_id)
                continue;
            n++;
            if (e->marks != NULL)
                walk_mark(e, id & ~(int64_t)63, (uint64_t)1 << (id & 63));
            if (run != NULL) {
                search_cand c;

                if (e->has_row_bound && run->n_cands == run->cap &&
                    nx_scoring_row_bound(e, u) * (1.0 + 1e-9) <
                        walk_theta(run)) {
                    run->is_complete = false; /* a row left out */
                    continue;
                }
                nx_scoring_row(e, id, s, u, &c);
                nx_search_offer(run, &c);
            }
        }
    }
    return n;
}

/* The matches of the block at `lo`, scored into `run` when it is not
 * NULL (else only counted, without occurrences); returns how many. */
static uint64_t
walk_block(eng *e, int64_t lo, search_run *run)
{
    uint64_t m[ENG_WORDS], got[ENG_WORDS];
    int i, k;

    e->is_counting = run == NULL;
    for (i = 0; i < e->n_scored; i++)
        memset(e->ph_bits[i], 0, sizeof(e->ph_bits[i]));
    walk_group_block(e, &e->req[0], lo, NULL, m);
    for (k = 1; k < e->n_req && !walk_none(m); k++) {
        walk_group_block(e, &e->req[k], lo, m, got);
        for (i = 0; i < ENG_WORDS; i++)
            m[i] &= got[i];
    }
    walk_exclude(e, lo, m);
    return walk_none(m) ? 0 : walk_take(e, lo, m, run);
}

uint64_t
nx_walk_all(eng *e, search_run *run)
{
    eng_group *lead = &e->req[0];
    uint64_t n = 0;
    int64_t next = 0;

    if (e->is_void)
        return 0;
    while (e->rc == SQLITE_OK) {
        int64_t lo, b, at = walk_group_next(lead, next);
        bool score = run != NULL;

        /* The next block the cheapest group may have a match in. */
        if (at == ENG_EOF)
            break;
        lo = at & ~(int64_t)(ENG_UNIT - 1);
        next = lo + ENG_UNIT;
        b = lo >> ENG_UNIT_SHIFT;
        if (e->walked != NULL && b < e->n_blocks &&
            nx_walk_bit(e->walked, (unsigned)b))
            continue; /* counted by the top walk */
        if (score && e->block_ub != NULL && b < e->n_blocks &&
            e->block_ub[b] * (1.0 + 1e-9) < walk_theta(run)) {
            score = false;
            run->is_complete = false; /* rows left out */
            e->n_counted_only++;
        }
        if (score && e->block_ub != NULL)
            e->n_blocks_scored++;
        n += walk_block(e, lo, score ? run : NULL);
    }
    return n;
}

/* Put the iterators of every phrase back on their first rows at `from`
 * or after, for a new walk from there: a walk moves them forward only. */
static void
walk_rewind(eng *e, int64_t from)
{
    int i, k;

    for (i = 0; i < e->n_ph && e->rc == SQLITE_OK; i++) {
        eng_phrase *p = &e->ph[i];
        int n = p->is_prefix ? p->n_alt : p->n_tok;
        nx_fr_term **its = p->is_prefix ? p->alt : p->tok;

        for (k = 0; k < n && e->rc == SQLITE_OK; k++) {
            if (its[k] != NULL && nx_fr_term_rewind(its[k], from) != SQLITE_OK)
                e->rc = SQLITE_CORRUPT;
        }
        if (p->is_prefix) {
            nx_walk_alt_next(p);
            walk_rare_rewind(p, from);
        }
    }
}

static int
walk_cmp_block(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

void
nx_walk_top(eng *e, search_run *run)
{
    int64_t top[WALK_TOP], b;
    double top_ub[WALK_TOP];
    int n = 0, i;

    if (e->is_void) /* a required part matches nothing (nx_walk_all) */
        return;
    e->walked = nx_calloc((size_t)e->n_blocks / 64 + 1, sizeof(*e->walked));
    if (e->walked == NULL) {
        e->rc = SQLITE_NOMEM;
        return;
    }
    for (b = 0; b < e->n_blocks; b++) { /* the best WALK_TOP, by insertion */
        double ub = e->block_ub[b];

        if (ub <= 0 || (n == WALK_TOP && ub <= top_ub[n - 1]))
            continue;
        i = n < WALK_TOP ? n++ : n - 1;
        for (; i > 0 && top_ub[i - 1] < ub; i--) {
            top_ub[i] = top_ub[i - 1];
            top[i] = top[i - 1];
        }
        top_ub[i] = ub;
        top[i] = b;
    }
    if (n == 0)
        return;
    qsort(top, (size_t)n, sizeof(*top), walk_cmp_block);
    walk_rewind(e, top[0] << ENG_UNIT_SHIFT);
    for (i = 0; i < n && e->rc == SQLITE_OK; i++) {
        e->n_walked_rows += walk_block(e, top[i] << ENG_UNIT_SHIFT, run);
        walk_set(e->walked, (unsigned)top[i]);
    }
    e->n_walked += (uint64_t)n;
    walk_rewind(e, 0);
}
