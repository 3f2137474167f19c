/* fx_store.h: records kept in flash, two slots each, so that a power cut at any instant leaves one to boot with. */
#ifndef FX_STORE_H
#define FX_STORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A record kind (the model, the configuration) owns two slots, each alone in a flash sector. A slot
 * is a header of FX_SLOT_HEADER_BYTES then the payload:
 *
 *   u32 magic (the kind's), u32 seq, u32 payload_len, u32 crc32 (of the first 12 bytes and the
 *   payload), 3 x u32 reserved (erased), u32 commit (FX_SLOT_COMMIT)
 *
 * A write erases the slot that is neither the newest valid one nor the one in use, programs the
 * payload, then the header's first four words, then the commit word, last. A cut before the
 * commit word is whole leaves that slot invalid (no commit, or a CRC that fails) and the other as
 * it was; a cut after it leaves the new record complete. Reading takes the valid slot of the
 * highest seq. Nothing here touches hardware: the flash is reached through fx_flash_ops.
 */
#define FX_SLOT_HEADER_BYTES 32u
#define FX_SLOT_COMMIT 0x4B4D4F43u /* "COMK": neither erased (0xFFFFFFFF) nor blank RAM (0) */
#define FX_STORE_NONE 0xFFu        /* no slot */

/* Erase and program as the flash controller does them: an erased byte reads 0xFF, programming
   clears bits. Each returns 0 on success; addresses are where the slot reads (memory-mapped). */
typedef struct {
    int (*erase_sector)(void *ctx, uint8_t sector);
    /* len a multiple of 4, address and data 4-aligned */
    int (*program)(void *ctx, const uint8_t *address, const uint8_t *data, uint32_t len);
    void *ctx;
} fx_flash_ops;

typedef struct {
    const uint8_t *base; /* where the slot reads, 4-aligned */
    uint32_t size;       /* bytes, header included */
    uint8_t sector;      /* the sector whose erase clears it, and nothing else in use */
} fx_slot;

typedef struct {
    uint32_t magic;
    fx_slot slot[2];
} fx_store_area;

typedef struct {
    const uint8_t *payload; /* in flash, 4-aligned */
    uint32_t len;
    uint32_t seq;
    uint8_t slot;           /* 0 or 1 */
} fx_record;

typedef enum {
    FX_STORE_OK = 0,
    FX_STORE_EMPTY = 1,     /* no valid slot (fx_store_newest) */
    FX_STORE_TOO_LARGE = 2, /* the payload does not fit a slot */
    FX_STORE_ERASE = 3,     /* the controller reported an erase error */
    FX_STORE_PROGRAM = 4,   /* the controller reported a programming error */
    FX_STORE_VERIFY = 5,    /* the slot does not read back what was written */
    FX_STORE_ARG = 6
} fx_store_status;

/* 1 when slot i of the area holds a complete record (magic, commit, length, CRC), and *out then. */
int fx_store_slot_valid(const fx_store_area *area, uint8_t i, fx_record *out);

/* The valid record of the highest seq whose slot is not in skip_mask (bit i: slot i), or
   FX_STORE_EMPTY. A caller that finds the newest unusable (a model this build refuses) asks again
   with its slot skipped. */
fx_store_status fx_store_newest(const fx_store_area *area, uint8_t skip_mask, fx_record *out);

/*
 * Write payload (len bytes, 4-aligned) as the area's newest record, into the slot that is neither
 * in_use (0, 1 or FX_STORE_NONE) nor the newest valid one when in_use is FX_STORE_NONE; the record
 * written is returned in *out. On any error the other slot is as it was.
 */
fx_store_status fx_store_write(const fx_store_area *area, const fx_flash_ops *flash, uint8_t in_use,
                               const uint8_t *payload, uint32_t len, fx_record *out);

/* Erase both slots (the built-in record then applies); the configuration's reset, the models' forget. */
fx_store_status fx_store_erase(const fx_store_area *area, const fx_flash_ops *flash);

#ifdef __cplusplus
}
#endif

#endif
