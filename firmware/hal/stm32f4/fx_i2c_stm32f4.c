/* fx_i2c_stm32f4.c: I2C1 master (PB8 = SCL, PB9 = SDA, 400 kHz) with time-outs and bus recovery. The
   core sleeps while it waits for the peripheral: its event and error interrupts wake it. */
#include "fx_hal_stm32f4.h"

#include "stm32f4_regs.h"

#define SCL_PIN 8u
#define SDA_PIN 9u
#define I2C_HZ 400000u
/* A byte takes 23 us at 400 kHz; a slave may stretch the clock. A flag that has not come after
   this long will not come: the bus or the slave is stuck, or there is no I2C peripheral at all. */
#define WAIT_MS 10u

static uint32_t apb1_hz;
static uint32_t cr2_freq; /* CR2 with no interrupt enabled: FREQ, the APB1 clock in MHz */

/* Spin for about us microseconds on SysTick, which counts down from RVR at the core clock. */
static void spin_us(uint32_t us)
{
    const uint32_t reload = SYST_RVR + 1u;
    const uint32_t ticks = us * (fx_hal_sysclk_hz() / 1000000u);
    uint32_t last = SYST_CVR;
    uint32_t elapsed = 0;
    while (elapsed < ticks) {
        const uint32_t now = SYST_CVR;
        elapsed += (last >= now) ? last - now : last + reload - now;
        last = now;
    }
}

static void pins_mode(uint32_t mode)
{
    const uint32_t mask = (3u << (2u * SCL_PIN)) | (3u << (2u * SDA_PIN));
    GPIOB_MODER = (GPIOB_MODER & ~mask) | (mode << (2u * SCL_PIN)) | (mode << (2u * SDA_PIN));
}

static void peripheral_init(void)
{
    I2C1_CR1 = I2C_CR1_SWRST;
    I2C1_CR1 = 0;
    const uint32_t mhz = apb1_hz / 1000000u;
    cr2_freq = mhz;
    I2C1_CR2 = cr2_freq;
    /* Fast mode, duty 2:1: f_SCL = f_PCLK / (3 * CCR), rounded up so SCL stays at most 400 kHz. */
    const uint32_t ccr = (apb1_hz + 3u * I2C_HZ - 1u) / (3u * I2C_HZ);
    I2C1_CCR = I2C_CCR_FS | (ccr < 1u ? 1u : ccr);
    I2C1_TRISE = mhz * 300u / 1000u + 1u; /* 300 ns maximum rise time in fast mode */
    I2C1_CR1 = I2C_CR1_PE;
}

void fx_hal_i2c_init(uint32_t apb1_clock_hz)
{
    apb1_hz = apb1_clock_hz;
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOBEN;
    RCC_APB1ENR |= RCC_APB1ENR_I2C1EN;
    const uint32_t pins = (1u << SCL_PIN) | (1u << SDA_PIN);
    GPIOB_OTYPER |= pins; /* open drain */
    GPIOB_OSPEEDR |= (2u << (2u * SCL_PIN)) | (2u << (2u * SDA_PIN));
    GPIOB_PUPDR = (GPIOB_PUPDR & ~((3u << (2u * SCL_PIN)) | (3u << (2u * SDA_PIN)))) |
                  (1u << (2u * SCL_PIN)) | (1u << (2u * SDA_PIN)); /* pull-ups, besides the shield's */
    GPIOB_AFRH = (GPIOB_AFRH & ~0xFFu) | 0x44u; /* AF4 = I2C1 on PB8 and PB9 */
    pins_mode(2u);
    peripheral_init();
}

/* A slave left holding SDA low mid-byte lets go once it has clocked out that byte: up to nine SCL
   pulses, then a STOP by hand, then the peripheral is reset and set up again. */
static void bus_recover(void)
{
    I2C1_CR1 = 0;
    GPIOB_BSRR = (1u << SCL_PIN) | (1u << SDA_PIN);
    pins_mode(1u); /* general purpose outputs, still open drain */
    for (uint32_t pulse = 0; pulse < 9u && (GPIOB_IDR & (1u << SDA_PIN)) == 0; ++pulse) {
        GPIOB_BSRR = 1u << (SCL_PIN + 16u);
        spin_us(5);
        GPIOB_BSRR = 1u << SCL_PIN;
        spin_us(5);
    }
    GPIOB_BSRR = 1u << (SDA_PIN + 16u); /* STOP: SDA rises while SCL is high */
    spin_us(5);
    GPIOB_BSRR = 1u << SCL_PIN;
    spin_us(5);
    GPIOB_BSRR = 1u << SDA_PIN;
    spin_us(5);
    pins_mode(2u);
    peripheral_init();
}

#define EV_BIT (1u << (I2C1_EV_IRQN % 32u))
#define ER_BIT (1u << (I2C1_ER_IRQN % 32u))
#define SR1_ERRORS (I2C_SR1_AF | I2C_SR1_BERR | I2C_SR1_ARLO)

/* The two interrupts only wake the core from wait_sr1's WFI. Each masks its own line in the NVIC and
   leaves the peripheral's flags for wait_sr1 to read; wait_sr1 unmasks the lines before it sleeps. */
void I2C1_EV_IRQHandler(void);
void I2C1_EV_IRQHandler(void)
{
    NVIC_ICER(I2C1_EV_IRQN / 32u) = EV_BIT;
}

void I2C1_ER_IRQHandler(void);
void I2C1_ER_IRQHandler(void)
{
    NVIC_ICER(I2C1_ER_IRQN / 32u) = ER_BIT;
}

/* Until SR1 has a flag of mask or an error, or a SysTick (1 ms) comes. With interrupts masked
   (PRIMASK) from the last look at SR1 to the WFI, a flag that is set in between still ends the WFI at
   once: a pending interrupt wakes the core whatever PRIMASK says. */
static void sleep_until_flag(uint32_t mask)
{
    __asm volatile("cpsid i" ::: "memory");
    NVIC_ISER(I2C1_EV_IRQN / 32u) = EV_BIT;
    NVIC_ISER(I2C1_ER_IRQN / 32u) = ER_BIT;
    if ((I2C1_SR1 & (mask | SR1_ERRORS)) == 0u) {
        __asm volatile("dsb\n\twfi" ::: "memory");
    }
    __asm volatile("cpsie i" ::: "memory");
}

/* Wait until (SR1 & mask) != 0; a NACK or bus error ends the wait early. The core sleeps meanwhile:
   a byte takes 23 us on the bus, and under Renode, whose STM32F4_I2C sets TXE and BTF after a
   written byte only where the machine next synchronises its time (every 1 ms, fxclass.resc), a
   core that read SR1 in a loop made a second of LIVE cost 17 times the instructions of an idle one
   and most of the host time of the Renode sensor tests. TXE and RXNE interrupt only with ITBUFEN,
   set while one of them is awaited: TXE stays set while a byte goes out and would end every sleep
   that waits for BTF. */
static fx_i2c_status wait_sr1(uint32_t mask)
{
    I2C1_CR2 = cr2_freq | I2C_CR2_ITEVTEN | I2C_CR2_ITERREN |
               ((mask & (I2C_SR1_TXE | I2C_SR1_RXNE)) != 0u ? I2C_CR2_ITBUFEN : 0u);
    const uint32_t start = fx_hal_millis();
    for (;; sleep_until_flag(mask)) {
        const uint32_t sr1 = I2C1_SR1;
        if (sr1 & I2C_SR1_AF) {
            I2C1_SR1 = ~I2C_SR1_AF; /* rc_w0 */
            return FX_I2C_NACK;
        }
        if (sr1 & (I2C_SR1_BERR | I2C_SR1_ARLO)) {
            I2C1_SR1 = ~(I2C_SR1_BERR | I2C_SR1_ARLO);
            return FX_I2C_BUS_ERROR;
        }
        if (sr1 & mask) {
            return FX_I2C_OK;
        }
        if (fx_hal_millis() - start > WAIT_MS) {
            return FX_I2C_TIMEOUT;
        }
    }
}

static fx_i2c_status start_and_address(uint8_t address_byte)
{
    I2C1_CR1 |= I2C_CR1_START;
    fx_i2c_status st = wait_sr1(I2C_SR1_SB);
    if (st == FX_I2C_OK) {
        I2C1_DR = address_byte;
        st = wait_sr1(I2C_SR1_ADDR);
    }
    return st;
}

static void clear_addr(void)
{
    (void)I2C1_SR1;
    (void)I2C1_SR2;
}

/* The receive sequences of RM0390 24.3.3 for one, two and more bytes (ACK and POS so that the
   slave gets a NACK after the last byte and STOP comes in time). */
static fx_i2c_status receive(uint8_t addr7, uint8_t *rx, size_t rx_len)
{
    if (rx_len == 2u) {
        I2C1_CR1 |= I2C_CR1_ACK | I2C_CR1_POS;
    } else {
        I2C1_CR1 = (I2C1_CR1 & ~I2C_CR1_POS) | I2C_CR1_ACK;
    }
    fx_i2c_status st = start_and_address((uint8_t)((addr7 << 1) | 1u));
    if (st != FX_I2C_OK) {
        return st;
    }
    if (rx_len == 1u) {
        I2C1_CR1 &= ~I2C_CR1_ACK;
        clear_addr();
        I2C1_CR1 |= I2C_CR1_STOP;
        st = wait_sr1(I2C_SR1_RXNE);
        rx[0] = (uint8_t)I2C1_DR;
        return st;
    }
    if (rx_len == 2u) {
        clear_addr();
        I2C1_CR1 &= ~I2C_CR1_ACK;
        st = wait_sr1(I2C_SR1_BTF);
        I2C1_CR1 |= I2C_CR1_STOP;
        rx[0] = (uint8_t)I2C1_DR;
        rx[1] = (uint8_t)I2C1_DR;
        I2C1_CR1 &= ~I2C_CR1_POS;
        return st;
    }
    clear_addr();
    size_t i = 0;
    for (; st == FX_I2C_OK && rx_len - i > 3u; ++i) {
        st = wait_sr1(I2C_SR1_RXNE);
        rx[i] = (uint8_t)I2C1_DR;
    }
    if (st == FX_I2C_OK) {
        st = wait_sr1(I2C_SR1_BTF); /* byte N-2 in DR, N-1 in the shift register */
        I2C1_CR1 &= ~I2C_CR1_ACK;
        rx[i++] = (uint8_t)I2C1_DR;
    }
    if (st == FX_I2C_OK) {
        st = wait_sr1(I2C_SR1_BTF);
        I2C1_CR1 |= I2C_CR1_STOP;
        rx[i++] = (uint8_t)I2C1_DR;
        if (st == FX_I2C_OK) {
            st = wait_sr1(I2C_SR1_RXNE);
        }
        rx[i] = (uint8_t)I2C1_DR;
    }
    return st;
}

fx_i2c_status fx_hal_i2c_transfer(uint8_t addr7, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    const uint32_t start = fx_hal_millis();
    while (I2C1_SR2 & I2C_SR2_BUSY) {
        if (fx_hal_millis() - start > WAIT_MS) {
            bus_recover();
            return FX_I2C_TIMEOUT;
        }
    }
    fx_i2c_status st = FX_I2C_OK;
    if (tx_len > 0u || rx_len == 0u) {
        st = start_and_address((uint8_t)(addr7 << 1));
        if (st == FX_I2C_OK) {
            clear_addr();
        }
        for (size_t i = 0; st == FX_I2C_OK && i < tx_len; ++i) {
            st = wait_sr1(I2C_SR1_TXE);
            I2C1_DR = tx[i];
        }
        if (st == FX_I2C_OK && tx_len > 0u) {
            st = wait_sr1(I2C_SR1_BTF);
        }
    }
    if (st == FX_I2C_OK && rx_len > 0u) {
        st = receive(addr7, rx, rx_len); /* which sends its STOP */
        if (st == FX_I2C_NACK) {
            I2C1_CR1 |= I2C_CR1_STOP;
        }
    } else if (st == FX_I2C_OK || st == FX_I2C_NACK) {
        I2C1_CR1 |= I2C_CR1_STOP;
    }
    I2C1_CR2 = cr2_freq; /* no interrupts between transfers */
    NVIC_ICER(I2C1_EV_IRQN / 32u) = EV_BIT;
    NVIC_ICER(I2C1_ER_IRQN / 32u) = ER_BIT;
    if (st == FX_I2C_TIMEOUT || st == FX_I2C_BUS_ERROR) {
        bus_recover();
    }
    return st;
}
