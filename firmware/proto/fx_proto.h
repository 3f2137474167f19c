/* fx_proto.h: the fxclass wire protocol (docs/protocol.md): COBS framing, messages, dispatch. */
#ifndef FX_PROTO_H
#define FX_PROTO_H

#include "fx_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FX_PROTO_VERSION 1u
#define FX_FW_VERSION_MAJOR 0u
#define FX_FW_VERSION_MINOR 1u
#define FX_FW_VERSION_PATCH 0u

/* A frame body is type u8, flags u8 (0), seq u16, len u16, payload[len], CRC-32 u32 over all
   before it; on the wire it is COBS-encoded and ends with one 0x00 byte. */
#define FX_FRAME_HEADER_BYTES 6u
#define FX_FRAME_OVERHEAD_BYTES (FX_FRAME_HEADER_BYTES + 4u)
#define FX_PROTO_MAX_PAYLOAD 1600u
#define FX_PROTO_MAX_BODY (FX_PROTO_MAX_PAYLOAD + FX_FRAME_OVERHEAD_BYTES)
/* COBS adds one byte per 254 plus one. */
#define FX_PROTO_MAX_ENCODED (FX_PROTO_MAX_BODY + FX_PROTO_MAX_BODY / 254u + 1u)
/* An upload is received into the stream window's memory, so a model may be as large as it. */
#define FX_MAX_MODEL_BYTES (FX_MAX_WINDOW_VALUES * 2u)
#define FX_STREAM_RESULTS_PER_REPLY 4u

typedef enum {
    FX_MSG_INFO = 0x01,          /* -> FX_MSG_INFO_REPLY */
    FX_MSG_INFER = 0x02,         /* int16 window -> FX_MSG_RESULT */
    FX_MSG_STREAM_START = 0x03,  /* -> ACK; restarts the sliding window */
    FX_MSG_STREAM_DATA = 0x04,   /* int16 samples -> one or more FX_MSG_STREAM_REPLY */
    FX_MSG_UPLOAD_BEGIN = 0x05,  /* u32 total_len, u32 crc32 -> ACK */
    FX_MSG_UPLOAD_CHUNK = 0x06,  /* u32 offset, bytes -> ACK */
    FX_MSG_UPLOAD_COMMIT = 0x07, /* -> ACK once the new model is validated and in use */
    FX_MSG_STATS = 0x08,         /* -> FX_MSG_STATS_REPLY */
    FX_MSG_RESET = 0x09,         /* -> ACK, then the device resets */
    FX_MSG_ACK = 0x80,           /* u8 request type */
    FX_MSG_INFO_REPLY = 0x81,
    FX_MSG_RESULT = 0x82,
    FX_MSG_STREAM_REPLY = 0x84,  /* u32 samples_total, u8 count, u8 last, count x result record */
    FX_MSG_STATS_REPLY = 0x88,
    FX_MSG_ERROR = 0xFF          /* u8 error code, u8 request type */
} fx_msg_type;

typedef enum {
    FX_E_UNKNOWN_TYPE = 0x01,
    FX_E_BAD_LENGTH = 0x02,
    FX_E_UPLOAD_STATE = 0x03,    /* chunk or commit without begin, or chunk at the wrong offset */
    FX_E_UPLOAD_TOO_LARGE = 0x04,
    FX_E_UPLOAD_CRC = 0x05,      /* the whole blob's CRC differs from the one announced */
    FX_E_NO_STREAM = 0x06,       /* STREAM_DATA before STREAM_START */
    FX_E_MODEL_BASE = 0x10       /* + fx_status: the uploaded model was refused */
} fx_error_code;

typedef struct {
    uint32_t frames_ok;
    uint32_t crc_errors;
    uint32_t framing_errors;  /* bad COBS, too short, or length field disagreeing */
    uint32_t oversize_frames;
    uint32_t error_replies;
    uint32_t rx_overruns;     /* bytes lost before the protocol saw them (set by the port) */
    uint32_t inferences;
    uint32_t uptime_ms;       /* set by the port */
} fx_stats;

#define FX_CYCLES_DWT 0u
#define FX_CYCLES_SYSTICK 1u

/* What the protocol needs from the hardware; hal/ provides it on the target, tests on the host. */
typedef struct {
    void (*write)(void *ctx, const uint8_t *data, size_t len);
    uint32_t (*cycles)(void *ctx);
    void (*request_reset)(void *ctx); /* called after the ACK has been written */
    void *ctx;
    const char *board_name;
    uint32_t sysclk_hz;
    uint8_t cycle_source;
} fx_port;

/* Streaming COBS frame writer: holds one 254-byte block, not the whole frame. */
typedef struct {
    const fx_port *port;
    uint32_t crc;
    uint8_t block[255];
    uint8_t fill; /* bytes in block[1..] */
    uint8_t after_full_block; /* the last thing written was a 0xFF block */
} fx_frame_writer;

void fx_frame_begin(fx_frame_writer *w, const fx_port *port, uint8_t type, uint16_t seq, uint16_t len);
void fx_frame_put(fx_frame_writer *w, const uint8_t *data, size_t len);
void fx_frame_end(fx_frame_writer *w);

/* Decode one COBS-encoded frame (without its 0x00) in place; returns the body length or 0. */
size_t fx_cobs_decode_in_place(uint8_t *buf, size_t len);

typedef struct {
    fx_port port;
    fx_model model;
    uint8_t model_uploaded;     /* 0: the built-in model is in use, 1: model_slot's */
    uint8_t uploading;
    uint8_t streaming;
    uint32_t upload_len;
    uint32_t upload_expected;
    uint32_t upload_crc;
    uint32_t model_slot[FX_MAX_MODEL_BYTES / 4u]; /* the uploaded model in use */
    /* The stream's sliding window; during an upload, the blob being received. The model in use
       is never overwritten before a new one has been validated whole. */
    union {
        int16_t samples[FX_MAX_WINDOW_VALUES];
        uint32_t upload[FX_MAX_MODEL_BYTES / 4u];
    } window;
    uint32_t window_fill;       /* samples (of n_channels values) in window */
    uint32_t stream_samples;
    uint32_t stream_hops;
    fx_scratch scratch;
    uint8_t stream_records[FX_STREAM_RESULTS_PER_REPLY * (12u + 2u * FX_MAX_CLASSES)];
    fx_stats stats;
    size_t rx_len;
    uint8_t rx_discard;         /* an oversize frame is being skipped up to its 0x00 */
    uint8_t rx[FX_PROTO_MAX_ENCODED] __attribute__((aligned(4)));
    fx_frame_writer tx;
} fx_server;

/* Parse the built-in model and get ready; returns its parse status (FX_OK expected). */
fx_status fx_server_init(fx_server *s, const fx_port *port, const uint8_t *builtin, uint32_t builtin_len);
/* Process received bytes: frames are dispatched and answered through port->write. */
void fx_server_feed(fx_server *s, const uint8_t *data, size_t len);
/* Write the boot announcement: "\0fxclass <version> <board> ready\r\n" as a text line. */
void fx_server_announce(const fx_server *s);
/* Write a text line framed by 0x00 bytes so frame parsers skip it, e.g. a fault report. */
void fx_port_text(const fx_port *port, const char *text);

#ifdef __cplusplus
}
#endif

#endif
