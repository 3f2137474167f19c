/* fx_lsm6dso.c: ST LSM6DSO accelerometer and gyroscope on I2C, read through its FIFO (DS12814). */
#include <string.h>

#include "fx_bytes.h"
#include "fx_hal.h"
#include "fx_sensor.h"
#include "fx_sensor_path.h"

#define ADDRESS 0x6Bu          /* SA0 high, as on the X-NUCLEO-IKS01A3 (UM2559) */
#define REG_FIFO_CTRL3 0x09u   /* BDR_GY[7:4], BDR_XL[3:0] */
#define REG_FIFO_CTRL4 0x0Au   /* FIFO_MODE[2:0] */
#define REG_WHO_AM_I 0x0Fu
#define REG_CTRL1_XL 0x10u     /* ODR_XL[7:4], FS_XL[3:2] */
#define REG_CTRL2_G 0x11u      /* ODR_G[7:4], FS_G[3:2], FS_125 bit 1 */
#define REG_CTRL3_C 0x12u      /* BDU 6, IF_INC 2, SW_RESET 0 */
#define REG_FIFO_STATUS1 0x3Au /* DIFF_FIFO[7:0]; STATUS2: DIFF_FIFO[9:8], FIFO_OVR_LATCHED bit 3 */
#define REG_FIFO_DATA_OUT_TAG 0x78u
#define WHO_AM_I 0x6Cu
#define FIFO_CONTINUOUS 0x06u
#define TAG_GYRO 0x01u
#define TAG_ACCEL 0x02u
#define PENDING 8u             /* words of one kind waiting for the other kind */
#define RESET_POLLS 100u

/* Output data rates, code n at RATES_MILLIHERTZ[n - 1] (CTRL1_XL, CTRL2_G and FIFO_CTRL3 alike). */
static const uint32_t RATES_MILLIHERTZ[] = {12500u, 26000u, 52000u, 104000u, 208000u, 416000u,
                                     833000u, 1666000u, 3332000u, 6667000u};

typedef struct {
    uint16_t full_scale;       /* g or dps */
    uint8_t bits;              /* in CTRL1_XL / CTRL2_G */
    uint32_t nano_per_count;   /* sensitivity, in the first unit */
    uint32_t nano_per_count2;  /* in the second: m/s2 for the accelerometer, rad/s for the gyroscope */
} full_scale;

/* DS12814 table 2; m/s2 with g = 9.80665, rad/s with pi / 180, rounded to the nano-unit. */
static const full_scale ACCEL[] = {
    {2, 0x0u << 2, 61000u, 598206u},
    {4, 0x2u << 2, 122000u, 1196411u},
    {8, 0x3u << 2, 244000u, 2392823u},
    {16, 0x1u << 2, 488000u, 4785645u},
};
static const full_scale GYRO[] = {
    {125, 0x1u << 1, 4375000u, 76358u},
    {250, 0x0u << 2, 8750000u, 152716u},
    {500, 0x1u << 2, 17500000u, 305433u},
    {1000, 0x2u << 2, 35000000u, 610865u},
    {2000, 0x3u << 2, 70000000u, 1221730u},
};

static int16_t pending_accel[PENDING][3];
static int16_t pending_gyro[PENDING][3];
static uint8_t n_accel;
static uint8_t n_gyro;

static fx_sensor_status bus(fx_i2c_status st)
{
    return st == FX_I2C_OK ? FX_SENSOR_OK : FX_SENSOR_BUS;
}

static fx_sensor_status write_reg(uint8_t reg, uint8_t value)
{
    const uint8_t tx[2] = {reg, value};
    return bus(fx_hal_i2c_transfer(ADDRESS, tx, sizeof tx, NULL, 0));
}

static fx_sensor_status read_regs(uint8_t reg, uint8_t *rx, size_t n)
{
    return bus(fx_hal_i2c_transfer(ADDRESS, &reg, 1, rx, n));
}

static fx_sensor_status probe(void)
{
    uint8_t id = 0;
    if (read_regs(REG_WHO_AM_I, &id, 1) != FX_SENSOR_OK || id != WHO_AM_I) {
        return FX_SENSOR_ABSENT;
    }
    return FX_SENSOR_OK;
}

/* The smallest full scale that holds the model's range, 32767 / counts_per_unit units: where
   sensitivity x counts_per_unit, model counts per sensor count, reaches 1 (10^9 x 2^16 in the
   units of the product, nano-units times Q16.16). */
static const full_scale *pick(const full_scale *table, size_t n, int second_unit, uint32_t counts_per_unit_q16)
{
    for (size_t i = 0; i < n; ++i) {
        const uint64_t nano = second_unit ? table[i].nano_per_count2 : table[i].nano_per_count;
        if (nano * counts_per_unit_q16 >= (1000000000ull << 16)) {
            return &table[i];
        }
    }
    return &table[n - 1u];
}

static fx_sensor_status start(uint32_t min_rate_millihertz, const uint8_t *units, const uint32_t *counts_per_unit_q16,
                              fx_sensor_config *config)
{
    uint8_t odr = 0;
    for (uint8_t i = 0; i < sizeof RATES_MILLIHERTZ / sizeof RATES_MILLIHERTZ[0] && odr == 0; ++i) {
        if (RATES_MILLIHERTZ[i] >= min_rate_millihertz) {
            odr = (uint8_t)(i + 1u);
        }
    }
    const int accel_ms2 = units[0] == FX_UNIT_M_S2;
    const int gyro_rad = units[3] == FX_UNIT_RAD_S;
    for (uint8_t c = 0; c < 6u; ++c) {
        const uint8_t want = c < 3u ? (accel_ms2 ? FX_UNIT_M_S2 : FX_UNIT_G) : (gyro_rad ? FX_UNIT_RAD_S : FX_UNIT_DPS);
        if (units[c] != want) {
            return FX_SENSOR_UNSUPPORTED;
        }
    }
    if (odr == 0) {
        return FX_SENSOR_RATE;
    }
    /* One full scale per part: the one that holds the widest-ranging (fewest counts per unit) axis. */
    uint32_t accel_cpu = UINT32_MAX;
    uint32_t gyro_cpu = UINT32_MAX;
    for (uint8_t c = 0; c < 3u; ++c) {
        accel_cpu = counts_per_unit_q16[c] < accel_cpu ? counts_per_unit_q16[c] : accel_cpu;
        gyro_cpu = counts_per_unit_q16[c + 3u] < gyro_cpu ? counts_per_unit_q16[c + 3u] : gyro_cpu;
    }
    const full_scale *xl = pick(ACCEL, sizeof ACCEL / sizeof ACCEL[0], accel_ms2, accel_cpu);
    const full_scale *g = pick(GYRO, sizeof GYRO / sizeof GYRO[0], gyro_rad, gyro_cpu);
    /* Software reset, then block data update and register auto-increment. */
    fx_sensor_status st = write_reg(REG_CTRL3_C, 0x01u);
    uint8_t ctrl3 = 0x01u;
    for (uint32_t i = 0; st == FX_SENSOR_OK && (ctrl3 & 0x01u) && i < RESET_POLLS; ++i) {
        st = read_regs(REG_CTRL3_C, &ctrl3, 1);
    }
    if (st == FX_SENSOR_OK && (ctrl3 & 0x01u)) {
        st = FX_SENSOR_BUS;
    }
    if (st == FX_SENSOR_OK) {
        st = write_reg(REG_CTRL3_C, 0x44u);
    }
    if (st == FX_SENSOR_OK) {
        st = write_reg(REG_CTRL1_XL, (uint8_t)((odr << 4) | xl->bits));
    }
    if (st == FX_SENSOR_OK) {
        st = write_reg(REG_CTRL2_G, (uint8_t)((odr << 4) | g->bits));
    }
    if (st == FX_SENSOR_OK) {
        st = write_reg(REG_FIFO_CTRL4, FIFO_CONTINUOUS);
    }
    if (st == FX_SENSOR_OK) {
        st = write_reg(REG_FIFO_CTRL3, (uint8_t)((odr << 4) | odr));
    }
    if (st != FX_SENSOR_OK) {
        return st;
    }
    n_accel = n_gyro = 0;
    memset(config, 0, sizeof *config);
    config->rate_millihertz = RATES_MILLIHERTZ[odr - 1u];
    config->n_channels = 6;
    for (uint8_t c = 0; c < 3u; ++c) {
        config->nano_units_per_count[c] = accel_ms2 ? xl->nano_per_count2 : xl->nano_per_count;
        config->full_scale[c] = xl->full_scale;
        config->nano_units_per_count[c + 3u] = gyro_rad ? g->nano_per_count2 : g->nano_per_count;
        config->full_scale[c + 3u] = g->full_scale;
    }
    return FX_SENSOR_OK;
}

static void stop(void)
{
    (void)write_reg(REG_FIFO_CTRL3, 0);
    (void)write_reg(REG_FIFO_CTRL4, 0);
    (void)write_reg(REG_CTRL1_XL, 0);
    (void)write_reg(REG_CTRL2_G, 0);
}

/*
 * The FIFO holds tagged words, one per sensor per output data rate period. Accelerometer and
 * gyroscope words are paired in the order they come (the k-th of each makes the k-th sample);
 * one word at a time, since a burst that spans several FIFO words is not something every bus
 * master (or emulator) handles the same way.
 */
static fx_sensor_status read(int16_t *samples, uint32_t max, uint32_t *count, uint32_t *lost)
{
    *count = 0;
    *lost = 0;
    uint8_t status[2];
    fx_sensor_status st = read_regs(REG_FIFO_STATUS1, status, sizeof status);
    if (st != FX_SENSOR_OK) {
        return st;
    }
    uint32_t words = status[0] | ((uint32_t)(status[1] & 0x03u) << 8);
    if (status[1] & 0x08u) {
        /* The FIFO overflowed and dropped its oldest words: the pairing starts again. */
        *lost = 1;
        n_accel = n_gyro = 0;
    }
    while (words-- > 0 && *count < max) {
        uint8_t word[7];
        st = read_regs(REG_FIFO_DATA_OUT_TAG, word, sizeof word);
        if (st != FX_SENSOR_OK) {
            return st;
        }
        const uint8_t tag = word[0] >> 3;
        int16_t(*slot)[3] = NULL;
        if (tag == TAG_ACCEL && n_accel < PENDING) {
            slot = &pending_accel[n_accel++];
        } else if (tag == TAG_GYRO && n_gyro < PENDING) {
            slot = &pending_gyro[n_gyro++];
        }
        if (slot != NULL) {
            for (uint8_t a = 0; a < 3u; ++a) {
                (*slot)[a] = (int16_t)fx_rd16(word + 1 + 2 * a);
            }
        }
        if (n_accel > 0 && n_gyro > 0) {
            int16_t *out = samples + (size_t)*count * 6u;
            memcpy(out, pending_accel[0], sizeof pending_accel[0]);
            memcpy(out + 3, pending_gyro[0], sizeof pending_gyro[0]);
            memmove(pending_accel[0], pending_accel[1], (size_t)(--n_accel) * sizeof pending_accel[0]);
            memmove(pending_gyro[0], pending_gyro[1], (size_t)(--n_gyro) * sizeof pending_gyro[0]);
            ++*count;
        }
    }
    return FX_SENSOR_OK;
}

const fx_sensor_driver fx_lsm6dso_driver = {
    .name = "LSM6DSO",
    .n_channels = 6,
    .probe = probe,
    .start = start,
    .stop = stop,
    .read = read,
};
