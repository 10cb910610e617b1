/*
 * hash.c - a 64-bit content hash to confirm that a file really changed.
 *
 * FNV-1a over 8-byte words (read little-endian) with a final avalanche:
 * fast enough for file contents (several GB/s), and the same on every
 * platform, because the index stores it (the file hashes, the tags of
 * URL keys and types, the collapse keys in docinfo).  Not cryptographic:
 * a collision means a changed file whose size and mtime also changed is
 * taken as unchanged in content; the query side checks a collapse that
 * two equal hashes suggest against the keys themselves.
 */
#include <string.h>

#include "base.h"

uint64_t
nx_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)len;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w = 0;
        int k;

        /* Little-endian whatever the machine: the hash is stored. */
        for (k = 7; k >= 0; k--)
            w = w << 8 | p[i + (size_t)k];
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}
