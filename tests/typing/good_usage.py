"""A user's test module, as ``mypy --strict`` sees it: every call here type-checks
(tests/test_typing.py)."""

from __future__ import annotations

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml


def controls(m: CleanRoomsMLMock, arn: str) -> None:
    m.set_status(arn, "ACTIVE")
    m.set_status(arn, "CREATE_FAILED", status_code="OOM", message="no memory")
    m.inject_error("GetTrainedModel", "ThrottlingException", count=2)
    m.inject_error("ListTrainingDatasets")
    response = m.calls.last.response
    if response is not None:
        print(response.get("trainingDatasets"))


def options() -> None:
    with mock_cleanroomsml(lifecycle="manual", account_id="111122223333") as m:
        controls(m, "arn:aws:cleanrooms-ml:us-east-1:111122223333:training-dataset/x")
    with mock_cleanroomsml(lifecycle="timed", durations={"audience-model": 60}):
        pass


@mock_cleanroomsml
def test_decorated(n: int, *, label: str = "") -> list[str]:
    return [label] * n


names: list[str] = test_decorated(2, label="a")
