/* fx_store.c: two-slot records in flash: sequence number, CRC, commit word written last. */
#include "fx_store.h"

#include "fx_bytes.h"
#include "fx_kernels.h"

#define HEAD_CRC_BYTES 12u  /* magic, seq, payload_len: what the CRC covers before the payload */
#define COMMIT_OFFSET 28u

static uint32_t record_crc(const uint8_t *head, const uint8_t *payload, uint32_t len)
{
    return fx_crc32(fx_crc32(0, head, HEAD_CRC_BYTES), payload, len);
}

int fx_store_slot_valid(const fx_store_area *area, uint8_t i, fx_record *out)
{
    if (area == NULL || i > 1u || area->slot[i].base == NULL || area->slot[i].size < FX_SLOT_HEADER_BYTES) {
        return 0;
    }
    const uint8_t *head = area->slot[i].base;
    const uint32_t len = fx_rd32(head + 8);
    if (fx_rd32(head) != area->magic || fx_rd32(head + COMMIT_OFFSET) != FX_SLOT_COMMIT ||
        len > area->slot[i].size - FX_SLOT_HEADER_BYTES ||
        record_crc(head, head + FX_SLOT_HEADER_BYTES, len) != fx_rd32(head + 12)) {
        return 0;
    }
    if (out != NULL) {
        out->payload = head + FX_SLOT_HEADER_BYTES;
        out->len = len;
        out->seq = fx_rd32(head + 4);
        out->slot = i;
    }
    return 1;
}

fx_store_status fx_store_newest(const fx_store_area *area, uint8_t skip_mask, fx_record *out)
{
    fx_record found[2];
    int valid[2];
    for (uint8_t i = 0; i < 2u; ++i) {
        valid[i] = !(skip_mask & (1u << i)) && fx_store_slot_valid(area, i, &found[i]);
    }
    if (!valid[0] && !valid[1]) {
        return FX_STORE_EMPTY;
    }
    /* Sequence numbers compared modulo 2^32, so that even a wrap keeps the order. */
    const uint8_t pick = !valid[0] ? 1u : !valid[1] ? 0u : (int32_t)(found[1].seq - found[0].seq) > 0 ? 1u : 0u;
    *out = found[pick];
    return FX_STORE_OK;
}

static int reads_back(const uint8_t *flash, const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; ++i) {
        if (flash[i] != data[i]) {
            return 0;
        }
    }
    return 1;
}

fx_store_status fx_store_write(const fx_store_area *area, const fx_flash_ops *flash, uint8_t in_use,
                               const uint8_t *payload, uint32_t len, fx_record *out)
{
    if (area == NULL || flash == NULL || flash->erase_sector == NULL || flash->program == NULL ||
        (payload == NULL && len > 0) || ((uintptr_t)payload & 3u) != 0 || (in_use > 1u && in_use != FX_STORE_NONE)) {
        return FX_STORE_ARG;
    }
    fx_record newest;
    const int have = fx_store_newest(area, 0, &newest) == FX_STORE_OK;
    const uint8_t keep = in_use != FX_STORE_NONE ? in_use : have ? newest.slot : 1u;
    const fx_slot *target = &area->slot[keep ^ 1u];
    if (target->base == NULL || len > target->size - FX_SLOT_HEADER_BYTES) {
        return FX_STORE_TOO_LARGE;
    }
    uint32_t head[4];
    uint8_t *h = (uint8_t *)head;
    fx_wr32(h, area->magic);
    fx_wr32(h + 4, have ? newest.seq + 1u : 1u);
    fx_wr32(h + 8, len);
    fx_wr32(h + 12, record_crc(h, payload, len));
    const uint32_t commit = FX_SLOT_COMMIT;
    const uint32_t whole = len & ~3u;
    uint32_t tail = 0xFFFFFFFFu; /* the payload's last bytes, padded as erased flash reads */
    for (uint32_t i = whole; i < len; ++i) {
        ((uint8_t *)&tail)[i - whole] = payload[i];
    }
    if (flash->erase_sector(flash->ctx, target->sector) != 0) {
        return FX_STORE_ERASE;
    }
    uint8_t *at = (uint8_t *)(uintptr_t)target->base;
    if (flash->program(flash->ctx, at + FX_SLOT_HEADER_BYTES, payload, whole) != 0 ||
        (whole < len && flash->program(flash->ctx, at + FX_SLOT_HEADER_BYTES + whole, (const uint8_t *)&tail, 4) != 0) ||
        flash->program(flash->ctx, at, h, sizeof head) != 0) {
        return FX_STORE_PROGRAM;
    }
    /* The record is whole and checked before the commit word makes it count. */
    if (!reads_back(at + FX_SLOT_HEADER_BYTES, payload, len) || !reads_back(at, h, sizeof head)) {
        return FX_STORE_VERIFY;
    }
    if (flash->program(flash->ctx, at + COMMIT_OFFSET, (const uint8_t *)&commit, 4) != 0) {
        return FX_STORE_PROGRAM;
    }
    fx_record written;
    if (!fx_store_slot_valid(area, keep ^ 1u, &written)) {
        return FX_STORE_VERIFY;
    }
    if (out != NULL) {
        *out = written;
    }
    return FX_STORE_OK;
}

fx_store_status fx_store_erase(const fx_store_area *area, const fx_flash_ops *flash)
{
    if (area == NULL || flash == NULL || flash->erase_sector == NULL) {
        return FX_STORE_ARG;
    }
    /* The older first, so that a cut between the two leaves the newer, never a mix. */
    fx_record newest;
    const uint8_t first = fx_store_newest(area, 0, &newest) == FX_STORE_OK ? newest.slot ^ 1u : 0u;
    for (uint8_t k = 0; k < 2u; ++k) {
        if (flash->erase_sector(flash->ctx, area->slot[first ^ k].sector) != 0) {
            return FX_STORE_ERASE;
        }
    }
    return FX_STORE_OK;
}
