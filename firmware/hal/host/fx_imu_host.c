/* fx_imu_host.c: the native port's sensor bus: an LSM6DSO at 0x6B, simulated, playing a recorded file.
 *
 * FXCLASS_NATIVE_IMU names the recording: one sample per line, "ax ay az gx gy gz" as integers in
 * micro-g and micro-degrees per second, after an optional first line "rate_millihertz N" (its sample
 * rate, 12500 by default). Without it nothing answers on the bus, as on a board without a shield.
 * The part samples the recording at its output data rate (sample and hold, as Renode's model
 * does), scales it as a real part would at the full scale set, and queues the words in a FIFO of
 * 512 that overruns when not read. Time runs FXCLASS_NATIVE_IMU_SPEEDUP times faster than the
 * monotonic clock (1 by default). While the file named by FXCLASS_NATIVE_IMU_UNPLUG exists, the
 * part does not answer: it has come off the bus.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fx_hal.h"

#define ADDRESS 0x6Bu
#define FIFO_WORDS 512u
#define MAX_SAMPLES 200000u

static const uint32_t RATES_MILLIHERTZ[] = {12500u, 26000u, 52000u, 104000u, 208000u, 416000u,
                                     833000u, 1666000u, 3332000u, 6667000u};

static struct {
    int loaded;             /* 1: a recording, -1: none */
    uint32_t rate_millihertz;
    uint32_t n;
    int32_t (*values)[6];   /* micro-g, micro-dps */
    uint8_t regs[128];
    uint8_t pointer;
    uint8_t fifo[FIFO_WORDS][7];
    uint32_t head, count;
    int overrun;
    uint64_t started_ns;    /* when the FIFO began collecting */
    uint64_t ticks;         /* output data rate periods queued so far */
    double speedup;
} imu;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void load(void)
{
    imu.loaded = -1;
    const char *path = getenv("FXCLASS_NATIVE_IMU");
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    if (f == NULL) {
        return;
    }
    const char *speedup = getenv("FXCLASS_NATIVE_IMU_SPEEDUP");
    imu.speedup = speedup != NULL && atof(speedup) > 0 ? atof(speedup) : 1.0;
    imu.rate_millihertz = 12500u;
    imu.values = calloc(MAX_SAMPLES, sizeof imu.values[0]);
    char line[256];
    while (imu.values != NULL && imu.n < MAX_SAMPLES && fgets(line, sizeof line, f) != NULL) {
        unsigned rate;
        long v[6];
        if (sscanf(line, "rate_millihertz %u", &rate) == 1 && rate > 0) {
            imu.rate_millihertz = rate;
        } else if (sscanf(line, "%ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
            for (int c = 0; c < 6; ++c) {
                /* Saturated, as the part saturates at its full scale (counts() then clamps to it),
                 * never wrapped: 99,999 dps must not play as 1,214 dps. */
                imu.values[imu.n][c] = (int32_t)(v[c] > INT32_MAX ? INT32_MAX : v[c] < INT32_MIN ? INT32_MIN : v[c]);
            }
            ++imu.n;
        }
    }
    fclose(f);
    imu.loaded = imu.values != NULL ? 1 : -1;
    imu.regs[0x0F] = 0x6C; /* WHO_AM_I */
    imu.regs[0x12] = 0x04; /* CTRL3_C: IF_INC */
}

static int present(void)
{
    if (imu.loaded == 0) {
        load();
    }
    const char *unplug = getenv("FXCLASS_NATIVE_IMU_UNPLUG");
    return imu.loaded > 0 && (unplug == NULL || access(unplug, F_OK) != 0);
}

static uint32_t odr_millihertz(uint8_t code)
{
    return code >= 1u && code <= 10u ? RATES_MILLIHERTZ[code - 1u] : 0u;
}

/* Counts for micro-units at the current full scale, rounded to nearest and saturated. */
static int16_t counts(int32_t micro, int accel)
{
    double per_unit; /* LSB per g, or per dps */
    if (accel) {
        static const double fs_g[4] = {2, 16, 4, 8};
        per_unit = 32768.0 / fs_g[(imu.regs[0x10] >> 2) & 3u];
    } else {
        static const double mdps[4] = {8.75, 17.5, 35, 70};
        per_unit = 1000.0 / ((imu.regs[0x11] & 0x02u) ? 4.375 : mdps[(imu.regs[0x11] >> 2) & 3u]);
    }
    const double v = (double)micro / 1e6 * per_unit;
    const double r = v < 0 ? -(double)(long long)(-v + 0.5) : (double)(long long)(v + 0.5);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

static void push_word(uint8_t tag, int accel, const int32_t *micro)
{
    if (imu.count == FIFO_WORDS) {
        imu.head = (imu.head + 1u) % FIFO_WORDS;
        --imu.count;
        imu.overrun = 1;
    }
    uint8_t *w = imu.fifo[(imu.head + imu.count++) % FIFO_WORDS];
    w[0] = (uint8_t)(tag << 3);
    for (int a = 0; a < 3; ++a) {
        const uint16_t c = (uint16_t)counts(micro[a], accel);
        w[1 + 2 * a] = (uint8_t)c;
        w[2 + 2 * a] = (uint8_t)(c >> 8);
    }
}

/* Queue the words of every output data rate period that has passed. */
static void catch_up(void)
{
    const uint32_t odr = odr_millihertz(imu.regs[0x09] & 0x0Fu);
    if (odr == 0 || (imu.regs[0x0A] & 7u) != 6u) {
        return;
    }
    const double elapsed_s = (double)(now_ns() - imu.started_ns) / 1e9 * imu.speedup;
    const uint64_t due = (uint64_t)(elapsed_s * odr / 1000.0);
    static const int32_t zero[6];
    for (; imu.ticks < due; ++imu.ticks) {
        const uint64_t k = imu.ticks * imu.rate_millihertz / odr;
        const int32_t *v = k < imu.n ? imu.values[k] : zero;
        push_word(0x01u, 0, v + 3); /* gyroscope word first, as the part writes them */
        push_word(0x02u, 1, v);
    }
}

static void write_reg(uint8_t reg, uint8_t value)
{
    if (reg == 0x12u && (value & 0x01u)) { /* SW_RESET */
        memset(imu.regs, 0, sizeof imu.regs);
        imu.regs[0x0F] = 0x6C;
        imu.regs[0x12] = 0x04;
        imu.count = 0;
        imu.overrun = 0;
        return;
    }
    const int fifo_started = (reg == 0x09u || reg == 0x0Au) && imu.regs[reg] != value;
    imu.regs[reg & 0x7Fu] = value;
    if (fifo_started) {
        imu.started_ns = now_ns();
        imu.ticks = 0;
        imu.count = 0;
        imu.overrun = 0;
    }
}

static uint8_t read_reg(uint8_t reg)
{
    switch (reg) {
    case 0x3A:
        catch_up();
        return (uint8_t)imu.count;
    case 0x3B: {
        const uint8_t status = (uint8_t)(((imu.count >> 8) & 3u) | (imu.overrun ? 0x08u : 0u));
        imu.overrun = 0;
        return status;
    }
    default:
        return imu.regs[reg & 0x7Fu];
    }
}

fx_i2c_status fx_hal_i2c_transfer(uint8_t addr7, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    if (addr7 != ADDRESS || !present()) {
        return FX_I2C_NACK;
    }
    if (tx_len > 0u) {
        imu.pointer = tx[0] & 0x7Fu;
        for (size_t i = 1; i < tx_len; ++i) {
            write_reg(imu.pointer++, tx[i]);
        }
    }
    for (size_t i = 0; i < rx_len; ++i) {
        if (imu.pointer >= 0x78u && imu.pointer <= 0x7Eu) {
            if (imu.pointer == 0x78u && imu.count > 0) {
                memcpy(&imu.regs[0x78], imu.fifo[imu.head], 7);
                imu.head = (imu.head + 1u) % FIFO_WORDS;
                --imu.count;
            }
            rx[i] = imu.regs[imu.pointer];
            imu.pointer = imu.pointer == 0x7Eu ? 0x78u : (uint8_t)(imu.pointer + 1u);
        } else {
            rx[i] = read_reg(imu.pointer);
            imu.pointer = (uint8_t)((imu.pointer + 1u) & 0x7Fu);
        }
    }
    return FX_I2C_OK;
}
