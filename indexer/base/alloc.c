/*
 * alloc.c - the one allocation point of libnewsidx.
 *
 * Everything the library allocates goes through nx_malloc/nx_realloc and is
 * released by nx_free, so that tests can make the Nth allocation fail and
 * check that every path out of memory is handled.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* Allocations left before injected failures start; -1 = never fail.
 * Atomic: the indexer parses on a worker thread. */
static long alloc_budget = -1;

/* The largest size asked for since the last nx_alloc_largest(true). */
static size_t alloc_largest;

static bool
alloc_may_proceed(size_t size)
{
    long left;
    size_t seen = __atomic_load_n(&alloc_largest, __ATOMIC_RELAXED);

    while (size > seen &&
           !__atomic_compare_exchange_n(&alloc_largest, &seen, size, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    left = __atomic_load_n(&alloc_budget, __ATOMIC_RELAXED);

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

size_t
nx_alloc_largest(bool reset)
{
    return reset ? __atomic_exchange_n(&alloc_largest, 0, __ATOMIC_RELAXED)
                 : __atomic_load_n(&alloc_largest, __ATOMIC_RELAXED);
}

void *
nx_malloc(size_t size)
{
    if (!alloc_may_proceed(size))
        return NULL;
    return malloc(size ? size : 1);
}

void *
nx_calloc(size_t n, size_t size)
{
    if (!alloc_may_proceed(n > SIZE_MAX / (size ? size : 1) ? SIZE_MAX
                                                            : n * size))
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *
nx_realloc(void *ptr, size_t size)
{
    if (!alloc_may_proceed(size))
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
