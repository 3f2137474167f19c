/* fx_frame.c: the protocol's framing: COBS encoding as frames are written, decoding and checks as they arrive. */
#include "fx_frame.h"

#include "fx_bytes.h"
#include "fx_kernels.h"

static void cobs_flush(fx_frame_writer *w)
{
    w->block[0] = (uint8_t)(w->fill + 1u);
    w->port->write(w->port->ctx, w->block, (size_t)w->fill + 1u);
    w->fill = 0;
}

static void cobs_put(fx_frame_writer *w, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; ++i) {
        w->after_full_block = 0;
        if (data[i] == 0) {
            cobs_flush(w);
        } else {
            w->block[++w->fill] = data[i];
            if (w->fill == 254u) {
                /* A full block carries no implied zero; the next code byte starts a new one. */
                w->block[0] = 0xFF;
                w->port->write(w->port->ctx, w->block, 255u);
                w->fill = 0;
                w->after_full_block = 1;
            }
        }
    }
}

void fx_frame_begin(fx_frame_writer *w, const fx_port *port, uint8_t type, uint16_t seq, uint16_t len)
{
    uint8_t header[FX_FRAME_HEADER_BYTES] = {type, 0};
    fx_wr16(header + 2, seq);
    fx_wr16(header + 4, len);
    w->port = port;
    w->fill = 0;
    w->after_full_block = 0;
    w->crc = fx_crc32(0, header, sizeof header);
    cobs_put(w, header, sizeof header);
}

void fx_frame_put(fx_frame_writer *w, const uint8_t *data, size_t len)
{
    w->crc = fx_crc32(w->crc, data, len);
    cobs_put(w, data, len);
}

void fx_frame_end(fx_frame_writer *w)
{
    uint8_t crc[4];
    static const uint8_t delimiter = 0;
    fx_wr32(crc, w->crc);
    cobs_put(w, crc, sizeof crc);
    /* The last block has no implied zero after it; when the body ended exactly on a full
       254-byte block there is no last block at all (as the reference COBS encoders do). */
    if (w->fill > 0 || !w->after_full_block) {
        cobs_flush(w);
    }
    w->port->write(w->port->ctx, &delimiter, 1);
}

size_t fx_cobs_decode_in_place(uint8_t *buf, size_t len)
{
    size_t in = 0;
    size_t out = 0;
    while (in < len) {
        const uint8_t code = buf[in++];
        if (code == 0 || in + code - 1u > len) {
            return 0;
        }
        for (uint8_t k = 1; k < code; ++k) {
            buf[out++] = buf[in++];
        }
        if (code != 0xFF && in < len) {
            buf[out++] = 0;
        }
    }
    return out;
}

/* The frame collected in r, decoded in place and checked. */
static fx_frame_status check(fx_frame_reader *r, fx_frame *frame)
{
    const size_t body = fx_cobs_decode_in_place(r->buf, r->len);
    if (body < FX_FRAME_OVERHEAD_BYTES) {
        return FX_FRAME_MALFORMED;
    }
    const uint16_t len = fx_rd16(r->buf + 4);
    if ((size_t)len + FX_FRAME_OVERHEAD_BYTES != body || r->buf[1] != 0) {
        return FX_FRAME_MALFORMED;
    }
    if (fx_crc32(0, r->buf, body - 4u) != fx_rd32(r->buf + body - 4u)) {
        return FX_FRAME_BAD_CRC;
    }
    frame->type = r->buf[0];
    frame->seq = fx_rd16(r->buf + 2);
    frame->len = len;
    frame->payload = r->buf + FX_FRAME_HEADER_BYTES;
    return FX_FRAME_OK;
}

size_t fx_frame_receive(fx_frame_reader *r, const uint8_t *data, size_t len, fx_frame *frame)
{
    frame->status = FX_FRAME_INCOMPLETE;
    for (size_t i = 0; i < len; ++i) {
        const uint8_t byte = data[i];
        if (byte == 0) {
            if (r->discard) {
                frame->status = FX_FRAME_OVERSIZE;
            } else if (r->len > 0) {
                frame->status = check(r, frame);
            }
            r->len = 0;
            r->discard = 0;
            return i + 1u;
        }
        if (r->len == sizeof r->buf) {
            r->discard = 1;
        } else if (!r->discard) {
            r->buf[r->len++] = byte;
        }
    }
    return len;
}

size_t fx_text_len(const char *text, size_t max_len)
{
    size_t n = 0;
    while (n < max_len && text[n] != '\0') {
        ++n;
    }
    return n;
}

void fx_port_text(const fx_port *port, const char *text)
{
    static const uint8_t delimiter = 0;
    port->write(port->ctx, &delimiter, 1);
    port->write(port->ctx, (const uint8_t *)text, fx_text_len(text, FX_TEXT_MAX));
    port->write(port->ctx, &delimiter, 1);
}
