/* fx_hal_stm32f4.c: the STM32F4 port of fx_hal.h: clocks with time-outs, USART2, SysTick, DWT. */
#include "fx_hal_stm32f4.h"

#include "stm32f4_regs.h"

#define HSI_HZ 16000000u
/* Ready flags come within microseconds (HSE start-up is at most 2 ms, RM0390 5.3.2); this many
   polls is several milliseconds even at 180 MHz, after which the clock is given up on. */
#define READY_POLLS 200000u
#define RX_RING_BYTES 512u /* a power of two */

static volatile uint32_t millis;
static uint32_t sysclk_hz = HSI_HZ;
static uint8_t cycle_source = 1;
static volatile uint8_t rx_ring[RX_RING_BYTES];
static volatile uint32_t rx_head; /* written by the USART interrupt only */
static volatile uint32_t rx_tail; /* written by the main loop only */
static volatile uint32_t rx_overruns;

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    for (uint32_t i = 0; i < READY_POLLS; ++i) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

static uint32_t ppre_bits(uint8_t div)
{
    switch (div) {
    case 2: return 4u;
    case 4: return 5u;
    case 8: return 6u;
    case 16: return 7u;
    default: return 0u;
    }
}

static void fall_back_to_hsi(void)
{
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_HSI;
    RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
    sysclk_hz = HSI_HZ;
}

static fx_clock_status clock_init(const fx_board *b)
{
    RCC_CR |= RCC_CR_HSEON | (b->hse_bypass ? RCC_CR_HSEBYP : 0u);
    if (!wait_set(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        fall_back_to_hsi();
        return FX_CLOCK_HSE_TIMEOUT;
    }
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR |= PWR_CR_VOS_SCALE1;
    RCC_PLLCFGR = (RCC_PLLCFGR & RCC_PLLCFGR_R_MASK) | RCC_PLLCFGR_SRC_HSE | b->pll_m |
                  ((uint32_t)b->pll_n << 6) | ((uint32_t)(b->pll_p / 2u - 1u) << 16) |
                  ((uint32_t)b->pll_q << 24);
    RCC_CR |= RCC_CR_PLLON;
    int ok = wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY);
    if (ok && b->over_drive) {
        PWR_CR |= PWR_CR_ODEN;
        ok = wait_set(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY);
        if (ok) {
            PWR_CR |= PWR_CR_ODSWEN;
            ok = wait_set(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY);
        }
    }
    if (!ok) {
        fall_back_to_hsi();
        return FX_CLOCK_PLL_TIMEOUT;
    }
    /* Wait states before the switch, bus dividers before the faster clock arrives. */
    FLASH_ACR = FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN | b->flash_wait_states;
    RCC_CFGR = (RCC_CFGR & ~((7u << RCC_CFGR_PPRE1_SHIFT) | (7u << RCC_CFGR_PPRE2_SHIFT) | 0xF0u)) |
               (ppre_bits(b->apb1_div) << RCC_CFGR_PPRE1_SHIFT) | (ppre_bits(b->apb2_div) << RCC_CFGR_PPRE2_SHIFT);
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    if (!wait_set(&RCC_CFGR, 3u << RCC_CFGR_SWS_SHIFT, RCC_CFGR_SW_PLL << RCC_CFGR_SWS_SHIFT)) {
        RCC_CFGR &= ~((7u << RCC_CFGR_PPRE1_SHIFT) | (7u << RCC_CFGR_PPRE2_SHIFT));
        FLASH_ACR = FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN | b->flash_wait_states;
        fall_back_to_hsi();
        return FX_CLOCK_PLL_TIMEOUT;
    }
    sysclk_hz = b->sysclk_hz;
    return FX_CLOCK_PLL;
}

static void uart_init(const fx_board *b, uint32_t apb1_hz)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
    /* PA2 = TX, PA3 = RX, alternate function 7, high speed, pull-up on RX. */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);
    GPIOA_OSPEEDR |= 0xFu << 4;
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(0xFu << 4)) | (0x4u << 4);
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);
    /* 16x oversampling: BRR = f_pclk / baud, rounded (mantissa and fraction in one value). */
    USART2_BRR = (apb1_hz + b->console_baud / 2u) / b->console_baud;
    USART2_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
    NVIC_IPR_BYTE(USART2_IRQN) = 0x40; /* above SysTick, which keeps the reset priority 0 */
    NVIC_ISER(USART2_IRQN / 32u) = 1u << (USART2_IRQN % 32u);
}

static void cycle_counter_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    /* Some cores and emulators (QEMU) leave CYCCNT at zero: then SysTick provides the count. */
    const uint32_t before = DWT_CYCCNT;
    for (volatile int i = 0; i < 16; ++i) {
    }
    cycle_source = (DWT_CYCCNT != before) ? 0u : 1u;
}

static uint8_t led_port = FX_BOARD_NO_LED;
static uint8_t led_pin;

static void led_init(const fx_board *b)
{
    if (b->led_port > 7u || b->led_pin > 15u) {
        return;
    }
    led_port = b->led_port;
    led_pin = b->led_pin;
    RCC_AHB1ENR |= 1u << led_port;
    GPIO_BSRR(led_port) = 1u << (led_pin + 16u); /* off, then output push-pull */
    GPIO_MODER(led_port) = (GPIO_MODER(led_port) & ~(3u << (2u * led_pin))) | (1u << (2u * led_pin));
}

void fx_hal_led_set(int on)
{
    if (led_port != FX_BOARD_NO_LED) {
        GPIO_BSRR(led_port) = 1u << (led_pin + (on ? 0u : 16u));
    }
}

static const fx_board *board_config;

static uint8_t arduino_pin(uint8_t d)
{
    return board_config != NULL && board_config->arduino != NULL && d < FX_BOARD_ARDUINO_PINS
               ? board_config->arduino[d]
               : FX_BOARD_NO_PIN;
}

int fx_hal_arduino_pin_setup(uint8_t d)
{
    const uint8_t pin = arduino_pin(d);
    if (pin == FX_BOARD_NO_PIN) {
        return 0;
    }
    const uint32_t port = pin >> 4;
    const uint32_t n = pin & 15u;
    RCC_AHB1ENR |= 1u << port;
    GPIO_BSRR(port) = 1u << (n + 16u);
    GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << (2u * n))) | (1u << (2u * n));
    return 1;
}

void fx_hal_arduino_pin_write(uint8_t d, int high)
{
    const uint8_t pin = arduino_pin(d);
    if (pin != FX_BOARD_NO_PIN) {
        GPIO_BSRR(pin >> 4) = 1u << ((pin & 15u) + (high ? 0u : 16u));
    }
}

static void watchdog_init(void)
{
    IWDG_KR = 0x5555u; /* unlock PR and RLR */
    IWDG_PR = 4u;      /* LSI / 64: about 500 Hz */
    IWDG_RLR = 1000u;  /* about 2 s */
    IWDG_KR = 0xCCCCu; /* start */
    IWDG_KR = 0xAAAAu;
}

fx_clock_status fx_hal_init(const fx_board *board)
{
    board_config = board;
    (void)fx_hal_flash_present(); /* read the controller's reset state before anyone unlocks it */
    const fx_clock_status status = clock_init(board);
    const uint32_t apb1_hz = status == FX_CLOCK_PLL ? sysclk_hz / board->apb1_div : HSI_HZ;
    SYST_RVR = sysclk_hz / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
    cycle_counter_init();
    uart_init(board, apb1_hz);
    fx_hal_i2c_init(apb1_hz);
    led_init(board);
    watchdog_init();
    return status;
}

uint32_t fx_hal_sysclk_hz(void)
{
    return sysclk_hz;
}

void fx_hal_uart_write(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; ++i) {
        while ((USART2_SR & USART_SR_TXE) == 0) {
        }
        USART2_DR = data[i];
    }
}

size_t fx_hal_uart_read(uint8_t *data, size_t cap)
{
    size_t n = 0;
    uint32_t tail = rx_tail;
    const uint32_t head = rx_head;
    while (tail != head && n < cap) {
        data[n++] = rx_ring[tail % RX_RING_BYTES];
        ++tail;
    }
    rx_tail = tail;
    if (n > 0) {
        /* There is room again: let the receive interrupt take what the USART holds. */
        NVIC_ISER(USART2_IRQN / 32u) = 1u << (USART2_IRQN % 32u);
    }
    return n;
}

uint32_t fx_hal_uart_overruns(void)
{
    return rx_overruns;
}

/* Moves received bytes into the ring. When the ring is full the byte stays in the USART and the
   interrupt is masked until fx_hal_uart_read has made room: an emulator, or a USB-CDC bridge, that
   delivers a whole frame at once is held back instead of losing bytes. On a board the baud rate
   paces the bytes; if they keep coming while the ring is full the USART flags an overrun, counted,
   and a 0x00 frame delimiter is put where the bytes went missing, so that the protocol drops only
   the frame they belonged to and reads the next one whole. */
void USART2_IRQHandler(void);
void USART2_IRQHandler(void)
{
    uint32_t sr;
    while ((sr = USART2_SR) & (USART_SR_RXNE | USART_SR_ORE)) {
        const uint32_t needed = (sr & USART_SR_ORE) ? 2u : 1u;
        if (RX_RING_BYTES - (rx_head - rx_tail) < needed) {
            NVIC_ICER(USART2_IRQN / 32u) = 1u << (USART2_IRQN % 32u);
            return;
        }
        if (sr & USART_SR_ORE) {
            ++rx_overruns;
            rx_ring[rx_head % RX_RING_BYTES] = 0;
            ++rx_head;
        }
        rx_ring[rx_head % RX_RING_BYTES] = (uint8_t)USART2_DR; /* reading DR also clears ORE */
        ++rx_head;
    }
}

void SysTick_Handler(void);
void SysTick_Handler(void)
{
    ++millis;
}

uint32_t fx_hal_millis(void)
{
    return millis;
}

uint32_t fx_hal_cycles(void)
{
    if (cycle_source == 0u) {
        return DWT_CYCCNT;
    }
    /* SysTick counts down from RVR each millisecond; read until no tick intervened. */
    uint32_t ms;
    uint32_t value;
    do {
        ms = millis;
        value = SYST_CVR;
    } while (ms != millis);
    const uint32_t reload = SYST_RVR + 1u;
    return ms * reload + (reload - 1u - value);
}

uint8_t fx_hal_cycle_source(void)
{
    return cycle_source;
}

void fx_hal_watchdog_kick(void)
{
    IWDG_KR = 0xAAAAu;
}

void fx_hal_wait_for_interrupt(void)
{
    __asm volatile("wfi");
}

void fx_hal_reset(void)
{
    __asm volatile("dsb");
    SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
    __asm volatile("dsb");
    for (;;) {
    }
}
