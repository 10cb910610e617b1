/*
 * url.c - URL normalization, so that two spellings of one story's address
 * compare equal: related entries link to indexed items, and items that share
 * an address are recognised as one story.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base.h"

/* Does the path name a script whose query string is the real address? */
static bool
url_query_is_address(const char *path, size_t len)
{
    static const char *const scripts[] = {".php", ".asp", ".aspx", ".jsp",
                                          ".cfm", ".cgi", ".pl"};
    size_t i;

    if (len == 0 || (len == 1 && path[0] == '/'))
        return true;
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        size_t n = strlen(scripts[i]);

        if (len >= n && strncasecmp(path + len - n, scripts[i], n) == 0)
            return true;
    }
    return false;
}

/* Append bytes, writing spaces as %20. */
static void
url_put(nx_buf *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == ' ')
            nx_buf_puts(out, "%20");
        else
            nx_buf_putc(out, s[i]);
    }
}

bool
nx_url_normalize(nx_buf *out, const char *url, size_t len)
{
    const char *p = url, *end = url + len, *host, *host_end, *path, *q, *qend;
    size_t plen;

    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if ((qend = memchr(p, '#', (size_t)(end - p))) != NULL)
        end = qend;
    host = p;
    for (q = p; q < end && (isalnum((unsigned char)*q) || *q == '+' ||
                            *q == '-' || *q == '.');
         q++)
        ;
    if (q + 2 < end && q[0] == ':' && q[1] == '/' && q[2] == '/')
        host = q + 3;
    else if (end - p >= 2 && p[0] == '/' && p[1] == '/')
        host = p + 2;
    else if (p < end && p[0] == '/')
        host = p; /* a relative address: no host */
    for (host_end = host;
         host_end < end && *host_end != '/' && *host_end != '?'; host_end++)
        ;
    if (host == p && p < end && p[0] == '/')
        host_end = host;
    if (host_end - host >= 4 && strncasecmp(host, "www.", 4) == 0)
        host += 4;
    for (q = host; q < host_end; q++) {
        /* The default ports, last in the host: compared within it (a
         * query's address is a slice of the query, not NUL-ended). */
        if ((host_end - q == 3 && memcmp(q, ":80", 3) == 0) ||
            (host_end - q == 4 && memcmp(q, ":443", 4) == 0))
            break;
        nx_buf_putc(out, (char)tolower((unsigned char)*q));
    }
    path = host_end;
    q = memchr(path, '?', (size_t)(end - path));
    plen = (size_t)((q ? q : end) - path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    url_put(out, path, plen);
    if (q != NULL && q + 1 < end && url_query_is_address(path, plen))
        url_put(out, q, (size_t)(end - q));
    return !nx_buf_oom(out);
}
