# fxclass: `make demo` and `make test` on a fresh Debian/Ubuntu machine; `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

BOARD ?= netduinoplus2
BOARDS := netduinoplus2 nucleo_f446re nucleo_f411re
VENV ?= .venv
PY := $(VENV)/bin/python
FXCLASS := $(VENV)/bin/fxclass
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang stlink-tools openocd
# Renode for the Robot suites: $FXCLASS_RENODE (the folder of a Renode release), else `renode` on
# PATH, else a portable Renode unpacked beside the checkout. A portable Renode built for mono needs
# these Debian packages of mono (the smallest set that runs it and renode-test), and its Robot
# runner needs its tests/requirements.txt in the virtual environment.
ifeq ($(FXCLASS_RENODE)$(shell command -v renode),)
FXCLASS_RENODE := $(patsubst %/renode,%,$(firstword $(abspath $(wildcard $(CURDIR)/../renode/renode $(CURDIR)/../shared/renode/renode))))
endif
export FXCLASS_RENODE
RENODE_HOME := $(if $(FXCLASS_RENODE),$(FXCLASS_RENODE),$(patsubst %/,%,$(dir $(realpath $(shell command -v renode)))))
RENODE_REQUIREMENTS := $(wildcard $(RENODE_HOME)/tests/requirements.txt)
MONO_PACKAGES := mono-runtime libmono-microsoft-csharp4.0-cil libmono-posix4.0-cil libmono-system-drawing4.0-cil \
                 libmono-system-xml-linq4.0-cil libmono-system-runtime4.0-cil libmono-system-xaml4.0-cil \
                 libmono-system-runtime-serialization4.0-cil
ifneq ($(wildcard $(RENODE_HOME)/output/bin/Release/Renode.exe),)
APT_PACKAGES += $(MONO_PACKAGES)
endif
HOST_BUILD := build/host
CORE_SRC := $(wildcard firmware/core/*.c firmware/proto/*.c)
CORE_HDR := $(wildcard firmware/core/*.h firmware/proto/*.h)
HOST_CFLAGS := -std=c99 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror \
               -Ifirmware/core -Ifirmware/proto -g
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: help setup demo test test-builds test-robot bench accuracy firmware firmwares flash clean host-tools fuzz-smoke model native soak startup-check \
        farm-setup farm-local farm-test

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

# ---- set-up: Debian packages (sudo when not root) and the Python virtual environment -------------
$(VENV)/.apt-done: $(VENV)/.apt-list
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if apt-cache show libclang-rt-dev >/dev/null 2>&1 && ! dpkg -s libclang-rt-dev >/dev/null 2>&1; then \
	    missing="$$missing libclang-rt-dev"; fi; \
	python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi
	@python3 -m venv $(VENV) && touch $@

# --no-compile: Python compiles a module when it is first imported instead of pip compiling every
# module of every package at install (33 s of a fresh set-up here, 15 s without).
PIP_INSTALL := $(VENV)/bin/pip install -q --disable-pip-version-check --no-compile
$(VENV)/.pip-done: $(VENV)/.apt-done host/pyproject.toml $(RENODE_REQUIREMENTS)
	$(PIP_INSTALL) -e 'host[test]' $(if $(RENODE_REQUIREMENTS),-r $(RENODE_REQUIREMENTS))
	@touch $@

# The Debian packages wanted, rewritten only when the list changes (a Renode found later adds mono).
$(shell mkdir -p $(VENV) && [ "$$(cat $(VENV)/.apt-list 2>/dev/null)" = "$(APT_PACKAGES)" ] || echo "$(APT_PACKAGES)" > $(VENV)/.apt-list)

setup: $(VENV)/.pip-done ## install what is missing (Debian packages, Python venv with fxclass)

# ---- firmware ------------------------------------------------------------------------------------
firmware: setup ## build firmware/build/$(BOARD)/fxclass.{elf,bin,hex}; BOARD=netduinoplus2|nucleo_f446re|nucleo_f411re [BAUD=] [MODEL=]
	$(MAKE) -C firmware BOARD=$(BOARD) $(if $(MODEL),MODEL=$(abspath $(MODEL)))

firmwares: setup
	@for b in $(BOARDS); do $(MAKE) -s -C firmware BOARD=$$b all fault-test || exit 1; done

flash: firmware ## flash BOARD through pyOCD, st-flash, OpenOCD or the ST-LINK drive
	$(FXCLASS) flash --board $(BOARD)

# ---- host builds of the C core for the tests -----------------------------------------------------
host-tools: $(HOST_BUILD)/fx_runner $(HOST_BUILD)/fx_runner_san $(HOST_BUILD)/fx_runner_portable $(HOST_BUILD)/fx_runner_m4.elf \
            $(HOST_BUILD)/fx_runner_m4_portable.elf $(HOST_BUILD)/fuzz_model $(HOST_BUILD)/fuzz_proto $(HOST_BUILD)/fxclass_native \
            $(HOST_BUILD)/fx_store_test

$(HOST_BUILD)/fx_runner: tests/native/fx_runner.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	cc $(HOST_CFLAGS) -O2 $(filter %.c,$^) -o $@

$(HOST_BUILD)/fx_runner_portable: tests/native/fx_runner.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	cc $(HOST_CFLAGS) -O0 -DFX_PORTABLE $(filter %.c,$^) -o $@

# The same driver on Cortex-M4, run in QEMU with semihosting for its files: with the DSP variants, and
# with the portable C alone (what a core whose DSP instructions misbehave runs, as Renode's does).
M4_RUNNER := arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -O2 $(filter-out -g,$(HOST_CFLAGS)) \
             --specs=rdimon.specs -T tests/native/m4_runner.ld
$(HOST_BUILD)/fx_runner_m4.elf: tests/native/fx_runner.c tests/native/m4_vectors.c tests/native/m4_runner.ld $(CORE_SRC) \
                                $(CORE_HDR) $(wildcard firmware/core/*.S)
	@mkdir -p $(dir $@)
	$(M4_RUNNER) $(filter %.c %.S,$^) -o $@

$(HOST_BUILD)/fx_runner_m4_portable.elf: tests/native/fx_runner.c tests/native/m4_vectors.c tests/native/m4_runner.ld \
                                         $(CORE_SRC) $(CORE_HDR) $(wildcard firmware/core/*.S)
	@mkdir -p $(dir $@)
	$(M4_RUNNER) -DFX_PORTABLE $(filter %.c %.S,$^) -o $@

$(HOST_BUILD)/fx_runner_san: tests/native/fx_runner.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	cc $(HOST_CFLAGS) -O1 $(SAN) $(filter %.c,$^) -o $@

# The flash store against power cuts at every step, with the sanitizers.
$(HOST_BUILD)/fx_store_test: tests/native/fx_store_test.c firmware/core/fx_store.c firmware/core/fx_crc32.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	cc $(HOST_CFLAGS) -O1 $(SAN) $(filter %.c,$^) -o $@

# The application itself on the host: hal/host's POSIX port, sanitizers on (`make native`).
NATIVE_SRC := firmware/app/main.c firmware/app/fx_storage.c firmware/app/fx_outputs.c $(wildcard firmware/hal/host/*.c firmware/sensors/*.c) firmware/boards/host.c \
              $(CORE_SRC)
$(HOST_BUILD)/fxclass_native: $(NATIVE_SRC) $(CORE_HDR) firmware/hal/fx_hal.h firmware/boards/fx_board.h \
                              $(wildcard firmware/sensors/*.h) $(HOST_BUILD)/default_model.o
	@mkdir -p $(dir $@)
	cc $(HOST_CFLAGS) -Ifirmware/hal -Ifirmware/boards -Ifirmware/sensors -O1 $(SAN) $(filter %.c %.o,$^) -o $@

native: setup $(HOST_BUILD)/fxclass_native ## the application on this computer (hal/host, sanitizers); console port FXCLASS_NATIVE_PORT or 3456

$(HOST_BUILD)/default_model.o: firmware/app/default_model.S models/default.fxm
	@mkdir -p $(dir $@)
	clang -c -DFX_MODEL_FILE='"$(abspath models/default.fxm)"' $< -o $@

$(HOST_BUILD)/fuzz_%: tests/native/fuzz_%.c $(CORE_SRC) $(CORE_HDR) $(HOST_BUILD)/default_model.o
	@mkdir -p $(dir $@)
	clang $(HOST_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(filter %.c %.o,$^) -o $@

# The two fuzzers side by side (10 s each, one core each), each run's last line printed as it ends.
fuzz-smoke: host-tools ## short fuzzing runs of the blob parser and the protocol
	@pids=""; for t in model proto; do mkdir -p $(HOST_BUILD)/corpus_$$t; \
	  { $(HOST_BUILD)/fuzz_$$t -max_total_time=10 -seed=1 $(HOST_BUILD)/corpus_$$t tests/fuzz_seeds/$$t 2>&1 | tail -1; } & \
	  pids="$$pids $$!"; done; \
	status=0; for pid in $$pids; do wait $$pid || status=1; done; exit $$status

# ---- the two commands ----------------------------------------------------------------------------
demo: setup ## build the firmware, boot it in QEMU, classify BasicMotions test windows over its UART
	$(MAKE) -s -C firmware BOARD=netduinoplus2
	$(FXCLASS) run --sim --dataset basicmotions

# Everything the tests run, built once before them, two compilers at a time: the board images with
# their fault-test images, the bench image with and without FX_PORTABLE, the host builds of the core.
# (The boards' loop builds one board at a time: each board's objects are made by one make.)
test-builds: firmwares host-tools
	$(MAKE) -s -C firmware BOARD=netduinoplus2 bench
	$(MAKE) -s -C firmware BOARD=netduinoplus2 PORTABLE=1 bench

# The Robot suites run beside pytest and the fuzzers: each takes ports and folders of its own, and
# nothing rebuilds the images they read once test-builds has made them. Their summary is printed at
# the end; any failure fails the run. pytest runs on PYTEST_WORKERS pytest-xdist workers (0: in its
# own process), a file a worker so that a module's emulator boots once (conftest's make calls take
# turns). Two: on 2 cores, from a fresh clone, the run after the builds took 665 s with two and
# 697 s with none (the Renode runs then took 8-10 minutes; about 3 now, and pytest is the longest part).
PYTEST_WORKERS ?= 2
ROBOT_SUMMARY := build/robot/summary.log
test: setup ## every test: Python, C core with sanitizers, firmware in QEMU, Robot suites, fuzz smoke
	$(MAKE) -s -j2 test-builds
	@mkdir -p $(dir $(ROBOT_SUMMARY)); status=0; start=$$(date +%s); \
	$(PY) tests/run_robot.py --output build/robot > $(ROBOT_SUMMARY) 2>&1 & robot=$$!; \
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests || status=1; \
	echo "make test: pytest done at $$(( $$(date +%s) - start )) s"; \
	$(MAKE) -s fuzz-smoke || status=1; \
	wait $$robot || status=1; cat $(ROBOT_SUMMARY); \
	echo "make test: all done at $$(( $$(date +%s) - start )) s after the builds"; exit $$status

model: setup ## retrain and requantize the shipped default model (models/), with its model card
	$(FXCLASS) train --dataset basicmotions --features stats16 --model mlp --hidden 24 --epochs 400 -o models/default.npz
	$(FXCLASS) quantize models/default.npz --dataset basicmotions -o models/default.fxm
	$(FXCLASS) eval models/default.npz models/default.fxm --dataset basicmotions --card models/README.md

test-robot: setup firmwares ## the Robot suites over QEMU and, where Renode is found, every suite in Renode on each Nucleo
	$(PY) tests/run_robot.py --output build/robot --all-suites

bench: setup firmwares $(HOST_BUILD)/fxclass_native ## measure the default model on Cortex-M4 (QEMU instruction counts) -> bench/results.json
	$(PY) host/tools/bench_report.py --output bench/results.json

$(VENV)/.accuracy-done: $(VENV)/.pip-done host/pyproject.toml
	$(PIP_INSTALL) -e 'host[accuracy]'
	@touch $@

accuracy: $(VENV)/.accuracy-done ## every feature set and auto vs aeon's MiniRocket on 5 archive problems -> bench/accuracy.json
	$(PY) host/tools/accuracy.py --output bench/accuracy.json --readme README.md

SOAK ?= 5000
soak: setup firmwares $(HOST_BUILD)/fxclass_native ## SOAK=N inferences natively, in QEMU and in Renode, each checked against the reference
	$(PY) host/tools/soak.py --count $(SOAK)

ROUNDS ?= 10
startup-check: setup firmwares ## fxclass sim, record and live --renode ROUNDS times each, from a folder outside the checkout with no FXCLASS_* set; nothing may be left running
	$(PY) host/tools/startup_check.py --rounds $(ROUNDS)

# ---- a Jumpstarter board farm (README: Board farm) -------------------------------------------------
# SELECTOR chooses the boards (labels in farm/exporters.yaml). The farm is $FXCLASS_FARM's local one,
# else the controller of the Jumpstarter client config in use, else a local farm of the two Renode
# boards started for the run. Jumpstarter is an extra that `make setup` leaves out.
SELECTOR ?= emulated=renode
JUMPSTARTER_HINT := Jumpstarter is not installed in $(VENV): run make farm-setup (it runs $(VENV)/bin/pip install -e host[farm]), or pip install fxclass[farm]
FARM_PYTEST := $(PY) -m pytest -q -p no:asyncio -p no:cacheprovider

farm-setup: setup ## install the Jumpstarter extra (fxclass[farm]) into the virtual environment
	$(PIP_INSTALL) -e 'host[farm]'

farm-local: setup ## serve the two Renode boards as a local Jumpstarter farm until Ctrl-C (prints its FXCLASS_FARM)
	@$(PY) -c 'import jumpstarter' 2>/dev/null || { echo "$(JUMPSTARTER_HINT)"; exit 1; }
	$(PY) host/tools/farm_local.py serve

# The device tests, one xdist worker per board; then the lease's own tests (a local exporter killed
# mid-run, two leases at once), which start local exporters of their own.
farm-test: ## the device tests on every board of the farm that SELECTOR matches, concurrently
	@$(PY) -c 'import jumpstarter' 2>/dev/null || { echo "$(JUMPSTARTER_HINT)"; exit 1; }
	@$(MAKE) -s setup firmwares
	@devices="$(FARM_PYTEST) -n 2 --dist loadgroup tests/test_farm_devices.py --lease '$(SELECTOR)'"; \
	start=$$(date +%s); status=0; \
	if [ -n "$$FXCLASS_FARM" ] || $(PY) -c 'from fxclass.farm.lease import client_config; client_config()' 2>/dev/null; \
	then eval "$$devices" || status=$$?; \
	else $(PY) host/tools/farm_local.py run -- sh -c "$$devices" || status=$$?; fi; \
	echo "farm-test: device tests on the boards matching $(SELECTOR): $$(( $$(date +%s) - start )) s"; \
	start=$$(date +%s); $(FARM_PYTEST) tests/test_farm_local.py || status=$$?; \
	echo "farm-test: lease tests: $$(( $$(date +%s) - start )) s"; exit $$status

clean: ## remove build outputs (the virtual environment stays)
	rm -rf build firmware/build
