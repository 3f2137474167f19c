/* main.c: the fxclass firmware: wires the HAL, the wire protocol, the built-in model and the board's sensor. */
#include <string.h>

#include "fx_hal.h"
#include "fx_outputs.h"
#include "fx_sensor.h"
#include "fx_server.h"
#include "fx_storage.h"

extern const uint8_t fx_default_model[];
extern const uint8_t fx_default_model_end[];

/* In LIVE and RECORD the sensor's FIFO is read every four samples' time, at least every 50 ms
   (a few samples at a time at the low rates classifiers use) and at most every millisecond (well
   before its 512 words fill at the highest rates). */
#define SENSOR_POLL_MAX_MS 50u
#define SENSOR_RETRY_MS 500u
/* While a frame is coming in, the loop stays awake between its bytes instead of sleeping after
   each one: an emulator hands bytes over one at a time, and a wake-up per byte costs more there
   than the byte. A frame whose bytes stop coming for this long lets it sleep again. */
#define RX_AWAKE_MS 20u
#define SENSOR_SAMPLES_PER_READ 8u

static fx_server server;
static fx_storage storage;
static const fx_sensor_driver *sensor;
static uint8_t sensor_on;       /* started, or tried, for LIVE or RECORD; stopped when they end */
static uint8_t sensor_failed;   /* it stopped answering during LIVE or RECORD; retried */
static uint32_t sensor_poll_ms = SENSOR_POLL_MAX_MS;

static void port_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    fx_hal_uart_write(data, len);
}

static uint32_t port_cycles(void *ctx)
{
    (void)ctx;
    return fx_hal_cycles();
}

static void port_reset(void *ctx)
{
    (void)ctx;
    fx_hal_reset();
}

static uint8_t sensor_error_code(fx_sensor_status status)
{
    switch (status) {
    case FX_SENSOR_OK: return 0;
    case FX_SENSOR_UNSUPPORTED: return FX_E_SENSOR_CHANNELS;
    case FX_SENSOR_RATE: return FX_E_SENSOR_RATE;
    case FX_SENSOR_NO_SCALE: return FX_E_SENSOR_SCALE;
    case FX_SENSOR_BUS: return FX_E_SENSOR_BUS;
    default: return FX_E_NO_SENSOR;
    }
}

/* Start the sensor for the model in use: 0 and *setup, or the FX_E_* code that says why not. */
static uint8_t sensor_start(fx_sensor_setup *setup)
{
    if (sensor == NULL || sensor->probe() != FX_SENSOR_OK) {
        sensor = fx_sensor_find(); /* a shield fitted since start-up, or the part back on the bus */
        server.port.sensor_name = sensor != NULL ? sensor->name : NULL;
    }
    if (sensor == NULL) {
        return FX_E_NO_SENSOR;
    }
    sensor_failed = 0;
    const uint8_t code = sensor_error_code(fx_sensor_start_for_model(sensor, &server.model, setup));
    sensor_on = code != FX_E_NO_SENSOR; /* a start that failed half way is stopped too */
    if (code == 0) {
        const uint32_t four_samples_ms = 4000000u / setup->rate_millihertz;
        sensor_poll_ms = four_samples_ms < 1u ? 1u : four_samples_ms > SENSOR_POLL_MAX_MS ? SENSOR_POLL_MAX_MS
                                                                                          : four_samples_ms;
    }
    return code;
}

static void sensor_stop(void)
{
    if (sensor_on) {
        sensor->stop();
    }
    sensor_on = 0;
    sensor_failed = 0;
}

/*
 * The server never calls the sensor, so that calls run one way, from app/ down (fx_server.h): it
 * records what the host asks and the sensor follows here. A MODE request is answered once the
 * sensor has stopped and, for LIVE or RECORD, started again for the model; a stream or an upload
 * that ends LIVE or RECORD stops it.
 */
static void sensor_follow(void)
{
    uint8_t mode;
    if (fx_server_mode_request(&server, &mode)) {
        sensor_stop();
        fx_sensor_setup setup;
        memset(&setup, 0, sizeof setup);
        fx_server_mode_answer(&server, mode != 0 ? sensor_start(&setup) : 0, &setup);
    }
    if (server.mode == 0) {
        sensor_stop();
    }
}

/* In LIVE and RECORD: drain the sensor's FIFO into the server; a part that stops answering is
   reported and started again every SENSOR_RETRY_MS, while the UART keeps being served. */
static void sensor_poll(uint32_t now_ms, uint32_t *next_ms)
{
    if (server.mode == 0 || sensor == NULL || (int32_t)(now_ms - *next_ms) < 0) {
        return;
    }
    if (sensor_failed) {
        *next_ms = now_ms + SENSOR_RETRY_MS;
        fx_sensor_setup setup;
        if (sensor->probe() == FX_SENSOR_OK && fx_sensor_start_for_model(sensor, &server.model, &setup) == FX_SENSOR_OK) {
            sensor_failed = 0;
            fx_server_sensor_event(&server, 1);
        }
        return;
    }
    static int16_t samples[SENSOR_SAMPLES_PER_READ * FX_MAX_CHANNELS];
    uint32_t count = 0;
    uint32_t lost = 0;
    if (sensor->read(samples, SENSOR_SAMPLES_PER_READ, &count, &lost) != FX_SENSOR_OK) {
        sensor_failed = 1;
        *next_ms = now_ms + SENSOR_RETRY_MS;
        fx_server_sensor_event(&server, 0);
        return;
    }
    fx_server_sensor_samples(&server, samples, count, lost);
    /* A full read may have left more behind: come back at once. */
    *next_ms = count == SENSOR_SAMPLES_PER_READ ? now_ms : now_ms + sensor_poll_ms;
}

/* "\0<prefix><text>\r\n\0": a text line, as fx_port_text writes one. */
static void port_line(const fx_port *port, const char *prefix, const char *text)
{
    static const uint8_t delimiter = 0;
    const char *parts[] = {prefix, text, "\r\n"};
    port->write(port->ctx, &delimiter, 1);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
        port->write(port->ctx, (const uint8_t *)parts[i], fx_text_len(parts[i], FX_TEXT_MAX));
    }
    port->write(port->ctx, &delimiter, 1);
}

static const char *clock_message(fx_clock_status status)
{
    switch (status) {
    case FX_CLOCK_HSE_TIMEOUT: return "clock: HSE not ready, running on HSI 16 MHz\r\n";
    case FX_CLOCK_PLL_TIMEOUT: return "clock: PLL not ready, running on HSI 16 MHz\r\n";
    case FX_CLOCK_HOST: return "clock: host, cycles are nanoseconds\r\n";
    default: return "clock: PLL ready\r\n";
    }
}

int main(void)
{
    const fx_clock_status clock = fx_hal_init(&fx_board_config);
    sensor = fx_sensor_find();
    fx_storage_init(&storage);
    const fx_port port = {
        .write = port_write,
        .cycles = port_cycles,
        .request_reset = port_reset,
        .ctx = NULL,
        .board_name = fx_board_config.name,
        .sensor_name = sensor != NULL ? sensor->name : NULL,
        .storage = &storage,
        .sysclk_hz = fx_hal_sysclk_hz(),
        .cycle_source = fx_hal_cycle_source(),
    };
    fx_port_text(&port, clock_message(clock));
    port_line(&port, "sensor: ", sensor != NULL ? sensor->name : "none found");
    const fx_status model = fx_server_init(&server, &port, fx_default_model,
                                           (uint32_t)(fx_default_model_end - fx_default_model));
    if (model != FX_OK) {
        /* A build with a broken default model still talks, so a good one can be uploaded. */
        fx_port_text(&port, "model: built-in model rejected, upload one\r\n");
    }
    if (!storage.flash.erase_sector) {
        fx_port_text(&port, "flash: no controller, uploads are kept in RAM until a reset\r\n");
    }
    fx_server_announce(&server);
    if (server.config.boot_mode == FX_BOOT_LIVE) {
        /* Configured to work alone: LIVE from power-on, as if the host had asked (fx_server.h). */
        fx_server_request_mode(&server, FX_MODE_LIVE);
        sensor_follow();
    }
    uint8_t chunk[64];
    uint32_t sensor_ms = fx_hal_millis();
    uint32_t rx_ms = sensor_ms;
    for (;;) {
        fx_hal_watchdog_kick();
        /* The LED and the class pins show the class decided (a heartbeat before any); SysTick
           wakes the loop every millisecond. */
        const uint32_t now_ms = fx_hal_millis();
        fx_outputs_update(&server.config, server.shown_class, now_ms);
        sensor_poll(now_ms, &sensor_ms);
        const size_t n = fx_hal_uart_read(chunk, sizeof chunk);
        if (n > 0) {
            server.stats.rx_overruns = fx_hal_uart_overruns();
            server.stats.uptime_ms = fx_hal_millis();
            rx_ms = now_ms;
            for (size_t taken = 0; taken < n;) {
                taken += fx_server_feed(&server, chunk + taken, n - taken);
                sensor_follow();
            }
        } else if (server.rx.len == 0 || now_ms - rx_ms > RX_AWAKE_MS) {
            fx_hal_wait_for_interrupt();
        }
    }
}
