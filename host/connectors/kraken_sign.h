/* kraken_sign.h — Kraken spot REST request signing, the one implementation: the connector signs
 * with it and the sim (host/simd/sim_kraken_auth.c) checks with it, so the ccxt tests that sign
 * with ccxt's own code against the sim (tests/ccxt/kraken_private.js, with the documented vector
 * of tests/data/vectors/signing.json) prove it.
 *   API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + body)))
 * Secrets are never logged; the decoded key is wiped after use. */
#ifndef TH_KRAKEN_SIGN_H
#define TH_KRAKEN_SIGN_H

#include <stddef.h>

/* The API-Sign text into out (at least 89 bytes). 0, or -1 for a secret that is not base64 or a
 * path over 256 bytes. */
int th_kraken_sign(const char *secret_b64, const char *uri_path, const char *nonce, const char *body, size_t body_n, char *out,
                   size_t cap);

#endif
