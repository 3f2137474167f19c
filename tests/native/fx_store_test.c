/* fx_store_test.c: the two-slot store on a simulated flash that loses power at every step of every write. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_store.h"

/*
 * Two sectors of SECTOR_BYTES. A step is a quarter of a sector's erase or one word's programming;
 * the power cut at step N leaves that step half done (half the quarter erased; the word's low
 * half-word programmed) and returns to the test through longjmp, as a reset would. After each cut
 * the store must find the new record or the one before it, whole, never anything else; with no cut
 * the new one. Prints one line per scenario and "ok"; exits 1 at the first wrong boot.
 */
#define SECTOR_BYTES 4096u
#define MAGIC 0x54534554u

static uint32_t flash_words[2 * SECTOR_BYTES / 4u];
static uint8_t *const flash = (uint8_t *)flash_words;
static long steps, cut_at;
static jmp_buf power_lost;

static int cut_now(void)
{
    return ++steps == cut_at;
}

static int erase(void *ctx, uint8_t sector)
{
    (void)ctx;
    uint8_t *at = flash + (size_t)sector * SECTOR_BYTES;
    for (uint32_t q = 0; q < 4u; ++q) {
        uint8_t *part = at + q * (SECTOR_BYTES / 4u);
        if (cut_now()) {
            memset(part, 0xFF, SECTOR_BYTES / 8u);
            longjmp(power_lost, 1);
        }
        memset(part, 0xFF, SECTOR_BYTES / 4u);
    }
    return 0;
}

static int program(void *ctx, const uint8_t *address, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    uint8_t *to = flash + (address - flash);
    for (uint32_t i = 0; i < len; i += 4u) {
        if (cut_now()) {
            to[i] &= data[i];
            to[i + 1u] &= data[i + 1u];
            longjmp(power_lost, 1);
        }
        for (uint32_t b = 0; b < 4u; ++b) {
            to[i + b] &= data[i + b]; /* programming clears bits only, as the flash does */
        }
    }
    return 0;
}

static const fx_flash_ops ops = {erase, program, NULL};
static fx_store_area area;

static void fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
    for (uint32_t i = 0; i < len; ++i) {
        buf[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 5));
    }
}

static int same(const fx_record *r, const uint8_t *payload, uint32_t len)
{
    return r->len == len && memcmp(r->payload, payload, len) == 0;
}

static int failures;

static void fail(const char *what, long n)
{
    printf("FAIL %s at cut %ld\n", what, n);
    ++failures;
}

/* 1 when the write completed and reads back, 0 when the power was cut, -1 when it failed. */
static int try_write(uint8_t in_use, const uint8_t *payload, uint32_t len)
{
    if (setjmp(power_lost) != 0) {
        return 0;
    }
    fx_record written;
    return fx_store_write(&area, &ops, in_use, payload, len, &written) == FX_STORE_OK && same(&written, payload, len)
               ? 1
               : -1;
}

static void try_erase(void)
{
    if (setjmp(power_lost) == 0) {
        (void)fx_store_erase(&area, &ops);
    }
}

/* Write new_payload over the flash as it is now (saved in before), cut at each step in turn. */
static void cut_everywhere(const char *name, const uint32_t *before, const uint8_t *old_payload, uint32_t old_len,
                           const uint8_t *new_payload, uint32_t new_len, uint8_t in_use)
{
    long n = 1, got_old = 0, got_new = 0, total = -1;
    for (;; ++n) {
        memcpy(flash_words, before, sizeof flash_words);
        steps = 0;
        cut_at = n;
        const int done = try_write(in_use, new_payload, new_len);
        cut_at = -1;
        if (done < 0) {
            fail("write without a cut", n);
            return;
        }
        fx_record boot;
        const fx_store_status st = fx_store_newest(&area, 0, &boot);
        if (done) {
            total = n - 1;
            if (st != FX_STORE_OK || !same(&boot, new_payload, new_len)) {
                fail("complete write does not boot the new record", n);
            }
            break;
        }
        if (st == FX_STORE_OK && same(&boot, new_payload, new_len)) {
            ++got_new;
        } else if (old_payload != NULL && st == FX_STORE_OK && same(&boot, old_payload, old_len)) {
            ++got_old;
        } else if (!(old_payload == NULL && st == FX_STORE_EMPTY)) {
            fail(name, n);
        }
    }
    memcpy(flash_words, before, sizeof flash_words); /* as it was, for the caller's next step */
    steps = 0;
    printf("%s: %ld steps, cut at each: %ld boot the previous record, %ld the new one\n", name, total, got_old,
           got_new);
}

int main(void)
{
    area.magic = MAGIC;
    for (uint8_t i = 0; i < 2u; ++i) {
        area.slot[i].base = flash + (size_t)i * SECTOR_BYTES;
        area.slot[i].size = 2048u; /* the slot is the sector's start, as the model slots are */
        area.slot[i].sector = i;
    }
    static uint32_t a_words[400], b_words[400], c_words[400];
    uint8_t *a = (uint8_t *)a_words, *b = (uint8_t *)b_words, *c = (uint8_t *)c_words;
    fill(a, sizeof a_words, 1);
    fill(b, sizeof b_words, 2);
    fill(c, sizeof c_words, 3);
    static uint32_t state[sizeof flash_words / 4u];
    fx_record r;

    /* Blank flash as the chip ships (0xFF), as Renode's memory starts (0x00), and noise: nothing. */
    const uint8_t blanks[] = {0xFF, 0x00, 0xA5};
    for (size_t i = 0; i < sizeof blanks; ++i) {
        memset(flash_words, blanks[i], sizeof flash_words);
        if (fx_store_newest(&area, 0, &r) != FX_STORE_EMPTY) {
            fail("blank flash holds a record", (long)i);
        }
    }

    /* The first record on erased flash; then over one record; then over two (the older slot goes). */
    memset(flash_words, 0xFF, sizeof flash_words);
    memcpy(state, flash_words, sizeof state);
    cut_everywhere("first record", state, NULL, 0, a, 1001u, FX_STORE_NONE);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, a, 1001u, &r);
    memcpy(state, flash_words, sizeof state);
    cut_everywhere("second record", state, a, 1001u, b, 1600u, FX_STORE_NONE);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, b, 1600u, &r);
    memcpy(state, flash_words, sizeof state);
    cut_everywhere("third record", state, b, 1600u, c, 7u, r.slot);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, c, 7u, &r);
    if (fx_store_newest(&area, 0, &r) != FX_STORE_OK || !same(&r, c, 7u) || r.seq != 3u) {
        fail("three writes: the newest is not the third, seq 3", 0);
    }
    /* The in-use slot is kept even when it holds the older record (a newer one this build refused). */
    const uint8_t older = (uint8_t)(r.slot ^ 1u);
    (void)fx_store_write(&area, &ops, older, a, 64u, &r);
    fx_record kept;
    if (r.slot == older || !fx_store_slot_valid(&area, older, &kept) || !same(&kept, b, 1600u)) {
        fail("a write erased the slot in use", 0);
    }
    /* A record skipped (its model refused) leaves the other. */
    if (fx_store_newest(&area, (uint8_t)(1u << r.slot), &kept) != FX_STORE_OK || !same(&kept, b, 1600u)) {
        fail("skipping the newest does not give the other", 0);
    }
    /* Too large for a slot: refused before anything is erased. */
    memcpy(state, flash_words, sizeof state);
    static uint32_t big[600];
    if (fx_store_write(&area, &ops, FX_STORE_NONE, (const uint8_t *)big, sizeof big, &r) != FX_STORE_TOO_LARGE ||
        memcmp(state, flash_words, sizeof state) != 0) {
        fail("an oversized record was not refused untouched", 0);
    }
    /* Each bit flipped in a record's header or payload invalidates it (CRC, magic, commit). */
    memset(flash_words, 0xFF, sizeof flash_words);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, a, 100u, &r);
    memcpy(state, flash_words, sizeof state);
    for (uint32_t bit = 0; bit < (FX_SLOT_HEADER_BYTES + 100u) * 8u; ++bit) {
        memcpy(flash_words, state, sizeof state);
        flash[r.slot * SECTOR_BYTES + bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
        const int reserved = bit / 8u >= 16u && bit / 8u < 28u; /* the reserved words are not checked */
        if (!reserved && fx_store_newest(&area, 0, &kept) != FX_STORE_EMPTY) {
            fail("a flipped bit went unnoticed", (long)bit);
            break;
        }
    }
    /* Erasing both (the configuration's reset), cut at each step: the newer or nothing, never a mix. */
    memset(flash_words, 0xFF, sizeof flash_words);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, a, 100u, &r);
    (void)fx_store_write(&area, &ops, FX_STORE_NONE, b, 200u, &r);
    memcpy(state, flash_words, sizeof state);
    for (long n = 1; n <= 9; ++n) {
        memcpy(flash_words, state, sizeof state);
        steps = 0;
        cut_at = n;
        try_erase();
        cut_at = -1;
        const fx_store_status st = fx_store_newest(&area, 0, &kept);
        if (!(st == FX_STORE_EMPTY || (st == FX_STORE_OK && same(&kept, b, 200u)))) {
            fail("erase cut leaves an older or broken record", n);
        }
    }
    printf("%s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
