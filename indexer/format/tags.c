/*
 * tags.c - the filter tokens of the fts table's tags column (format.h
 * names them): here, the tags of a month and of a year, which store.c
 * writes for an item's date and the query side looks up for a date: range.
 */
#include <stdio.h>

#include "format.h"

void
nx_date_tag(char *out, bool is_year, int64_t month)
{
    int64_t year = 1970 + (month >= 0 ? month / 12 : -((-month + 11) / 12));
    int m = (int)(month - (year - 1970) * 12) + 1;
    const char *sign = year < 0 ? "n" : "";
    unsigned long long mag = (unsigned long long)(year < 0 ? -year : year);

    if (is_year)
        snprintf(out, NX_DATE_TAG_SIZE, "%s%s%llu", NX_TAG_YEAR, sign, mag);
    else
        snprintf(out, NX_DATE_TAG_SIZE, "%s%s%llu%02d", NX_TAG_MONTH, sign, mag,
                 m);
}
