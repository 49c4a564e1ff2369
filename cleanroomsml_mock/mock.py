"""``mock_cleanroomsml`` and its handle: start/stop, nesting, the decorator forms, and the
test-facing controls (reset, calls, set_status, advance, add_membership).

Which mock is active, the world the active handles share and the hooks that go in while
one is, are kept by active.py; a handle pushes itself there on ``start`` and removes
itself on ``stop``.
"""

from __future__ import annotations

import functools
import inspect
import os
import unittest
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from . import active as active_mocks
from . import interceptor, raw_requests  # noqa: F401  (imported for their hooks: active.py)
from .calls import CallList
from .config import DEFAULT_ACCOUNT_ID, MockConfig
from .errors import ServiceError
from .lifecycle import Lifecycle
from .quotas import quota_value
from .world import World

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class CleanRoomsMLMock:
    """The handle of a mock: decorator, context manager, and test controls."""

    def __init__(
        self,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        lifecycle: str | Lifecycle = Lifecycle.IMMEDIATE,
        strict_memberships: bool = False,
        quotas: dict[str, float] | None = None,
    ) -> None:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        self.config = MockConfig(
            account_id=account_id,
            lifecycle=Lifecycle(lifecycle),
            strict_memberships=strict_memberships,
            quotas=dict(quotas or {}),
        )
        for name in self.config.quotas:
            quota_value({}, name)  # unknown quota names fail here, not at first use
        self._world: World | None = None

    # ------------------------------------------------------------ lifecycle of the mock

    @property
    def active(self) -> bool:
        return active_mocks.is_active(self)

    def start(self) -> CleanRoomsMLMock:
        self._world = active_mocks.start(self, self.config)
        return self

    def stop(self) -> None:
        active_mocks.stop(self)

    def __enter__(self) -> CleanRoomsMLMock:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> CleanRoomsMLMock:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ decorator forms

    @overload
    def __call__(self, func: type[T]) -> type[T]: ...

    @overload
    def __call__(self, func: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, func: Any) -> Any:
        if isinstance(func, type):
            return self._decorate_class(func)
        return self._decorate_function(func)

    def _fresh(self) -> CleanRoomsMLMock:
        return CleanRoomsMLMock(
            account_id=self.config.account_id,
            lifecycle=self.config.lifecycle,
            strict_memberships=self.config.strict_memberships,
            quotas=self.config.quotas,
        )

    def _decorate_function(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # a generator (e.g. a pytest fixture that yields) stays inside the mock until it
        # is exhausted, not just until it is created
        if inspect.isasyncgenfunction(func):

            @functools.wraps(func)
            async def async_gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    async for item in func(*args, **kwargs):
                        yield item

            return async_gen_wrapper

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return (yield from func(*args, **kwargs))

            return gen_wrapper

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper

    def _decorate_class(self, cls: type[T]) -> type[T]:
        if issubclass(cls, unittest.TestCase):
            original_setup = cls.setUp
            factory = self._fresh

            def setUp(test: unittest.TestCase) -> None:
                handle = factory().start()
                test.addCleanup(handle.stop)
                original_setup(test)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        for name in dir(cls):
            # inherited test methods too (wrapped on this class, the base is left alone);
            # static and class methods are not tests of an instance and stay as they are
            attr = inspect.getattr_static(cls, name)
            if name.startswith("test") and inspect.isfunction(attr):
                setattr(cls, name, self._decorate_function(attr))
        if inspect.isfunction(inspect.getattr_static(cls, "setup_method", None)):
            self._wrap_xunit_methods(cls)
        return cls

    def _wrap_xunit_methods(self, cls: type[Any]) -> None:
        """pytest's ``setup_method``/``teardown_method`` run inside one mock that lasts
        from setup to teardown; the test method nests in it and so sees what setup made."""
        factory = self._fresh
        original_setup = inspect.getattr_static(cls, "setup_method")
        original_teardown = inspect.getattr_static(cls, "teardown_method", None)
        key = "_cleanroomsml_mock_handle"

        def call(func: Callable[..., Any], obj: Any, method: Any) -> Any:
            # like pytest: pass the test method only if the function takes it
            if len(inspect.signature(func).parameters) > 1:
                return func(obj, method)
            return func(obj)

        @functools.wraps(original_setup)
        def setup_method(obj: Any, method: Any = None) -> None:
            handle = factory().start()
            obj.__dict__[key] = handle
            try:
                call(original_setup, obj, method)
            except BaseException:
                obj.__dict__.pop(key, None)
                handle.stop()
                raise

        def teardown_method(obj: Any, method: Any = None) -> None:
            try:
                if inspect.isfunction(original_teardown):
                    call(original_teardown, obj, method)
            finally:
                handle = obj.__dict__.pop(key, None)
                if handle is not None:
                    handle.stop()

        if inspect.isfunction(original_teardown):
            teardown_method = functools.wraps(original_teardown)(teardown_method)
        cls.setup_method = setup_method
        cls.teardown_method = teardown_method

    # ------------------------------------------------------------ test controls

    def _require_world(self) -> World:
        if self._world is None:
            raise RuntimeError("this mock has not been started")
        return self._world

    @property
    def calls(self) -> CallList:
        """The calls served by this mock's world, in order."""
        return self._require_world().calls

    def reset(self) -> None:
        """Forget every resource, membership and recorded call."""
        self._require_world().reset()

    def set_status(
        self,
        arn: str,
        status: str,
        *,
        status_code: str | None = None,
        message: str | None = None,
        version: str | None = None,
    ) -> None:
        """Move a resource (or one trained-model version) to ``status``.

        A ``*_FAILED`` status (or any status given a ``status_code``/``message``) shows
        them in the resource's ``statusDetails``. An unknown ARN is a ``KeyError``, a status
        outside the resource's enum a ``ValueError``.
        """
        self._require_world().set_status(
            arn, status, status_code=status_code, message=message, version=version
        )

    def advance(self, arn: str | None = None) -> None:
        """Take one lifecycle step for one resource (or every resource): manual mode's
        way to let a pending create, delete or cancel move on."""
        self._require_world().advance(arn)

    def inject_error(
        self,
        operation: str,
        code: str | None = None,
        *,
        message: str | None = None,
        count: int | None = 1,
        **extra: Any,
    ) -> None:
        """Answer the next ``count`` calls of ``operation`` (e.g. ``"GetTrainedModel"``)
        with the modelled error ``code`` (``count=None``: every call until
        ``clear_errors``). Without ``code``: ``ThrottlingException`` where the operation
        declares it, else the first of ``InternalServiceException`` and
        ``AccessDeniedException`` it declares (the declared errors depend on the botocore
        release installed). The call has no effect; only errors the operation declares
        are accepted (``ValueError`` otherwise). ``extra`` adds members the error shape
        declares, e.g. ``quotaName=``/``quotaValue=``."""
        self._require_world().inject_error(operation, code, message=message, count=count, **extra)

    def clear_errors(self, operation: str | None = None) -> None:
        """Drop injected errors, of one operation or of all."""
        self._require_world().clear_errors(operation)

    def seed(self, value: int | None) -> None:
        """Make generated ids (resource ids, UUIDs) repeatable from here on; ``None`` goes
        back to fresh randomness. Ids are process-wide, like moto's seeded RNG."""
        from . import ids

        ids.seed(value)

    def set_quota(self, name: str, value: float) -> None:
        """Change one service quota for this mock (names in ``cleanroomsml_mock.quotas``)."""
        quota_value({}, name)
        self.config.quotas[name] = value

    def add_membership(
        self,
        *,
        account_id: str | None = None,
        collaboration_id: str | None = None,
        membership_id: str | None = None,
        abilities: Iterable[str] | None = None,
        pays_for: Iterable[str] | None = None,
    ) -> str:
        """Register a Clean Rooms membership; returns its id (a lower-case UUID).

        ``account_id`` defaults to the mock's account, ids are generated where not given.
        ``abilities`` (default: all but ``CAN_RUN_JOB``) takes ``CAN_QUERY``,
        ``CAN_RECEIVE_RESULTS``, ``CAN_RUN_JOB``, ``CAN_RECEIVE_MODEL_OUTPUT``,
        ``CAN_RECEIVE_INFERENCE_OUTPUT``; ``pays_for`` the cost types the member is
        responsible for (``queryCompute``, ``modelTraining``, ``modelInference``,
        ``syntheticDataGeneration``; when nobody is designated, members who can query pay).
        See ``cleanroomsml_mock.memberships``.
        """
        return self._require_world().add_membership(
            account_id=account_id,
            collaboration_id=collaboration_id,
            membership_id=membership_id,
            abilities=abilities,
            pays_for=pays_for,
        )

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save every resource, membership and option to ``path`` (versioned JSON, written
        atomically). The call log is not saved."""
        from .state import save

        save(self._require_world(), path)

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Replace the state of this mock by the one saved in ``path``; a file of another
        format version or a corrupt one raises ``cleanroomsml_mock.state.StateFileError``
        and leaves the state as it was."""
        from .state import load

        load(self._require_world(), path)


@overload
def mock_cleanroomsml(func: type[T]) -> type[T]: ...


@overload
def mock_cleanroomsml(func: Callable[P, R]) -> Callable[P, R]: ...


@overload
def mock_cleanroomsml(
    func: None = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    lifecycle: str | Lifecycle = Lifecycle.IMMEDIATE,
    strict_memberships: bool = False,
    quotas: dict[str, float] | None = None,
) -> CleanRoomsMLMock: ...


def mock_cleanroomsml(
    func: Any = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    lifecycle: str | Lifecycle = Lifecycle.IMMEDIATE,
    strict_memberships: bool = False,
    quotas: dict[str, float] | None = None,
) -> Any:
    """Mock AWS Clean Rooms ML: ``@mock_cleanroomsml``, ``with mock_cleanroomsml() as m``,
    or ``m = mock_cleanroomsml(); m.start(); ...; m.stop()``."""
    handle = CleanRoomsMLMock(
        account_id=account_id,
        lifecycle=lifecycle,
        strict_memberships=strict_memberships,
        quotas=quotas,
    )
    if func is None:
        return handle
    return handle(func)


__all__ = ["CleanRoomsMLMock", "ServiceError", "mock_cleanroomsml"]
