/* fx_flash_host.c: the chip's flash for native runs: a file laid out as the STM32F4's sectors 0-7, and power cuts on request. */
#define _DEFAULT_SOURCE /* MAP_SHARED, ftruncate */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fx_hal.h"

/*
 * FXCLASS_NATIVE_FLASH=FILE keeps the flash in FILE (created erased, 512 KiB), so that what the
 * firmware keeps survives its resets and restarts; without it there is no flash controller, as in
 * QEMU. FXCLASS_NATIVE_FLASH_CUT=N cuts the power at the N-th step (1-based) of the flash work,
 * where a step is a quarter of a sector's erase or one word's programming: that step is left half
 * done (half the quarter erased; the word's low half-word programmed, the rest as it was) and the
 * firmware resets at once, as a board does when power comes back. The variable is not carried
 * into the new image, so the board then boots with what the cut left.
 */
#define SECTORS 8u
#define FLASH_BYTES (512u * 1024u)

static uint8_t *flash;          /* the mapped file; NULL: no flash controller */
static long cut_at = -1;        /* the step that loses power, -1: none */
static long steps;

static void map_flash(void)
{
    static int tried;
    if (tried) {
        return;
    }
    tried = 1;
    const char *path = getenv("FXCLASS_NATIVE_FLASH");
    if (path == NULL || *path == '\0') {
        return;
    }
    const int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        perror("fxclass native: FXCLASS_NATIVE_FLASH");
        exit(2);
    }
    const off_t size = lseek(fd, 0, SEEK_END);
    if (size != (off_t)FLASH_BYTES) {
        /* A new file reads erased, as a new chip's flash does. */
        static uint8_t erased[4096];
        memset(erased, 0xFF, sizeof erased);
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
            perror("fxclass native: FXCLASS_NATIVE_FLASH");
            exit(2);
        }
        for (uint32_t done = 0; done < FLASH_BYTES; done += sizeof erased) {
            if (write(fd, erased, sizeof erased) != (ssize_t)sizeof erased) {
                perror("fxclass native: FXCLASS_NATIVE_FLASH");
                exit(2);
            }
        }
    }
    void *mapped = mmap(NULL, FLASH_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mapped == MAP_FAILED) {
        perror("fxclass native: mmap FXCLASS_NATIVE_FLASH");
        exit(2);
    }
    flash = mapped;
    const char *cut = getenv("FXCLASS_NATIVE_FLASH_CUT");
    cut_at = cut != NULL ? strtol(cut, NULL, 10) : -1;
}

int fx_hal_flash_present(void)
{
    map_flash();
    return flash != NULL;
}

static uint32_t sector_offset(uint8_t sector, uint32_t *size)
{
    *size = sector < 4u ? 0x4000u : sector == 4u ? 0x10000u : 0x20000u;
    return sector < 4u ? 0x4000u * sector : sector == 4u ? 0x10000u : 0x20000u * (sector - 4u);
}

const uint8_t *fx_hal_flash_sector(uint8_t sector, uint32_t *size_bytes)
{
    if (!fx_hal_flash_present() || sector >= SECTORS) {
        return NULL;
    }
    return flash + sector_offset(sector, size_bytes);
}

/* One step of flash work done; at the step chosen for the cut, after its half, power is lost. */
static int power_lost(void)
{
    return ++steps == cut_at;
}

static void lose_power(void)
{
    msync(flash, FLASH_BYTES, MS_SYNC);
    fx_hal_reset();
}

int fx_hal_flash_erase(uint8_t sector)
{
    uint32_t size;
    if (!fx_hal_flash_present() || sector >= SECTORS) {
        return -1;
    }
    uint8_t *at = flash + sector_offset(sector, &size);
    for (uint32_t q = 0; q < 4u; ++q) {
        uint8_t *part = at + q * (size / 4u);
        if (power_lost()) {
            memset(part, 0xFF, size / 8u);
            lose_power();
        }
        memset(part, 0xFF, size / 4u);
    }
    return 0;
}

int fx_hal_flash_program(const uint8_t *address, const uint8_t *data, uint32_t len)
{
    if (!fx_hal_flash_present() || address < flash || address + len > flash + FLASH_BYTES ||
        ((uintptr_t)address & 3u) || (len & 3u)) {
        return -1;
    }
    uint8_t *to = flash + (address - flash);
    for (uint32_t i = 0; i < len; i += 4u) {
        if (power_lost()) {
            to[i] &= data[i]; /* programming clears bits: the low half-word made it */
            to[i + 1u] &= data[i + 1u];
            lose_power();
        }
        for (uint32_t b = 0; b < 4u; ++b) {
            to[i + b] &= data[i + b];
        }
    }
    return 0;
}
