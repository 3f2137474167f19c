/* startup.c: STM32F4 vector table, reset handler and fault handlers that report before resetting. */
#include <stdint.h>
#include <string.h>

#include "fx_hal.h"
#include "stm32f4_regs.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void fx_fault_report(const uint32_t *frame, uint32_t exc_return);

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void USART2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C1_EV_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C1_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

#define N_IRQS 82u

__attribute__((section(".isr_vector"), used))
static void (*const vector_table[16u + N_IRQS])(void) = {
    [0] = (void (*)(void))(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = SVC_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16u + I2C1_EV_IRQN] = I2C1_EV_IRQHandler,
    [16u + I2C1_ER_IRQN] = I2C1_ER_IRQHandler,
    [16u + USART2_IRQN] = USART2_IRQHandler,
};

void Reset_Handler(void)
{
    memcpy(&_sdata, &_sidata, (size_t)((uintptr_t)&_edata - (uintptr_t)&_sdata));
    memset(&_sbss, 0, (size_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss));
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    main();
    fx_hal_reset();
}

/* Pass the stacked exception frame (MSP or PSP, as EXC_RETURN bit 2 says) to the reporter. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "b fx_fault_report\n");
}

static void put_hex(char *out, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        out[i] = digits[(v >> (28 - 4 * i)) & 0xFu];
    }
}

/* "\0FAULT pc=xxxxxxxx lr=xxxxxxxx cfsr=xxxxxxxx hfsr=xxxxxxxx\r\n\0", then a reset: the host
   sees why, and the firmware comes back instead of hanging. */
void fx_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    (void)exc_return;
    char line[] = "\0FAULT pc=........ lr=........ cfsr=........ hfsr=........\r\n";
    put_hex(line + 10, frame[6]);
    put_hex(line + 22, frame[5]);
    put_hex(line + 36, SCB_CFSR);
    put_hex(line + 50, SCB_HFSR);
    fx_hal_uart_write((const uint8_t *)line, sizeof line); /* sizeof includes the final NUL */
    fx_hal_reset();
}

void Default_Handler(void)
{
    static const char line[] = "\0FAULT unexpected interrupt\r\n";
    fx_hal_uart_write((const uint8_t *)line, sizeof line);
    fx_hal_reset();
}
