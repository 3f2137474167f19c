*** Settings ***
Documentation     What the fxclass firmware does on its console UART, in a tester's words.
...               Runs under renode-test (BACKEND=renode, the default; BOARD=nucleo_f446re or
...               nucleo_f411re) and over QEMU (robot --variable BACKEND:qemu, the netduinoplus2
...               image). Every test boots the firmware afresh on a free TCP port.
Resource          ${CURDIR}/keywords_${BACKEND}.resource
Suite Setup       Set Up Backend
Suite Teardown    Tear Down Backend
Test Setup        Start Firmware
Test Teardown     Stop Firmware
Test Timeout      2 minutes

*** Variables ***
${BACKEND}        renode

*** Test Cases ***
Boots And Announces Itself
    Firmware Should Announce Itself

Answers INFO With Board, Protocol And Model
    Firmware Should Report    ${BOARD}

Classifies Known BasicMotions Windows As The Reference Does
    BasicMotions Windows Should Classify As The Reference Does    count=8

Streams A Recording And Answers Every Hop
    Streaming A Recording Should Answer Every Hop    n_windows=6

Survives Garbage On The UART
    Send Garbage To The UART    n_bytes=3000
    Error Counters Should Have Grown
    BasicMotions Windows Should Classify As The Reference Does    count=2

Refuses A Bad Model And Keeps The Old One
    ${reason}=    Uploading A Corrupt Model Should Be Refused
    Should Contain    ${reason}    model rejected
    BasicMotions Windows Should Classify As The Reference Does    count=2

Accepts A Good Upload
    Upload Model With Raised Bias    model_id=0xC0FFEE
    Running Model Should Be    0xC0FFEE
    BasicMotions Windows Should Classify As The Reference Does    count=2

Classifies With A Rocket And A Spectral Model As The Reference Does
    Upload The Bench Model Of    rocket
    BasicMotions Windows Should Classify As The Reference Does    count=4
    Upload The Bench Model Of    spectral
    BasicMotions Windows Should Classify As The Reference Does    count=4
