/* fx_server.h: the device side of the protocol: requests in, replies and the pipeline's results out. */
#ifndef FX_SERVER_H
#define FX_SERVER_H

#include "fx_config.h"
#include "fx_frame.h"
#include "fx_pipeline.h"
#include "fx_upload.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The server never drives the sensor; the application does, so that the calls run one way, from
 * app/ down. A MODE request ends LIVE and RECORD and waits: fx_server_feed stops after it, the
 * application stops its sensor, starts it for LIVE or RECORD, and answers with
 * fx_server_mode_answer before it feeds the rest. A stream, which takes the window, and an upload,
 * which takes the inference memory, end LIVE and RECORD too (mode back to 0), and the application
 * stops the sensor when it sees that.
 */
typedef struct {
    /* Small fields first, large buffers last, so that the code reaches most fields in one load. */
    fx_port port;
    fx_model model;
    const uint8_t *builtin;     /* the image's own model (FORGET brings it back) */
    uint32_t builtin_len;
    uint8_t model_source;       /* FX_KEPT_*: built-in, model_slot's (RAM), or a flash slot's */
    uint8_t config_source;      /* FX_KEPT_*: defaults, set since the reset but not kept, a flash slot */
    uint32_t model_seq;         /* the flash record's sequence number, 0 for the others */
    uint32_t config_seq;
    fx_config config;
    int16_t shown_class;        /* what the outputs show: the decision in force in LIVE or a stream, a
                                   class or FX_SHOWN_UNKNOWN, FX_SHOWN_NONE before any */
    uint8_t streaming;
    uint8_t mode;               /* FX_MODE_* flags in force; the sensor runs while it is not 0 */
    uint16_t mode_seq;          /* the MODE request's seq, carried by the unsolicited frames */
    uint8_t mode_requested;     /* the flags of the MODE request waiting for its answer */
    uint8_t mode_waiting;
    uint16_t mode_request_seq;
    fx_upload upload;
    uint32_t raw_samples;       /* sensor samples since the mode started */
    fx_stats stats;
    fx_pipeline pipeline;
    uint8_t stream_records[FX_STREAM_RESULTS_PER_REPLY * (12u + 2u * FX_MAX_CLASSES)];
    fx_frame_writer tx;
    fx_frame_reader rx;
    uint32_t model_slot[FX_MAX_MODEL_BYTES / 4u]; /* the uploaded model in use */
    int16_t window[FX_MAX_WINDOW_VALUES];          /* the pipeline's sliding window */
} fx_server;

#define FX_SHOWN_NONE (-1)
#define FX_SHOWN_UNKNOWN (-2)

/* An upload is received into the working memory of the pipeline's inferences (fx_scratch's work),
   so whatever runs an inference (INFER, STREAM_START, LIVE) abandons an upload in progress, and an
   upload ends a stream and LIVE. The model in use is never overwritten before a new one has been
   validated whole. */
_Static_assert(sizeof(((fx_scratch *)0)->work) >= FX_MAX_MODEL_BYTES, "an upload must fit the inference memory");

/* Parse the built-in model, then take the newest model the board keeps in flash that this build
   accepts (the built-in one when there is none), and the kept configuration (the defaults when
   there is none), and get ready; returns the built-in model's parse status (FX_OK expected). */
fx_status fx_server_init(fx_server *s, const fx_port *port, const uint8_t *builtin, uint32_t builtin_len);

/*
 * Process received bytes: frames are dispatched and answered through port->write. Stops after a
 * MODE request (see above); returns the number of bytes taken.
 */
size_t fx_server_feed(fx_server *s, const uint8_t *data, size_t len);

/* A MODE request of the board's own (LIVE at power-on): answered as a host's would be, with seq 0. */
void fx_server_request_mode(fx_server *s, uint8_t mode);

/* 1 and the requested FX_MODE_* flags in *mode while a MODE request waits for its answer, else 0. */
int fx_server_mode_request(const fx_server *s, uint8_t *mode);

/*
 * Answer the waiting MODE request: code 0 with the setup of the sensor now started for the model
 * (all zero for mode 0), or the FX_E_* code that says why it could not start. A setup that
 * the pipeline cannot follow is refused with FX_E_SENSOR_SCALE, and the mode stays 0.
 */
void fx_server_mode_answer(fx_server *s, uint8_t code, const fx_sensor_setup *setup);

/*
 * Samples the board's sensor delivered (count x setup.n_channels counts, at its rate) and how many
 * its FIFO lost before them: in RECORD they go out in a SAMPLES frame, in LIVE into the pipeline,
 * with a LIVE_RESULT per hop. lost > 0 restarts the window after the gap.
 */
void fx_server_sensor_samples(fx_server *s, const int16_t *samples, uint32_t count, uint32_t lost);
/* The sensor stopped answering (answering = 0: LIVE and RECORD pause) or answers again. */
void fx_server_sensor_event(fx_server *s, uint8_t answering);

/* Write the boot announcement: "\0fxclass <version> <board> ready\r\n" as a text line. */
void fx_server_announce(const fx_server *s);

#ifdef __cplusplus
}
#endif

#endif
