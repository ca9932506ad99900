/* sim_kraken_names.c — Kraken's REST names for assets and pairs, derived from v2 instrument data.
 *
 * The v2 API names assets as people do (BTC, DOGE, XMR, USD); the REST API, and so every REST
 * client, uses the older ids: the assets listed before 2018 carry an X (crypto) or Z (fiat) prefix
 * (XXBT, XXMR, ZUSD), Bitcoin is XBT and Dogecoin XDG, and a pair of two such assets is named by
 * their ids joined (XXMRZUSD), any other pair by the altnames joined (KSMXBT, WAVESEUR). The table
 * of Kraken's prefixed assets and the naming rule are host/venues/kraken_names.c, shared with the
 * connector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../venues/kraken_names.h"
#include "sim_kraken.h"

static int32_t asset_add(kr_state *k, const char *v2)
{
    for (int32_t i = 0; i < k->nassets; i++)
        if (strcmp(k->assets[i].v2, v2) == 0) return i;
    kr_asset *a = realloc(k->assets, sizeof *a * (size_t)(k->nassets + 1));
    if (!a) return -1;
    k->assets = a;
    kr_asset *x = &a[k->nassets];
    memset(x, 0, sizeof *x);
    snprintf(x->v2, sizeof x->v2, "%s", v2);
    th_kraken_asset_names(v2, x->id, sizeof x->id, x->alt, sizeof x->alt, &x->fiat);
    return k->nassets++;
}

int kr_names_build(simd *s, const char **err)
{
    kr_state *k = kr_of(s);
    const th_instruments *ins = &s->feed.instruments;
    k->pairs = calloc((size_t)ins->n, sizeof *k->pairs);
    if (!k->pairs) { *err = "out of memory"; return -1; }
    k->npairs = ins->n;
    for (int32_t i = 0; i < ins->n; i++) {
        const th_instrument *in = &ins->v[i];
        kr_pair *p = &k->pairs[i];
        if (!in->base[0] || !in->quote[0]) { *err = "--instruments: an instrument without base or quote asset"; return -1; }
        p->base = asset_add(k, in->base);
        p->quote = asset_add(k, in->quote);
        if (p->base < 0 || p->quote < 0) { *err = "out of memory"; return -1; }
        th_kraken_pair_names(in->base, in->quote, p->id, sizeof p->id, p->alt, sizeof p->alt, p->wsname, sizeof p->wsname);
    }
    return 0;
}

void kr_names_free(kr_state *k)
{
    free(k->assets);
    free(k->pairs);
    k->assets = NULL;
    k->pairs = NULL;
}

static bool eqn(const char *a, const char *b, size_t n) { return strlen(a) == n && strncasecmp(a, b, n) == 0; }

int32_t kr_pair_find(simd *s, const char *name, size_t n)
{
    int32_t i = th_instruments_find(&s->feed.instruments, name, n);
    if (i >= 0) return i;
    kr_state *k = kr_of(s);
    for (i = 0; i < k->npairs; i++) {
        const kr_pair *p = &k->pairs[i];
        if (eqn(p->id, name, n) || eqn(p->alt, name, n) || eqn(p->wsname, name, n)) return i;
    }
    return -1;
}

int32_t kr_asset_find(const kr_state *k, const char *name, size_t n)
{
    for (int32_t i = 0; i < k->nassets; i++) {
        const kr_asset *a = &k->assets[i];
        if (eqn(a->id, name, n) || eqn(a->alt, name, n) || eqn(a->v2, name, n)) return i;
    }
    return -1;
}
