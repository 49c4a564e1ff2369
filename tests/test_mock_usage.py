"""Every way of using the mock, driven through boto3 as users call it."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import unittest
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import boto3.session
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml
from cleanroomsml_mock.active import world as active_world

from .builders import REGION, ROLE, client_for, make_training_dataset, training_data

AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
)


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No AWS credentials anywhere (env, files, instance metadata)."""
    for key in AWS_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def names(client: Any) -> list[str]:
    return [d["name"] for d in client.list_training_datasets()["trainingDatasets"]]


def new_client() -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


# ---------------------------------------------------------------- decorator forms


@mock_cleanroomsml
def test_bare_decorator_on_a_function() -> None:
    client = new_client()
    make_training_dataset(client, name="decorated")
    assert names(client) == ["decorated"]


@mock_cleanroomsml()
def test_called_decorator_on_a_function() -> None:
    assert names(new_client()) == []


@mock_cleanroomsml
def test_consecutive_decorated_tests_start_empty_1() -> None:
    client = new_client()
    assert names(client) == []
    make_training_dataset(client, name="leftover")


@mock_cleanroomsml
def test_consecutive_decorated_tests_start_empty_2() -> None:
    client = new_client()
    assert names(client) == []
    make_training_dataset(client, name="leftover")


@mock_cleanroomsml
async def test_decorator_on_async_def() -> None:
    await asyncio.sleep(0)
    client = new_client()
    make_training_dataset(client, name="async")
    assert names(client) == ["async"]


def test_decorated_async_function_runs_its_body_and_fails_on_assert() -> None:
    ran: list[str] = []

    @mock_cleanroomsml
    async def failing() -> None:
        await asyncio.sleep(0)
        ran.append((names(new_client()) == [] and "served") or "not served")
        raise AssertionError("inside the mock")

    assert asyncio.iscoroutinefunction(failing)
    with pytest.raises(AssertionError, match="inside the mock"):
        asyncio.run(failing())
    assert ran == ["served"]
    assert active_world() is None


def test_decorated_function_returns_its_value_and_stops_on_error() -> None:
    @mock_cleanroomsml
    def ok(x: int) -> int:
        assert active_world() is not None
        return x + 1

    @mock_cleanroomsml
    def boom() -> None:
        raise ValueError("boom")

    assert ok(1) == 2
    with pytest.raises(ValueError):
        boom()
    assert active_world() is None


def test_class_decorator_on_a_testcase() -> None:
    seen: dict[str, Any] = {}

    @mock_cleanroomsml
    class Case(unittest.TestCase):
        def setUp(self) -> None:
            self.client = new_client()
            self.arn = make_training_dataset(self.client, name="from-setup")

        def tearDown(self) -> None:
            # still inside the mock
            seen.setdefault("teardown", []).append(names(self.client))

        def test_one(self) -> None:
            make_training_dataset(self.client, name="one")
            seen["one"] = names(self.client)

        def test_two(self) -> None:
            seen["two"] = names(self.client)

    result = unittest.TextTestRunner(stream=io.StringIO()).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert result.wasSuccessful(), result.errors + result.failures
    assert seen["one"] == ["from-setup", "one"]
    assert seen["two"] == ["from-setup"]  # fresh state per test method
    assert sorted(seen["teardown"]) == [["from-setup"], ["from-setup", "one"]]
    assert active_world() is None


def test_class_decorator_on_a_testcase_reports_failures() -> None:
    @mock_cleanroomsml
    class Case(unittest.TestCase):
        def test_fails(self) -> None:
            assert names(new_client()) == ["nothing"]

    result = unittest.TextTestRunner(stream=io.StringIO()).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert len(result.failures) == 1
    assert active_world() is None


def test_class_decorator_on_a_plain_class() -> None:
    @mock_cleanroomsml
    class Plain:
        def test_a(self) -> list[str]:
            client = new_client()
            make_training_dataset(client, name="a")
            return names(client)

        def helper(self) -> bool:
            return active_world() is not None

    plain = Plain()
    assert plain.test_a() == ["a"]
    assert plain.test_a() == ["a"]  # fresh state each call
    assert plain.helper() is False  # only test* methods are wrapped


def test_class_decorator_runs_pytest_setup_and_teardown_inside_the_mock() -> None:
    @mock_cleanroomsml
    class Plain:
        def setup_method(self, method: Any) -> None:
            self.client = new_client()
            make_training_dataset(self.client, name="from-setup")

        def test_a(self) -> list[str]:
            return names(self.client)

        def teardown_method(self) -> None:  # pytest also calls it without the method
            self.seen = names(self.client)

    for _ in range(2):  # fresh state for each test
        plain = Plain()
        plain.setup_method(Plain.test_a)
        assert plain.test_a() == ["from-setup"]
        plain.teardown_method()
        assert plain.seen == ["from-setup"]
        assert active_world() is None


def test_class_decorator_wraps_inherited_test_methods() -> None:
    class Shared:
        def test_inherited(self) -> list[str]:
            client = new_client()
            make_training_dataset(client, name="inherited")
            return names(client)

    @mock_cleanroomsml
    class Plain(Shared):
        pass

    assert Plain().test_inherited() == ["inherited"]
    assert Plain().test_inherited() == ["inherited"]  # fresh state each call
    assert active_world() is None
    assert vars(Shared)["test_inherited"] is not vars(Plain)["test_inherited"]  # base untouched


# ---------------------------------------------------------------- context managers, start/stop


def test_context_manager_returns_the_handle() -> None:
    with mock_cleanroomsml() as m:
        assert isinstance(m, CleanRoomsMLMock)
        assert m.active
        make_training_dataset(new_client())
        assert len(m.calls) == 1
    assert not m.active
    assert active_world() is None


async def test_async_with() -> None:
    async with mock_cleanroomsml() as m:
        make_training_dataset(new_client(), name="aw")
        assert m.calls.last.operation == "CreateTrainingDataset"
    assert active_world() is None


def test_start_and_stop() -> None:
    m = mock_cleanroomsml()
    assert m.start() is m
    assert m.start() is m  # idempotent
    try:
        make_training_dataset(new_client())
    finally:
        m.stop()
    m.stop()  # idempotent
    assert active_world() is None
    assert len(m.calls) == 1  # what was served stays readable after stop
    with pytest.raises(RuntimeError):
        _ = mock_cleanroomsml().calls  # a handle never started has no world


def test_nesting_shares_state_and_inner_stop_keeps_outer_active() -> None:
    with mock_cleanroomsml() as outer:
        client = new_client()
        make_training_dataset(client, name="outer")
        with mock_cleanroomsml() as inner:
            assert names(client) == ["outer"]
            make_training_dataset(client, name="inner")
            assert inner.calls is outer.calls
        assert outer.active and not inner.active
        assert names(client) == ["outer", "inner"]
    assert active_world() is None


def test_nested_start_stop_in_any_order() -> None:
    a = mock_cleanroomsml().start()
    b = mock_cleanroomsml().start()
    a.stop()  # the first one stops first: the other keeps serving
    make_training_dataset(new_client())
    assert active_world() is not None
    b.stop()
    assert active_world() is None


def test_innermost_options_apply() -> None:
    with mock_cleanroomsml(account_id="111111111111"):
        with mock_cleanroomsml(account_id="222222222222"):
            role = ROLE.replace("123456789012", "2" * 12)
            arn = make_training_dataset(new_client(), roleArn=role)
            assert ":222222222222:" in arn
        arn = make_training_dataset(new_client(), roleArn=ROLE.replace("123456789012", "1" * 12))
        assert ":111111111111:" in arn


def test_invalid_options_fail_early() -> None:
    with pytest.raises(ValueError):
        mock_cleanroomsml(account_id="123")
    with pytest.raises(ValueError):
        mock_cleanroomsml(lifecycle="sometimes")


# ---------------------------------------------------------------- handle: reset and calls


def test_reset_forgets_everything(mock: CleanRoomsMLMock, client: Any) -> None:
    make_training_dataset(client)
    mock.reset()
    assert len(mock.calls) == 0
    assert names(client) == []


def test_calls_record_operation_params_account_region_and_outcome(
    mock: CleanRoomsMLMock,
) -> None:
    client = client_for("111111111111", region="eu-west-2")
    arn = make_training_dataset(client, roleArn="arn:aws:iam::111111111111:role/r", name="c")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_training_dataset(trainingDatasetArn=arn + "x")
    create, failed = mock.calls
    assert create.operation == "CreateTrainingDataset"
    assert create.params["name"] == "c"
    assert create.params["trainingData"] == training_data()
    assert (create.account, create.region, create.status) == ("111111111111", "eu-west-2", 200)
    assert create.response == {"trainingDatasetArn": arn}
    assert create.error is None and create.succeeded
    assert failed.operation == "GetTrainingDataset"
    assert failed.status == 404 and not failed.succeeded
    assert failed.error.code == "ResourceNotFoundException"
    assert failed.response is None
    assert mock.calls.of("GetTrainingDataset") == [failed]


# ---------------------------------------------------------------- pytest plugin


def test_plugin_fixtures(cleanroomsml_mock: CleanRoomsMLMock, cleanroomsml_client: Any) -> None:
    assert cleanroomsml_mock.active
    make_training_dataset(cleanroomsml_client, name="fixture")
    assert cleanroomsml_client.meta.region_name == "us-east-1"
    assert cleanroomsml_mock.calls.last.operation == "CreateTrainingDataset"


def test_plugin_is_registered_through_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("i", range(3))
        def test_each_case_starts_empty(cleanroomsml_client, i):
            assert cleanroomsml_client.list_training_datasets()["trainingDatasets"] == []
            cleanroomsml_client.create_training_dataset(
                name="x", roleArn="arn:aws:iam::123456789012:role/r",
                trainingData=[{"type": "INTERACTIONS", "inputConfig": {"schema": [
                    {"columnName": "u", "columnTypes": ["USER_ID"]},
                    {"columnName": "i", "columnTypes": ["ITEM_ID"]},
                    {"columnName": "t", "columnTypes": ["TIMESTAMP"]}],
                    "dataSource": {"glueDataSource": {"databaseName": "d", "tableName": "t"}}}}])
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=3)


def test_pytest_runs_a_decorated_class_with_setup_method(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        from cleanroomsml_mock import mock_cleanroomsml

        @mock_cleanroomsml
        class TestWithSetup:
            def setup_method(self, method):
                self.client = boto3.client("cleanroomsml", region_name="us-east-1")
                self.client.create_training_dataset(
                    name=method.__name__, roleArn="arn:aws:iam::123456789012:role/r",
                    trainingData=[{"type": "INTERACTIONS", "inputConfig": {"schema": [
                        {"columnName": "u", "columnTypes": ["USER_ID"]},
                        {"columnName": "i", "columnTypes": ["ITEM_ID"]},
                        {"columnName": "t", "columnTypes": ["TIMESTAMP"]}],
                        "dataSource": {"glueDataSource": {"databaseName": "d",
                                                          "tableName": "t"}}}}])

            def names(self):
                return [d["name"] for d in self.client.list_training_datasets()["trainingDatasets"]]

            def test_one(self):
                assert self.names() == ["test_one"]

            def test_two(self):
                assert self.names() == ["test_two"]
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=2)


# ---------------------------------------------------------------- clients from anywhere


def test_client_created_before_start_is_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "early")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "early")
    early = new_client()
    session = boto3.session.Session(region_name="eu-west-1")
    from_session = session.client("cleanroomsml")
    with mock_cleanroomsml() as m:
        make_training_dataset(early, name="early")
        make_training_dataset(from_session, name="session")
        assert names(early) == ["early"]
        assert names(from_session) == ["session"]
    assert [c.region for c in m.calls] == ["us-east-1", "eu-west-1", "us-east-1", "eu-west-1"]
    # after stop, nothing answers in-process any more (and the network is closed here)
    with pytest.raises(Exception):  # noqa: B017
        names(early)


def test_client_used_from_another_thread(mock: CleanRoomsMLMock) -> None:
    client = new_client()
    result: list[Any] = []

    def work() -> None:
        own = new_client()
        make_training_dataset(own, name="thread")
        result.append(names(client))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert result == [["thread"]]


def test_client_without_any_credentials(bare_env: None) -> None:
    early = new_client()  # no credentials at all
    with mock_cleanroomsml():
        make_training_dataset(early, name="anon")
        assert names(early) == ["anon"]
        assert names(new_client()) == ["anon"]


def test_client_without_credentials_from_a_session_made_before_import(bare_env: None) -> None:
    # a session made before cleanroomsml_mock was imported lacks its built-in handlers
    import botocore.session

    from cleanroomsml_mock import interceptor

    session = botocore.session.Session()
    session.unregister("before-call.cleanroomsml", interceptor.on_before_call)
    session.unregister("before-send.cleanroomsml", interceptor.on_before_send)
    early = session.create_client("cleanroomsml", region_name=REGION)
    with mock_cleanroomsml():
        make_training_dataset(early, name="anon")
        assert names(early) == ["anon"]


def test_fake_credentials_only_while_active_and_env_restored(bare_env: None) -> None:
    before = {k: os.environ.get(k) for k in AWS_ENV}
    with mock_cleanroomsml():
        assert os.environ["AWS_ACCESS_KEY_ID"]
        assert os.environ["AWS_SECRET_ACCESS_KEY"]
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert {k: os.environ.get(k) for k in AWS_ENV} == before


def test_existing_credentials_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "mine-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_cleanroomsml():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "mine"
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-central-1"
        assert boto3.client("cleanroomsml").meta.region_name == "eu-central-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "mine"
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "mine-secret"
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-central-1"


def test_env_changes_made_inside_the_mock_are_undone_only_for_our_keys(
    bare_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mock_cleanroomsml():
        os.environ["UNRELATED_SETTING"] = "kept"
    assert os.environ.pop("UNRELATED_SETTING") == "kept"
    assert "AWS_ACCESS_KEY_ID" not in os.environ


# ---------------------------------------------------------------- concurrency and isolation


def test_sixteen_threads_create_concurrently(mock: CleanRoomsMLMock) -> None:
    def create(i: int) -> str:
        return make_training_dataset(new_client(), name=f"ds-{i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        arns = list(pool.map(create, range(64)))
    assert len(set(arns)) == 64
    listed = new_client().list_training_datasets()["trainingDatasets"]
    assert {d["trainingDatasetArn"] for d in listed} == set(arns)
    assert all(c.succeeded for c in mock.calls)


def test_accounts_and_regions_are_isolated(mock: CleanRoomsMLMock) -> None:
    a = client_for("111111111111")
    b = client_for("222222222222")
    a_west = client_for("111111111111", region="eu-west-1")
    arn = make_training_dataset(a, roleArn="arn:aws:iam::111111111111:role/r")
    assert arn.startswith("arn:aws:cleanrooms-ml:us-east-1:111111111111:training-dataset/")
    assert names(b) == [] and names(a_west) == []
    with pytest.raises(b.exceptions.ResourceNotFoundException):
        b.get_training_dataset(trainingDatasetArn=arn)
    # a key that is not 12 digits acts as the mock's default account
    default = boto3.client(
        "cleanroomsml",
        region_name=REGION,
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="x",
    )
    assert ":123456789012:" in make_training_dataset(default)


@pytest.fixture
def seeded() -> Iterator[tuple[CleanRoomsMLMock, str]]:
    with mock_cleanroomsml() as m:
        yield m, make_training_dataset(new_client(), name="from-fixture")


def test_a_fixture_can_seed_state_for_the_test(seeded: tuple[CleanRoomsMLMock, str]) -> None:
    _, arn = seeded
    assert new_client().get_training_dataset(trainingDatasetArn=arn)["name"] == "from-fixture"


@pytest.fixture
@mock_cleanroomsml
def decorated_fixture() -> Iterator[str]:
    yield make_training_dataset(new_client(), name="kept")


def test_a_decorated_generator_fixture_keeps_the_mock_for_the_test(decorated_fixture: str) -> None:
    got = new_client().get_training_dataset(trainingDatasetArn=decorated_fixture)
    assert got["name"] == "kept"


def test_decorated_generators_stay_inside_the_mock_until_exhausted() -> None:
    @mock_cleanroomsml
    def gen() -> Iterator[bool]:
        yield active_world() is not None
        yield active_world() is not None

    iterator = gen()
    assert active_world() is None  # not started until iterated
    assert list(iterator) == [True, True]
    assert active_world() is None

    @mock_cleanroomsml
    async def agen() -> Any:
        yield active_world() is not None

    async def collect() -> list[bool]:
        return [x async for x in agen()]

    assert asyncio.run(collect()) == [True]
    assert active_world() is None


def test_class_decorator_on_an_isolated_asyncio_testcase() -> None:
    seen: list[list[str]] = []

    @mock_cleanroomsml
    class Case(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self) -> None:
            make_training_dataset(new_client(), name="async-setup")

        async def test_one(self) -> None:
            await asyncio.sleep(0)
            seen.append(names(new_client()))

        async def test_fails(self) -> None:
            await asyncio.sleep(0)
            assert names(new_client()) == ["something else"]

    result = unittest.TextTestRunner(stream=io.StringIO()).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(Case)
    )
    assert seen == [["async-setup"]]
    assert len(result.failures) == 1 and not result.errors
    assert active_world() is None


def test_threads_mixing_create_get_list_delete(mock: CleanRoomsMLMock) -> None:
    def work(worker: int) -> int:
        client = client_for(f"{worker + 1:012d}")
        role = f"arn:aws:iam::{worker + 1:012d}:role/r"
        for i in range(10):
            arn = make_training_dataset(client, name=f"w{worker}-{i}", roleArn=role)
            assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == f"w{worker}-{i}"
            client.list_training_datasets()
            if i % 2:
                client.delete_training_dataset(trainingDatasetArn=arn)
        return len(names(client))

    with ThreadPoolExecutor(max_workers=8) as pool:
        remaining = list(pool.map(work, range(8)))
    assert remaining == [5] * 8  # each account kept its own five
    assert all(c.succeeded for c in mock.calls)
    assert len(mock.calls) == 8 * (10 * 3 + 5 + 1)


def test_every_response_carries_a_request_id(mock: CleanRoomsMLMock, client: Any) -> None:
    listed = client.list_training_datasets()
    request_id = listed["ResponseMetadata"]["RequestId"]
    assert len(request_id) == 36
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        client.get_training_dataset(
            trainingDatasetArn="arn:aws:cleanrooms-ml:us-east-1:123456789012:training-dataset/x"
        )
    error_id = exc.value.response["ResponseMetadata"]["RequestId"]
    assert len(error_id) == 36 and error_id != request_id
