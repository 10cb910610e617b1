/*
 * date.c - calendar arithmetic shared by the front-matter parser (dates of
 * items) and the query parser (date: filters): proleptic Gregorian, UTC,
 * no time zone database and no dependence on TZ.
 */
#include <stdio.h>

#include "base.h"

int
nx_days_in_month(int64_t year, int64_t month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool is_leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (month < 1 || month > 12)
        return 0;
    return month == 2 && is_leap ? 29 : days[month - 1];
}

/* H. Hinnant's days_from_civil. */
int64_t
nx_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t
nx_month_of(int64_t t)
{
    /* Beyond +-35 million years the month number is clamped, so that no
     * step below can overflow. */
    const int64_t far = (int64_t)1 << 50;
    int64_t days, z, era, doe, yoe, doy, mp, month, year;

    t = t < -far ? -far : t > far ? far : t;
    days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    /* H. Hinnant's civil_from_days. */
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    month = mp < 10 ? mp + 3 : mp - 9; /* 1..12 */
    year = yoe + era * 400 + (month <= 2);
    return (year - 1970) * 12 + (month - 1);
}
