/* fx_flash_stm32f4.c: the STM32F4 flash controller: unlock, sector erase, 32-bit programming, lock. */
#include "fx_hal.h"
#include "stm32f4_regs.h"

/* Sectors 0-7 of the F405/F411/F446 (RM0090, RM0383, RM0390 "Flash module organization"): the
   F411RE and F446RE end there at 512 KiB; the F405RG goes on to sector 11 at 1 MiB. */
#define FLASH_BASE 0x08000000u
#define SECTORS 8u

/* Read at reset, before anything unlocks it: a controller holds CR.LOCK set out of reset; QEMU,
   which models none, reads 0 there. */
static int8_t present = -1;

int fx_hal_flash_present(void)
{
    if (present < 0) {
        present = (FLASH_CR & FLASH_CR_LOCK) != 0u;
    }
    return present;
}

const uint8_t *fx_hal_flash_sector(uint8_t sector, uint32_t *size_bytes)
{
    if (sector >= SECTORS) {
        return NULL;
    }
    const uint32_t kib = sector < 4u ? 16u : sector == 4u ? 64u : 128u;
    const uint32_t offset_kib = sector < 4u ? 16u * sector : sector == 4u ? 64u : 128u * (sector - 4u);
    *size_bytes = kib * 1024u;
    return (const uint8_t *)(uintptr_t)(FLASH_BASE + offset_kib * 1024u);
}

/*
 * The one step that touches the flash: a store (CR with STRT for an erase, a word for a program),
 * then a wait for BSY to clear. It runs from RAM (.ramfunc, copied at start-up with .data) with
 * interrupts masked: while the flash is busy, any fetch from it stalls the core, for up to 2 s
 * during a 128 KiB erase (DS10693 / DS10314 tERASE128KB at x32), longer than the watchdog's 2 s;
 * from RAM the loop keeps feeding the watchdog, and no vector fetch from flash can stall it.
 */
__attribute__((section(".ramfunc"), noinline, long_call)) static uint32_t store_and_wait(volatile uint32_t *at,
                                                                                       uint32_t value)
{
    *at = value;
    __asm volatile("dsb");
    while (FLASH_SR & FLASH_SR_BSY) {
        IWDG_KR = 0xAAAAu;
    }
    return FLASH_SR;
}

static uint32_t store_and_wait_masked(volatile uint32_t *at, uint32_t value)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    const uint32_t sr = store_and_wait(at, value);
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    return sr;
}

static int unlock(void)
{
    if (!fx_hal_flash_present()) {
        return -1;
    }
    while (FLASH_SR & FLASH_SR_BSY) {
    }
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
    FLASH_SR = FLASH_SR_EOP | FLASH_SR_ERRORS; /* write 1 to clear what an earlier operation left */
    return (FLASH_CR & FLASH_CR_LOCK) ? -1 : 0;
}

/* Lock again, and flush the caches, which may hold what the sectors read before (RM0390 3.5.2). */
static int finish(uint32_t sr)
{
    FLASH_CR = FLASH_CR_LOCK;
    const uint32_t acr = FLASH_ACR;
    FLASH_ACR = acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    FLASH_ACR = (acr & ~(FLASH_ACR_ICEN | FLASH_ACR_DCEN)) | FLASH_ACR_ICRST | FLASH_ACR_DCRST;
    FLASH_ACR = acr;
    return (sr & FLASH_SR_ERRORS) ? -1 : 0;
}

int fx_hal_flash_erase(uint8_t sector)
{
    if (sector >= SECTORS || unlock() != 0) {
        return -1;
    }
    const uint32_t cr = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | ((uint32_t)sector << FLASH_CR_SNB_SHIFT);
    FLASH_CR = cr;
    return finish(store_and_wait_masked(&FLASH_CR, cr | FLASH_CR_STRT));
}

int fx_hal_flash_program(const uint8_t *address, const uint8_t *data, uint32_t len)
{
    if (((uintptr_t)address & 3u) || ((uintptr_t)data & 3u) || (len & 3u) || unlock() != 0) {
        return -1;
    }
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_PG;
    uint32_t sr = 0;
    volatile uint32_t *to = (volatile uint32_t *)(uintptr_t)address;
    const uint32_t *from = (const uint32_t *)(const void *)data;
    for (uint32_t i = 0; i < len / 4u && !(sr & FLASH_SR_ERRORS); ++i) {
        sr = store_and_wait_masked(to + i, from[i]);
    }
    return finish(sr);
}
