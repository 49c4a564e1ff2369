"""The typed surface, checked with mypy --strict as a user's project would be: good calls
pass, the three classic mistakes fail, and the Literal types match botocore's model."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from cleanroomsml_mock.errors import MODELLED_ERRORS
from cleanroomsml_mock.lifecycle import STATUS_ENUM_SHAPE, Lifecycle, status_enum
from cleanroomsml_mock.types import ErrorCode, LifecycleName, StatusName

HERE = Path(__file__).parent / "typing"


def _mypy(path: Path) -> tuple[str, int]:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed")
    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--show-error-codes", "--no-error-summary", str(path)]
    )
    return stdout + stderr, status


def test_good_usage_passes_mypy_strict() -> None:
    output, status = _mypy(HERE / "good_usage.py")
    assert status == 0, output


def test_each_classic_mistake_fails_mypy_strict() -> None:
    path = HERE / "bad_usage.py"
    output, status = _mypy(path)
    assert status == 1, output
    expected = [
        i for i, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# error")
    ]
    flagged = sorted(
        {int(line.split(":")[1]) for line in output.splitlines() if ": error:" in line}
    )
    assert flagged == expected, output


def test_literals_match_the_model() -> None:
    statuses = set().union(*(status_enum(kind) for kind in STATUS_ENUM_SHAPE))
    assert set(get_args(StatusName)) == statuses
    assert set(get_args(ErrorCode)) == set(MODELLED_ERRORS)
    assert set(get_args(LifecycleName)) == {mode.value for mode in Lifecycle}
