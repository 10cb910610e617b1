/*
 * date.c - calendar arithmetic shared by the front-matter parser (dates of
 * items) and the query parser (date: filters): proleptic Gregorian, UTC,
 * no time zone database and no dependence on TZ.
 */
#include "internal.h"

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
