/* fault_main.c: test image for the fault path. It starts like the application, says so, and then
 * executes an undefined instruction: the HardFault handler of startup.c must report the fault on
 * the console and reset, after which the same happens again. The tests boot it in QEMU.
 */
#include "fx_board.h"
#include "fx_hal.h"

int main(void);
void fx_fault_test_trigger(void);

/* Its first instruction is the undefined one, so the reported pc is this function's address. */
__attribute__((naked, noinline)) void fx_fault_test_trigger(void)
{
    __asm volatile("udf #0");
}

int main(void)
{
    (void)fx_hal_init(&fx_board_config);
    static const char line[] = "fault test: undefined instruction next\r\n";
    fx_hal_uart_write((const uint8_t *)line, sizeof line - 1u);
    fx_fault_test_trigger();
    for (;;) {
    }
}
