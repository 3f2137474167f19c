/* fx_storage.c: where the board keeps its models and its configuration: flash sectors 6/7 and 4/5, through the HAL. */
#include "fx_storage.h"

#include "fx_hal.h"

/*
 * The flash map of the F411RE and F446RE (512 KiB; the F405RG's first 512 KiB are the same):
 *   sectors 0-3 (4 x 16 KiB, 0x08000000)  the image: code, then the built-in model (linker scripts: 64 KiB)
 *   sector 4    (64 KiB,  0x08010000)     configuration, slot 0
 *   sector 5    (128 KiB, 0x08020000)     configuration, slot 1
 *   sector 6    (128 KiB, 0x08040000)     model, slot 0
 *   sector 7    (128 KiB, 0x08060000)     model, slot 1
 * Each slot is alone in its sector, so erasing one never touches the other. A slot uses the start
 * of its sector only: a model slot FX_SLOT_HEADER_BYTES + FX_MAX_MODEL_BYTES, a configuration slot
 * 1 KiB (Renode 1.15's STM32F4 flash controller erases only the first 16 KiB of sector 4 and
 * 64 KiB of sector 5, its table being off there; the slots lie within what it does erase).
 */
#define CONFIG_SECTOR 4u
#define MODEL_SECTOR 6u
#define CONFIG_SLOT_BYTES 1024u
#define MODEL_SLOT_BYTES (FX_SLOT_HEADER_BYTES + FX_MAX_MODEL_BYTES)
#define MODELS_MAGIC 0x4D535846u /* "FXSM" */
#define CONFIG_MAGIC 0x43535846u /* "FXSC" */

_Static_assert(FX_SLOT_HEADER_BYTES + FX_CONFIG_MAX_BYTES <= CONFIG_SLOT_BYTES, "the configuration fits its slot");

static int erase_sector(void *ctx, uint8_t sector)
{
    (void)ctx;
    return fx_hal_flash_erase(sector);
}

static int program(void *ctx, const uint8_t *address, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    return fx_hal_flash_program(address, data, len);
}

static void area_init(fx_store_area *area, uint32_t magic, uint8_t first_sector, uint32_t slot_bytes)
{
    area->magic = magic;
    for (uint8_t i = 0; i < 2u; ++i) {
        uint32_t size = 0;
        area->slot[i].sector = (uint8_t)(first_sector + i);
        area->slot[i].base = fx_hal_flash_sector(area->slot[i].sector, &size);
        area->slot[i].size = size < slot_bytes ? size : slot_bytes;
    }
}

void fx_storage_init(fx_storage *st)
{
    const int present = fx_hal_flash_present();
    st->flash.erase_sector = present ? erase_sector : NULL;
    st->flash.program = present ? program : NULL;
    st->flash.ctx = NULL;
    area_init(&st->models, MODELS_MAGIC, MODEL_SECTOR, MODEL_SLOT_BYTES);
    area_init(&st->config, CONFIG_MAGIC, CONFIG_SECTOR, CONFIG_SLOT_BYTES);
}
