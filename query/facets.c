/*
 * facets.c - a query's matches counted by topic, provider and year
 * (newsidx_results_facet), from compact per-item values, never from the
 * items' own rows.
 *
 * The matches of each file are marked first, a bit per item id (the
 * engine's walk, or SQL when it declines the query: the same matches as
 * the total).  Then, for each kind asked for:
 * - years and providers come from the docinfo blocks: for each block
 *   holding a match, the flags, the dates and the provider ids of its
 *   slots (docs/schema.md);
 * - topics come from the fts index's topic tags (NX_TAG_TOPIC and the
 *   topic id, one per topic of an item): each topic's rows, read through
 *   the FTS5 storage reader where the marks are set, counted.  With few
 *   matches, or without the reader, each match's item_topics rows are
 *   read instead.
 * Every match counts, also one that collapsing folds into another hit,
 * and a topic's spellings of one key count an item once.  The values and
 * their order are those of the SQL that defined the facets before
 * (tests/cli/T660 compares them with a walk over every match): a topic
 * key shows the least of its names among the matches, a provider name
 * groups its rows (one per name and domain), and a year is what SQLite's
 * strftime('%Y', published_at, 'unixepoch') writes.  Over several files
 * each file is counted so and facets_combine adds them up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "results.h"

/* Topics are counted from item_topics rows, a match at a time, when the
 * matches are fewer than the topic tags' rows over this. */
#define FACETS_FEW_RATIO 64
/* Rows of a topic's tag read at a time (words of 64): from the least to
 * the most (facets_tag_rows). */
#define FACETS_CHUNK_MIN 64
#define FACETS_CHUNK     1024
/* Topic tags opened at once (each iterator holds a leaf per segment). */
#define FACETS_TAGS_AT_ONCE 256

/* A failure of SQLite code rc while counting as a status. */
static int
facets_status(newsidx_query *q, int rc, newsidx_error *err)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE)
        return NEWSIDX_OK;
    if (rc == SQLITE_NOMEM)
        return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    return nx_db_error(q->idx, rc, "cannot count facets", err);
}

/* The year of Unix time t as SQLite computes it, into *out; false where
 * SQLite's strftime gives NULL. */
static bool
facets_year(int64_t t, int *out)
{
    int64_t jd;
    int z, a, b, c, d, e, m;

    /* SQLite's 'unixepoch' takes times from Julian day 0 to the end of
     * 9999; its strftime is NULL outside. */
    if (t < -210866760000LL || t > 253402300799LL)
        return false;
    jd = t * 1000 + 210866760000000LL;
    /* computeYMD of SQLite's date.c (public domain), as it is. */
    z = (int)((jd + 43200000) / 86400000);
    a = (int)((z - 1867216.25) / 36524.25);
    a = z + 1 + a - (a / 4);
    b = a + 1524;
    c = (int)((b - 122.1) / 365.25);
    d = (36525 * (c & 32767)) / 100;
    e = (int)((b - d) / 30.6001);
    m = e < 14 ? e - 1 : e - 13;
    *out = m > 2 ? c - 4716 : c - 4715;
    return true;
}

bool
nx_sqlite_year(int64_t t, char *out, size_t size)
{
    int y;

    if (!facets_year(t, &y))
        return false;
    snprintf(out, size, "%04d", y); /* as strftime's %Y */
    return true;
}

/**************************************************************************
** Counts by a 64-bit key
*/

typedef struct facets_tally {
    uint64_t *key;
    uint64_t *count; /* 0 = an empty slot */
    size_t mask, n;
} facets_tally;

static void
facets_tally_free(facets_tally *t)
{
    nx_free(t->key);
    nx_free(t->count);
    memset(t, 0, sizeof(*t));
}

static bool
facets_tally_grow(facets_tally *t)
{
    facets_tally g;
    size_t slots = t->mask ? 2 * (t->mask + 1) : 64, i;

    memset(&g, 0, sizeof(g));
    g.key = nx_malloc(slots * sizeof(*g.key));
    g.count = nx_calloc(slots, sizeof(*g.count));
    if (g.key == NULL || g.count == NULL) {
        facets_tally_free(&g);
        return false;
    }
    g.mask = slots - 1;
    for (i = 0; t->mask != 0 && i <= t->mask; i++) {
        size_t j;

        if (t->count[i] == 0)
            continue;
        j = (size_t)(t->key[i] * 0x9e3779b97f4a7c15ULL >> 32) & g.mask;
        while (g.count[j] != 0)
            j = (j + 1) & g.mask;
        g.key[j] = t->key[i];
        g.count[j] = t->count[i];
    }
    g.n = t->n;
    facets_tally_free(t);
    *t = g;
    return true;
}

/* Add n to key k's count; false when out of memory. */
static bool
facets_tally_add(facets_tally *t, uint64_t k, uint64_t n)
{
    size_t i;

    if ((t->n + 1) * 2 > t->mask + 1 && !facets_tally_grow(t))
        return false;
    i = (size_t)(k * 0x9e3779b97f4a7c15ULL >> 32) & t->mask;
    while (t->count[i] != 0 && t->key[i] != k)
        i = (i + 1) & t->mask;
    if (t->count[i] == 0) {
        t->key[i] = k;
        t->n++;
    }
    t->count[i] += n;
    return true;
}

/* Key k's count, 0 when it has none. */
static uint64_t
facets_tally_get(const facets_tally *t, uint64_t k)
{
    size_t i;

    if (t->mask == 0)
        return 0;
    i = (size_t)(k * 0x9e3779b97f4a7c15ULL >> 32) & t->mask;
    while (t->count[i] != 0 && t->key[i] != k)
        i = (i + 1) & t->mask;
    return t->count[i];
}

/**************************************************************************
** The output
*/

/* Append a facet value; false when out of memory.  `key`: the topic key
 * over several files (NULL otherwise). */
static bool
facets_put(newsidx_results *r, unsigned kind, const char *value,
           const char *key, uint64_t count)
{
    nx_facet *grown = nx_realloc(r->facets, (r->n_facets + 1) * sizeof(*grown));
    nx_facet *f;

    if (grown == NULL)
        return false;
    r->facets = grown;
    f = &grown[r->n_facets];
    f->kind = kind;
    f->count = count;
    f->key = NULL;
    f->value = nx_strdup(value);
    if (f->value == NULL)
        return false;
    r->n_facets++;
    return key == NULL || (f->key = nx_strdup(key)) != NULL;
}

/* Facet values by value, for adding up those of several files. */
static int
facet_by_value(const void *a, const void *b)
{
    return strcmp(((const nx_facet *)a)->value, ((const nx_facet *)b)->value);
}

/* By what one index groups them by: the key, else the value. */
static const char *
facet_key(const nx_facet *f)
{
    return f->key != NULL ? f->key : f->value;
}

static int
facet_by_key(const void *a, const void *b)
{
    return strcmp(facet_key(a), facet_key(b));
}

/* The most frequent first, then by value. */
static int
facet_by_count(const void *a, const void *b)
{
    const nx_facet *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Years, the latest first. */
static int
facet_by_year(const void *a, const void *b)
{
    return -facet_by_value(a, b);
}

/* Facets `f[0..*n)` as one list: each key once, with the counts added up
 * and the least of its values shown (a topic key shows min(name) of its
 * spellings), in the order of the kind: for several files, and for the
 * provider rows of one name. */
static void
facets_combine(nx_facet *f, size_t *n, unsigned kind)
{
    size_t i, k = 0;

    if (*n > 1) {
        qsort(f, *n, sizeof(*f), facet_by_key);
        for (i = 0; i < *n; i++) {
            if (k > 0 && strcmp(facet_key(&f[k - 1]), facet_key(&f[i])) == 0) {
                nx_facet *head = &f[k - 1];
                char *drop = f[i].value;

                head->count += f[i].count;
                if (strcmp(f[i].value, head->value) < 0) {
                    drop = head->value;
                    head->value = f[i].value;
                }
                nx_free(drop);
                nx_free(f[i].key);
                continue;
            }
            f[k++] = f[i];
        }
        *n = k;
    }
    if (*n > 1) /* (f may be NULL with none: no qsort of NULL) */
        qsort(f, *n, sizeof(*f),
              kind == NEWSIDX_FACET_YEAR ? facet_by_year : facet_by_count);
}

/**************************************************************************
** The matches
*/

/* One file's matches as bits by item id, and how many. */
typedef struct facets_set {
    uint64_t *bits;
    size_t n_words;
    uint64_t n;
} facets_set;

/**************************************************************************
** Years and providers, from docinfo
*/

/* Counts kept in an array for the common values (FACETS_DENSE years from
 * FACETS_YEAR0, provider ids below FACETS_DENSE), in a tally for the
 * others. */
#define FACETS_DENSE 4096
#define FACETS_YEAR0 1900

/* The value of slot s for kind `kind` into *key: a year (INT64_MIN for a
 * date SQLite cannot show), a provider id; false for none. */
static bool
facets_slot(unsigned kind, const unsigned char *flags,
            const unsigned char *values, unsigned s, uint64_t *key)
{
    int y;

    if (kind == NEWSIDX_FACET_YEAR) {
        if (!(flags[s] & NX_DOC_HAS_DATE))
            return false;
        *key = facets_year((int64_t)nx_docinfo_u64(values + 8 * s), &y)
                   ? (uint64_t)(int64_t)y
                   : (uint64_t)INT64_MIN;
        return true;
    }
    *key = nx_docinfo_u32(values + 4 * s);
    return (flags[s] & NX_DOC_PRESENT) && *key != 0;
}

/* The years or providers (`kind`) of the matches, from their docinfo
 * slots, into `tally` (by year or provider id). */
static int
facets_docinfo(const facets_set *set, newsidx_query *q, unsigned kind,
               facets_tally *tally, newsidx_error *err)
{
    unsigned char flags[NX_DOCINFO_SLOTS], values[8 * NX_DOCINFO_SLOTS];
    const size_t per_block = NX_DOCINFO_SLOTS / 64;
    bool is_year = kind == NEWSIDX_FACET_YEAR;
    int64_t base = is_year ? FACETS_YEAR0 : 0;
    uint64_t *dense = nx_calloc(FACETS_DENSE, sizeof(*dense));
    sqlite3_blob *blob = NULL;
    size_t b, w;
    int rc = dense != NULL ? SQLITE_OK : SQLITE_NOMEM;

    for (b = 0; b * per_block < set->n_words && rc == SQLITE_OK; b++) {
        const uint64_t *m = set->bits + b * per_block;

        for (w = 0; w < per_block && m[w] == 0; w++)
            ;
        if (w == per_block)
            continue;
        rc = nx_docinfo_seek(q->idx, &blob, (int64_t)b);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(blob, flags, sizeof(flags),
                                   NX_DOCINFO_FLAGS_OFF);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(
                blob, values,
                is_year ? 8 * NX_DOCINFO_SLOTS : 4 * NX_DOCINFO_SLOTS,
                is_year ? NX_DOCINFO_DATE_OFF : NX_DOCINFO_PROVIDER_OFF);
        for (w = 0; w < per_block && rc == SQLITE_OK; w++) {
            uint64_t bits = m[w], k;

            while (bits != 0 && rc == SQLITE_OK) {
                unsigned s = (unsigned)(w * 64 + (size_t)__builtin_ctzll(bits));

                bits &= bits - 1;
                if (!facets_slot(kind, flags, values, s, &k))
                    continue;
                /* The common values in an array, the others tallied. */
                if ((int64_t)k >= base && (int64_t)k < base + FACETS_DENSE)
                    dense[(int64_t)k - base]++;
                else if (!facets_tally_add(tally, k, 1))
                    rc = SQLITE_NOMEM;
            }
        }
    }
    for (w = 0; rc == SQLITE_OK && dense != NULL && w < FACETS_DENSE; w++) {
        if (dense[w] != 0 &&
            !facets_tally_add(tally, (uint64_t)(int64_t)(base + (int64_t)w),
                              dense[w]))
            rc = SQLITE_NOMEM;
    }
    nx_free(dense);
    sqlite3_blob_close(blob);
    return facets_status(q, rc, err);
}

/* The year facets from the tally, into r. */
static int
facets_put_years(newsidx_results *r, const facets_tally *years,
                 newsidx_error *err)
{
    size_t i;

    for (i = 0; years->mask != 0 && i <= years->mask; i++) {
        char y[32] = "";

        if (years->count[i] == 0)
            continue;
        if (years->key[i] != (uint64_t)INT64_MIN)
            snprintf(y, sizeof(y), "%04lld", (long long)years->key[i]);
        if (!facets_put(r, NEWSIDX_FACET_YEAR, y, NULL, years->count[i]))
            return nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    return NEWSIDX_OK;
}

/* The provider facets: each provider row counted, by its name. */
static int
facets_put_providers(newsidx_results *r, newsidx_query *q,
                     const facets_tally *providers, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(q->idx->db, "SELECT id, name FROM providers",
                                -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return nx_db_error(q->idx, rc, "cannot count facets", err);
    while (providers->n > 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(stmt, 0);
        const char *name = (const char *)sqlite3_column_text(stmt, 1);
        uint64_t n = id > 0 && id <= UINT32_MAX
                         ? facets_tally_get(providers, (uint64_t)id)
                         : 0;

        if (n > 0 &&
            !facets_put(r, NEWSIDX_FACET_PROVIDER, name ? name : "", NULL, n)) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(stmt);
    return facets_status(q, rc, err);
}

/**************************************************************************
** Topics
*/

/* The topics table, sorted by key (then id): a key's topics are next to
 * each other. */
typedef struct facets_topic {
    int64_t id;
    char *name, *key;
    size_t group;   /* the index of its key's first topic */
    uint64_t count; /* matches holding it (0 or more for a key's other
                       topics: it is shown if it met one) */
    uint64_t total; /* a key's first topic: the matches holding any of
                       the key's topics */
} facets_topic;

typedef struct facets_id {
    int64_t id;
    size_t at; /* in facets_topics.t */
} facets_id;

typedef struct facets_topics {
    facets_topic *t;
    size_t n;
    facets_id *by_id; /* sorted by id */
} facets_topics;

static void
facets_topics_free(facets_topics *ts)
{
    size_t i;

    for (i = 0; i < ts->n; i++) {
        nx_free(ts->t[i].name);
        nx_free(ts->t[i].key);
    }
    nx_free(ts->t);
    nx_free(ts->by_id);
    memset(ts, 0, sizeof(*ts));
}

static int
facets_topic_by_key(const void *a, const void *b)
{
    const facets_topic *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

static int
facets_by_id(const void *a, const void *b)
{
    int64_t x = ((const facets_id *)a)->id, y = ((const facets_id *)b)->id;

    return (x > y) - (x < y);
}

static int
facets_topics_load(facets_topics *ts, newsidx_query *q, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    size_t cap = 0, i;
    int rc = sqlite3_prepare_v2(q->idx->db, "SELECT id, name, key FROM topics",
                                -1, &stmt, NULL);

    memset(ts, 0, sizeof(*ts));
    if (rc != SQLITE_OK)
        return nx_db_error(q->idx, rc, "cannot count facets", err);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(stmt, 1);
        const char *key = (const char *)sqlite3_column_text(stmt, 2);
        facets_topic *t;

        if (ts->n == cap) {
            facets_topic *grown;

            cap = cap ? 2 * cap : 64;
            grown = nx_realloc(ts->t, cap * sizeof(*grown));
            if (grown == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ts->t = grown;
        }
        t = &ts->t[ts->n];
        memset(t, 0, sizeof(*t));
        t->id = sqlite3_column_int64(stmt, 0);
        t->name = nx_strdup(name ? name : "");
        t->key = nx_strdup(key ? key : "");
        ts->n++;
        if (t->name == NULL || t->key == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE) {
        if (ts->n > 1)
            qsort(ts->t, ts->n, sizeof(*ts->t), facets_topic_by_key);
        ts->by_id = nx_malloc((ts->n + 1) * sizeof(*ts->by_id));
        rc = ts->by_id != NULL ? SQLITE_OK : SQLITE_NOMEM;
    }
    for (i = 0; rc == SQLITE_OK && i < ts->n; i++) {
        ts->t[i].group = i > 0 && strcmp(ts->t[i].key, ts->t[i - 1].key) == 0
                             ? ts->t[i - 1].group
                             : i;
        ts->by_id[i].id = ts->t[i].id;
        ts->by_id[i].at = i;
    }
    if (rc == SQLITE_OK) {
        qsort(ts->by_id, ts->n, sizeof(*ts->by_id), facets_by_id);
        return NEWSIDX_OK;
    }
    facets_topics_free(ts);
    return facets_status(q, rc, err);
}

/* The topic of id `id`, or NULL. */
static facets_topic *
facets_topic_of(facets_topics *ts, int64_t id)
{
    size_t lo = 0, hi = ts->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t v = ts->by_id[mid].id;

        if (v == id)
            return &ts->t[ts->by_id[mid].at];
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The rows of a topic's tag (iterator `it`, NULL for none) among the
 * marks: their number into *n, and OR-ed into `into` (a bitmap of
 * set->n_words words) when it is not NULL, words [*lo_w, *hi_w) of it
 * touched.  Read a chunk at a time: a small one after a jump (a sparse
 * tag costs its rows, not the collection), growing while the rows come
 * close together. */
static int
facets_tag_rows(nx_fr_term *it, const facets_set *set, uint64_t *into,
                uint64_t *n, size_t *lo_w, size_t *hi_w)
{
    uint64_t buf[FACETS_CHUNK];
    int64_t lo, end = (int64_t)set->n_words * 64;
    size_t chunk = FACETS_CHUNK_MIN;
    int rc = SQLITE_OK;

    *n = 0;
    if (it == NULL)
        return SQLITE_OK; /* no item has the topic */
    lo = nx_fr_term_block_next(it);
    while (rc == SQLITE_OK && lo >= 0 && lo < end) {
        size_t at = (size_t)lo / 64, w,
               n_words = set->n_words - at < chunk ? set->n_words - at : chunk;
        int64_t next;

        lo = (int64_t)at * 64;
        memset(buf, 0, n_words * sizeof(*buf));
        rc = nx_fr_term_block(it, lo, (int)n_words, set->bits + at, buf, NULL,
                              -1);
        for (w = 0; rc == SQLITE_OK && w < n_words; w++) {
            *n += (uint64_t)__builtin_popcountll(buf[w]);
            if (into != NULL)
                into[at + w] |= buf[w];
        }
        if (into != NULL) {
            *lo_w = at < *lo_w ? at : *lo_w;
            *hi_w = at + n_words > *hi_w ? at + n_words : *hi_w;
        }
        next = nx_fr_term_block_next(it);
        if (next < lo + 64 * (int64_t)(n_words + chunk)) {
            chunk = chunk < FACETS_CHUNK ? 2 * chunk : FACETS_CHUNK;
        } else {
            chunk = FACETS_CHUNK_MIN;
        }
        lo = next > lo + 64 * (int64_t)n_words ? next
                                               : lo + 64 * (int64_t)n_words;
    }
    return rc;
}

/* A topic's tag, for opening the tags in FTS5's order. */
typedef struct facets_tag {
    char text[32];
    size_t len;
    size_t at; /* the topic, in facets_topics.t */
} facets_tag;

static int
facets_tag_cmp(const void *a, const void *b)
{
    const facets_tag *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* An iterator on the tag of each topic t[from .. to), its[k - from] for
 * topic k (NULL for a tag no row holds): opened together, in FTS5's
 * order, so that a leaf that holds several tags is read once. */
static int
facets_tags_open(const facets_topics *ts, size_t from, size_t to, nx_fr *reader,
                 nx_fr_term **its)
{
    size_t n_t = to - from;
    facets_tag *tags = nx_calloc(n_t + 1, sizeof(*tags));
    const char **texts = nx_calloc(n_t + 1, sizeof(*texts));
    size_t *lens = nx_calloc(n_t + 1, sizeof(*lens));
    nx_fr_term **sorted = nx_calloc(n_t + 1, sizeof(*sorted));
    size_t i, n = 0;
    int rc = SQLITE_OK;

    if (tags == NULL || texts == NULL || lens == NULL || sorted == NULL)
        rc = SQLITE_NOMEM;
    for (i = 0; rc == SQLITE_OK && i < n_t; i++) {
        tags[i].len =
            (size_t)snprintf(tags[i].text, sizeof(tags[i].text), "%s%lld",
                             NX_TAG_TOPIC, (long long)ts->t[from + i].id);
        tags[i].at = i;
    }
    if (rc == SQLITE_OK)
        qsort(tags, n_t, sizeof(*tags), facets_tag_cmp);
    /* Distinct terms (two topics of one id would be damage; each gets
     * its own iterator then). */
    for (i = 0; rc == SQLITE_OK && i < n_t; i++) {
        if (n > 0 && facets_tag_cmp(&tags[i], &tags[i - 1]) == 0)
            continue;
        texts[n] = tags[i].text;
        lens[n++] = tags[i].len;
    }
    if (rc == SQLITE_OK && n > 0)
        rc = nx_fr_terms_open(reader, (int)n, texts, lens, sorted);
    for (i = 0, n = 0; rc == SQLITE_OK && i < n_t; i++) {
        if (i > 0 && facets_tag_cmp(&tags[i], &tags[i - 1]) == 0)
            rc = nx_fr_term_open(&its[tags[i].at], reader, tags[i].text,
                                 tags[i].len);
        else
            its[tags[i].at] = sorted[n++];
    }
    nx_free(tags);
    nx_free(texts);
    nx_free(lens);
    nx_free(sorted);
    return rc;
}

/* Count the keys of topics t[from .. to) (whole keys) from their tags:
 * a key of one topic counts its rows among the marks, a key of several
 * the union of theirs (in `scratch`, cleared where it was touched). */
static int
facets_tags_count(facets_topics *ts, size_t from, size_t to, nx_fr_term **its,
                  const facets_set *set, uint64_t **scratch)
{
    size_t i, j, k;
    int rc = SQLITE_OK;

    for (i = from; i < to && rc == SQLITE_OK; i = j) {
        size_t lo_w = SIZE_MAX, hi_w = 0;
        bool is_group;

        for (j = i + 1; j < to && ts->t[j].group == i; j++)
            ;
        is_group = j - i > 1;
        if (is_group && *scratch == NULL &&
            (*scratch = nx_calloc(set->n_words + 1, sizeof(**scratch))) == NULL)
            return SQLITE_NOMEM;
        for (k = i; k < j && rc == SQLITE_OK; k++)
            rc = facets_tag_rows(its[k - from], set, is_group ? *scratch : NULL,
                                 &ts->t[k].count, &lo_w, &hi_w);
        ts->t[i].total = ts->t[i].count;
        if (!is_group || rc != SQLITE_OK)
            continue;
        ts->t[i].total = 0;
        for (k = lo_w; k < hi_w; k++) {
            ts->t[i].total += (uint64_t)__builtin_popcountll((*scratch)[k]);
            (*scratch)[k] = 0;
        }
    }
    return rc;
}

/* Each key's matches, from its topics' tags, FACETS_TAGS_AT_ONCE topics
 * (and the rest of the last one's key) at a time. */
static int
facets_topics_by_tags(facets_topics *ts, nx_fr *reader, const facets_set *set)
{
    uint64_t *scratch = NULL;
    nx_fr_term **its = NULL;
    size_t from, to, k;
    int rc = SQLITE_OK;

    for (from = 0; from < ts->n && rc == SQLITE_OK; from = to) {
        to = ts->n - from > FACETS_TAGS_AT_ONCE ? from + FACETS_TAGS_AT_ONCE
                                                : ts->n;
        while (to < ts->n && ts->t[to].group != to)
            to++; /* a key's topics together */
        nx_free(its);
        its = nx_calloc(to - from + 1, sizeof(*its));
        rc = its != NULL ? facets_tags_open(ts, from, to, reader, its)
                         : SQLITE_NOMEM;
        if (rc == SQLITE_OK)
            rc = facets_tags_count(ts, from, to, its, set, &scratch);
        for (k = 0; its != NULL && k < to - from; k++)
            nx_fr_term_close(its[k]);
    }
    nx_free(its);
    nx_free(scratch);
    return rc;
}

/* Each key's matches, from the item_topics rows of each match: for few
 * matches, or without the storage reader. */
static int
facets_topics_by_rows(facets_topics *ts, newsidx_query *q,
                      const facets_set *set, newsidx_error *err)
{
    sqlite3_stmt *stmt;
    size_t w, *seen = NULL, n_seen, cap_seen = 0;
    int rc = sqlite3_prepare_v2(
        q->idx->db, "SELECT topic_id FROM item_topics WHERE item_id = ?", -1,
        &stmt, NULL);

    for (w = 0; rc == SQLITE_OK && w < set->n_words; w++) {
        uint64_t bits = set->bits[w];

        while (bits != 0 && rc == SQLITE_OK) {
            int64_t id = (int64_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            size_t k;

            bits &= bits - 1;
            n_seen = 0;
            sqlite3_reset(stmt);
            sqlite3_bind_int64(stmt, 1, id);
            while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                facets_topic *t =
                    facets_topic_of(ts, sqlite3_column_int64(stmt, 0));

                if (t == NULL)
                    continue; /* no such topic: the join drops it */
                t->count++;
                for (k = 0; k < n_seen && seen[k] != t->group; k++)
                    ;
                if (k < n_seen)
                    continue; /* the key is counted for this item */
                if (n_seen == cap_seen) {
                    size_t *grown;

                    cap_seen = cap_seen ? 2 * cap_seen : 16;
                    grown = nx_realloc(seen, cap_seen * sizeof(*seen));
                    if (grown == NULL) {
                        rc = SQLITE_NOMEM;
                        break;
                    }
                    seen = grown;
                }
                seen[n_seen++] = t->group;
                ts->t[t->group].total++;
            }
            if (rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(stmt);
    nx_free(seen);
    return facets_status(q, rc, err);
}

/* The rows of every topic tag, from the terms table: what counting by
 * tags reads. */
static int
facets_tag_rows_total(newsidx_query *q, int64_t *out)
{
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2(
        q->idx->db,
        "SELECT total(df) FROM terms WHERE term >= ?1 AND term < ?1 || 'z'", -1,
        &stmt, NULL);

    *out = 0;
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(stmt, 1, NX_TAG_TOPIC, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        double v = sqlite3_column_double(stmt, 0);

        *out = v > 0 && v < 9e18 ? (int64_t)v : 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* The topic facets of one file's matches, into r. */
static int
facets_topics_count(newsidx_results *r, newsidx_query *q, const facets_set *set,
                    bool is_keyed, newsidx_error *err)
{
    facets_topics ts;
    nx_fr *reader = NULL;
    int64_t tag_rows = 0;
    size_t i, k;
    int rc = facets_topics_load(&ts, q, err);

    if (rc != NEWSIDX_OK)
        return rc;
    if (set->n > 0 && ts.n > 0)
        rc = nx_fr_open(&reader, q->idx->db, err);
    if (rc == NEWSIDX_OK && reader != NULL)
        rc = facets_status(q, facets_tag_rows_total(q, &tag_rows), err);
    if (rc == NEWSIDX_OK && set->n > 0 && ts.n > 0) {
        if (reader != NULL &&
            set->n > (uint64_t)(tag_rows / FACETS_FEW_RATIO)) {
            int src = facets_topics_by_tags(&ts, reader, set);

            if (src == SQLITE_NOMEM)
                rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
            else if (src != SQLITE_OK &&
                     (rc = nx_fr_error(reader, err)) == NEWSIDX_OK)
                rc = nx_db_error(q->idx, src, "cannot count facets", err);
        } else {
            rc = facets_topics_by_rows(&ts, q, set, err);
        }
    }
    nx_fr_close(reader);
    for (i = 0; rc == NEWSIDX_OK && i < ts.n; i++) {
        const char *name = NULL;

        if (ts.t[i].group != i || ts.t[i].total == 0)
            continue;
        /* The least name of the key's topics the matches hold. */
        for (k = i; k < ts.n && ts.t[k].group == i; k++) {
            if (ts.t[k].count > 0 &&
                (name == NULL || strcmp(ts.t[k].name, name) < 0))
                name = ts.t[k].name;
        }
        if (!facets_put(r, NEWSIDX_FACET_TOPIC, name ? name : "",
                        is_keyed ? ts.t[i].key : NULL, ts.t[i].total))
            rc = nx_fail(err, NEWSIDX_NOMEM, "out of memory");
    }
    facets_topics_free(&ts);
    return rc;
}

/**************************************************************************
** All of them
*/

/* The facets of kind `kind` of file m's matches, into r. */
static int
facets_member(newsidx_results *r, newsidx_query *qm, const facets_set *set,
              unsigned kind, bool is_several, newsidx_error *err)
{
    facets_tally tally;
    int rc;

    if (kind == NEWSIDX_FACET_TOPIC)
        return facets_topics_count(r, qm, set, is_several, err);
    memset(&tally, 0, sizeof(tally));
    rc = facets_docinfo(set, qm, kind, &tally, err);
    if (rc == NEWSIDX_OK)
        rc = kind == NEWSIDX_FACET_YEAR
                 ? facets_put_years(r, &tally, err)
                 : facets_put_providers(r, qm, &tally, err);
    facets_tally_free(&tally);
    return rc;
}

int
nx_facets_count(newsidx_results *r, newsidx_error *err)
{
    static const unsigned kinds[3] = {
        NEWSIDX_FACET_TOPIC, NEWSIDX_FACET_PROVIDER, NEWSIDX_FACET_YEAR};
    size_t k, m, n = 1 + r->q->n_peers;
    facets_set *sets = nx_calloc(n, sizeof(*sets));
    int rc = sets != NULL ? NEWSIDX_OK
                          : nx_fail(err, NEWSIDX_NOMEM, "out of memory");

    for (m = 0; m < n && rc == NEWSIDX_OK; m++)
        rc = nx_search_marks(&sets[m].bits, &sets[m].n_words, &sets[m].n,
                             nx_query_member(r->q, m), err);
    for (k = 0; k < 3 && rc == NEWSIDX_OK; k++) {
        if (!(r->q->opts.facets & kinds[k]))
            continue;
        r->facet_kind[k] = kinds[k];
        r->facet_start[k] = r->n_facets;
        for (m = 0; m < n && rc == NEWSIDX_OK; m++)
            rc = facets_member(r, nx_query_member(r->q, m), &sets[m], kinds[k],
                               n > 1, err);
        r->facet_n[k] = r->n_facets - r->facet_start[k];
        /* Provider rows of one name are one value (and, over several
         * files, each file's of a value).  (None: r->facets may be NULL.) */
        if (r->facet_n[k] > 0)
            facets_combine(r->facets + r->facet_start[k], &r->facet_n[k],
                           kinds[k]);
        r->n_facets = r->facet_start[k] + r->facet_n[k];
    }
    for (m = 0; sets != NULL && m < n; m++)
        nx_free(sets[m].bits);
    nx_free(sets);
    return rc;
}
