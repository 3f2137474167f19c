/* fx_frame.h: the protocol's framing: COBS, the frame header and CRC-32, and text lines between frames. */
#ifndef FX_FRAME_H
#define FX_FRAME_H

#include "fx_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Streaming COBS frame writer: holds one 254-byte block, not the whole frame. */
typedef struct {
    const fx_port *port;
    uint32_t crc;
    uint8_t block[255];
    uint8_t fill; /* bytes in block[1..] */
    uint8_t after_full_block; /* the last thing written was a 0xFF block */
} fx_frame_writer;

/* A frame of len payload bytes goes out as begin, put (len bytes in all, in any pieces), end. */
void fx_frame_begin(fx_frame_writer *w, const fx_port *port, uint8_t type, uint16_t seq, uint16_t len);
void fx_frame_put(fx_frame_writer *w, const uint8_t *data, size_t len);
void fx_frame_end(fx_frame_writer *w);

/* Decode one COBS-encoded frame (without its 0x00) in place; returns the body length or 0. */
size_t fx_cobs_decode_in_place(uint8_t *buf, size_t len);

/* Collects the bytes of one encoded frame up to its 0x00 and checks it. */
typedef struct {
    size_t len;          /* bytes of the frame so far */
    uint8_t discard;     /* an oversize frame is being skipped up to its 0x00 */
    uint8_t buf[FX_PROTO_MAX_ENCODED] __attribute__((aligned(4)));
} fx_frame_reader;

typedef enum {
    FX_FRAME_INCOMPLETE = 0, /* no 0x00 yet, or nothing between two */
    FX_FRAME_OK,             /* a frame whose length and CRC check */
    FX_FRAME_OVERSIZE,       /* longer than FX_PROTO_MAX_ENCODED: skipped */
    FX_FRAME_MALFORMED,      /* bad COBS, too short, flags not 0, or a length field disagreeing */
    FX_FRAME_BAD_CRC
} fx_frame_status;

/* What received bytes completed; when status is FX_FRAME_OK, a frame whose payload points into
   the reader's buffer, 2-aligned (6 bytes into a 4-aligned buffer), valid until it takes more. */
typedef struct {
    fx_frame_status status;
    uint8_t type;
    uint16_t seq;
    uint16_t len;
    const uint8_t *payload;
} fx_frame;

/*
 * Take bytes up to and including the first 0x00 of data (all len bytes when there is none) and
 * return their number; frame->status says what that 0x00 ended, FX_FRAME_INCOMPLETE when the
 * bytes ran out first.
 */
size_t fx_frame_receive(fx_frame_reader *r, const uint8_t *data, size_t len, fx_frame *frame);

/* Write a text line framed by 0x00 bytes so frame parsers skip it, e.g. a fault report; at most
   FX_TEXT_MAX bytes of it. */
void fx_port_text(const fx_port *port, const char *text);
#define FX_TEXT_MAX 120u
/* The length of text, at most max_len (the firmware's own strlen, bounded). */
size_t fx_text_len(const char *text, size_t max_len);

#ifdef __cplusplus
}
#endif

#endif
