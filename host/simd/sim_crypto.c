/* sim_crypto.c — OpenSSL behind the sim's small crypto API (see sim_crypto.h). OpenSSL 3: the
 * one-shot HMAC() and EVP_Digest() (the HMAC_CTX API is deprecated). */
#include "sim_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int simd_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    while (n && (in[n - 1] == '\n' || in[n - 1] == '\r' || in[n - 1] == ' ')) n--;
    if (n == 0 || n % 4 || n / 4 * 3 > cap || n > 1 << 20) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                  (c == '=' && i >= n - 2);
        if (!ok) return -1;
    }
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0) return -1;
    /* EVP_DecodeBlock counts padding as zero bytes */
    if (in[n - 1] == '=') len--;
    if (in[n - 2] == '=') len--;
    return len;
}

int simd_b64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    if (cap < (n + 2) / 3 * 4 + 1) return -1;
    return EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

void simd_sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void simd_hmac_sha512(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[64])
{
    unsigned int len = 64;
    HMAC(EVP_sha512(), key, (int)klen, msg, mlen, out, &len);
}

void simd_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

bool simd_ct_equal(const char *a, size_t an, const char *b, size_t bn)
{
    unsigned diff = (unsigned)(an ^ bn);
    for (size_t i = 0; i < bn; i++) diff |= (unsigned)(unsigned char)(i < an ? a[i] : 0) ^ (unsigned char)b[i];
    return diff == 0;
}

uint64_t simd_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
