"""Every board builds, fits its chip, and its clock tree obeys the reference manual's limits."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from fxclass.firmware.build import elf_symbols

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
# Per chip: flash bytes, RAM bytes, max SYSCLK, max APB1, max APB2, wait states by HCLK at 2.7-3.6 V
# (RM0090 table 10, RM0390 table 5, RM0383 table 6: one more wait state every 30 MHz).
CHIPS = {
    "stm32f405rg": (1024 * 1024, 128 * 1024, 168e6, 42e6, 84e6, 30e6),
    "stm32f446re": (512 * 1024, 128 * 1024, 180e6, 45e6, 90e6, 30e6),
    "stm32f411re": (512 * 1024, 128 * 1024, 100e6, 50e6, 100e6, 30e6),
}
BOARDS = ["netduinoplus2", "nucleo_f446re", "nucleo_f411re"]


def board_config(board: str) -> dict:
    text = (FIRMWARE / "boards" / f"{board}.c").read_text()
    cfg = {k: int(v) for k, v in re.findall(r"\.(\w+) = (\d+)u?,", text)}
    cfg["chip"] = re.search(r'#define FX_BOARD_CHIP "(\w+)"', text).group(1)
    return cfg


@pytest.mark.parametrize("board", BOARDS)
def test_board_builds_and_fits_its_chip(board):
    out = subprocess.run(["make", "-s", "-C", str(FIRMWARE), f"BOARD={board}"], check=True, capture_output=True,
                         text=True).stdout
    text, data, bss = (int(v) for v in re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+", out, re.M).groups())
    flash_size, ram_size, *_ = CHIPS[board_config(board)["chip"]]
    assert text + data <= flash_size and data + bss <= ram_size
    for ext in ("elf", "bin", "hex"):
        assert (FIRMWARE / "build" / board / f"fxclass.{ext}").stat().st_size > 0


@pytest.mark.parametrize("board", BOARDS)
def test_clock_tree_is_within_the_reference_manual(board):
    c = board_config(board)
    _, _, max_sys, max_apb1, max_apb2, per_ws = CHIPS[c["chip"]]
    vco_in = c["hse_hz"] / c["pll_m"]
    vco_out = vco_in * c["pll_n"]
    assert 1e6 <= vco_in <= 2e6, "VCO input must be 1..2 MHz (2 MHz limits jitter)"
    assert 100e6 <= vco_out <= 432e6
    assert c["pll_p"] in (2, 4, 6, 8) and 2 <= c["pll_q"] <= 15
    assert vco_out / c["pll_p"] == c["sysclk_hz"] <= max_sys
    assert vco_out / c["pll_q"] <= 48e6
    assert c["sysclk_hz"] / c["apb1_div"] <= max_apb1 and c["sysclk_hz"] / c["apb2_div"] <= max_apb2
    assert c["flash_wait_states"] == -(-c["sysclk_hz"] // int(per_ws)) - 1
    assert c["over_drive"] == (1 if c["sysclk_hz"] > 168e6 else 0)
    if board.startswith("nucleo"):
        assert c["hse_hz"] == 8_000_000 and c["hse_bypass"] == 1, "the ST-LINK's 8 MHz MCO drives HSE"
        assert (c["led_port"], c["led_pin"]) == (0, 5), "LD2 is on PA5 on the Nucleo-64 boards (UM1724)"
    assert c["led_pin"] <= 15
    assert c["led_port"] != 0 or c["led_pin"] not in (2, 3), "the LED must not take the console's PA2/PA3"


def test_unknown_board_is_refused_with_the_list():
    r = subprocess.run(["make", "-C", str(FIRMWARE), "BOARD=nucleo_f999"], capture_output=True, text=True)
    assert r.returncode != 0 and "unknown board 'nucleo_f999'" in r.stderr and "nucleo_f446re" in r.stderr


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("baud", [115200, 921600])
def test_console_baud_error_is_within_the_usart_tolerance(board, baud):
    # 16x oversampling: BRR = f_apb1 / baud rounded, as fx_hal_stm32f4.c computes it. The receiver
    # tolerates about 3.75 % in all (RM0390 30.5.5); keep each side's error under half of that.
    c = board_config(board)
    apb1_hz = c["sysclk_hz"] // c["apb1_div"]
    brr = (apb1_hz + baud // 2) // baud
    assert brr >= 16
    assert abs(apb1_hz / brr - baud) / baud < 0.0187


def test_baud_is_a_build_setting_and_changing_it_rebuilds(tmp_path):
    def build(*args):
        subprocess.run(["make", "-s", "-C", str(FIRMWARE), "BOARD=nucleo_f411re", f"BUILD={tmp_path}", *args],
                       check=True, capture_output=True)
        addr, size = elf_symbols(tmp_path / "fxclass.elf")["fx_board_config"]
        image = (tmp_path / "fxclass.bin").read_bytes()  # starts at flash address 0x08000000
        config = image[addr - 0x08000000:addr - 0x08000000 + size]
        # console_baud is the field after sysclk_hz in fx_board.
        at = config.index(board_config("nucleo_f411re")["sysclk_hz"].to_bytes(4, "little")) + 4
        return int.from_bytes(config[at:at + 4], "little")

    assert build() == 115200
    assert build("BAUD=921600") == 921600
    assert build() == 115200
    r = subprocess.run(["make", "-C", str(FIRMWARE), "BOARD=nucleo_f411re", f"BUILD={tmp_path}", "BAUD=fast"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "BAUD=fast" in r.stderr


# The Cortex-M4 DSP variants of the stages (fx_kernels.h), by the functions that only they run.
DSP_FUNCTIONS = {"fx_features_pair_m4", "fx_features_pass2_m4", "fx_quantize_input_pairs_m4", "fx_dense_layer_m4",
                 "fx_dense_block_sums_m4"}


@pytest.mark.parametrize("portable", [False, True], ids=["dsp", "portable"])
def test_bench_image_runs_each_stage_in_the_variant_of_its_build(portable, tmp_path):
    """The bench image builds with and without -DFX_PORTABLE (make -C firmware bench PORTABLE=1) and
    completes in QEMU. Its translation log says which code ran: the Cortex-M4 DSP variants of every
    stage, and not the portable statistics, where they are built (QEMU's core sets the GE flags); the
    portable C alone, with no DSP routine in the image at all, otherwise. QEMU translates a block of
    straight-line code when it first runs it, so the instructions that `-d in_asm` lists are the ones
    that ran (the same set as a single-stepped exec log, which is some hundred times larger)."""
    subprocess.run(["make", "-s", "-C", str(FIRMWARE), "BOARD=netduinoplus2", "bench", *(["PORTABLE=1"] if portable else [])],
                   check=True, capture_output=True)
    elf = FIRMWARE / "build" / ("netduinoplus2-portable" if portable else "netduinoplus2") / "fxclass_bench.elf"
    log = tmp_path / "in_asm.log"
    run = subprocess.run(["qemu-system-arm", "-M", "netduinoplus2", "-display", "none", "-monitor", "none", "-serial",
                          "null", "-semihosting-config", "enable=on,target=native", "-d", "in_asm", "-D", str(log),
                          "-kernel", str(elf)], timeout=600)
    assert run.returncode == 0, "the bench image reported a failure (semihosting exit status)"
    pcs = {int(m, 16) for m in re.findall(r"^0x([0-9a-f]+):", log.read_text(), re.M)}
    symbols = elf_symbols(elf)
    ran = {name for name, (addr, size) in symbols.items() if any(addr <= pc < addr + size for pc in pcs)}
    if portable:
        assert not [name for name in symbols if name.endswith("_m4")], "a portable image has no DSP variant"
        assert "stats" in ran  # the portable statistics, which the kernel table calls through a pointer
    else:
        assert DSP_FUNCTIONS <= ran and "stats" not in ran


def test_a_wrong_assembly_offset_or_table_entry_fails_the_build(tmp_path):
    """The assembly's structure offsets and TBB entries are checked at build time: a copy of the core
    with one offset wrong fails to compile, and one with two TBB entries swapped fails to assemble."""
    import shutil

    core = tmp_path / "core"
    shutil.copytree(FIRMWARE / "core", core)
    cc = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-std=c99", "-Werror", f"-I{core}", "-c", "-o",
          str(tmp_path / "out.o")]
    header = core / "fx_dense_m4.h"
    header.write_text(header.read_text().replace("#define FX_DENSE_SHIFT 12", "#define FX_DENSE_SHIFT 16"))
    r = subprocess.run([*cc, str(core / "fx_dense.c")], capture_output=True, text=True)
    assert r.returncode != 0 and "FX_DENSE_SHIFT is not where fx_dense.shift is" in r.stderr, r.stderr
    source = core / "fx_features_m4.S"
    entries = ["    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP + 2, .Lpair_3\n",
               "    TBB_ENTRY .Lsegment_table, FX_STEP_LOOP + 3, .Lenter_pair_2\n"]
    text = source.read_text()
    assert "".join(entries) in text
    source.write_text(text.replace("".join(entries), "".join(reversed(entries))))
    r = subprocess.run([*cc, str(source)], capture_output=True, text=True)
    assert r.returncode != 0 and "TBB table: entry" in r.stderr, r.stderr
