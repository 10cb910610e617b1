/*
 * printer.h - structured output printers ("sprinters", after notmuch) for
 * both programs: newsquery's results and newsindex's --json summary.
 *
 * emit.c describes results as a tree of maps, lists and scalars through
 * this vtable and never asks which format is active; main() picks one
 * printer once.  Each format lives in one file:
 *
 *   printer_text.c  (query/, newsquery only) human-readable blocks; builds
 *                   the document in memory and renders it when the
 *                   outermost value ends
 *   printer_json.c  (here, in the shared CLI library: the one JSON writer
 *                   of both programs) document mode (one indented JSON value)
 * and stream mode (JSONL: each element of the top-level "hits" list on a line
 * of its own; a document without "hits" is printed whole on one line)
 *
 * Calls must nest properly: every begin_map/begin_list is closed by end,
 * and inside a map every value is preceded by map_key.  Strings are
 * NUL-terminated; a printer copes with invalid UTF-8 (paths come from file
 * names).
 */
#ifndef NQ_PRINTER_H
#define NQ_PRINTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct printer printer;

struct printer {
    void (*begin_map)(printer *p);
    void (*begin_list)(printer *p);
    void (*end)(printer *p);                      /* closes a map or list */
    void (*map_key)(printer *p, const char *key); /* the next value's key */
    void (*string)(printer *p, const char *s);    /* NULL prints null */
    void (*integer)(printer *p, int64_t n);
    void (*real)(printer *p, double d); /* NaN/Inf print null */
    void (*boolean)(printer *p, bool b);
    void (*null)(printer *p);
    /* Flush what is pending; returns 0, or -1 on an output error (or when
     * memory ran out while building the output). */
    int (*finish)(printer *p);
    void (*free)(printer *p); /* destructor; see printer_free */
    const char *mark_open;    /* snippet markers this format wants */
    const char *mark_close;
};

/* A text printer writing to `out`; `is_color` adds ANSI bold and inverse.
 * Returns NULL when out of memory. */
printer *printer_text_new(FILE *out, bool is_color);

/* A paths printer (query/printer_paths.c, newsquery only): each hit's
 * path, byte for byte, ended by '\n' or, with `is_null`, by NUL.
 * Returns NULL when out of memory. */
printer *printer_paths_new(FILE *out, bool is_null);

/* A JSON printer writing to `out`: a document (`is_stream` false) or JSONL
 * (`is_stream` true).  Returns NULL when out of memory. */
printer *printer_json_new(FILE *out, bool is_stream);

/* Free a printer; NULL is allowed. */
static inline void
printer_free(printer *p)
{
    if (p != NULL)
        p->free(p);
}

#endif /* NQ_PRINTER_H */
