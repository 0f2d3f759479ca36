"""Tests wait on conditions, not fixed sleeps: no `time.sleep(0.5)` / `asyncio.sleep(0.5)` in test code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.auxil.waiting import WaitTimeout, await_until, first_within, wait_until

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "tests" / "auxil" / "waiting.py"  # the one place that polls
ALLOW = (
    "# not a wait:"  # a sleep that is the behaviour itself (a slow fake, a load's pace), said why
)


def fixed_sleeps(source: str) -> list[int]:
    """Lines of `time.sleep(N)` / `asyncio.sleep(N)` with a non-zero number literal and no
    `# not a wait:` comment on the call's lines."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "sleep"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"time", "asyncio"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, int | float)
            and node.args[0].value != 0
        ):
            continue
        span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
        if not any(ALLOW in line for line in span):
            found.append(node.lineno)
    return sorted(found)


def checked_files() -> list[Path]:
    """Every test module and helper, and the scripts the tests run."""
    tests = sorted((REPO / "tests").rglob("*.py"))
    run = {
        name
        for path in tests
        for name in re.findall(r"scripts\W+(\w+\.py)", path.read_text(encoding="utf-8"))
    }
    scripts = [
        REPO / "scripts" / name for name in sorted(run) if (REPO / "scripts" / name).is_file()
    ]
    return [p for p in tests + scripts if p != HELPER]


def test_no_test_sleeps_a_fixed_time_to_wait() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in checked_files()
        for line in fixed_sleeps(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        "wait for the condition instead (tests/auxil/waiting.py: wait_until / await_until), or "
        f"say why the sleep is not a wait with '{ALLOW} ...': " + ", ".join(offenders)
    )


def test_the_check_sees_fixed_sleeps_and_respects_the_marker() -> None:
    source = (
        "import asyncio, time\n"
        "async def f(x):\n"
        "    await asyncio.sleep(0.3)\n"
        "    time.sleep(1)\n"
        "    await asyncio.sleep(0)\n"
        "    await asyncio.sleep(x)\n"
        "    await asyncio.sleep(2)  # not a wait: the outage the test asked for\n"
    )
    assert fixed_sleeps(source) == [3, 4]
    assert any(p.name == "load_webhooks.py" for p in checked_files())  # a script the tests run


def test_a_wait_that_times_out_says_what_it_waited_for() -> None:
    with pytest.raises(
        WaitTimeout, match=r"waited 0\.05 s for the answer to user 7; last value: 0"
    ):
        wait_until(lambda: 0, "the answer to user 7", timeout=0.05)
    with pytest.raises(WaitTimeout, match=r"lambda: len\(\[\]\) == 1"):  # no name: its source
        wait_until(lambda: len([]) == 1, timeout=0.01)
    assert wait_until(lambda: [3], timeout=0.01) == [3]  # the truthy value comes back


async def test_the_async_wait_takes_async_checks() -> None:
    async def check() -> str:
        return "ok"

    assert await await_until(check, timeout=0.01) == "ok"
    with pytest.raises(WaitTimeout, match="nothing"):
        await await_until(lambda: None, "nothing", timeout=0.01)
    assert await first_within(lambda: None, timeout=0.01) is None
