/*
 * buf.c - growable NUL-terminated byte buffers and JSON string escaping.
 *
 * Out of memory is sticky: after one failed append every later append is a
 * no-op and nx_buf_oom() reports it, so callers check once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

void
nx_buf_free(nx_buf *b)
{
    nx_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->is_oom = false;
}

void
nx_buf_clear(nx_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

bool
nx_buf_reserve(nx_buf *b, size_t extra)
{
    size_t need, cap;
    char *data;

    if (b->is_oom)
        return false;
    if (extra > SIZE_MAX - b->len - 1)
        goto oom;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    data = nx_realloc(b->data, cap);
    if (data == NULL)
        goto oom;
    b->data = data;
    b->data[b->len] = '\0';
    b->cap = cap;
    return true;
oom:
    b->is_oom = true;
    return false;
}

void
nx_buf_put(nx_buf *b, const void *data, size_t len)
{
    if (!nx_buf_reserve(b, len))
        return;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void
nx_buf_puts(nx_buf *b, const char *s)
{
    nx_buf_put(b, s, strlen(s));
}

void
nx_buf_putc(nx_buf *b, char c)
{
    nx_buf_put(b, &c, 1);
}

void
nx_buf_printf(nx_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !nx_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

bool
nx_buf_oom(const nx_buf *b)
{
    return b->is_oom;
}

char *
nx_buf_detach(nx_buf *b)
{
    char *data;

    if (b->is_oom) {
        nx_buf_free(b);
        return NULL;
    }
    if (b->data == NULL && !nx_buf_reserve(b, 0))
        return NULL;
    data = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}

void
nx_buf_json_string(nx_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;

    nx_buf_putc(b, '"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];

        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        nx_buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            nx_buf_put(b, u, 6);
            continue;
        }
        nx_buf_puts(b, esc);
    }
    nx_buf_put(b, s + run, len - run);
    nx_buf_putc(b, '"');
}
