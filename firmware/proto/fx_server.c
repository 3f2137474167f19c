/* fx_server.c: the request server: frames dispatched, requests answered, the pipeline's results sent. */
#include "fx_server.h"

#include <string.h>

#include "fx_bytes.h"

/* ---- replies ---------------------------------------------------------------------------- */

static void send(fx_server *s, uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    fx_frame_begin(&s->tx, &s->port, type, seq, len);
    fx_frame_put(&s->tx, payload, len);
    fx_frame_end(&s->tx);
}

static void send_ack(fx_server *s, uint8_t request, uint16_t seq)
{
    send(s, FX_MSG_ACK, seq, &request, 1);
}

static void send_error(fx_server *s, uint8_t request, uint16_t seq, uint8_t code)
{
    const uint8_t payload[2] = {code, request};
    ++s->stats.error_replies;
    send(s, FX_MSG_ERROR, seq, payload, sizeof payload);
}

/* An ACK, or the error reply with code when it is not 0. */
static void reply(fx_server *s, const fx_frame *request, uint8_t code)
{
    if (code != 0) {
        send_error(s, request->type, request->seq, code);
    } else {
        send_ack(s, request->type, request->seq);
    }
}

static void put_string(fx_frame_writer *w, const char *text, size_t max_len)
{
    static const uint8_t nul = 0;
    fx_frame_put(w, (const uint8_t *)text, fx_text_len(text, max_len));
    fx_frame_put(w, &nul, 1);
}

static int has_flash(const fx_server *s)
{
    return s->port.storage != NULL && s->port.storage->flash.erase_sector != NULL;
}

static void send_info(fx_server *s, uint16_t seq)
{
    const fx_model *m = &s->model;
    uint8_t fixed[36];
    fx_wr16(fixed, FX_PROTO_VERSION);
    fixed[2] = FX_FW_VERSION_MAJOR;
    fixed[3] = FX_FW_VERSION_MINOR;
    fixed[4] = FX_FW_VERSION_PATCH;
    fixed[5] = s->port.cycle_source;
    fx_wr16(fixed + 6, FX_PROTO_MAX_PAYLOAD);
    fx_wr32(fixed + 8, s->port.sysclk_hz);
    fx_wr32(fixed + 12, m->model_id);
    fx_wr16(fixed + 16, m->window_len);
    fx_wr16(fixed + 18, m->n_channels);
    fx_wr16(fixed + 20, m->hop_len);
    fx_wr16(fixed + 22, m->sample_rate_hz);
    fixed[24] = m->n_classes;
    fixed[25] = m->n_layers;
    fixed[26] = s->model_source;
    fixed[27] = (uint8_t)(s->mode | (s->port.sensor_name != NULL ? 0x10u : 0u)); /* mode, sensor present */
    fx_wr32(fixed + 28, FX_MAX_MODEL_BYTES);
    fx_wr16(fixed + 32, FX_MAX_WINDOW_VALUES);
    fx_wr16(fixed + 34, FX_MAX_CLASSES);
    const char *sensor = s->port.sensor_name != NULL ? s->port.sensor_name : "";
    /* After the strings: what is kept (docs/protocol.md, INFO). */
    uint8_t kept[12] = {s->model_source, (uint8_t)(has_flash(s) ? 1u : 0u), s->config_source, s->config.boot_mode};
    fx_wr32(kept + 4, s->model_seq);
    fx_wr32(kept + 8, s->config_seq);
    size_t len = sizeof fixed + fx_text_len(s->port.board_name, 31) + 1u + fx_text_len(sensor, 31) + 1u + sizeof kept;
    for (uint8_t c = 0; c < m->n_classes; ++c) {
        len += fx_text_len(m->class_names + (size_t)c * FX_CLASS_NAME_LEN, FX_CLASS_NAME_LEN) + 1u;
    }
    fx_frame_begin(&s->tx, &s->port, FX_MSG_INFO_REPLY, seq, (uint16_t)len);
    fx_frame_put(&s->tx, fixed, sizeof fixed);
    put_string(&s->tx, s->port.board_name, 31);
    for (uint8_t c = 0; c < m->n_classes; ++c) {
        put_string(&s->tx, m->class_names + (size_t)c * FX_CLASS_NAME_LEN, FX_CLASS_NAME_LEN);
    }
    put_string(&s->tx, sensor, 31);
    fx_frame_put(&s->tx, kept, sizeof kept);
    fx_frame_end(&s->tx);
}

static void send_stats(fx_server *s, uint16_t seq)
{
    const uint32_t *fields = (const uint32_t *)(const void *)&s->stats;
    uint8_t payload[sizeof s->stats];
    for (size_t i = 0; i < sizeof s->stats / 4u; ++i) {
        fx_wr32(payload + 4u * i, fields[i]);
    }
    send(s, FX_MSG_STATS_REPLY, seq, payload, sizeof payload);
}

/* ---- results ---------------------------------------------------------------------------- */

/* A result record: u32 index, u8 class, u8 n_classes, u8 decision (a class, FX_DECISION_UNKNOWN, or
   FX_DECISION_NONE before the first decision and for INFER), u8 flags (FX_RESULT_*), u32 cycles,
   int16 prob[n]. */
#define RESULT_FIXED_BYTES 12u

static uint16_t result_bytes(const fx_model *m)
{
    return (uint16_t)(RESULT_FIXED_BYTES + 2u * m->n_classes);
}

/* What the outputs show after a hop: the decision in force (fx_server.h, shown_class). */
static void show_decision(fx_server *s, const fx_pipeline_output *out)
{
    const uint8_t decided = out->decision.decided;
    s->shown_class = decided == FX_DECISION_NONE ? FX_SHOWN_NONE : decided == FX_DECISION_UNKNOWN ? FX_SHOWN_UNKNOWN
                                                                                                    : (int16_t)decided;
}

static void put_result(fx_server *s, uint32_t index, const fx_pipeline_output *out, uint8_t *record)
{
    const fx_result *result = &out->result;
    ++s->stats.inferences;
    fx_wr32(record, index);
    record[4] = (uint8_t)result->class_index;
    record[5] = (uint8_t)result->n_classes;
    record[6] = out->decision.decided;
    record[7] = (uint8_t)((result->outside ? FX_RESULT_OUTSIDE : 0u) | (out->decision.changed ? FX_RESULT_CHANGED : 0u));
    fx_wr32(record + 8, out->cycles);
    for (uint16_t c = 0; c < result->n_classes; ++c) {
        fx_wr16(record + RESULT_FIXED_BYTES + 2u * c, (uint16_t)result->prob_q15[c]);
    }
}

/* The EVENT of a hop that changed the decision, sent before the hop's own result record. */
static void send_event(fx_server *s, uint16_t seq, const fx_pipeline_output *out, uint8_t previous)
{
    uint8_t payload[12];
    fx_wr32(payload, out->hop_index);
    fx_wr32(payload + 4, out->samples);
    payload[8] = out->decision.decided;
    payload[9] = previous;
    fx_wr16(payload + 10, (uint16_t)out->decision.prob_q15);
    send(s, FX_MSG_EVENT, seq, payload, sizeof payload);
}

/* Push one sample into the pipeline: 1 with *out filled when it completes a window, whose EVENT, if
   it changed the decision, is then already sent with seq. */
static int push_sample(fx_server *s, uint16_t seq, const int16_t *sample, fx_pipeline_output *out)
{
    const uint8_t previous = s->pipeline.decider.decided;
    if (!fx_pipeline_push(&s->pipeline, sample, out)) {
        return 0;
    }
    if (out->decision.changed) {
        send_event(s, seq, out, previous);
    }
    return 1;
}

static void on_infer(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    const fx_model *m = &s->model;
    const uint32_t values = (uint32_t)m->window_len * m->n_channels;
    if (len != values * 2u) {
        send_error(s, FX_MSG_INFER, seq, FX_E_BAD_LENGTH);
        return;
    }
    /* Samples are little-endian int16 on the wire and in memory; the payload is 2-aligned
       (fx_frame), so the window is read in place, leaving a stream in progress undisturbed. The
       inference's memory is the upload's: an upload in progress is abandoned. */
    s->upload.receiving = 0;
    fx_pipeline_output out;
    uint8_t record[RESULT_FIXED_BYTES + 2u * FX_MAX_CLASSES];
    fx_pipeline_classify(&s->pipeline, (const int16_t *)(const void *)payload, &out);
    put_result(s, 0, &out, record);
    send(s, FX_MSG_RESULT, seq, record, result_bytes(m));
}

static void stream_flush(fx_server *s, uint16_t seq, uint8_t count, uint8_t last)
{
    uint8_t head[6];
    fx_wr32(head, s->pipeline.samples);
    head[4] = count;
    head[5] = last;
    fx_frame_begin(&s->tx, &s->port, FX_MSG_STREAM_REPLY, seq,
                   (uint16_t)(sizeof head + (size_t)count * result_bytes(&s->model)));
    fx_frame_put(&s->tx, head, sizeof head);
    fx_frame_put(&s->tx, s->stream_records, (size_t)count * result_bytes(&s->model));
    fx_frame_end(&s->tx);
}

static void on_stream_data(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    const uint32_t ch = s->model.n_channels;
    if (!s->streaming) {
        send_error(s, FX_MSG_STREAM_DATA, seq, FX_E_NO_STREAM);
        return;
    }
    if (len == 0 || len % (2u * ch) != 0) {
        send_error(s, FX_MSG_STREAM_DATA, seq, FX_E_BAD_LENGTH);
        return;
    }
    const uint16_t record_len = result_bytes(&s->model);
    uint8_t count = 0;
    const uint32_t n = len / (2u * ch);
    for (uint32_t t = 0; t < n; ++t) {
        fx_pipeline_output out;
        if (push_sample(s, seq, (const int16_t *)(const void *)(payload + (size_t)t * ch * 2u), &out)) {
            if (count == FX_STREAM_RESULTS_PER_REPLY) {
                stream_flush(s, seq, count, 0);
                count = 0;
            }
            put_result(s, out.hop_index, &out, s->stream_records + (size_t)count * record_len);
            show_decision(s, &out);
            ++count;
        }
    }
    stream_flush(s, seq, count, 1);
}

/* ---- the board's sensor: LIVE and RECORD -------------------------------------------------- */

static void on_mode(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    if (len != 1 || (payload[0] & ~(FX_MODE_LIVE | FX_MODE_RECORD)) != 0) {
        send_error(s, FX_MSG_MODE, seq, FX_E_BAD_LENGTH);
        return;
    }
    fx_server_request_mode(s, payload[0]);
    s->mode_request_seq = seq;
}

void fx_server_request_mode(fx_server *s, uint8_t mode)
{
    s->mode = 0;
    s->mode_requested = mode;
    s->mode_request_seq = 0;
    s->mode_waiting = 1;
}

int fx_server_mode_request(const fx_server *s, uint8_t *mode)
{
    *mode = s->mode_requested;
    return s->mode_waiting;
}

void fx_server_mode_answer(fx_server *s, uint8_t code, const fx_sensor_setup *setup)
{
    const uint8_t mode = s->mode_requested;
    const uint16_t seq = s->mode_request_seq;
    if (!s->mode_waiting) {
        return;
    }
    s->mode_waiting = 0;
    if (mode != 0) {
        if (code == 0 && fx_pipeline_start(&s->pipeline, setup) != FX_OK) {
            code = FX_E_SENSOR_SCALE;
        }
        if (code != 0) {
            send_error(s, FX_MSG_MODE, seq, code);
            return;
        }
        /* LIVE takes the window and the inference memory: a stream or an upload in progress ends. */
        s->streaming = 0;
        s->upload.receiving = 0;
        s->raw_samples = 0;
        s->mode = mode;
        s->mode_seq = seq;
    }
    uint8_t head[8] = {mode, setup->n_channels};
    fx_wr32(head + 4, setup->rate_millihertz);
    fx_frame_begin(&s->tx, &s->port, FX_MSG_MODE_REPLY, seq, (uint16_t)(sizeof head + 12u * setup->n_channels));
    fx_frame_put(&s->tx, head, sizeof head);
    for (uint8_t c = 0; c < setup->n_channels; ++c) {
        uint8_t rec[12];
        fx_wr32(rec, (uint32_t)setup->mult[c]);
        rec[4] = setup->shift[c];
        rec[5] = setup->unit[c];
        fx_wr16(rec + 6, setup->full_scale[c]);
        fx_wr32(rec + 8, setup->counts_per_unit_q16[c]);
        fx_frame_put(&s->tx, rec, sizeof rec);
    }
    fx_frame_end(&s->tx);
}

void fx_server_sensor_samples(fx_server *s, const int16_t *samples, uint32_t count, uint32_t lost)
{
    if (s->mode == 0) {
        return;
    }
    const uint8_t ch = s->pipeline.path.n_channels;
    s->stats.sensor_lost += lost;
    if (lost > 0) {
        fx_pipeline_gap(&s->pipeline);
    }
    if ((s->mode & FX_MODE_RECORD) && count > 0) {
        uint8_t head[12];
        fx_wr32(head, s->raw_samples);
        fx_wr32(head + 4, s->stats.sensor_lost);
        head[8] = (uint8_t)count;
        head[9] = ch;
        fx_wr16(head + 10, 0);
        fx_frame_begin(&s->tx, &s->port, FX_MSG_SAMPLES, s->mode_seq, (uint16_t)(sizeof head + 2u * ch * count));
        fx_frame_put(&s->tx, head, sizeof head);
        /* Samples are little-endian int16 in memory as on the wire (a Cortex-M and x86 alike). */
        fx_frame_put(&s->tx, (const uint8_t *)samples, 2u * ch * count);
        fx_frame_end(&s->tx);
    }
    s->raw_samples += count;
    s->stats.sensor_samples += count;
    if (s->mode & FX_MODE_LIVE) {
        for (uint32_t i = 0; i < count; ++i) {
            fx_pipeline_output out;
            if (push_sample(s, s->mode_seq, samples + (size_t)i * ch, &out)) {
                uint8_t record[4u + RESULT_FIXED_BYTES + 2u * FX_MAX_CLASSES];
                fx_wr32(record, out.samples);
                put_result(s, out.hop_index, &out, record + 4);
                show_decision(s, &out);
                ++s->stats.live_results;
                send(s, FX_MSG_LIVE_RESULT, s->mode_seq, record, (uint16_t)(4u + result_bytes(&s->model)));
            }
        }
    }
}

void fx_server_sensor_event(fx_server *s, uint8_t answering)
{
    if (!answering) {
        ++s->stats.sensor_errors;
    } else {
        fx_pipeline_gap(&s->pipeline);
    }
    uint8_t payload[8] = {answering};
    fx_wr32(payload + 4, s->stats.sensor_errors);
    send(s, FX_MSG_SENSOR_EVENT, s->mode_seq, payload, sizeof payload);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

/* The memory an upload is received into: the inferences' (fx_server.h). */
static uint8_t *upload_buffer(fx_server *s)
{
    return (uint8_t *)s->pipeline.scratch.work.feature_buffer;
}

/* ---- what the board keeps: models and configuration in flash ----------------------------- */

static uint8_t kept_in(const fx_record *r)
{
    return (uint8_t)(FX_KEPT_SLOT0 + r->slot);
}

/* The slot the model in use runs from, which a write must not erase, or FX_STORE_NONE. */
static uint8_t model_slot_in_use(const fx_server *s)
{
    return s->model_source >= FX_KEPT_SLOT0 ? (uint8_t)(s->model_source - FX_KEPT_SLOT0) : FX_STORE_NONE;
}

/* The checked upload goes to RAM, or to flash and then runs from there. */
static uint8_t commit_upload(fx_server *s)
{
    const uint8_t *buffer = upload_buffer(s);
    uint8_t code = fx_upload_check(&s->upload, buffer);
    if (code != 0) {
        return code;
    }
    if (!(s->upload.flags & FX_UPLOAD_KEEP)) {
        code = fx_upload_to_ram(&s->upload, buffer, s->model_slot, &s->model);
        if (code == 0) {
            s->model_source = FX_KEPT_RAM;
            s->model_seq = 0;
        }
        return code;
    }
    fx_record kept;
    if (fx_store_write(&s->port.storage->models, &s->port.storage->flash, model_slot_in_use(s), buffer,
                       s->upload.received, &kept) != FX_STORE_OK) {
        return FX_E_FLASH;
    }
    fx_model parsed;
    const fx_status status = fx_model_parse(kept.payload, kept.len, &parsed);
    if (status != FX_OK) {
        return (uint8_t)(FX_E_MODEL_BASE + status);
    }
    s->model = parsed;
    s->model_source = kept_in(&kept);
    s->model_seq = kept.seq;
    return 0;
}

/* The newest kept model this build accepts; the one in use stays when there is none. */
static void load_kept_model(fx_server *s)
{
    uint8_t skip = 0;
    fx_record kept;
    while (fx_store_newest(&s->port.storage->models, skip, &kept) == FX_STORE_OK) {
        fx_model parsed;
        if (fx_model_parse(kept.payload, kept.len, &parsed) == FX_OK) {
            s->model = parsed;
            s->model_source = kept_in(&kept);
            s->model_seq = kept.seq;
            return;
        }
        skip |= (uint8_t)(1u << kept.slot); /* a model this build refuses: the other slot's, if any */
    }
}

/* The configuration's decision settings replace the model's (0 keeps a model's own) from the
   next start of a stream or of LIVE. */
static void apply_config(fx_server *s)
{
    const fx_decide_settings settings = {s->config.decision_hops, s->config.decision_votes, s->config.decision_dwell};
    fx_pipeline_decide_settings(&s->pipeline, &settings);
}

static void load_kept_config(fx_server *s)
{
    fx_record kept;
    uint32_t bad;
    if (fx_store_newest(&s->port.storage->config, 0, &kept) == FX_STORE_OK &&
        fx_config_apply(&s->config, kept.payload, kept.len, 1, &bad) == 0) {
        s->config_source = kept_in(&kept);
        s->config_seq = kept.seq;
    }
    apply_config(s);
}

static void send_config(fx_server *s, uint16_t seq)
{
    uint8_t head[8] = {s->config_source, fx_config_keys_count};
    uint32_t entries[(FX_CONFIG_MAX_BYTES + 3u) / 4u];
    const uint32_t len = fx_config_encode(&s->config, (uint8_t *)entries);
    fx_wr32(head + 4, s->config_seq);
    fx_frame_begin(&s->tx, &s->port, FX_MSG_CONFIG_REPLY, seq, (uint16_t)(sizeof head + len));
    fx_frame_put(&s->tx, head, sizeof head);
    fx_frame_put(&s->tx, (const uint8_t *)entries, len);
    fx_frame_end(&s->tx);
}

/* Applied all or none, then kept in flash (in RAM alone where there is no flash controller). */
static uint8_t set_config(fx_server *s, const uint8_t *payload, uint16_t len)
{
    fx_config next = s->config;
    uint32_t bad;
    const int code = fx_config_apply(&next, payload, len, 0, &bad);
    if (code != 0 || len == 0) {
        return code == FX_CONFIG_BAD_KEY ? FX_E_CONFIG_KEY : FX_E_CONFIG_VALUE;
    }
    if (!has_flash(s)) {
        s->config = next;
        s->config_source = FX_KEPT_RAM;
        s->config_seq = 0;
        apply_config(s);
        return 0;
    }
    uint32_t entries[(FX_CONFIG_MAX_BYTES + 3u) / 4u];
    fx_record kept;
    if (fx_store_write(&s->port.storage->config, &s->port.storage->flash, FX_STORE_NONE, (const uint8_t *)entries,
                       fx_config_encode(&next, (uint8_t *)entries), &kept) != FX_STORE_OK) {
        return FX_E_FLASH;
    }
    s->config = next;
    s->config_source = kept_in(&kept);
    s->config_seq = kept.seq;
    apply_config(s);
    return 0;
}

static uint8_t reset_config(fx_server *s)
{
    if (has_flash(s) && fx_store_erase(&s->port.storage->config, &s->port.storage->flash) != FX_STORE_OK) {
        return FX_E_FLASH;
    }
    fx_config_defaults(&s->config);
    s->config_source = FX_KEPT_BUILTIN;
    s->config_seq = 0;
    apply_config(s);
    return 0;
}

/* Back to the board as flashed: the built-in model and the defaults, nothing kept. The model in use
   leaves flash before its slots are erased, and LIVE or a stream, which ran on it, ends. */
static uint8_t forget(fx_server *s)
{
    s->mode = 0;
    s->streaming = 0;
    s->upload.receiving = 0;
    s->shown_class = FX_SHOWN_NONE;
    (void)fx_model_parse(s->builtin, s->builtin_len, &s->model);
    s->model_source = FX_KEPT_BUILTIN;
    s->model_seq = 0;
    if (has_flash(s) && fx_store_erase(&s->port.storage->models, &s->port.storage->flash) != FX_STORE_OK) {
        return FX_E_FLASH;
    }
    return reset_config(s);
}

/* The configuration as it now is, or the error reply with code when it is not 0. */
static void config_reply(fx_server *s, const fx_frame *request, uint8_t code)
{
    if (code != 0) {
        send_error(s, request->type, request->seq, code);
    } else {
        send_config(s, request->seq);
    }
}

/* Requests that carry no payload; one that comes with one is refused (docs/protocol.md). */
static int takes_no_payload(uint8_t type)
{
    return type == FX_MSG_INFO || type == FX_MSG_STREAM_START || type == FX_MSG_UPLOAD_COMMIT ||
           type == FX_MSG_STATS || type == FX_MSG_RESET || type == FX_MSG_CONFIG_GET || type == FX_MSG_CONFIG_RESET ||
           type == FX_MSG_FORGET;
}

static void dispatch(fx_server *s, const fx_frame *f)
{
    uint8_t code;
    if (f->len != 0 && takes_no_payload(f->type)) {
        send_error(s, f->type, f->seq, FX_E_BAD_LENGTH);
        return;
    }
    switch (f->type) {
    case FX_MSG_INFO:
        send_info(s, f->seq);
        break;
    case FX_MSG_INFER:
        on_infer(s, f->seq, f->payload, f->len);
        break;
    case FX_MSG_STREAM_START:
        s->mode = 0;                /* the stream takes the window back from LIVE */
        s->upload.receiving = 0;    /* and the inference memory from an unfinished upload */
        s->streaming = 1;
        (void)fx_pipeline_start(&s->pipeline, NULL);
        send_ack(s, f->type, f->seq);
        break;
    case FX_MSG_STREAM_DATA:
        on_stream_data(s, f->seq, f->payload, f->len);
        break;
    case FX_MSG_UPLOAD_BEGIN:
        code = fx_upload_begin(&s->upload, f->payload, f->len);
        if (code == 0 && (s->upload.flags & FX_UPLOAD_KEEP) && !has_flash(s)) {
            s->upload.receiving = 0;
            code = FX_E_NO_FLASH;
        }
        if (code == 0) {
            s->mode = 0; /* the upload takes over the inference memory from a stream or LIVE */
            s->streaming = 0;
        }
        reply(s, f, code);
        break;
    case FX_MSG_UPLOAD_CHUNK:
        reply(s, f, fx_upload_chunk(&s->upload, upload_buffer(s), f->payload, f->len));
        break;
    case FX_MSG_UPLOAD_COMMIT:
        reply(s, f, commit_upload(s));
        break;
    case FX_MSG_CONFIG_GET:
        send_config(s, f->seq);
        break;
    case FX_MSG_CONFIG_SET:
        config_reply(s, f, set_config(s, f->payload, f->len));
        break;
    case FX_MSG_CONFIG_RESET:
        config_reply(s, f, reset_config(s));
        break;
    case FX_MSG_FORGET:
        reply(s, f, forget(s));
        break;
    case FX_MSG_STATS:
        send_stats(s, f->seq);
        break;
    case FX_MSG_RESET:
        send_ack(s, f->type, f->seq);
        s->port.request_reset(s->port.ctx);
        break;
    case FX_MSG_MODE:
        on_mode(s, f->seq, f->payload, f->len);
        break;
    default:
        send_error(s, f->type, f->seq, FX_E_UNKNOWN_TYPE);
        break;
    }
}

size_t fx_server_feed(fx_server *s, const uint8_t *data, size_t len)
{
    size_t taken = 0;
    while (taken < len && !s->mode_waiting) {
        fx_frame frame;
        taken += fx_frame_receive(&s->rx, data + taken, len - taken, &frame);
        switch (frame.status) {
        case FX_FRAME_OK:
            ++s->stats.frames_ok;
            dispatch(s, &frame);
            break;
        case FX_FRAME_OVERSIZE:
            ++s->stats.oversize_frames;
            break;
        case FX_FRAME_MALFORMED:
            ++s->stats.framing_errors;
            break;
        case FX_FRAME_BAD_CRC:
            ++s->stats.crc_errors;
            break;
        default:
            break;
        }
    }
    return taken;
}

fx_status fx_server_init(fx_server *s, const fx_port *port, const uint8_t *builtin, uint32_t builtin_len)
{
    memset(s, 0, sizeof *s);
    s->port = *port;
    fx_pipeline_init(&s->pipeline, &s->model, s->window, s->port.cycles, s->port.ctx);
    fx_config_defaults(&s->config);
    s->shown_class = FX_SHOWN_NONE;
    s->builtin = builtin;
    s->builtin_len = builtin_len;
    const fx_status builtin_status = fx_model_parse(builtin, builtin_len, &s->model);
    if (s->port.storage != NULL) {
        load_kept_model(s);
        load_kept_config(s);
    }
    return builtin_status;
}

void fx_server_announce(const fx_server *s)
{
    char line[64] = "fxclass ";
    static const char digits[] = "0123456789";
    size_t n = sizeof "fxclass " - 1u;
    line[n++] = digits[FX_FW_VERSION_MAJOR % 10u];
    line[n++] = '.';
    line[n++] = digits[FX_FW_VERSION_MINOR % 10u];
    line[n++] = '.';
    line[n++] = digits[FX_FW_VERSION_PATCH % 10u];
    line[n++] = ' ';
    const size_t board = fx_text_len(s->port.board_name, 31);
    memcpy(line + n, s->port.board_name, board);
    n += board;
    memcpy(line + n, " ready\r\n", 9);
    fx_port_text(&s->port, line);
}
