/* fx_storage.h: the flash areas where the board keeps its models and configuration (fx_storage.c has the map). */
#ifndef FX_STORAGE_H
#define FX_STORAGE_H

#include "fx_config.h"
#include "fx_proto.h"

/* The areas and the HAL's flash; erase and program NULL where no flash controller answers. */
void fx_storage_init(fx_storage *st);

#endif
