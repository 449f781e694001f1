#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "version.h"

int
strata_version_parse(const char *s, size_t n, strata_version_key *out)
{
    memset(out, 0, sizeof(*out));
    size_t digits = 0;
    uint64_t value = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || out->nparts == STRATA_VERSION_MAX_PARTS)
                return -1;
            out->part[out->nparts++] = value;
            digits = 0;
            value = 0;
        } else if (s[i] >= '0' && s[i] <= '9') {
            if (++digits > 19)
                return -1;
            value = value * 10 + (uint64_t)(s[i] - '0');
        } else {
            return -1;
        }
    }
    return 0;
}

int
strata_version_cmp(const strata_version_key *a, const strata_version_key *b)
{
    int n = a->nparts > b->nparts ? a->nparts : b->nparts;
    for (int i = 0; i < n; i++) {
        uint64_t x = i < a->nparts ? a->part[i] : 0;
        uint64_t y = i < b->nparts ? b->part[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

int
strata_version_cmp_text(const char *a, const char *b)
{
    strata_version_key va, vb;
    int ba = strata_version_parse(a, strlen(a), &va);
    int bb = strata_version_parse(b, strlen(b), &vb);
    if (ba == 0 && bb == 0)
        return strata_version_cmp(&va, &vb);
    if (ba != bb)
        return ba == 0 ? -1 : 1;
    return strcmp(a, b);
}
