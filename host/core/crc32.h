/* crc32.h — the host's one CRC-32: IEEE 802.3 polynomial, reflected, the value zlib's crc32()
 * gives. Two users: Kraken's book checksum (a ~400-byte string per update frame, on the hot path)
 * and the journal's per-record check.
 *
 * Why ISA-L and not zlib: ISA-L folds with PCLMULQDQ (chosen at run time for the CPU), zlib 1.2.13
 * uses table lookups. On the 400-byte checksum string it measured 29 ns against zlib's 217 ns on
 * this machine, and the checksum is on every Kraken book update. Results are identical (checked
 * against zlib in tests/unit/test_book.c). zlib stays for gzip-compressed recordings. */
#ifndef TH_CRC32_H
#define TH_CRC32_H

#include <stddef.h>
#include <stdint.h>
#include <isa-l/crc.h>

static inline uint32_t th_crc32(const void *p, size_t n)
{
    return crc32_gzip_refl(0, (const unsigned char *)p, (uint64_t)n);
}

/* The CRC of A followed by p[0, n), given crc = th_crc32(A) (zlib's crc32(crc, p, n)). */
static inline uint32_t th_crc32_continue(uint32_t crc, const void *p, size_t n)
{
    return crc32_gzip_refl(crc, (const unsigned char *)p, (uint64_t)n);
}

#endif
