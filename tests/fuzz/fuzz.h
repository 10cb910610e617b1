/*
 * fuzz.h - the entry point every fuzz target defines.
 *
 * With NEWSIDX_FUZZ=ON (clang) a target links -fsanitize=fuzzer and
 * libFuzzer calls it; otherwise replay.c supplies main() and feeds it the
 * files named on the command line (the seeds and regression inputs).
 */
#ifndef NX_FUZZ_H
#define NX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop with a message when an invariant does not hold: abort() is what
 * libFuzzer (and ctest) report as a crash. */
#define NX_FUZZ_CHECK(cond)                                                    \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif /* NX_FUZZ_H */
