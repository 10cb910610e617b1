/*
 * emit.c - describe newsquery's results through a printer.
 *
 * Owns the shape of the output document (docs/json-schema.md): the order
 * of the keys, which values are null, how times are written.  It never
 * checks which format is active; each printer decides how to show the
 * document.
 */
#include "emit.h"

#include <time.h>

/* Print a Unix time as ISO 8601 UTC ("2021-06-03T23:01:00Z"), or null. */
static void
emit_time(printer *p, bool is_known, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];

    if (!is_known || gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        p->null(p);
        return;
    }
    p->string(p, buf);
}

/* An integer that may be unknown. */
static void
emit_opt_integer(printer *p, bool is_known, int64_t v)
{
    if (is_known)
        p->integer(p, v);
    else
        p->null(p);
}

static void
emit_provider(printer *p, const char *name, const char *domain)
{
    p->begin_map(p);
    p->map_key(p, "name");
    p->string(p, name);
    p->map_key(p, "domain");
    p->string(p, domain);
    p->end(p);
}

static void
emit_related(printer *p, const newsidx_hit *h, size_t i)
{
    int64_t v = 0, id = newsidx_hit_related_id(h, i);
    bool is_known;

    p->begin_map(p);
    p->map_key(p, "title");
    p->string(p, newsidx_hit_related_title(h, i));
    p->map_key(p, "url");
    p->string(p, newsidx_hit_related_url(h, i));
    p->map_key(p, "provider");
    emit_provider(p, newsidx_hit_related_provider_name(h, i),
                  newsidx_hit_related_provider_domain(h, i));
    p->map_key(p, "published_at");
    is_known = newsidx_hit_related_published_at(h, i, &v);
    emit_time(p, is_known, v);
    p->map_key(p, "quality");
    is_known = newsidx_hit_related_quality(h, i, &v);
    emit_opt_integer(p, is_known, v);
    p->map_key(p, "id");
    emit_opt_integer(p, id > 0, id);
    p->end(p);
}

/* The score factors, and the reference time of freshness (null when the
 * query has no freshness). */
static void
emit_explain(printer *p, const emit_info *info, const newsidx_hit *h)
{
    double bm25 = 0, prior = 0, fresh = 0;

    newsidx_hit_factors(h, &bm25, &prior, &fresh);
    p->begin_map(p);
    p->map_key(p, "bm25");
    p->real(p, bm25);
    p->map_key(p, "prior");
    p->real(p, prior);
    p->map_key(p, "fresh");
    p->real(p, fresh);
    p->map_key(p, "now");
    emit_time(p, info->has_now, info->now);
    p->end(p);
}

/* The fields that say what the item is. */
/* The index file of the i-th of several (info->dbs). */
static const char *
emit_db(const emit_info *info, size_t i)
{
    return i < info->n_dbs ? info->dbs[i] : "";
}

static void
emit_hit_item(printer *p, const emit_info *info, const newsidx_hit *h)
{
    int64_t v = 0;
    bool is_known;
    size_t i, n;

    p->map_key(p, "id");
    p->integer(p, newsidx_hit_id(h));
    if (info->n_dbs > 1) { /* ids are those of this file */
        p->map_key(p, "db");
        p->string(p, emit_db(info, newsidx_hit_index(h)));
    }
    p->map_key(p, "path");
    p->string(p, newsidx_hit_path(h));
    p->map_key(p, "title");
    p->string(p, newsidx_hit_title(h));
    p->map_key(p, "excerpt");
    p->string(p, newsidx_hit_excerpt(h));
    p->map_key(p, "url");
    p->string(p, newsidx_hit_url(h));
    p->map_key(p, "published");
    p->boolean(p, newsidx_hit_published(h));
    p->map_key(p, "published_at");
    is_known = newsidx_hit_published_at(h, &v);
    emit_time(p, is_known, v);
    p->map_key(p, "provider");
    emit_provider(p, newsidx_hit_provider_name(h),
                  newsidx_hit_provider_domain(h));
    p->map_key(p, "topics");
    p->begin_list(p);
    n = newsidx_hit_topic_count(h);
    for (i = 0; i < n; i++)
        p->string(p, newsidx_hit_topic(h, i));
    p->end(p);
    p->map_key(p, "quality");
    is_known = newsidx_hit_quality(h, &v);
    emit_opt_integer(p, is_known, v);
    p->map_key(p, "heat");
    is_known = newsidx_hit_heat(h, &v);
    emit_opt_integer(p, is_known, v);
}

/* One hit as a map. */
static void
emit_hit(printer *p, const emit_info *info, const newsidx_hit *h)
{
    size_t i, n;

    p->begin_map(p);
    emit_hit_item(p, info, h);
    p->map_key(p, "score");
    p->real(p, newsidx_hit_score(h));
    p->map_key(p, "snippet");
    p->string(p, newsidx_hit_snippet(h));
    p->map_key(p, "related");
    p->begin_list(p);
    n = newsidx_hit_related_count(h);
    for (i = 0; i < n; i++)
        emit_related(p, h, i);
    p->end(p);
    p->map_key(p, "collapsed");
    p->integer(p, (int64_t)newsidx_hit_collapsed(h));
    p->map_key(p, "collapsed_ids");
    p->begin_list(p);
    n = newsidx_hit_collapsed(h);
    for (i = 0; i < n; i++)
        p->integer(p, newsidx_hit_collapsed_id(h, i));
    p->end(p);
    if (info->n_dbs > 1) {
        p->map_key(p, "collapsed_dbs");
        p->begin_list(p);
        for (i = 0; i < n; i++)
            p->string(p, emit_db(info, newsidx_hit_collapsed_index(h, i)));
        p->end(p);
    }
    if (info->is_explain) {
        p->map_key(p, "explain");
        emit_explain(p, info, h);
    }
    p->end(p);
}

/* "facets": {"topic": [{"value": "AI", "count": 12}, ...], ...}, at most
 * info->facet_limit values each, and beside it "facets_left_out":
 * {"topic": 0, "provider": 68, ...}, the values past the limit. */
static void
emit_facets(printer *p, const emit_info *info, const newsidx_results *r)
{
    static const struct {
        unsigned kind;
        const char *name;
    } kinds[] = {{NEWSIDX_FACET_TOPIC, "topic"},
                 {NEWSIDX_FACET_PROVIDER, "provider"},
                 {NEWSIDX_FACET_YEAR, "year"}};
    const size_t n_kinds = sizeof(kinds) / sizeof(kinds[0]);
    uint64_t left_out[3] = {0, 0, 0};
    size_t k, i;

    p->map_key(p, "facets");
    p->begin_map(p);
    for (k = 0; k < n_kinds; k++) {
        const char *value;
        uint64_t count;

        if ((info->facets & kinds[k].kind) == 0)
            continue;
        p->map_key(p, kinds[k].name);
        p->begin_list(p);
        for (i = 0; newsidx_results_facet(&value, &count, r, kinds[k].kind,
                                          i) == NEWSIDX_OK;
             i++) {
            if (info->facet_limit > 0 && i >= info->facet_limit) {
                left_out[k]++;
                continue;
            }
            p->begin_map(p);
            p->map_key(p, "value");
            p->string(p, value);
            p->map_key(p, "count");
            p->integer(p, (int64_t)count);
            p->end(p);
        }
        p->end(p);
    }
    p->end(p);
    p->map_key(p, "facets_left_out");
    p->begin_map(p);
    for (k = 0; k < n_kinds; k++) {
        if ((info->facets & kinds[k].kind) == 0)
            continue;
        p->map_key(p, kinds[k].name);
        p->integer(p, (int64_t)left_out[k]);
    }
    p->end(p);
}

/* The members every document starts with: the total, and without --all
 * the matches left out for being unpublished (always there then, 0 or
 * not, so that a script need not guess). */
static void
emit_header(printer *p, const emit_info *info, const newsidx_results *r)
{
    p->map_key(p, "version");
    p->integer(p, info->format_version);
    p->map_key(p, "query");
    p->string(p, info->query);
    if (info->like_id > 0) {
        p->map_key(p, "like");
        p->integer(p, info->like_id);
    }
    if (info->n_dbs > 1) {
        size_t i;

        p->map_key(p, "dbs");
        p->begin_list(p);
        for (i = 0; i < info->n_dbs; i++)
            p->string(p, info->dbs[i]);
        p->end(p);
    }
    p->map_key(p, "total");
    if (info->format_version == 1) {
        p->integer(p, (int64_t)newsidx_results_total(r));
    } else {
        bool is_exact = true;

        /* What paging goes through: the stories; and the items. */
        p->integer(p, (int64_t)newsidx_results_stories(r, &is_exact));
        p->map_key(p, "total_exact");
        p->boolean(p, is_exact);
        p->map_key(p, "total_matches");
        p->integer(p, (int64_t)newsidx_results_total(r));
    }
    if (!info->is_all) {
        p->map_key(p, "unpublished");
        p->integer(p, (int64_t)newsidx_results_unpublished(r));
    }
    if (newsidx_results_dropped(r) > 0) {
        p->map_key(p, "dropped");
        p->integer(p, (int64_t)newsidx_results_dropped(r));
    }
}

/* With --explain, the other forms the query searched and their weight:
 * "forms": [{"word": "robots", "form": "robot"}, ...], "form_weight". */
static void
emit_forms(printer *p, const emit_info *info)
{
    const char *word, *form;
    size_t i;

    if (!info->is_explain || info->q == NULL)
        return;
    p->map_key(p, "forms");
    p->begin_list(p);
    for (i = 0; newsidx_query_form(&word, &form, info->q, i) == NEWSIDX_OK;
         i++) {
        p->begin_map(p);
        p->map_key(p, "word");
        p->string(p, word);
        p->map_key(p, "form");
        p->string(p, form);
        p->end(p);
    }
    p->end(p);
    p->map_key(p, "form_weight");
    p->real(p, newsidx_query_form_weight(info->q));
}

void
emit_results(printer *p, const emit_info *info, newsidx_results *r)
{
    const newsidx_hit *h;
    const char *s;
    uint64_t total;
    size_t i;

    p->begin_map(p);
    emit_header(p, info, r);
    p->map_key(p, "offset");
    p->integer(p, (int64_t)info->offset);
    emit_forms(p, info);
    p->map_key(p, "hits");
    p->begin_list(p);
    while (newsidx_results_next(&h, r) == NEWSIDX_OK)
        emit_hit(p, info, h);
    p->end(p);
    if (info->facets != 0)
        emit_facets(p, info, r);
    if (newsidx_results_suggestion(&s, NULL, r, 0) == NEWSIDX_OK) {
        p->map_key(p, "suggestions");
        p->begin_list(p);
        for (i = 0; newsidx_results_suggestion(&s, NULL, r, i) == NEWSIDX_OK;
             i++)
            p->string(p, s);
        p->end(p);
        /* Beside the texts, not in their place: version 1 keeps its
         * shape (docs/json-schema.md). */
        p->map_key(p, "suggestion_totals");
        p->begin_list(p);
        for (i = 0; newsidx_results_suggestion(&s, &total, r, i) == NEWSIDX_OK;
             i++)
            p->integer(p, (int64_t)total);
        p->end(p);
    }
    p->end(p);
}

void
emit_count(printer *p, const emit_info *info, const newsidx_results *r)
{
    p->begin_map(p);
    emit_header(p, info, r);
    if (info->facets != 0)
        emit_facets(p, info, r);
    p->end(p);
}
