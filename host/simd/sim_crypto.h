/* sim_crypto.h — the sim's one adapter over OpenSSL's libcrypto: the digests, MACs and base64 the
 * venues' request signatures are made of, a constant-time compare, and the seeded generator that
 * makes keys, secrets and tokens repeatable for a given --seed. Nothing else in the sim includes
 * an OpenSSL header. */
#ifndef TH_SIM_CRYPTO_H
#define TH_SIM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Standard base64 (with padding). decode: the byte count, or -1 for bad input or cap too small. */
int simd_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap);
/* encode: writes a NUL-terminated text; returns its length, or -1 if cap is too small. */
int simd_b64_encode(const unsigned char *in, size_t n, char *out, size_t cap);
void simd_sha256(const void *p, size_t n, unsigned char out[32]);
void simd_hmac_sha512(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[64]);
void simd_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32]);
/* Equal texts, in time that depends only on the lengths. */
bool simd_ct_equal(const char *a, size_t an, const char *b, size_t bn);
/* splitmix64: the next value of a seeded sequence. */
uint64_t simd_rand(uint64_t *state);

#endif
