/*
 * stem.c - word stems, from Snowball's libstemmer: the one file that uses
 * it.  The index stores each word's stem beside its count (terms.c), in
 * the language the index is set to (meta 'stem_language'), so that a
 * query word finds the other forms of the word the index holds.
 */
#include <string.h>

#include <libstemmer.h>

#include "format.h"

struct nx_stemmer {
    struct sb_stemmer *sb;
    char language[32];
};

bool
nx_stem_language_ok(const char *language)
{
    const char **names = sb_stemmer_list();
    size_t i;

    if (strcmp(language, NX_STEM_NONE) == 0)
        return true;
    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], language) == 0)
            return true;
    }
    return false;
}

int
newsidx_stem_language_name(const char **name, size_t i)
{
    const char **names = sb_stemmer_list();
    size_t n = 0;

    while (names[n] != NULL)
        n++;
    *name = i < n ? names[i] : i == n ? NX_STEM_NONE : NULL;
    return *name != NULL ? NEWSIDX_OK : NEWSIDX_DONE;
}

int
nx_stemmer_new(nx_stemmer **out, const char *language)
{
    nx_stemmer *s;

    *out = NULL;
    if (strlen(language) >= sizeof(s->language) ||
        !nx_stem_language_ok(language))
        return NEWSIDX_INVALID;
    s = nx_calloc(1, sizeof(*s));
    if (s == NULL)
        return NEWSIDX_NOMEM;
    memcpy(s->language, language, strlen(language) + 1);
    if (strcmp(language, NX_STEM_NONE) != 0) {
        /* NULL for an unknown language (checked) or out of memory. */
        s->sb = sb_stemmer_new(language, "UTF_8");
        if (s->sb == NULL) {
            nx_free(s);
            return NEWSIDX_NOMEM;
        }
    }
    *out = s;
    return NEWSIDX_OK;
}

void
nx_stemmer_free(nx_stemmer *s)
{
    if (s == NULL)
        return;
    if (s->sb != NULL)
        sb_stemmer_delete(s->sb);
    nx_free(s);
}

const char *
nx_stemmer_language(const nx_stemmer *s)
{
    return s->language;
}

/* Snowball's stemmers work on words: a token of letters.  Tags (private
 * use), numbers and single characters (CJK, symbols) keep their form. */
static bool
stem_is_word(const char *token, size_t len)
{
    size_t i;

    if (len < 3 || len > NX_STEM_MAX_BYTES ||
        (unsigned char)token[0] == 0xEE) /* U+E000.. : a tag */
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];

        if (c >= 0x80 || (unsigned)((c | 0x20) - 'a') < 26u)
            return true;
    }
    return false;
}

bool
nx_stem(nx_stemmer *s, const char *token, size_t len, const char **stem_out,
        size_t *len_out)
{
    const sb_symbol *v;
    int n;

    *stem_out = token;
    *len_out = len;
    if (s->sb == NULL || !stem_is_word(token, len))
        return true;
    v = sb_stemmer_stem(s->sb, (const sb_symbol *)token, (int)len);
    if (v == NULL)
        return false; /* out of memory */
    n = sb_stemmer_length(s->sb);
    *stem_out = (const char *)v;
    *len_out = n > 0 ? (size_t)n : 0;
    return true;
}
