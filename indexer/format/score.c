/*
 * score.c - the ranking formula, in one place (docs/ranking.md):
 *
 *   score = bm25f x prior factor x freshness
 *
 * BM25F's per-column saturation and idf, the quality/heat prior and its
 * levels, freshness, the stored bound of a token in an item, and the sort
 * key.  Every scorer calls these: the query engine (query/scoring.c), the
 * SQL fallback's nx_bm25f (query/rank.c) and its scan (query/search.c),
 * and the bounds the indexer stores (bounds.c), so they cannot drift
 * apart.  Pure arithmetic: no SQLite, no I/O.
 */
#include <math.h>

#include "format.h"

/* The least freshness factor, however far an item is from the reference
 * date (docs/ranking.md). */
#define SCORE_FRESH_FLOOR 0.1

/* Lucene's idf: always positive, so common terms still count. */
double
nx_rank_idf(int64_t n_rows, int64_t n)
{
    return log(1.0 + ((double)n_rows - (double)n + 0.5) / ((double)n + 0.5));
}

double
nx_rank_sat(double tf, double len, double avg)
{
    double norm = 1.0 - NX_BM25_B + NX_BM25_B * (avg > 0 ? len / avg : 1.0);

    return tf * (NX_BM25_K1 + 1.0) / (tf + NX_BM25_K1 * norm);
}

double
nx_score_text(const double *w, const uint32_t *tf, const uint32_t *len,
              const double *avg)
{
    double v = 0;
    int c;

    for (c = 0; c < NX_SCORE_COLUMNS; c++) {
        if (tf[c] > 0)
            v += w[c] * nx_rank_sat(tf[c], len[c], avg[c]);
    }
    return v;
}

double
nx_prior_part(bool has, int64_t v, double top)
{
    if (!has || v < 0)
        return 0.5;
    if ((double)v >= top)
        return 1.0;
    return log1p((double)v) / log1p(top);
}

int
nx_prior_level_of(bool has_q, int64_t q, bool has_h, int64_t h)
{
    double pq = nx_prior_part(has_q, q, NX_PRIOR_QUALITY_TOP);
    double ph = nx_prior_part(has_h, h, NX_PRIOR_HEAT_TOP);
    int level = (int)lround((pq + ph) / 2.0 * (NX_PRIOR_LEVELS - 1));

    return level < 0                  ? 0
           : level >= NX_PRIOR_LEVELS ? NX_PRIOR_LEVELS - 1
                                      : level;
}

double
nx_rank_prior(const nx_weights *w, bool has_q, int64_t q, bool has_h, int64_t h)
{
    double sum = w->quality + w->heat;

    if (sum <= 0)
        return 0.5;
    return (w->quality * nx_prior_part(has_q, q, NX_PRIOR_QUALITY_TOP) +
            w->heat * nx_prior_part(has_h, h, NX_PRIOR_HEAT_TOP)) /
           sum;
}

double
nx_score_prior_factor(double strength, double prior)
{
    return 1.0 + strength * (2.0 * prior - 1.0);
}

double
nx_rank_prior_factor(const nx_weights *w, double prior)
{
    return nx_score_prior_factor(w->strength, prior);
}

/*
 * Items of one rank-key level have (quality part + heat part) / 2 within
 * half a step of level / 1023.  Under other prior weights the prior is
 * largest when the heavier part takes as much of that sum as it can.
 */
double
nx_rank_level_bound(const nx_weights *w, int level)
{
    double m = ((double)level + 0.5) / (NX_PRIOR_LEVELS - 1), big, small;
    double hi = w->quality >= w->heat ? w->quality : w->heat;
    double lo = w->quality >= w->heat ? w->heat : w->quality;
    double sum = w->quality + w->heat;

    if (m > 1.0)
        m = 1.0;
    if (sum <= 0)
        return nx_rank_prior_factor(w, 0.5);
    big = 2.0 * m > 1.0 ? 1.0 : 2.0 * m;
    small = 2.0 * m - big;
    return nx_rank_prior_factor(w, (hi * big + lo * small) / sum);
}

/*
 * fresh = floor + (1 - floor) * 0.5 ^ (distance / half-life), where the
 * distance is between the item's date and the reference w->now, either
 * way: an item dated after it (a reference set in the past, a date in the
 * future) is as far from it as one as much before.  The floor keeps an
 * archive's old items ranked by relevance among themselves instead of
 * all at 0; it keeps the factor in [floor, 1], which the engine's bounds
 * take as at most 1.
 */
double
nx_rank_fresh(const nx_weights *w, bool has_date, int64_t date)
{
    double days;

    if (w->fresh_half_life <= 0)
        return 1.0;
    if (!has_date)
        return 0.5;
    /* In doubles: a damaged date must not overflow the difference. */
    days = fabs((double)w->now - (double)date) / 86400.0;
    return SCORE_FRESH_FLOOR +
           (1.0 - SCORE_FRESH_FLOOR) * pow(0.5, days / w->fresh_half_life);
}

double
nx_score_prior(const nx_weights *w, const nx_score_doc *d)
{
    int level = d->level;

    /* With equal quality and heat weights the prior is the level / 1023
     * (docs/ranking.md); a stored level past it is damage, kept in range
     * so that the engine's bounds hold. */
    if (level < 0 || level >= NX_PRIOR_LEVELS)
        level = level < 0 ? 0 : NX_PRIOR_LEVELS - 1;
    if (w->quality == w->heat)
        return nx_rank_prior_factor(w, (double)level / (NX_PRIOR_LEVELS - 1));
    return nx_rank_prior_factor(
        w, nx_rank_prior(w, d->has_quality, d->quality, d->has_heat, d->heat));
}

void
nx_score_item(nx_score *out, const nx_weights *w, newsidx_sort sort,
              double bm25, const nx_score_doc *d)
{
    out->bm25 = bm25;
    out->prior = nx_score_prior(w, d);
    out->fresh = nx_rank_fresh(w, d->has_date, d->date);
    out->score = out->bm25 * out->prior * out->fresh;
    switch (sort) {
    case NEWSIDX_SORT_DATE:
        out->key = d->has_date ? (double)d->date : -1e300;
        break;
    case NEWSIDX_SORT_QUALITY:
        out->key = d->has_quality ? (double)d->quality : -1e300;
        break;
    case NEWSIDX_SORT_HEAT:
        out->key = d->has_heat ? (double)d->heat : -1e300;
        break;
    case NEWSIDX_SORT_RANK:
    default:
        out->key = out->score;
        break;
    }
}

uint16_t
nx_score_bound(const uint32_t *tf, const uint32_t *len, const double *avg,
               int level)
{
    static const double wref[NX_SCORE_COLUMNS] = {
        NX_BOUND_W_TITLE, NX_BOUND_W_EXCERPT, NX_BOUND_W_BODY};
    double v = nx_score_text(wref, tf, len, avg) *
               nx_score_prior_factor(NX_BOUND_STRENGTH,
                                     (double)level / (NX_PRIOR_LEVELS - 1));

    v = ceil(v * NX_BOUND_SCALE * (1.0 + 1e-9));
    return v < 1 ? 1 : v > 65535 ? 65535 : (uint16_t)v;
}
