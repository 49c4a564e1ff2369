"""The three mistakes ``mypy --strict`` must catch in a user's module (tests/test_typing.py
expects an error on each line marked ``# error``)."""

from __future__ import annotations

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml


def mistakes(m: CleanRoomsMLMock, arn: str) -> None:
    mock_cleanroomsml(lifecycle="manaul")  # error
    m.set_status(arn, "ACTIV")  # error
    m.inject_error("GetTrainedModel", "ThrotlingException")  # error
