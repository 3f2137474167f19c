/* fx_proto.c: framing, message encoding and command dispatch of the fxclass wire protocol. */
#include "fx_proto.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}

/* ---- framing ---------------------------------------------------------------------------- */

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
    wr16(header + 2, seq);
    wr16(header + 4, len);
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
    wr32(crc, w->crc);
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

static void put_string(fx_frame_writer *w, const char *text, size_t max_len)
{
    static const uint8_t nul = 0;
    fx_frame_put(w, (const uint8_t *)text, fx_text_len(text, max_len));
    fx_frame_put(w, &nul, 1);
}

static void send_info(fx_server *s, uint16_t seq)
{
    const fx_model *m = &s->model;
    uint8_t fixed[36];
    wr16(fixed, FX_PROTO_VERSION);
    fixed[2] = FX_FW_VERSION_MAJOR;
    fixed[3] = FX_FW_VERSION_MINOR;
    fixed[4] = FX_FW_VERSION_PATCH;
    fixed[5] = s->port.cycle_source;
    wr16(fixed + 6, FX_PROTO_MAX_PAYLOAD);
    wr32(fixed + 8, s->port.sysclk_hz);
    wr32(fixed + 12, m->model_id);
    wr16(fixed + 16, m->window_len);
    wr16(fixed + 18, m->n_channels);
    wr16(fixed + 20, m->hop_len);
    wr16(fixed + 22, m->sample_rate_hz);
    fixed[24] = m->n_classes;
    fixed[25] = m->n_layers;
    fixed[26] = s->model_uploaded;
    fixed[27] = (uint8_t)(s->mode | (s->port.sensor_name != NULL ? 0x10u : 0u)); /* mode, sensor present */
    wr32(fixed + 28, FX_MAX_MODEL_BYTES);
    wr16(fixed + 32, FX_MAX_WINDOW_VALUES);
    wr16(fixed + 34, FX_MAX_CLASSES);
    const char *sensor = s->port.sensor_name != NULL ? s->port.sensor_name : "";
    size_t len = sizeof fixed + fx_text_len(s->port.board_name, 31) + 1u + fx_text_len(sensor, 31) + 1u;
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
    fx_frame_end(&s->tx);
}

static void send_stats(fx_server *s, uint16_t seq)
{
    const uint32_t *fields = (const uint32_t *)(const void *)&s->stats;
    uint8_t payload[sizeof s->stats];
    for (size_t i = 0; i < sizeof s->stats / 4u; ++i) {
        wr32(payload + 4u * i, fields[i]);
    }
    send(s, FX_MSG_STATS_REPLY, seq, payload, sizeof payload);
}

/* A result record: u32 index, u8 class, u8 n_classes, u16 reserved, u32 cycles, int16 prob[n]. */
#define RESULT_FIXED_BYTES 12u

static uint16_t result_bytes(const fx_model *m)
{
    return (uint16_t)(RESULT_FIXED_BYTES + 2u * m->n_classes);
}

static fx_status infer(fx_server *s, const int16_t *window, uint32_t index, uint8_t *record)
{
    const uint32_t start = s->port.cycles(s->port.ctx);
    fx_result result;
    const fx_status status = fx_model_run(&s->model, window, &s->scratch, &result);
    const uint32_t cycles = s->port.cycles(s->port.ctx) - start;
    ++s->stats.inferences;
    wr32(record, index);
    record[4] = (uint8_t)result.class_index;
    record[5] = (uint8_t)result.n_classes;
    wr16(record + 6, 0);
    wr32(record + 8, cycles);
    for (uint16_t c = 0; c < result.n_classes; ++c) {
        wr16(record + RESULT_FIXED_BYTES + 2u * c, (uint16_t)result.prob_q15[c]);
    }
    return status;
}

/* ---- commands --------------------------------------------------------------------------- */

static void on_infer(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    const fx_model *m = &s->model;
    const uint32_t values = (uint32_t)m->window_len * m->n_channels;
    if (len != values * 2u) {
        send_error(s, FX_MSG_INFER, seq, FX_E_BAD_LENGTH);
        return;
    }
    /* Samples are little-endian int16 on the wire and in memory; the payload sits 6 bytes into
       the 4-aligned receive buffer, so it is 2-aligned and the window is read in place, leaving
       a stream in progress undisturbed. */
    uint8_t record[RESULT_FIXED_BYTES + 2u * FX_MAX_CLASSES];
    infer(s, (const int16_t *)(const void *)payload, 0, record);
    send(s, FX_MSG_RESULT, seq, record, result_bytes(m));
}

static void stream_flush(fx_server *s, uint16_t seq, const uint8_t *records, uint8_t count, uint8_t last)
{
    uint8_t head[6];
    wr32(head, s->stream_samples);
    head[4] = count;
    head[5] = last;
    fx_frame_begin(&s->tx, &s->port, FX_MSG_STREAM_REPLY, seq,
                   (uint16_t)(sizeof head + (size_t)count * result_bytes(&s->model)));
    fx_frame_put(&s->tx, head, sizeof head);
    fx_frame_put(&s->tx, records, (size_t)count * result_bytes(&s->model));
    fx_frame_end(&s->tx);
}

/* One sample (n_channels little-endian int16) into the stream window; a full window first slides
   by one hop, the oldest hop_len samples leaving it. */
static void window_push(fx_server *s, const void *sample)
{
    const fx_model *m = &s->model;
    const uint32_t ch = m->n_channels;
    if (s->window_fill == m->window_len) {
        memmove(s->window.samples, s->window.samples + (size_t)m->hop_len * ch,
                (size_t)(m->window_len - m->hop_len) * ch * 2u);
        s->window_fill = (uint32_t)(m->window_len - m->hop_len);
    }
    memcpy(s->window.samples + (size_t)s->window_fill * ch, sample, ch * 2u);
    ++s->window_fill;
    ++s->stream_samples;
}

static void on_stream_data(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    const fx_model *m = &s->model;
    const uint32_t ch = m->n_channels;
    if (!s->streaming) {
        send_error(s, FX_MSG_STREAM_DATA, seq, FX_E_NO_STREAM);
        return;
    }
    if (len == 0 || len % (2u * ch) != 0) {
        send_error(s, FX_MSG_STREAM_DATA, seq, FX_E_BAD_LENGTH);
        return;
    }
    const uint16_t record_len = result_bytes(m);
    uint8_t count = 0;
    const uint32_t n = len / (2u * ch);
    for (uint32_t t = 0; t < n; ++t) {
        window_push(s, payload + (size_t)t * ch * 2u);
        if (s->window_fill == m->window_len) {
            if (count == FX_STREAM_RESULTS_PER_REPLY) {
                stream_flush(s, seq, s->stream_records, count, 0);
                count = 0;
            }
            infer(s, s->window.samples, s->stream_hops++, s->stream_records + (size_t)count * record_len);
            ++count;
        }
    }
    stream_flush(s, seq, s->stream_records, count, 1);
}

/* ---- the board's sensor: LIVE and RECORD -------------------------------------------------- */

static void end_mode(fx_server *s)
{
    if (s->mode != 0 && s->port.sensor_stop != NULL) {
        s->port.sensor_stop(s->port.ctx);
    }
    s->mode = 0;
}

static void on_mode(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    if (len != 1 || (payload[0] & ~(FX_MODE_LIVE | FX_MODE_RECORD)) != 0) {
        send_error(s, FX_MSG_MODE, seq, FX_E_BAD_LENGTH);
        return;
    }
    end_mode(s);
    fx_sensor_setup setup;
    memset(&setup, 0, sizeof setup);
    const uint8_t mode = payload[0];
    if (mode != 0) {
        uint8_t code = FX_E_NO_SENSOR;
        if (s->port.sensor_start != NULL) {
            code = s->port.sensor_start(s->port.ctx, &s->model, &setup);
        }
        if (code == 0 && fx_sensor_path_init(&s->path, setup.n_channels, setup.mult, setup.shift, setup.rate_mhz,
                                             (uint32_t)s->model.sample_rate_hz * 1000u) != FX_OK) {
            code = FX_E_SENSOR_SCALE;
        }
        if (code != 0) {
            if (s->port.sensor_stop != NULL && code != FX_E_NO_SENSOR) {
                s->port.sensor_stop(s->port.ctx);
            }
            send_error(s, FX_MSG_MODE, seq, code);
            return;
        }
        /* LIVE takes the window: a stream or an upload in progress ends. */
        s->streaming = 0;
        s->uploading = 0;
        s->window_fill = 0;
        s->stream_hops = 0;
        s->stream_samples = 0;
        s->raw_samples = 0;
        s->mode = mode;
        s->mode_seq = seq;
    }
    uint8_t head[8] = {mode, setup.n_channels};
    wr32(head + 4, setup.rate_mhz);
    fx_frame_begin(&s->tx, &s->port, FX_MSG_MODE_REPLY, seq, (uint16_t)(sizeof head + 12u * setup.n_channels));
    fx_frame_put(&s->tx, head, sizeof head);
    for (uint8_t c = 0; c < setup.n_channels; ++c) {
        uint8_t rec[12];
        wr32(rec, (uint32_t)setup.mult[c]);
        rec[4] = setup.shift[c];
        rec[5] = setup.unit[c];
        wr16(rec + 6, setup.full_scale[c]);
        wr32(rec + 8, setup.counts_per_unit_q16[c]);
        fx_frame_put(&s->tx, rec, sizeof rec);
    }
    fx_frame_end(&s->tx);
}

static void live_sample(fx_server *s, const int16_t *x)
{
    const fx_model *m = &s->model;
    window_push(s, x);
    if (s->window_fill == m->window_len) {
        uint8_t record[4u + RESULT_FIXED_BYTES + 2u * FX_MAX_CLASSES];
        wr32(record, s->stream_samples);
        infer(s, s->window.samples, s->stream_hops++, record + 4);
        ++s->stats.live_results;
        send(s, FX_MSG_LIVE_RESULT, s->mode_seq, record, (uint16_t)(4u + result_bytes(m)));
    }
}

void fx_server_sensor_samples(fx_server *s, const int16_t *samples, uint32_t count, uint32_t lost)
{
    if (s->mode == 0) {
        return;
    }
    const uint8_t ch = s->path.n_channels;
    s->stats.sensor_lost += lost;
    if (lost > 0) {
        fx_sensor_path_restart(&s->path);
        s->window_fill = 0;
    }
    if ((s->mode & FX_MODE_RECORD) && count > 0) {
        uint8_t head[12];
        wr32(head, s->raw_samples);
        wr32(head + 4, s->stats.sensor_lost);
        head[8] = (uint8_t)count;
        head[9] = ch;
        wr16(head + 10, 0);
        fx_frame_begin(&s->tx, &s->port, FX_MSG_SAMPLES, s->mode_seq, (uint16_t)(sizeof head + 2u * ch * count));
        fx_frame_put(&s->tx, head, sizeof head);
        /* Samples are little-endian int16 in memory as on the wire (a Cortex-M and x86 alike). */
        fx_frame_put(&s->tx, (const uint8_t *)samples, 2u * ch * count);
        fx_frame_end(&s->tx);
    }
    s->raw_samples += count;
    s->stats.sensor_samples += count;
    if (s->mode & FX_MODE_LIVE) {
        int16_t out[FX_MAX_CHANNELS];
        for (uint32_t i = 0; i < count; ++i) {
            /* The sensor runs at least as fast as the model: one input completes one output at most. */
            if (fx_sensor_path_push(&s->path, samples + (size_t)i * ch, out) > 0) {
                live_sample(s, out);
            }
        }
    }
}

void fx_server_sensor_event(fx_server *s, uint8_t answering)
{
    if (!answering) {
        ++s->stats.sensor_errors;
    } else {
        fx_sensor_path_restart(&s->path);
        s->window_fill = 0;
    }
    uint8_t payload[8] = {answering};
    wr32(payload + 4, s->stats.sensor_errors);
    send(s, FX_MSG_SENSOR_EVENT, s->mode_seq, payload, sizeof payload);
}

static void on_upload_begin(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    if (len != 8) {
        send_error(s, FX_MSG_UPLOAD_BEGIN, seq, FX_E_BAD_LENGTH);
        return;
    }
    const uint32_t total = rd32(payload);
    if (total == 0 || total > FX_MAX_MODEL_BYTES) {
        s->uploading = 0;
        send_error(s, FX_MSG_UPLOAD_BEGIN, seq, FX_E_UPLOAD_TOO_LARGE);
        return;
    }
    s->upload_expected = total;
    s->upload_crc = rd32(payload + 4);
    s->upload_len = 0;
    end_mode(s); /* the upload takes over the window's memory from a stream or LIVE */
    s->uploading = 1;
    s->streaming = 0;
    s->window_fill = 0;
    send_ack(s, FX_MSG_UPLOAD_BEGIN, seq);
}

static void on_upload_chunk(fx_server *s, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    if (len < 5) {
        send_error(s, FX_MSG_UPLOAD_CHUNK, seq, FX_E_BAD_LENGTH);
        return;
    }
    const uint32_t offset = rd32(payload);
    const uint32_t n = len - 4u;
    if (!s->uploading || offset != s->upload_len || n > s->upload_expected - s->upload_len) {
        send_error(s, FX_MSG_UPLOAD_CHUNK, seq, FX_E_UPLOAD_STATE);
        return;
    }
    memcpy((uint8_t *)s->window.upload + offset, payload + 4, n);
    s->upload_len += n;
    send_ack(s, FX_MSG_UPLOAD_CHUNK, seq);
}

static void on_upload_commit(fx_server *s, uint16_t seq)
{
    if (!s->uploading || s->upload_len != s->upload_expected) {
        send_error(s, FX_MSG_UPLOAD_COMMIT, seq, FX_E_UPLOAD_STATE);
        return;
    }
    s->uploading = 0;
    const uint8_t *blob = (const uint8_t *)s->window.upload;
    if (fx_crc32(0, blob, s->upload_len) != s->upload_crc) {
        send_error(s, FX_MSG_UPLOAD_COMMIT, seq, FX_E_UPLOAD_CRC);
        return;
    }
    fx_model parsed;
    fx_status status = fx_model_parse(blob, s->upload_len, &parsed);
    if (status == FX_OK) {
        /* Valid: only now does it replace the model in use, and it is parsed again in place. */
        memcpy(s->model_slot, blob, s->upload_len);
        status = fx_model_parse((const uint8_t *)s->model_slot, s->upload_len, &parsed);
    }
    if (status != FX_OK) {
        send_error(s, FX_MSG_UPLOAD_COMMIT, seq, (uint8_t)(FX_E_MODEL_BASE + status));
        return;
    }
    s->model = parsed;
    s->model_uploaded = 1;
    send_ack(s, FX_MSG_UPLOAD_COMMIT, seq);
}

/* Requests that carry no payload; one that comes with one is refused (docs/protocol.md). */
static int takes_no_payload(uint8_t type)
{
    return type == FX_MSG_INFO || type == FX_MSG_STREAM_START || type == FX_MSG_UPLOAD_COMMIT ||
           type == FX_MSG_STATS || type == FX_MSG_RESET;
}

static void dispatch(fx_server *s, uint8_t type, uint16_t seq, const uint8_t *payload, uint16_t len)
{
    if (len != 0 && takes_no_payload(type)) {
        send_error(s, type, seq, FX_E_BAD_LENGTH);
        return;
    }
    switch (type) {
    case FX_MSG_INFO:
        send_info(s, seq);
        break;
    case FX_MSG_INFER:
        on_infer(s, seq, payload, len);
        break;
    case FX_MSG_STREAM_START:
        end_mode(s);      /* the stream takes the window memory back from LIVE */
        s->uploading = 0; /* and from an unfinished upload */
        s->streaming = 1;
        s->window_fill = 0;
        s->stream_samples = 0;
        s->stream_hops = 0;
        send_ack(s, type, seq);
        break;
    case FX_MSG_STREAM_DATA:
        on_stream_data(s, seq, payload, len);
        break;
    case FX_MSG_UPLOAD_BEGIN:
        on_upload_begin(s, seq, payload, len);
        break;
    case FX_MSG_UPLOAD_CHUNK:
        on_upload_chunk(s, seq, payload, len);
        break;
    case FX_MSG_UPLOAD_COMMIT:
        on_upload_commit(s, seq);
        break;
    case FX_MSG_STATS:
        send_stats(s, seq);
        break;
    case FX_MSG_RESET:
        send_ack(s, type, seq);
        s->port.request_reset(s->port.ctx);
        break;
    case FX_MSG_MODE:
        on_mode(s, seq, payload, len);
        break;
    default:
        send_error(s, type, seq, FX_E_UNKNOWN_TYPE);
        break;
    }
}

static void on_frame(fx_server *s)
{
    const size_t body = fx_cobs_decode_in_place(s->rx, s->rx_len);
    if (body < FX_FRAME_OVERHEAD_BYTES) {
        ++s->stats.framing_errors;
        return;
    }
    const uint16_t len = rd16(s->rx + 4);
    if ((size_t)len + FX_FRAME_OVERHEAD_BYTES != body || s->rx[1] != 0) {
        ++s->stats.framing_errors;
        return;
    }
    if (fx_crc32(0, s->rx, body - 4u) != rd32(s->rx + body - 4u)) {
        ++s->stats.crc_errors;
        return;
    }
    ++s->stats.frames_ok;
    dispatch(s, s->rx[0], rd16(s->rx + 2), s->rx + FX_FRAME_HEADER_BYTES, len);
}

void fx_server_feed(fx_server *s, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; ++i) {
        const uint8_t byte = data[i];
        if (byte == 0) {
            if (s->rx_discard) {
                ++s->stats.oversize_frames;
            } else if (s->rx_len > 0) {
                on_frame(s);
            }
            s->rx_len = 0;
            s->rx_discard = 0;
        } else if (s->rx_len == sizeof s->rx) {
            s->rx_discard = 1;
        } else if (!s->rx_discard) {
            s->rx[s->rx_len++] = byte;
        }
    }
}

fx_status fx_server_init(fx_server *s, const fx_port *port, const uint8_t *builtin, uint32_t builtin_len)
{
    memset(s, 0, sizeof *s);
    s->port = *port;
    return fx_model_parse(builtin, builtin_len, &s->model);
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
