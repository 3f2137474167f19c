/* fx_upload.h: a model received in chunks, checked whole, and only then put in use. */
#ifndef FX_UPLOAD_H
#define FX_UPLOAD_H

#include "fx_model.h"
#include "fx_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The blob is received into memory the caller lends (FX_MAX_MODEL_BYTES, 4-aligned), and the model
 * in use is not touched before the whole blob has passed its CRC and the parser. Each function
 * takes a request's payload and returns 0 for an ACK or the FX_E_* code of the error reply.
 */
typedef struct {
    uint8_t receiving;    /* a begin has come and no commit since */
    uint8_t flags;        /* FX_UPLOAD_KEEP: the model goes to flash */
    uint32_t received;    /* bytes so far */
    uint32_t total;       /* bytes announced */
    uint32_t crc;         /* CRC-32 announced for the whole blob */
} fx_upload;

/* UPLOAD_BEGIN: u32 total bytes (1 .. FX_MAX_MODEL_BYTES), u32 CRC-32, optionally u8 flags
   (FX_UPLOAD_KEEP; without the byte, 0: a model in RAM, as before flash was kept). */
uint8_t fx_upload_begin(fx_upload *u, const uint8_t *payload, uint16_t len);

/* UPLOAD_CHUNK: u32 offset (the bytes received so far), then at least one byte, into buffer. */
uint8_t fx_upload_chunk(fx_upload *u, uint8_t *buffer, const uint8_t *payload, uint16_t len);

/* UPLOAD_COMMIT, first step: the blob in buffer checked whole (all received, CRC, parser); 0 or
   the error code. The upload is over either way. */
uint8_t fx_upload_check(fx_upload *u, const uint8_t *buffer);

/* Then, for a model kept in RAM: the checked blob copied into slot (FX_MAX_MODEL_BYTES, 4-aligned)
   and parsed there into *model, which then runs from slot. */
uint8_t fx_upload_to_ram(const fx_upload *u, const uint8_t *buffer, uint32_t *slot, fx_model *model);

#ifdef __cplusplus
}
#endif

#endif
