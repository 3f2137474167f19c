/* fuzz_proto.c: libFuzzer target feeding arbitrary bytes to the protocol server. */
#include <stdlib.h>
#include <string.h>

#include "fx_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The built-in model, embedded by firmware/app/default_model.S as in the firmware. */
extern const uint8_t fx_default_model[];
extern const uint8_t fx_default_model_end[];

static size_t written;

static void port_write(void *ctx, const uint8_t *bytes, size_t len)
{
    (void)ctx;
    (void)bytes;
    written += len;
}

static uint32_t port_cycles(void *ctx)
{
    (void)ctx;
    return 0;
}

static void port_reset(void *ctx)
{
    (void)ctx;
}

/* MODE requests are answered as by a board without a sensor. */
static void answer_mode(fx_server *server)
{
    uint8_t mode;
    if (fx_server_mode_request(server, &mode)) {
        const fx_sensor_setup none = {0};
        fx_server_mode_answer(server, mode != 0 ? FX_E_NO_SENSOR : 0, &none);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fx_server server;
    const fx_port port = {.write = port_write, .cycles = port_cycles, .request_reset = port_reset,
                          .board_name = "fuzz", .sysclk_hz = 16000000u, .cycle_source = 1};
    const uint32_t model_len = (uint32_t)(fx_default_model_end - fx_default_model);
    if (fx_server_init(&server, &port, fx_default_model, model_len) != FX_OK) {
        abort();
    }
    /* Feed in uneven pieces, as a UART would deliver them. */
    size_t offset = 0;
    while (offset < size) {
        size_t n = 1u + (data[offset] % 61u);
        if (n > size - offset) {
            n = size - offset;
        }
        const size_t end = offset + n;
        while (offset < end) {
            offset += fx_server_feed(&server, data + offset, end - offset);
            answer_mode(&server);
        }
    }
    return 0;
}
