/*
 * test_rank.c - the pure arithmetic of rank.c: the freshness factor
 * (docs/ranking.md), which never falls to 0 and measures the distance to
 * the reference date either way.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "query.h"

#define DAY 86400

/* Weights with freshness of `half_life` days, measured from `now`. */
static nx_weights
fresh_weights(double half_life, int64_t now)
{
    nx_weights w = {.title = 10,
                    .excerpt = 4,
                    .body = 1,
                    .quality = 1,
                    .heat = 1,
                    .strength = 0.3,
                    .fresh_half_life = half_life,
                    .now = now};

    return w;
}

static void
test_rank__fresh_is_1_when_off(void **state)
{
    nx_weights w = fresh_weights(0, 1000 * DAY);

    (void)state;
    assert_true(nx_rank_fresh(&w, true, 0) == 1.0);
    assert_true(nx_rank_fresh(&w, false, 0) == 1.0);
}

static void
test_rank__fresh_is_1_at_the_reference(void **state)
{
    nx_weights w = fresh_weights(30, 1000 * DAY);

    (void)state;
    assert_true(nx_rank_fresh(&w, true, 1000 * DAY) == 1.0);
}

static void
test_rank__fresh_halves_above_the_floor_each_half_life(void **state)
{
    nx_weights w = fresh_weights(30, 1000 * DAY);

    (void)state;
    /* 0.1 + 0.9 * 0.5 and 0.1 + 0.9 * 0.25 */
    assert_true(fabs(nx_rank_fresh(&w, true, 970 * DAY) - 0.55) < 1e-12);
    assert_true(fabs(nx_rank_fresh(&w, true, 940 * DAY) - 0.325) < 1e-12);
}

static void
test_rank__fresh_counts_the_distance_after_the_reference_too(void **state)
{
    nx_weights w = fresh_weights(30, 1000 * DAY);

    (void)state;
    assert_true(nx_rank_fresh(&w, true, 1030 * DAY) ==
                nx_rank_fresh(&w, true, 970 * DAY));
    assert_true(nx_rank_fresh(&w, true, 1001 * DAY) < 1.0);
}

static void
test_rank__fresh_never_falls_below_the_floor(void **state)
{
    nx_weights w = fresh_weights(1.0 / 24, 1000 * DAY); /* an hour */

    (void)state;
    /* 100 years of hourly halvings: 0.5^876000 is 0 in a double. */
    assert_true(nx_rank_fresh(&w, true, 1000 * DAY - 36500LL * DAY) == 0.1);
    assert_true(nx_rank_fresh(&w, true, 1000 * DAY + 36500LL * DAY) == 0.1);
    /* Damaged dates: no overflow, the same floor. */
    assert_true(nx_rank_fresh(&w, true, INT64_MIN) == 0.1);
    assert_true(nx_rank_fresh(&w, true, INT64_MAX) == 0.1);
}

static void
test_rank__fresh_of_an_undated_item_is_one_half(void **state)
{
    nx_weights w = fresh_weights(30, 1000 * DAY);

    (void)state;
    assert_true(nx_rank_fresh(&w, false, 0) == 0.5);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank__fresh_is_1_when_off),
        cmocka_unit_test(test_rank__fresh_is_1_at_the_reference),
        cmocka_unit_test(
            test_rank__fresh_halves_above_the_floor_each_half_life),
        cmocka_unit_test(
            test_rank__fresh_counts_the_distance_after_the_reference_too),
        cmocka_unit_test(test_rank__fresh_never_falls_below_the_floor),
        cmocka_unit_test(test_rank__fresh_of_an_undated_item_is_one_half),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
