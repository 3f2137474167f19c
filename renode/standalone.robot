*** Settings ***
Documentation     The board on its own: models kept in flash through the STM32F4 flash controller
...               (Renode's MTD.STM32F4_FlashController), across resets and resets injected in the
...               middle of an upload's erase and program, and LIVE from power-on with the class on
...               LD2 (Renode's Miscellaneous.LED on PA5), no host command needed.
...               renode-test renode/standalone.robot [--variable BOARD:nucleo_f411re]
Resource          ${CURDIR}/keywords_renode.resource
Library           String
Suite Setup       Set Up Backend
Suite Teardown    Tear Down Backend
Test Teardown     Stop Firmware
Test Timeout      6 minutes

*** Test Cases ***
A Kept Upload Survives A Reset, A RAM Trial Does Not, FORGET Erases What Is Kept
    [Setup]    Start Firmware
    Flash Controller Should Be Present
    Running Model Should Be Kept In    built-in
    Upload Model With Raised Bias    0xC0FFEE    keep=${True}
    Running Model Should Be Kept In    flash slot 0    0xC0FFEE
    Reset The Board
    Running Model Should Be Kept In    flash slot 0    0xC0FFEE
    BasicMotions Windows Should Classify As The Reference Does    count=2
    Upload Model With Raised Bias    0xBEEF
    Running Model Should Be Kept In    RAM    0xBEEF
    Reset The Board
    Running Model Should Be Kept In    flash slot 0    0xC0FFEE
    # FORGET erases both: the built-in model runs, now and after a reset.
    Upload Model With Raised Bias    0xBEEF    keep=${True}
    Running Model Should Be Kept In    flash slot 1    0xBEEF
    ${builtin}=    Forget What The Board Keeps
    Running Model Should Be Kept In    built-in    ${builtin}
    Reset The Board
    Running Model Should Be Kept In    built-in    ${builtin}

A Reset At 20 Points Of An Upload, Its Erase And Its Program Always Boots A Whole Model
    [Documentation]    Each reset stops the flash work at a chosen store (fx_hal_reset reached from
    ...                a hook there); Renode's controller erases and programs at once, so these are
    ...                the points between steps, each word's program one of them.
    [Setup]    Start Firmware
    Upload Model With Raised Bias    0xC0FFEE    keep=${True}
    ${outcomes}=    Keep Models Alternately With A Reset At Each Point    ${ELF}    points=20
    Log    ${outcomes}
    @{each}=    Split String    ${outcomes}
    Length Should Be    ${each}    20
    # Until the commit word is written the kept model is the one before; after it, the new one.
    FOR    ${outcome}    IN    @{each}[:-1]
        Should End With    ${outcome}    :previous
    END
    Should End With    ${each}[-1]    :new

A Board Configured For LIVE At Boot Classifies A Recording Alone And Shows The Classes On LD2
    [Setup]    Start Firmware    shield=${True}
    ${resd}=    Write IMU Recording    ${TEMPDIR}    ${RENODETOOLS}    windows=1    gestures=Badminton,Running,Standing,Walking
    Configure Board    boot_mode=live    led=class
    Execute Command    include @${CURDIR}/LedRecorder.cs
    Execute Command    emulation CreateLedRecorder "ledlog" sysbus.gpioPortA.UserLED
    Execute Command    emulation SetAdvanceImmediately true
    # Power off and on: the board boots, finds LIVE configured and starts its sensor; nothing is
    # sent to it from here on. The recording plays once the part runs (Renode's LSM6DSO takes a
    # RESD only at a rate set).
    # SYSRESETREQ written from outside, as the reset button would: the chip's own reset path.
    Execute Command    sysbus WriteDoubleWord 0xE000ED0C 0x05FA0004
    Wait For LIVE At Power-On
    Execute Command    pause
    # The record starts here: a heartbeat pulse that the reset cut short would read as a blink.
    Execute Command    ledlog Clear
    Execute Command    sysbus.i2c1.lsm6dso FeedAccelerationSamplesFromRESD @${resd} 0 0 CurrentVirtualTime
    Execute Command    sysbus.i2c1.lsm6dso FeedAngularRateSamplesFromRESD @${resd} 0 0 CurrentVirtualTime
    Execute Command    start
    @{classes}=    Collect LIVE Results Of The Board Alone    hops=6
    Log    LIVE classes per hop: ${classes}
    ${transitions}=    Execute Command    ledlog Transitions
    ${shown}=    LED Should Have Shown The LIVE Classes In Turn    ${transitions}    min_classes=3
    Log    LED showed: ${shown}

A Board Alone Raises Each Class's Pin While It Decides The Class And Blinks Unknown As 1 s Pulses
    [Documentation]    A model kept without Badminton (decisions over 3 hops, 2 votes, a dwell of 2), a
    ...                pin per class (D2 PA10, D7 PA8, D4 PB5, each a Renode LED recorded in virtual
    ...                time), LIVE at boot with no host command, 30 s each of standing, badminton and
    ...                running: the pins follow the decisions, one high at a time, and the LED shows
    ...                the unknown decision as 1 s on, 1 s off.
    [Timeout]    15 minutes
    [Setup]    Start Firmware    shield=${True}
    Keep A BasicMotions Model Trained Without    Badminton
    ${resd}=    Write IMU Recording    ${TEMPDIR}    ${RENODETOOLS}    windows=3
    ...    gestures=Standing,Badminton,Running,Running
    Configure Board    boot_mode=live    led=class    pin.Standing=D2    pin.Running=D7    pin.Walking=D4
    Execute Command    include @${CURDIR}/LedRecorder.cs
    Execute Command    machine LoadPlatformDescriptionFromString "pinD2: Miscellaneous.LED @ gpioPortA { }; gpioPortA: { 10 -> pinD2@0 }"
    Execute Command    machine LoadPlatformDescriptionFromString "pinD7: Miscellaneous.LED @ gpioPortA { }; gpioPortA: { 8 -> pinD7@0 }"
    Execute Command    machine LoadPlatformDescriptionFromString "pinD4: Miscellaneous.LED @ gpioPortB { }; gpioPortB: { 5 -> pinD4@0 }"
    Execute Command    emulation CreateLedRecorder "ledlog" sysbus.gpioPortA.UserLED
    Execute Command    emulation CreateLedRecorder "d2log" sysbus.gpioPortA.pinD2
    Execute Command    emulation CreateLedRecorder "d7log" sysbus.gpioPortA.pinD7
    Execute Command    emulation CreateLedRecorder "d4log" sysbus.gpioPortB.pinD4
    Execute Command    emulation SetAdvanceImmediately true
    Execute Command    sysbus WriteDoubleWord 0xE000ED0C 0x05FA0004
    Wait For LIVE At Power-On
    Execute Command    pause
    # The records start here: a heartbeat pulse that the reset cut short read as a blink, the LED
    # then showing a class before the first decision (seen once under two busy loops).
    FOR    ${log}    IN    ledlog    d2log    d7log    d4log
        Execute Command    ${log} Clear
    END
    Execute Command    sysbus.i2c1.lsm6dso FeedAccelerationSamplesFromRESD @${resd} 0 0 CurrentVirtualTime
    Execute Command    sysbus.i2c1.lsm6dso FeedAngularRateSamplesFromRESD @${resd} 0 0 CurrentVirtualTime
    Execute Command    start
    Collect LIVE Results Of The Board Alone    hops=18    idle_timeout=120
    ${led}=    Execute Command    ledlog Transitions
    ${d2}=    Execute Command    d2log Transitions
    ${d7}=    Execute Command    d7log Transitions
    ${d4}=    Execute Command    d4log Transitions
    ${pins}=    Class Pins Should Have Followed The LIVE Decisions    Standing=${d2}    Running=${d7}    Walking=${d4}
    Log    pins showed: ${pins}
    ${pulses}=    Unknown Should Have Been Shown As 1 s Pulses    ${led}
    Log    ${pulses} unknown pulses
    ${shown}=    LED Should Have Shown The LIVE Classes In Turn    ${led}    min_classes=3
    Log    LED showed: ${shown}
