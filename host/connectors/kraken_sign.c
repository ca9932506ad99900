/* kraken_sign.c — Kraken REST API-Sign (see kraken_sign.h). */
#include "kraken_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

int th_kraken_sign(const char *secret_b64, const char *uri_path, const char *nonce, const char *body, size_t body_n, char *out,
                   size_t cap)
{
    size_t sl = strlen(secret_b64), pl = strlen(uri_path), nl = strlen(nonce);
    if (sl == 0 || sl % 4 || sl > 344 || pl > 256 || cap < 89) return -1;
    unsigned char key[258];
    int klen = EVP_DecodeBlock(key, (const unsigned char *)secret_b64, (int)sl);
    if (klen < 0) return -1;
    klen -= (secret_b64[sl - 1] == '=') + (secret_b64[sl - 2] == '='); /* EVP_DecodeBlock counts the padding */
    unsigned char msg[256 + SHA256_DIGEST_LENGTH], mac[64];
    memcpy(msg, uri_path, pl);
    EVP_MD_CTX *md = EVP_MD_CTX_new(); /* SHA256(nonce + body), hashed without a copy */
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(md, nonce, nl) != 1 ||
        EVP_DigestUpdate(md, body, body_n) != 1 || EVP_DigestFinal_ex(md, msg + pl, NULL) != 1) {
        EVP_MD_CTX_free(md);
        OPENSSL_cleanse(key, sizeof key);
        return -1;
    }
    EVP_MD_CTX_free(md);
    unsigned int mlen = 0;
    unsigned char *ok = HMAC(EVP_sha512(), key, klen, msg, pl + SHA256_DIGEST_LENGTH, mac, &mlen);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok || mlen != sizeof mac) return -1;
    EVP_EncodeBlock((unsigned char *)out, mac, (int)sizeof mac); /* 88 characters and a NUL */
    return 0;
}
