/* kraken_names.h — Kraken's REST names for assets and pairs, derived from the v2 names of the
 * instrument data; one table for the sim (which serves them) and the connector (which reads them
 * back from OpenOrders and TradesHistory).
 *
 * The v2 API names assets as people do (BTC, DOGE, XMR, USD); the REST API uses the older ids: the
 * assets listed before 2018 carry an X (crypto) or Z (fiat) prefix (XXBT, XXMR, ZUSD), Bitcoin is
 * XBT and Dogecoin XDG, and a pair of two such assets is named by their ids joined (XXMRZUSD), any
 * other pair by the altnames joined (KSMXBT, WAVESEUR). Anything not in Kraken's list keeps its v2
 * name. */
#ifndef TH_KRAKEN_NAMES_H
#define TH_KRAKEN_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/instrument.h"

/* An asset's REST id (XXBT) and altname (XBT), and whether it is fiat. */
void th_kraken_asset_names(const char *v2, char *id, size_t id_cap, char *alt, size_t alt_cap, bool *fiat);
/* The v2 name of an asset any API names (XXBT, XBT or BTC -> BTC; ZUSD -> USD); others as given. */
void th_kraken_asset_v2(const char *name, size_t n, char *out, size_t cap);
/* A pair's REST id (XXMRZUSD), altname (XMRUSD) and v1 wsname (XMR/USD) from its v2 base and quote. */
void th_kraken_pair_names(const char *base, const char *quote, char *id, size_t id_cap, char *alt, size_t alt_cap, char *wsname,
                          size_t ws_cap);
/* The instrument a name given by any API means (v2 symbol, REST id, altname or wsname), or -1. */
int32_t th_kraken_pair_find(const th_instruments *r, const char *name, size_t n);

#endif
