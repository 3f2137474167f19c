/* fx_hal_host.c: the HAL on a POSIX host, so the unchanged application runs natively (and under the
 * sanitizers) with its console on a TCP connection, as QEMU's USART2 is.
 *
 * FXCLASS_NATIVE_PORT (default 3456) is the port on 127.0.0.1 to listen on; the first client is the
 * console, and when it goes away the next one is accepted. A reset re-executes the program and keeps
 * both sockets (their descriptors travel in FXCLASS_NATIVE_FDS), so the host sees a reboot on the same
 * connection, as on a board. Faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE) are reported on the console
 * and reset, and so does the watchdog (SIGPROF) when the main loop stops kicking it for 2 s of the
 * program's own running time (ITIMER_PROF, its CPU time): an emulated board's watchdog counts the
 * board's virtual time, and a host too busy to run the program, or a virtual machine whose CPU is
 * taken away, does not stop the kicks of a firmware that is not hung.
 * Cycles are nanoseconds of the monotonic clock, so INFO reports a 1 GHz clock and cycle source 2.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fx_hal.h"

#define DEFAULT_PORT 3456
#define WATCHDOG_SECONDS 2u
#define FDS_ENV "FXCLASS_NATIVE_FDS"

static int listen_fd = -1;
static int console_fd = -1;
static struct timespec boot_time;

static void die(const char *what)
{
    fprintf(stderr, "fxclass native: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Stops the watchdog's timer; whether it was running. */
static int watchdog_stop(void)
{
    const struct itimerval off = {0};
    struct itimerval was;
    (void)setitimer(ITIMER_PROF, &off, &was);
    return was.it_value.tv_sec != 0 || was.it_value.tv_usec != 0;
}

static void accept_console(void)
{
    if (console_fd >= 0) {
        close(console_fd);
        console_fd = -1;
    }
    const int watchdog_was_running = watchdog_stop(); /* no watchdog while nobody is connected */
    int fd;
    do {
        fd = accept(listen_fd, NULL, NULL);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        die("accept");
    }
    console_fd = fd;
    if (watchdog_was_running) {
        fx_hal_watchdog_kick();
    }
    if (fcntl(console_fd, F_SETFL, fcntl(console_fd, F_GETFL) | O_NONBLOCK) != 0) {
        die("fcntl");
    }
    /* A reply is written in a few small pieces (COBS blocks): send each at once, as a UART would,
       instead of holding it back for the host's acknowledgement (Nagle's algorithm, ~40 ms). */
    const int one = 1;
    if (setsockopt(console_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        die("setsockopt TCP_NODELAY");
    }
}

static void open_listener(void)
{
    const char *env = getenv("FXCLASS_NATIVE_PORT");
    const long port = env ? strtol(env, NULL, 10) : DEFAULT_PORT;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "fxclass native: FXCLASS_NATIVE_PORT=%s is not a TCP port\n", env);
        exit(2);
    }
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0) {
        die("socket");
    }
    const int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, (const struct sockaddr *)&addr, sizeof addr) != 0 || listen(listen_fd, 1) != 0) {
        die("bind/listen on 127.0.0.1");
    }
    fprintf(stderr, "fxclass native: console on socket://127.0.0.1:%ld\n", port);
}

static char *put_uint(char *p, unsigned v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        *p++ = digits[--n];
    }
    return p;
}

/* Called from signal handlers too, so only async-signal-safe calls: no stdio, no malloc (setitimer is
   not on POSIX's list, but on Linux it is a plain system call). */
static void reset_now(void)
{
    /* The timer would outlive execve, and until the new image has set its handlers SIGPROF ends the
       process instead of resetting it. The new image kicks the watchdog once it has set them. */
    (void)watchdog_stop();
    static char fds[sizeof FDS_ENV + 24];
    char *p = fds;
    memcpy(p, FDS_ENV "=", sizeof FDS_ENV);
    p = put_uint(p + sizeof FDS_ENV, (unsigned)listen_fd);
    *p++ = ',';
    p = put_uint(p, (unsigned)(console_fd + 1)); /* 0: no console connected */
    *p = '\0';
    /* The new image gets the sockets, and the port and sanitizer options where they were set. */
    static const char *const carried[] = {"FXCLASS_NATIVE_PORT=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
                                          "FXCLASS_NATIVE_FLASH="};
    char *envp[2 + sizeof carried / sizeof carried[0]] = {fds};
    size_t k = 1;
    extern char **environ;
    for (char **e = environ; *e != NULL; ++e) {
        for (size_t i = 0; i < sizeof carried / sizeof carried[0]; ++i) {
            if (k + 1u < sizeof envp / sizeof envp[0] && strncmp(*e, carried[i], strlen(carried[i])) == 0) {
                envp[k++] = *e;
            }
        }
    }
    envp[k] = NULL;
    char *const argv[] = {"fxclass", NULL};
    execve("/proc/self/exe", argv, envp);
    _exit(3);
}

static void on_fault(int sig)
{
    static const char head[] = "\0FAULT signal ";
    char line[sizeof head + 16];
    memcpy(line, head, sizeof head - 1u);
    char *p = put_uint(line + sizeof head - 1u, (unsigned)sig);
    memcpy(p, "\r\n", 3); /* the NUL ends the text, as a frame delimiter would */
    if (console_fd >= 0) {
        (void)!write(console_fd, line, (size_t)(p + 3 - line));
    }
    reset_now();
}

static void on_watchdog(int sig)
{
    (void)sig;
    /* A board's IWDG resets without a word on the console; the host's log says why. */
    static const char why[] = "fxclass native: watchdog: the main loop ran 2 s without kicking it, resetting\n";
    (void)!write(STDERR_FILENO, why, sizeof why - 1u);
    reset_now();
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER; /* the handlers exec: the signal must not stay blocked in the new image */
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sa.sa_handler = on_watchdog;
    sigaction(SIGPROF, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

fx_clock_status fx_hal_init(const fx_board *board)
{
    (void)board;
    clock_gettime(CLOCK_MONOTONIC, &boot_time);
    const char *fds = getenv(FDS_ENV);
    if (fds != NULL && sscanf(fds, "%d,%d", &listen_fd, &console_fd) == 2) {
        unsetenv(FDS_ENV);
        console_fd -= 1;
    } else {
        open_listener();
        console_fd = -1;
    }
    if (console_fd < 0) {
        accept_console();
    }
    install_handlers();
    fx_hal_watchdog_kick();
    return FX_CLOCK_HOST;
}

uint32_t fx_hal_sysclk_hz(void)
{
    return 1000000000u;
}

void fx_hal_uart_write(const uint8_t *data, size_t len)
{
    while (len > 0) {
        const ssize_t n = write(console_fd, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            /* The host is not reading: the firmware is waiting, not hung, so the watchdog is kept
               quiet, as a board's UART keeps sending at its baud rate whether anyone listens. */
            fx_hal_watchdog_kick();
            struct pollfd p = {.fd = console_fd, .events = POLLOUT};
            (void)poll(&p, 1, 100);
        } else {
            return; /* the host went away: like a UART with no cable, the bytes are lost */
        }
    }
}

size_t fx_hal_uart_read(uint8_t *data, size_t cap)
{
    const ssize_t n = read(console_fd, data, cap);
    if (n > 0) {
        return (size_t)n;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        accept_console(); /* end of file: the host closed the connection; wait for the next one */
    }
    return 0;
}

uint32_t fx_hal_uart_overruns(void)
{
    return 0; /* the socket buffers what the main loop has not read yet */
}

static uint64_t nanoseconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)(now.tv_sec - boot_time.tv_sec) * 1000000000u + (uint64_t)now.tv_nsec -
           (uint64_t)boot_time.tv_nsec;
}

uint32_t fx_hal_millis(void)
{
    return (uint32_t)(nanoseconds() / 1000000u);
}

uint32_t fx_hal_cycles(void)
{
    return (uint32_t)nanoseconds();
}

uint8_t fx_hal_cycle_source(void)
{
    return 2u;
}

void fx_hal_led_set(int on)
{
    (void)on;
}

int fx_hal_arduino_pin_setup(uint8_t d)
{
    (void)d;
    return 0;
}

void fx_hal_arduino_pin_write(uint8_t d, int high)
{
    (void)d;
    (void)high;
}

void fx_hal_watchdog_kick(void)
{
    const struct itimerval period = {.it_value = {.tv_sec = WATCHDOG_SECONDS}};
    (void)setitimer(ITIMER_PROF, &period, NULL);
}

void fx_hal_wait_for_interrupt(void)
{
    struct pollfd p = {.fd = console_fd, .events = POLLIN};
    (void)poll(&p, 1, 1); /* like SysTick waking the core every millisecond */
}

void fx_hal_reset(void)
{
    reset_now();
}
