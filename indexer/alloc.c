/*
 * alloc.c - the one allocation point of libnewsidx.
 *
 * Everything the library allocates goes through nx_malloc/nx_realloc and is
 * released by nx_free, so that tests can make the Nth allocation fail and
 * check that every path out of memory is handled.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Allocations left before injected failures start; -1 = never fail.
 * Atomic: the indexer parses on a worker thread. */
static long alloc_budget = -1;

static bool
alloc_may_proceed(void)
{
    long left = __atomic_load_n(&alloc_budget, __ATOMIC_RELAXED);

    while (left >= 0) {
        if (left == 0)
            return false;
        if (__atomic_compare_exchange_n(&alloc_budget, &left, left - 1, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return true;
    }
    return true;
}

void
nx_alloc_fail_after(long n)
{
    __atomic_store_n(&alloc_budget, n, __ATOMIC_RELAXED);
}

void *
nx_malloc(size_t size)
{
    if (!alloc_may_proceed())
        return NULL;
    return malloc(size ? size : 1);
}

void *
nx_calloc(size_t n, size_t size)
{
    if (!alloc_may_proceed())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *
nx_realloc(void *ptr, size_t size)
{
    if (!alloc_may_proceed())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void
nx_free(void *ptr)
{
    free(ptr);
}

char *
nx_strndup(const char *s, size_t len)
{
    char *copy = nx_malloc(len + 1);

    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *
nx_strdup(const char *s)
{
    return s ? nx_strndup(s, strlen(s)) : NULL;
}

void
newsidx_free(void *ptr)
{
    nx_free(ptr);
}
