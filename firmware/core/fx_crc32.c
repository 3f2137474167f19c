/* fx_crc32.c: CRC-32 (IEEE 802.3) for model blobs and wire frames, table-free to save flash. */
#include "fx_kernels.h"

uint32_t fx_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}
