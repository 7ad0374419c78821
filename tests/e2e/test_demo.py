"""The sandbox as a person (or CI) runs it: `caixiao demo` in its own process, the emulator, the
sample company and the real bot inside, the terminal chat on stdin and stdout.

The three runs start together (module fixture) and each test waits for its own: they spend most
of their time waiting for the bot to go quiet, so together they take little more than one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOURS = ROOT / "bot" / "sandbox" / "tours"
PIPED = """:who
:as Mia
/approvals
:in purchasing
/po $PO
/stock DRILL-8
:in me
#1
:no-such-command
:wait nan
:wait -inf
:wait -5
#9
"""


@dataclass
class Run:
    proc: subprocess.Popen[str]
    stdin: str | None = None
    result: tuple[int, str, str] | None = None

    def finish(self) -> tuple[int, str, str]:
        if self.result is None:
            out, err = self.proc.communicate(self.stdin, timeout=120)
            self.result = (self.proc.returncode, out, err)
        return self.result


def in_order(text: str, *parts: str) -> None:
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} missing after position {at} in:\n{text}"
        at = found + len(part)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIXIAO_") or k.startswith("CAIXIAO_TEST_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "CAIXIAO_LANG": "en"}

    def start(*args: str, stdin: str | None = None) -> Run:
        cwd = tmp_path_factory.mktemp("demo")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, text=True, encoding="utf-8",
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        return Run(proc, stdin)

    started = {
        "en": start("demo", "--script", str(TOURS / "tour_en.txt"), "--lang", "en"),
        "zh": start("demo", "--script", str(TOURS / "tour_zh.txt"), "--lang", "zh"),
        "piped": start("run", stdin=PIPED),
    }
    try:
        yield started
    finally:
        for run in started.values():
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
            # A run no test finished (its tests ran in another worker) still holds its pipes.
            for pipe in (run.proc.stdin, run.proc.stdout, run.proc.stderr):
                if pipe is not None:
                    pipe.close()


def test_the_english_tour_walks_a_po_from_creation_to_a_shipment_without_bot_api_errors(runs: dict[str, Run]) -> None:
    code, out, err = runs["en"].finish()

    assert code == 0, out + err
    in_order(
        out,
        "[Tom Baker · buyer] > /stock SOCKET-5H",
        "on hand 41",
        "*Purchase order PO-",
        "· draft",
        "(pressed “📨 Submit”)",
        "· waiting for approval",
        "[Mia Chen · manager] > /po PO-",
        "(pressed “✅ Approve”)",
        "✅ Approved by Mia Chen",
        "── 📣 group 采购群 Purchasing ──",  # the decision, as an alert in the bound group
        "approved by Mia Chen",
        "[Ken Wu · warehouse] > /receive PO-",
        "Status: received.",
        "[Sam Liu · sales] > /so new GREENHOME SOCKET-5H 100 @15.00",
        "*Sales order SO-",
        "(pressed “✔️ Confirm”)",
        "· confirmed",
        "reserved 100",
        "[Ken Wu · warehouse] > /ship SO-",
        "Status: shipped.",
        "── 📣 group 仓库群 Warehouse ──",
        "shipped",
        "on hand 191, reserved 0, available 191",
        "History of PO-",
        "goods received · Ken Wu",
    )
    assert out.rstrip().endswith("Bot API errors: 0")


def test_the_chinese_tour_walks_the_same_story_in_chinese(runs: dict[str, Run]) -> None:
    code, out, err = runs["zh"].finish()

    assert code == 0, out + err
    in_order(
        out,
        "[李强 Li Qiang · 采购] > /stock SOCKET-5H",
        "在库 41",
        "*采购单 PO-",
        "· 草稿",
        "· 待审批",
        "[王芳 Wang Fang · 经理] > /po PO-",
        "（按下“✅ 批准”）",
        "✅ 王芳 Wang Fang 批准于",
        "[赵磊 Zhao Lei · 仓库] > /receive PO-",
        "状态：已收货",
        "*销售单 SO-",
        "· 已确认",
        "已预留 100",
        "[赵磊 Zhao Lei · 仓库] > /ship SO-",
        "状态：已发货",
        "在库 191，已预留 0，可用 191",
        "的记录",
    )
    assert out.rstrip().endswith("Bot API 错误：0")


def test_run_without_a_token_says_so_in_one_line_then_the_sandbox_takes_piped_lines_and_ends_at_eof(
    runs: dict[str, Run],
) -> None:
    code, out, err = runs["piped"].finish()

    assert code == 0, out + err  # mistakes at the terminal are shown, not fatal
    first, second, *_ = out.splitlines()
    assert first.startswith("No Telegram token configured") and "CAIXIAO_TELEGRAM__TOKEN" in first
    assert second.startswith("Caixiao sandbox:")
    in_order(
        out,
        "▸  8  Tom Baker",
        "Now chatting as Mia Chen (manager).",
        "[Mia Chen · manager] > /approvals",
        "[#1 ✅ Approve] [#2 ❌ Reject]",
        "[Mia Chen · manager @ 采购群 Purchasing] > /po PO-",
        "[Mia Chen · manager @ 采购群 Purchasing] > /stock DRILL-8",
        "*DRILL-8 · 钻头 8mm Drill bit*",
        "[Mia Chen · manager] > #1",
        "(pressed “✅ Approve”)",
        "✎ (edited) *Purchase order PO-",
        "── 📣 group 采购群 Purchasing ──",
        "✎ (edited) *Purchase order PO-",
        ":no-such-command is not a sandbox command",
        "“nan” is not a number of seconds.",  # sleeping nan seconds never returned
        "“-inf” is not a number of seconds.",
        "There is no button #9",  # and -5 waited 0 seconds, not forever
        "Bot API errors: 0",
    )
