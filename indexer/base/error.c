/*
 * error.c - status codes and the caller-owned newsidx_error.
 *
 * A message is set once, where a failure is detected; callers pass the code
 * up unchanged and never reword it.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

int
nx_fail(newsidx_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    err->line = err->column = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

int
nx_fail_at(newsidx_error *err, int code, unsigned line, unsigned column,
           const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    err->line = line;
    err->column = column;
    return code;
}

void
nx_error_clear(newsidx_error *err)
{
    if (err != NULL) {
        err->code = NEWSIDX_OK;
        err->line = err->column = 0;
        err->message[0] = '\0';
    }
}

const char *
newsidx_strerror(int status)
{
    switch (status) {
    case NEWSIDX_OK:
        return "NEWSIDX_OK";
    case NEWSIDX_DONE:
        return "NEWSIDX_DONE";
    case NEWSIDX_NOTFOUND:
        return "NEWSIDX_NOTFOUND";
    case NEWSIDX_EXISTS:
        return "NEWSIDX_EXISTS";
    case NEWSIDX_PARSE:
        return "NEWSIDX_PARSE";
    case NEWSIDX_SCHEMA:
        return "NEWSIDX_SCHEMA";
    case NEWSIDX_IO:
        return "NEWSIDX_IO";
    case NEWSIDX_NOMEM:
        return "NEWSIDX_NOMEM";
    case NEWSIDX_BUSY:
        return "NEWSIDX_BUSY";
    case NEWSIDX_CANCELLED:
        return "NEWSIDX_CANCELLED";
    case NEWSIDX_INVALID:
        return "NEWSIDX_INVALID";
    case NEWSIDX_READONLY:
        return "NEWSIDX_READONLY";
    case NEWSIDX_INTERNAL:
        return "NEWSIDX_INTERNAL";
    case NEWSIDX_CORRUPT:
        return "NEWSIDX_CORRUPT";
    default:
        return "NEWSIDX_UNKNOWN";
    }
}

const char *
newsidx_version(void)
{
    return NEWSIDX_VERSION_STRING;
}
