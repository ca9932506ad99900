/* test_journal.c — the journal's framing: every field round-trips, group commit writes once, a torn
 * tail cut at every byte of the last record is detected and ignored, corruption in the middle is
 * refused, the file is created 0600 and never reused, and a process aborted mid-commit (the
 * TH_JOURNAL_CRASH_AT hook, in a forked child) leaves a readable prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>

#include "../../host/core/journal.h"
#include "money_check.h"

static char DIR_[256], PATH[300];

static int setup(void **st)
{
    (void)st;
    snprintf(DIR_, sizeof DIR_, "/tmp/th_journal_test_XXXXXX");
    if (!mkdtemp(DIR_)) return -1;
    snprintf(PATH, sizeof PATH, "%s/j.thj", DIR_);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    unlink(PATH);
    rmdir(DIR_);
    return 0;
}

static th_jrec sample(int i)
{
    th_jrec r;
    memset(&r, 0, sizeof r);
    r.type = TH_J_FILL;
    r.ts_ns = 1700000000000000000LL + i;
    r.side = i % 2;
    r.code = -3;
    r.price = 123456789012LL + i;
    r.qty = -5;
    r.fee = 17;
    r.created_ns = 99;
    snprintf(r.cl_id, sizeof r.cl_id, "h1-%d", i);
    snprintf(r.trade_id, sizeof r.trade_id, "TX-%d", i);
    snprintf(r.symbol, sizeof r.symbol, "XBT/USD");
    snprintf(r.text, sizeof r.text, "note \"%d\"\n", i);
    return r;
}

static void record_round_trip(void **st)
{
    (void)st;
    th_jrec a = sample(7), b;
    a.type = TH_J_ORDER;
    a.filled = 3;
    a.cost = -4;
    a.realised = 1LL << 62;
    a.notional = 6;
    a.seq = 9;
    a.reason = 2;
    snprintf(a.ex_id, sizeof a.ex_id, "OABCDE-FGHIJ-KLMNOP");
    snprintf(a.tag, sizeof a.tag, "quote");
    uint8_t buf[1024];
    int n = th_jrec_encode(&a, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(th_jrec_decode(buf, (size_t)n, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(th_jrec_decode(buf, (size_t)n - 1, &b), -1); /* a cut field is refused */
    buf[0] = 99;
    assert_int_equal(th_jrec_decode(buf, (size_t)n, &b), -1);      /* unknown type */
    assert_int_equal(th_jrec_encode(&a, buf, 20), -1);
}

/* Money fields are 128-bit: values beyond int64 (1 BTC at 1,000,000 with 8 + 8 decimals is 10^22
 * units) round-trip exactly, values that fit keep the 8-byte form version 1 wrote, and the
 * trading day and decimals ride along. */
static void money_fields_round_trip_at_128_bits(void **st)
{
    (void)st;
    th_jrec a = sample(3), b;
    a.type = TH_J_POSITION;
    a.price_dec = 8;
    a.qty_dec = 8;
    a.day = 20419;
    a.cost = th_money_mul(100000000, 100000000000000LL);        /* 1 BTC at 1,000,000: 10^22 */
    a.realised = -th_money_pow10(30) - 7;
    a.fee = ((th_money)1 << 126) - 1 + ((th_money)1 << 126);   /* the largest value */
    a.notional = -((th_money)1 << 126) * 2;                       /* the smallest */
    a.day_realised = (th_money)INT64_MAX + 1;
    a.day_fees = INT64_MIN;
    a.day_unrealised = -((th_money)INT64_MAX + 2);
    uint8_t buf[1024];
    int n = th_jrec_encode(&a, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(th_jrec_decode(buf, (size_t)n, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_money_equal(b.cost, th_money_pow10(22));
    assert_int_equal(b.price_dec, 8);
    assert_int_equal(b.day, 20419);
    /* a value that fits int64 is written in 8 bytes (as version 1 wrote every field) */
    th_jrec c = sample(3);
    c.cost = INT64_MAX;
    int n8 = th_jrec_encode(&c, buf, sizeof buf);
    c.cost = (th_money)INT64_MAX + 1;
    int n16 = th_jrec_encode(&c, buf, sizeof buf);
    assert_int_equal(n16 - n8, 8);
    assert_int_equal(th_jrec_decode(buf, (size_t)n16, &b), 0);
    assert_money_equal(b.cost, (th_money)INT64_MAX + 1);
    /* a money field of any other length is refused */
    uint8_t bad[] = {TH_J_FILL, 0, 0, 0, 0, 0, 0, 0, 0, 7 /* F_FEE */, 4, 1, 2, 3, 4};
    assert_int_equal(th_jrec_decode(bad, sizeof bad, &b), -1);
}

static int count_cb(void *ctx, const th_jrec *r)
{
    int *n = ctx;
    th_jrec want = sample(*n);
    if (memcmp(&want, r, sizeof want) != 0) return 1;
    (*n)++;
    return 0;
}

static void write_n(int n, bool sync)
{
    th_journal j;
    const char *err;
    assert_int_equal(th_journal_open(&j, PATH, sync, &err), 0);
    for (int i = 0; i < n; i++) {
        th_jrec r = sample(i);
        assert_int_equal(th_journal_append(&j, &r), 0);
        if (i % 10 == 9) assert_int_equal(th_journal_commit(&j, &err), 0);
    }
    assert_int_equal(th_journal_commit(&j, &err), 0);
    assert_int_equal(j.records, (uint64_t)n);
    assert_int_equal(j.commits, (uint64_t)((n + 9) / 10));
    th_journal_close(&j);
}

static void append_commit_read_and_file_mode(void **st)
{
    (void)st;
    write_n(95, true);
    struct stat sb;
    assert_int_equal(stat(PATH, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    int n = 0;
    th_journal_scan scan;
    const char *err = NULL;
    assert_int_equal(th_journal_read(PATH, count_cb, &n, &scan, &err), 0);
    assert_int_equal(n, 95);
    assert_false(scan.torn_tail);
    assert_false(scan.corrupt);
    assert_int_equal(scan.bytes_ok, (uint64_t)sb.st_size);
    th_journal j;
    assert_int_equal(th_journal_open(&j, PATH, true, &err), -1); /* never appended to by a second session */
    assert_non_null(strstr(err, PATH));
    assert_non_null(strstr(err, "already exists"));
}

/* Every failure names the file, the step and the system's reason: a disk that is full, a sync the
 * device refuses and a directory that is missing are different problems for the operator (before,
 * open said only "cannot create the journal file" and every append failure "out of memory"). */
static void failures_name_the_path_and_the_reason(void **st)
{
    (void)st;
    th_journal j;
    const char *err = NULL;
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no-such-dir/j.thj", DIR_);
    assert_int_equal(th_journal_open(&j, missing, true, &err), -1);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file or directory"));

    th_jrec r = sample(1);
    assert_int_equal(th_journal_open(&j, PATH, true, &err), 0);
    close(j.fd);
    j.fd = open("/dev/full", O_WRONLY); /* the disk fills up */
    assert_int_equal(th_journal_append(&j, &r), 0);
    assert_int_equal(th_journal_commit(&j, &err), -1);
    assert_non_null(strstr(err, "journal write failed"));
    assert_non_null(strstr(err, "No space left on device"));
    assert_non_null(strstr(err, PATH));
    /* fsync = "always": the append itself commits, and its failure keeps the real reason */
    j.commit_each = true;
    j.len = 0;
    j.broken = false; /* (a failed journal takes no more writes: start it over for each case) */
    assert_int_equal(th_journal_append(&j, &r), -1);
    assert_non_null(strstr(j.error, "No space left on device"));
    /* a write that lands but a sync that fails (a pipe cannot be synced: EINVAL) */
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(j.fd);
    j.fd = p[1];
    j.commit_each = false;
    j.len = 0;
    j.broken = false;
    assert_int_equal(th_journal_append(&j, &r), 0);
    assert_int_equal(th_journal_commit(&j, &err), -1);
    assert_non_null(strstr(err, "journal fdatasync failed"));
    assert_non_null(strstr(err, "Invalid argument"));
    close(p[0]);
    th_journal_close(&j);
}

static void write_n_to(const char *path, int n)
{
    th_journal j;
    const char *err;
    unlink(path);
    assert_int_equal(th_journal_open(&j, path, false, &err), 0);
    for (int i = 0; i < n; i++) {
        th_jrec r = sample(i);
        th_journal_append(&j, &r);
        assert_int_equal(th_journal_commit(&j, &err), 0);
    }
    th_journal_close(&j);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static int read_count(int *n, th_journal_scan *scan)
{
    const char *err = NULL;
    *n = 0;
    return th_journal_read(PATH, count_cb, n, scan, &err);
}

static void torn_tail_at_every_byte(void **st)
{
    (void)st;
    size_t n4, n5;
    write_n_to(PATH, 4);
    free(slurp(PATH, &n4));
    write_n_to(PATH, 5);
    char *full = slurp(PATH, &n5);
    assert_true(n5 > n4 + 8);
    for (size_t cut = n4; cut < n5; cut++) {
        spit(PATH, full, cut);
        int n;
        th_journal_scan scan;
        assert_int_equal(read_count(&n, &scan), 0);
        assert_int_equal(n, 4);
        assert_int_equal(scan.torn_tail, cut > n4);
        assert_false(scan.corrupt);
        assert_int_equal(scan.bytes_ok, n4);
    }
    /* a flipped byte in the last record is indistinguishable from a torn write: ignored */
    full[n5 - 3] ^= 0x40;
    spit(PATH, full, n5);
    int n;
    th_journal_scan scan;
    assert_int_equal(read_count(&n, &scan), 0);
    assert_int_equal(n, 4);
    assert_true(scan.torn_tail);
    free(full);
}

static void corruption_in_the_middle_is_refused(void **st)
{
    (void)st;
    size_t n1, n5;
    write_n_to(PATH, 1);
    free(slurp(PATH, &n1));
    write_n_to(PATH, 5);
    char *full = slurp(PATH, &n5);
    full[n1 + 12] ^= 0x01; /* inside record 2's body */
    spit(PATH, full, n5);
    int n = 0;
    th_journal_scan scan;
    const char *err = NULL;
    assert_int_equal(th_journal_read(PATH, count_cb, &n, &scan, &err), -1);
    assert_true(scan.corrupt);
    assert_int_equal(scan.records, 1);
    assert_int_equal(scan.bad_offset, n1);
    assert_non_null(strstr(err, "corruption"));
    free(full);
}

/* Issue 10 item 9: one flipped bit in a middle record's length made the reader take the rest of
 * the file for a torn tail (a length past 1024 or past the end "ran to EOF"), dropping every later
 * record silently. Now every bit of a middle record (length, CRC, body) is corruption naming the
 * record's offset and where valid records resume; the same bits in the last record are a torn tail
 * (nothing valid follows it); and zeros or garbage after the last record are a torn tail too. */
static void every_bit_of_a_middle_record_is_corruption_of_the_last_a_torn_tail(void **st)
{
    (void)st;
    enum { N = 30, MID = 19 };
    size_t off[N + 1], n;
    for (int k = 1; k <= N; k++) {
        write_n_to(PATH, k);
        free(slurp(PATH, &off[k]));
    }
    off[0] = 0;
    char *full = slurp(PATH, &n);
    assert_int_equal(n, off[N]);
    for (int which = 0; which < 2; which++) {
        int rec = which == 0 ? MID : N - 1; /* 0-based: record 20 of 30, and the last */
        size_t start = off[rec], end = off[rec + 1];
        for (size_t byte = start; byte < end; byte++)
            for (int bitn = 0; bitn < 8; bitn++) {
                full[byte] ^= (char)(1 << bitn);
                spit(PATH, full, n);
                int got = 0;
                th_journal_scan scan;
                const char *err = NULL;
                int rc = th_journal_read(PATH, count_cb, &got, &scan, &err);
                full[byte] ^= (char)(1 << bitn);
                const char *part = byte < start + 4 ? "length" : byte < start + 8 ? "crc" : "body";
                if (scan.records != (uint64_t)rec || scan.bad_offset != start)
                    fail_msg("bit %d of byte %zu (%s of record %d): read %llu records, bad at %llu", bitn, byte, part, rec + 1,
                             (unsigned long long)scan.records, (unsigned long long)scan.bad_offset);
                if (which == 0 && (rc != -1 || !scan.corrupt || scan.torn_tail || scan.next_good != end || !strstr(err, "corruption")))
                    fail_msg("bit %d of byte %zu (%s of a middle record) not refused as corruption (rc %d torn %d next %llu)", bitn,
                             byte, part, rc, scan.torn_tail, (unsigned long long)scan.next_good);
                if (which == 1 && (rc != 0 || scan.corrupt || !scan.torn_tail))
                    fail_msg("bit %d of byte %zu (%s of the last record) not a torn tail", bitn, byte, part);
            }
    }
    /* zeros (a file extended but never written: a crash after the size reached the disk) and
     * garbage where a record would have been: torn tails */
    char *more = calloc(1, n + 4096);
    memcpy(more, full, n);
    spit(PATH, more, n + 4096);
    int got;
    th_journal_scan scan;
    assert_int_equal(read_count(&got, &scan), 0);
    assert_int_equal(got, N);
    assert_true(scan.torn_tail);
    for (int i = 0; i < 4096; i++) more[n + i] = (char)(i * 131 + 7);
    spit(PATH, more, n + 4096);
    assert_int_equal(read_count(&got, &scan), 0);
    assert_int_equal(got, N);
    assert_true(scan.torn_tail);
    free(more);
    free(full);
}

static void abort_mid_commit_leaves_a_readable_prefix(void **st)
{
    (void)st;
    size_t n3;
    write_n_to(PATH, 3);
    free(slurp(PATH, &n3));
    unlink(PATH);
    for (int extra = 1; extra < 12; extra += 5) {
        pid_t pid = fork();
        if (pid == 0) {
            char at[32];
            snprintf(at, sizeof at, "%zu", n3 + (size_t)extra);
            setenv("TH_JOURNAL_CRASH_AT", at, 1);
            write_n_to(PATH, 10);
            _exit(0); /* not reached: the hook aborts */
        }
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        int n;
        th_journal_scan scan;
        assert_int_equal(read_count(&n, &scan), 0);
        assert_int_equal(n, 3);
        assert_true(scan.torn_tail);
        unlink(PATH);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_round_trip),
        cmocka_unit_test(money_fields_round_trip_at_128_bits),
        cmocka_unit_test_setup_teardown(append_commit_read_and_file_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_name_the_path_and_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_tail_at_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(corruption_in_the_middle_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(every_bit_of_a_middle_record_is_corruption_of_the_last_a_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(abort_mid_commit_leaves_a_readable_prefix, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
