/* m4_vectors.c: the two vectors QEMU needs to start fx_runner on Cortex-M4: stack and newlib's _start. */
extern void _start(void);
extern char __stack_top[];

__attribute__((section(".vectors"), used)) static const void *const vectors[2] = {__stack_top, (const void *)_start};
