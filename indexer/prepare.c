/*
 * prepare.c - an item made ready to write: everything store.c needs that
 * can be worked out from the item alone (normalized texts, URL and name
 * keys, the warnings as JSON, the prior level, the tokens and column
 * lengths), so that the indexing pipeline does it on the thread that reads
 * and parses files, not on the one that writes.
 */
#include <string.h>

#include <sqlite3.h>

#include "write.h"

/* FTS5 keeps at most this many bytes of a token (FTS5_MAX_TOKEN_SIZE). */
#define PREP_MAX_TOKEN 32768

struct nx_prep {
    nx_tokenizer *tok;
    uint32_t *slots; /* 1 + index into doc->tok, 0 = empty */
    size_t cap;      /* slots, a power of two */
    nx_doc *doc;     /* the document being tokenized */
    int col;         /* its column being tokenized */
    bool is_oom;
};

int
nx_prep_new(nx_prep **out, sqlite3 *db)
{
    nx_prep *p = nx_calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (p == NULL)
        return SQLITE_NOMEM;
    rc = nx_tokenizer_new(&p->tok, db);
    if (rc != SQLITE_OK) {
        nx_free(p);
        return rc;
    }
    *out = p;
    return SQLITE_OK;
}

void
nx_prep_free(nx_prep *p)
{
    if (p == NULL)
        return;
    nx_tokenizer_free(p->tok);
    nx_free(p->slots);
    nx_free(p);
}

void
nx_doc_clear(nx_doc *doc)
{
    size_t i;

    for (i = 0; i < 3; i++)
        nx_free(doc->text[i]);
    nx_free(doc->url_key);
    for (i = 0; i < 3; i++)
        nx_free(doc->link_keys[i]);
    for (i = 0; doc->related_keys != NULL && i < doc->n_related; i++)
        nx_free(doc->related_keys[i]);
    nx_free(doc->related_keys);
    for (i = 0; doc->topic_keys != NULL && i < doc->n_topics; i++)
        nx_free(doc->topic_keys[i]);
    nx_free(doc->topic_keys);
    nx_free(doc->provider_key);
    nx_free(doc->type_key);
    nx_free(doc->category_key);
    nx_free(doc->warnings_json);
    nx_buf_free(&doc->tokens);
    nx_free(doc->tok);
    memset(doc, 0, sizeof(*doc));
}

/* A normalized copy of `s` (NULL stays NULL); sets *is_oom on failure. */
static char *
prep_norm(const char *s, size_t *len_out, bool *is_oom)
{
    nx_buf b = NX_BUF_INIT;

    if (s == NULL || *is_oom)
        return NULL;
    if (!nx_normalize(&b, s, strlen(s)) || !nx_buf_reserve(&b, 0)) {
        nx_buf_free(&b);
        *is_oom = true;
        return NULL;
    }
    if (len_out != NULL)
        *len_out = b.len;
    return nx_buf_detach(&b);
}

/* The URL key of `url` (NULL stays NULL); sets *is_oom on failure. */
static char *
prep_url_key(const char *url, bool *is_oom)
{
    nx_buf b = NX_BUF_INIT;

    if (url == NULL || *is_oom)
        return NULL;
    if (!nx_url_normalize(&b, url, strlen(url)) || !nx_buf_reserve(&b, 0)) {
        nx_buf_free(&b);
        *is_oom = true;
        return NULL;
    }
    return nx_buf_detach(&b);
}

/* The item's warnings as a JSON array, or NULL when there are none. */
static char *
prep_warnings_json(const nx_item *item, bool *is_oom)
{
    nx_buf out = NX_BUF_INIT;
    size_t i;

    if (item->n_warnings == 0 || *is_oom)
        return NULL;
    nx_buf_putc(&out, '[');
    for (i = 0; i < item->n_warnings; i++) {
        const nx_warning *w = &item->warnings[i];
        const char *field = w->field ? w->field : "";
        const char *msg = w->message ? w->message : "";

        nx_buf_printf(&out,
                      "%s{\"line\":%u,\"column\":%u,\"field\":", i ? "," : "",
                      w->line, w->column);
        nx_buf_json_string(&out, field, strlen(field));
        nx_buf_puts(&out, ",\"message\":");
        nx_buf_json_string(&out, msg, strlen(msg));
        nx_buf_putc(&out, '}');
    }
    nx_buf_putc(&out, ']');
    if (nx_buf_oom(&out))
        *is_oom = true;
    return nx_buf_detach(&out);
}

static bool
prep_grow_slots(nx_prep *p)
{
    size_t cap = p->cap ? 2 * p->cap : 1024, i, j;
    uint32_t *slots = nx_calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return false;
    for (i = 0; i < p->cap; i++) {
        uint32_t s = p->slots[i];

        if (s == 0)
            continue;
        for (j = p->doc->tok[s - 1].hash & (cap - 1); slots[j] != 0;
             j = (j + 1) & (cap - 1))
            ;
        slots[j] = s;
    }
    nx_free(p->slots);
    p->slots = slots;
    p->cap = cap;
    return true;
}

/* xTokenize callback: count the token in its column, keep it once. */
static int
prep_token(void *ctx, int flags, const char *token, int n, int start, int end)
{
    nx_prep *p = ctx;
    nx_doc *doc = p->doc;
    nx_doc_token *t;
    uint32_t h;
    size_t i;

    (void)flags;
    (void)start;
    (void)end;
    doc->n_tokens[p->col]++;
    if (n > PREP_MAX_TOKEN)
        n = PREP_MAX_TOKEN;
    if (4 * (doc->n_tok + 1) > 3 * p->cap && !prep_grow_slots(p))
        return SQLITE_NOMEM;
    h = nx_token_hash(token, (size_t)n);
    for (i = h & (p->cap - 1); p->slots[i] != 0; i = (i + 1) & (p->cap - 1)) {
        t = &doc->tok[p->slots[i] - 1];
        if (t->hash == h && t->len == (uint32_t)n &&
            memcmp(doc->tokens.data + t->off, token, (size_t)n) == 0) {
            t->tf[p->col]++;
            return SQLITE_OK;
        }
    }
    if (doc->n_tok == doc->cap_tok) {
        size_t cap = doc->cap_tok ? 2 * doc->cap_tok : 64;
        nx_doc_token *grown = nx_realloc(doc->tok, cap * sizeof(*grown));

        if (grown == NULL)
            return SQLITE_NOMEM;
        doc->tok = grown;
        doc->cap_tok = cap;
    }
    if (doc->tokens.len > UINT32_MAX - (size_t)n)
        return SQLITE_NOMEM;
    t = &doc->tok[doc->n_tok];
    t->off = (uint32_t)doc->tokens.len;
    t->len = (uint32_t)n;
    t->hash = h;
    t->tf[0] = t->tf[1] = t->tf[2] = 0;
    t->tf[p->col] = 1;
    nx_buf_put(&doc->tokens, token, (size_t)n);
    if (nx_buf_oom(&doc->tokens))
        return SQLITE_NOMEM;
    p->slots[i] = (uint32_t)++doc->n_tok;
    return SQLITE_OK;
}

/* Cut the three texts into tokens: lengths and the distinct tokens. */
static int
prep_tokenize(nx_prep *p, nx_doc *doc)
{
    int rc = SQLITE_OK;

    p->doc = doc;
    if (p->slots != NULL)
        memset(p->slots, 0, p->cap * sizeof(*p->slots));
    for (p->col = 0; p->col < 3 && rc == SQLITE_OK; p->col++) {
        if (doc->text[p->col] != NULL)
            rc = nx_tokenizer_run(p->tok, false, doc->text[p->col],
                                  doc->len[p->col], prep_token, p);
    }
    p->doc = NULL;
    return rc;
}

int
nx_prep_doc(nx_prep *p, nx_doc *out, const nx_item *item)
{
    const char *text[3] = {item->title, item->excerpt, item->body};
    const char *provider = item->provider_name ? item->provider_name : "";
    bool is_oom = false;
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < 3; i++)
        out->text[i] = prep_norm(text[i], &out->len[i], &is_oom);
    out->url_key = prep_url_key(item->web_url, &is_oom);
    out->link_keys[0] = prep_url_key(item->original_url, &is_oom);
    out->link_keys[1] = prep_url_key(item->amp_url, &is_oom);
    out->link_keys[2] = prep_url_key(item->cdn_amp_url, &is_oom);
    out->n_related = item->n_related;
    out->related_keys = nx_calloc(item->n_related + 1, sizeof(char *));
    for (i = 0; out->related_keys != NULL && i < item->n_related; i++)
        out->related_keys[i] = prep_url_key(item->related[i].url, &is_oom);
    out->n_topics = item->n_topics;
    out->topic_keys = nx_calloc(item->n_topics + 1, sizeof(char *));
    for (i = 0; out->topic_keys != NULL && i < item->n_topics; i++)
        out->topic_keys[i] = prep_norm(item->topics[i], NULL, &is_oom);
    if (*provider != '\0' ||
        (item->provider_domain != NULL && *item->provider_domain != '\0'))
        out->provider_key = prep_norm(provider, NULL, &is_oom);
    out->type_key = prep_norm(item->type, NULL, &is_oom);
    out->category_key = prep_norm(item->category, NULL, &is_oom);
    out->warnings_json = prep_warnings_json(item, &is_oom);
    out->level = nx_prior_level(item);
    if (out->related_keys == NULL || out->topic_keys == NULL)
        is_oom = true;
    if (!is_oom && prep_tokenize(p, out) != SQLITE_OK)
        is_oom = true;
    if (is_oom) {
        nx_doc_clear(out);
        return NEWSIDX_NOMEM;
    }
    return NEWSIDX_OK;
}
