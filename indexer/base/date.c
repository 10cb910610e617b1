/*
 * date.c - calendar arithmetic shared by the front-matter parser (dates of
 * items) and the query parser (date: filters): proleptic Gregorian, UTC,
 * no time zone database and no dependence on TZ; and the reading of dates
 * as written in front matter (ISO 8601 / YAML timestamps and RFC 2822).
 */
#include <stdio.h>
#include <string.h>

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

/**************************************************************************
** Dates as written: ISO 8601 / YAML timestamps and RFC 2822
*/

typedef struct date_parts {
    int year, month, day;
    int hour, minute, second;
    int offset; /* seconds east of UTC */
} date_parts;

typedef struct date_scan {
    const char *p;
    const char *end;
} date_scan;

static bool
date_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read `min`..`max` digits. */
static bool
date_scan_int(date_scan *sc, int min, int max, int *value)
{
    int n = 0;

    *value = 0;
    while (n < max && sc->p < sc->end && date_is_digit(*sc->p)) {
        *value = *value * 10 + (*sc->p++ - '0');
        n++;
    }
    return n >= min;
}

static bool
date_scan_char(date_scan *sc, char c)
{
    if (sc->p < sc->end && *sc->p == c) {
        sc->p++;
        return true;
    }
    return false;
}

static size_t
date_scan_spaces(date_scan *sc)
{
    size_t n = 0;

    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t')) {
        sc->p++;
        n++;
    }
    return n;
}

/* Up to `size` - 1 letters, lower-cased into `w`; returns their number. */
static size_t
date_scan_word(date_scan *sc, char *w, size_t size)
{
    size_t n = 0;

    while (sc->p < sc->end && n + 1 < size &&
           ((*sc->p | 0x20) >= 'a' && (*sc->p | 0x20) <= 'z'))
        w[n++] = (char)(*sc->p++ | 0x20);
    w[n] = '\0';
    return n;
}

/* hh:mm[:ss[.fraction]]; the fraction is dropped. */
static bool
date_scan_time(date_scan *sc, date_parts *dt)
{
    if (!date_scan_int(sc, 1, 2, &dt->hour) || !date_scan_char(sc, ':') ||
        !date_scan_int(sc, 2, 2, &dt->minute))
        return false;
    if (!date_scan_char(sc, ':'))
        return true;
    if (!date_scan_int(sc, 2, 2, &dt->second))
        return false;
    if (date_scan_char(sc, '.') || date_scan_char(sc, ',')) {
        while (sc->p < sc->end && date_is_digit(*sc->p))
            sc->p++;
    }
    return true;
}

/* A zone offset: +hh, +h, +hhmm or +hh:mm (or -). */
static bool
date_scan_offset(date_scan *sc, date_parts *dt)
{
    int sign, hours, minutes = 0;

    if (sc->p >= sc->end || (*sc->p != '+' && *sc->p != '-'))
        return false;
    sign = *sc->p++ == '-' ? -1 : 1;
    if (!date_scan_int(sc, 1, 2, &hours) || hours > 23)
        return false;
    date_scan_char(sc, ':');
    if (sc->p < sc->end && !date_scan_int(sc, 2, 2, &minutes))
        return false;
    if (minutes > 59)
        return false;
    dt->offset = sign * (hours * 3600 + minutes * 60);
    return true;
}

/* YYYY-MM-DD, then optionally [T|t|spaces]hh:mm[:ss[.f]][spaces][zone]. */
static bool
date_iso(date_scan *sc, date_parts *dt)
{
    if (!date_scan_int(sc, 4, 4, &dt->year) || !date_scan_char(sc, '-') ||
        !date_scan_int(sc, 1, 2, &dt->month) || !date_scan_char(sc, '-') ||
        !date_scan_int(sc, 1, 2, &dt->day))
        return false;
    if (sc->p == sc->end)
        return true;
    if (!date_scan_char(sc, 'T') && !date_scan_char(sc, 't') &&
        date_scan_spaces(sc) == 0)
        return false;
    if (!date_scan_time(sc, dt))
        return false;
    date_scan_spaces(sc);
    if (sc->p == sc->end || date_scan_char(sc, 'Z') || date_scan_char(sc, 'z'))
        return sc->p == sc->end;
    return date_scan_offset(sc, dt) && sc->p == sc->end;
}

/* Index of `w` in `names` by its first three letters or in full; -1. */
static int
date_name_index(const char *w, size_t n, const char *const *names)
{
    int i;

    for (i = 0; names[i] != NULL; i++) {
        if ((n == 3 && strncmp(w, names[i], 3) == 0) ||
            strcmp(w, names[i]) == 0)
            return i;
    }
    return -1;
}

/* An RFC 2822 zone: +hhmm, -hhmm, GMT, UT, UTC, Z or a US zone name. */
static bool
date_rfc2822_zone(date_scan *sc, date_parts *dt)
{
    static const char *const names[] = {"gmt", "ut",  "utc", "z",   "est",
                                        "edt", "cst", "cdt", "mst", "mdt",
                                        "pst", "pdt", NULL};
    static const int hours[] = {0, 0, 0, 0, -5, -4, -6, -5, -7, -6, -8, -7};
    char w[8];
    int i;

    if (sc->p == sc->end)
        return true;
    if (*sc->p == '+' || *sc->p == '-')
        return date_scan_offset(sc, dt);
    date_scan_word(sc, w, sizeof(w));
    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(w, names[i]) == 0) {
            dt->offset = hours[i] * 3600;
            return true;
        }
    }
    return false;
}

/* A year of RFC 2822: four digits, or the obsolete two (1950-2049) and
 * three (+1900). */
static bool
date_scan_year(date_scan *sc, int *year)
{
    const char *start = sc->p;

    if (!date_scan_int(sc, 2, 4, year))
        return false;
    if (sc->p - start == 2)
        *year += *year < 50 ? 2000 : 1900;
    else if (sc->p - start == 3)
        *year += 1900;
    return true;
}

/* [Day[,]] DD Mon YYYY hh:mm[:ss] [zone] [(comment)] */
static bool
date_rfc2822(date_scan *sc, date_parts *dt)
{
    static const char *const days[] = {"monday",   "tuesday", "wednesday",
                                       "thursday", "friday",  "saturday",
                                       "sunday",   NULL};
    static const char *const months[] = {
        "january",  "february", "march",  "april",     "may",
        "june",     "july",     "august", "september", "october",
        "november", "december", NULL};
    char w[16];
    size_t n = date_scan_word(sc, w, sizeof(w));

    if (n > 0 && date_name_index(w, n, days) < 0)
        return false;
    date_scan_char(sc, ',');
    date_scan_spaces(sc);
    if (!date_scan_int(sc, 1, 2, &dt->day) || date_scan_spaces(sc) == 0)
        return false;
    n = date_scan_word(sc, w, sizeof(w));
    dt->month = date_name_index(w, n, months) + 1;
    if (dt->month == 0 || date_scan_spaces(sc) == 0 ||
        !date_scan_year(sc, &dt->year) || date_scan_spaces(sc) == 0 ||
        !date_scan_time(sc, dt))
        return false;
    date_scan_spaces(sc);
    if (!date_rfc2822_zone(sc, dt))
        return false;
    date_scan_spaces(sc);
    if (sc->p < sc->end && *sc->p == '(' && sc->end[-1] == ')')
        sc->p = sc->end;
    return sc->p == sc->end;
}

/* Parse a date and time as written in front matter into Unix seconds.  No
 * zone means UTC; a date alone is its midnight UTC. */
bool
nx_date_parse(const char *s, size_t len, int64_t *out)
{
    date_parts dt;
    date_scan sc;

    nx_scalar_trim(&s, &len);
    memset(&dt, 0, sizeof(dt));
    sc.p = s;
    sc.end = s + len;
    if (!date_iso(&sc, &dt)) {
        memset(&dt, 0, sizeof(dt));
        sc.p = s;
        if (!date_rfc2822(&sc, &dt))
            return false;
    }
    if (dt.month < 1 || dt.month > 12 || dt.day < 1 ||
        dt.day > nx_days_in_month(dt.year, dt.month) || dt.hour > 23 ||
        dt.minute > 59 || dt.second > 60)
        return false;
    *out = nx_days_from_civil(dt.year, dt.month, dt.day) * 86400 +
           dt.hour * 3600 + dt.minute * 60 + dt.second - dt.offset;
    return true;
}
