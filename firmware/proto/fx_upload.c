/* fx_upload.c: UPLOAD_BEGIN, UPLOAD_CHUNK and UPLOAD_COMMIT: a new model, checked whole before it runs. */
#include "fx_upload.h"

#include <string.h>

#include "fx_bytes.h"

uint8_t fx_upload_begin(fx_upload *u, const uint8_t *payload, uint16_t len)
{
    if (len != 8 && !(len == 9 && (payload[8] & ~FX_UPLOAD_KEEP) == 0)) {
        return FX_E_BAD_LENGTH;
    }
    const uint32_t total = fx_rd32(payload);
    if (total == 0 || total > FX_MAX_MODEL_BYTES) {
        u->receiving = 0;
        return FX_E_UPLOAD_TOO_LARGE;
    }
    u->total = total;
    u->crc = fx_rd32(payload + 4);
    u->flags = len == 9 ? payload[8] : 0u;
    u->received = 0;
    u->receiving = 1;
    return 0;
}

uint8_t fx_upload_chunk(fx_upload *u, uint8_t *buffer, const uint8_t *payload, uint16_t len)
{
    if (len < 5) {
        return FX_E_BAD_LENGTH;
    }
    const uint32_t offset = fx_rd32(payload);
    const uint32_t n = len - 4u;
    if (!u->receiving || offset != u->received || n > u->total - u->received) {
        return FX_E_UPLOAD_STATE;
    }
    memcpy(buffer + offset, payload + 4, n);
    u->received += n;
    return 0;
}

uint8_t fx_upload_check(fx_upload *u, const uint8_t *buffer)
{
    if (!u->receiving || u->received != u->total) {
        return FX_E_UPLOAD_STATE;
    }
    u->receiving = 0;
    if (fx_crc32(0, buffer, u->received) != u->crc) {
        return FX_E_UPLOAD_CRC;
    }
    fx_model parsed;
    const fx_status status = fx_model_parse(buffer, u->received, &parsed);
    return status == FX_OK ? 0u : (uint8_t)(FX_E_MODEL_BASE + status);
}

uint8_t fx_upload_to_ram(const fx_upload *u, const uint8_t *buffer, uint32_t *slot, fx_model *model)
{
    /* Valid: only now does it replace the model in use, and it is parsed again in place. */
    memcpy(slot, buffer, u->received);
    const fx_status status = fx_model_parse((const uint8_t *)slot, u->received, model);
    return status == FX_OK ? 0u : (uint8_t)(FX_E_MODEL_BASE + status);
}
