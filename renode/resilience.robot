*** Settings ***
Documentation     What only Renode shows of the fxclass firmware: the independent watchdog, the
...               fault handler on the board's own start-up code, bytes that arrive all at once, and
...               how long the console takes to answer.
...               renode-test renode/resilience.robot [--variable BOARD:nucleo_f411re]
Resource          ${CURDIR}/keywords_renode.resource
Suite Setup       Set Up Backend
Suite Teardown    Tear Down Backend
Test Teardown     Stop Firmware
Test Timeout      2 minutes

*** Variables ***
${FAULT_ELF}      ${CURDIR}/../firmware/build/${BOARD}/fxclass_fault.elf

*** Test Cases ***
Survives A 5000-Byte Burst Arriving At Once And Answers The Next Request
    [Setup]    Start Firmware    quantum=0.0001
    Execute Command    pause
    Send A Burst At Once    n_bytes=5000
    The Burst Should Reach The USART In One Instant
    Execute Command    start
    Error Counters Should Have Grown
    No Received Byte Should Have Been Lost
    BasicMotions Windows Should Classify As The Reference Does    count=1

Answers INFO And INFER In Milliseconds
    [Documentation]    The console's terminal (BlockSocketTerminal.cs) hands the UART a whole frame in
    ...                one event: an INFER takes about 5 ms of host time, where Renode's own terminal,
    ...                a byte at a time, took 0.2-0.45 s. The figures are in the log.
    [Setup]    Start Firmware
    Measure Round Trips    count=20    infer_median_below_ms=200

Answers Every INFER Of A Burst Of Whole Frames
    [Setup]    Start Firmware
    ${bytes}=    INFER Frames Sent At Once Should All Be Answered    count=5
    Should Be True    ${bytes} > 6000
    No Received Byte Should Have Been Lost

Independent Watchdog Resets A Firmware That Stops Kicking It
    [Documentation]    The application, with its kick made a no-op before it starts, serves the UART
    ...                until the IWDG (LSI 32 kHz / 64, reload 1000: 2 s) resets the machine; the reset
    ...                reloads the image, whose kicks then work, and it stays up.
    [Setup]    Load Firmware
    ${kick}=    Symbol Address    ${ELF}    fx_hal_watchdog_kick
    Execute Command    sysbus WriteWord ${kick} 0x4770    # bx lr: every kick returns at once
    Start Emulation
    ${first}=    Wait For Line On Uart    ${BOOT_LINE}    treatAsRegex=true    timeout=5
    ${second}=    Wait For Line On Uart    ${BOOT_LINE}    treatAsRegex=true    timeout=5
    ${seconds}=    Evaluate    (${second.timestamp} - ${first.timestamp}) / 1000
    Should Be True    1.8 < ${seconds} < 2.4    the watchdog reset after ${seconds} s, not about 2 s
    Should Not Be On Uart    ${BOOT_LINE}    treatAsRegex=true    timeout=4

Fault Handler Reports The Faulting Instruction And Reboots
    [Setup]    Load Firmware    ${FAULT_ELF}
    ${pc}=    Symbol Address    ${FAULT_ELF}    fx_fault_test_trigger
    ${pc}=    Get Substring    ${pc}    2
    Start Emulation
    Wait For Line On Uart    fault test: undefined instruction next    timeout=5
    # UNDEFINSTR in the CFSR; Renode does not model the HFSR (it reads 0, a board says FORCED).
    Wait For Line On Uart    FAULT pc=${pc} lr=\\S+ cfsr=00010000 hfsr=    treatAsRegex=true    timeout=5
    # The image boots again; paused there, as it would fault again at once.
    Wait For Line On Uart    fault test: undefined instruction next    timeout=5    pauseEmulation=true
