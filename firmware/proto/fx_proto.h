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
    FX_MSG_MODE = 0x0A,          /* u8 mode flags (FX_MODE_*) -> FX_MSG_MODE_REPLY */
    FX_MSG_ACK = 0x80,           /* u8 request type */
    FX_MSG_INFO_REPLY = 0x81,
    FX_MSG_RESULT = 0x82,
    FX_MSG_STREAM_REPLY = 0x84,  /* u32 samples_total, u8 count, u8 last, count x result record */
    FX_MSG_STATS_REPLY = 0x88,
    FX_MSG_MODE_REPLY = 0x8A,    /* u8 mode, u8 channels, u16 0, u32 sensor rate (mHz), then per channel:
                                    i32 mult, u8 shift, u8 unit, u16 full scale, u32 counts per unit (Q16.16) */
    FX_MSG_LIVE_RESULT = 0x8B,   /* unsolicited in LIVE, one per hop: u32 samples, result record */
    FX_MSG_SAMPLES = 0x8C,       /* unsolicited in RECORD: u32 first, u32 lost, u8 count, u8 channels, u16 0, int16[] */
    FX_MSG_SENSOR_EVENT = 0x8D,  /* unsolicited: u8 state (0 stopped answering, 1 back), 3 x u8 0, u32 bus errors */
    FX_MSG_ERROR = 0xFF          /* u8 error code, u8 request type */
} fx_msg_type;

typedef enum {
    FX_E_UNKNOWN_TYPE = 0x01,
    FX_E_BAD_LENGTH = 0x02,
    FX_E_UPLOAD_STATE = 0x03,    /* chunk or commit without begin, or chunk at the wrong offset */
    FX_E_UPLOAD_TOO_LARGE = 0x04,
    FX_E_UPLOAD_CRC = 0x05,      /* the whole blob's CRC differs from the one announced */
    FX_E_NO_STREAM = 0x06,       /* STREAM_DATA before STREAM_START */
    FX_E_NO_SENSOR = 0x07,       /* LIVE or RECORD, and no sensor answers (none fitted, or QEMU) */
    FX_E_SENSOR_SCALE = 0x08,    /* the model declares no physical scale, or one the sensor cannot give */
    FX_E_SENSOR_CHANNELS = 0x09, /* the model's channels or units are not the sensor's */
    FX_E_SENSOR_RATE = 0x0A,     /* the model's sample rate is above the sensor's fastest */
    FX_E_SENSOR_BUS = 0x0B,      /* the sensor answered, then failed on its bus while starting */
    FX_E_MODEL_BASE = 0x10       /* + fx_status: the uploaded model was refused */
} fx_error_code;

/* MODE flags: 0 is the host-driven mode (INFER, STREAM); the sensor runs while either is set. */
#define FX_MODE_LIVE 0x01u       /* classify the sensor's samples, a LIVE_RESULT per hop */
#define FX_MODE_RECORD 0x02u     /* send the sensor's samples as they come, in SAMPLES frames */

typedef struct {
    uint32_t frames_ok;
    uint32_t crc_errors;
    uint32_t framing_errors;  /* bad COBS, too short, or length field disagreeing */
    uint32_t oversize_frames;
    uint32_t error_replies;
    uint32_t rx_overruns;     /* bytes lost before the protocol saw them (set by the port) */
    uint32_t inferences;
    uint32_t uptime_ms;       /* set by the port */
    uint32_t sensor_samples;  /* samples the sensor delivered in LIVE or RECORD */
    uint32_t sensor_lost;     /* samples its FIFO dropped (the firmware fell behind) */
    uint32_t sensor_errors;   /* bus failures while reading it */
    uint32_t live_results;
} fx_stats;

#define FX_CYCLES_DWT 0u
#define FX_CYCLES_SYSTICK 1u

/* What the protocol needs from the hardware; hal/ provides it on the target, tests on the host. */
typedef struct {
    void (*write)(void *ctx, const uint8_t *data, size_t len);
    uint32_t (*cycles)(void *ctx);
    void (*request_reset)(void *ctx); /* called after the ACK has been written */
    /* Start the board's sensor to feed model (fills *setup) and return 0, or return the FX_E_*
       code that says why it cannot; NULL in a build without sensors. */
    uint8_t (*sensor_start)(void *ctx, const fx_model *model, fx_sensor_setup *setup);
    void (*sensor_stop)(void *ctx);
    void *ctx;
    const char *board_name;
    const char *sensor_name;          /* the part found at start-up, NULL for none */
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
    uint8_t mode;               /* FX_MODE_* flags; the window serves LIVE when FX_MODE_LIVE is set */
    uint16_t mode_seq;          /* the MODE request's seq, carried by the unsolicited frames */
    uint32_t raw_samples;       /* sensor samples since the mode started */
    fx_sensor_path path;
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
/*
 * Samples the board's sensor delivered (count x setup.n_channels counts, at its rate) and how many
 * its FIFO lost before them: in RECORD they go out in a SAMPLES frame, in LIVE through the path
 * into the window, with a LIVE_RESULT per hop. lost > 0 restarts the window after the gap.
 */
void fx_server_sensor_samples(fx_server *s, const int16_t *samples, uint32_t count, uint32_t lost);
/* The sensor stopped answering (answering = 0: LIVE and RECORD pause) or answers again. */
void fx_server_sensor_event(fx_server *s, uint8_t answering);
/* Write the boot announcement: "\0fxclass <version> <board> ready\r\n" as a text line. */
void fx_server_announce(const fx_server *s);
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
