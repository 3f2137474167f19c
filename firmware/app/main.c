/* main.c: the fxclass firmware: wires the HAL, the wire protocol and the built-in model. */
#include "fx_hal.h"
#include "fx_proto.h"

extern const uint8_t fx_default_model[];
extern const uint8_t fx_default_model_end[];

#define HEARTBEAT_HALF_PERIOD_MS 500u

static fx_server server;

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
    const fx_port port = {
        .write = port_write,
        .cycles = port_cycles,
        .request_reset = port_reset,
        .ctx = NULL,
        .board_name = fx_board_config.name,
        .sysclk_hz = fx_hal_sysclk_hz(),
        .cycle_source = fx_hal_cycle_source(),
    };
    fx_port_text(&port, clock_message(clock));
    const fx_status model = fx_server_init(&server, &port, fx_default_model,
                                           (uint32_t)(fx_default_model_end - fx_default_model));
    if (model != FX_OK) {
        /* A build with a broken default model still talks, so a good one can be uploaded. */
        fx_port_text(&port, "model: built-in model rejected, upload one\r\n");
    }
    fx_server_announce(&server);
    uint8_t chunk[64];
    uint32_t blink_ms = fx_hal_millis();
    for (;;) {
        fx_hal_watchdog_kick();
        /* Heartbeat: the user LED blinks at 1 Hz while the main loop runs (SysTick wakes it). */
        const uint32_t now_ms = fx_hal_millis();
        if (now_ms - blink_ms >= HEARTBEAT_HALF_PERIOD_MS) {
            blink_ms = now_ms;
            fx_hal_led_toggle();
        }
        const size_t n = fx_hal_uart_read(chunk, sizeof chunk);
        if (n > 0) {
            server.stats.rx_overruns = fx_hal_uart_overruns();
            server.stats.uptime_ms = fx_hal_millis();
            fx_server_feed(&server, chunk, n);
        } else {
            fx_hal_wait_for_interrupt();
        }
    }
}
