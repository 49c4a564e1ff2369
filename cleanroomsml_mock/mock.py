"""``mock_cleanroomsml`` and its handle: start/stop, nesting and the decorator forms. The
handle's test controls (``m.reset()``, ``m.set_status(...)``...) are written in controls.py.

Which mock is active, the world the active handles share and the hooks that go in while
one is, are kept by active.py; a handle pushes itself there on ``start`` and removes
itself on ``stop``.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from . import active as active_mocks
from . import interceptor, raw_requests  # noqa: F401  (imported for their hooks: active.py)
from .config import DEFAULT_ACCOUNT_ID, MockConfig
from .controls import Controls
from .errors import ServiceError
from .lifecycle import Lifecycle, check_durations
from .moto_link import require_active
from .quotas import quota_value
from .types import LifecycleName
from .world import World

if TYPE_CHECKING:
    import unittest

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class CleanRoomsMLMock(Controls):
    """The handle of a mock: decorator, context manager, and test controls (``Controls``)."""

    def __init__(
        self,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        lifecycle: LifecycleName | Lifecycle = Lifecycle.IMMEDIATE,
        strict_memberships: bool = False,
        quotas: dict[str, float] | None = None,
        max_calls: int | None = None,
        durations: Mapping[str, float] | None = None,
        use_moto: bool | None = None,
    ) -> None:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        if max_calls is not None and (isinstance(max_calls, bool) or max_calls < 0):
            raise ValueError(f"max_calls must be a number of calls >= 0, got {max_calls!r}")
        if use_moto is not None and not isinstance(use_moto, bool):
            raise ValueError(f"use_moto must be None, True or False, got {use_moto!r}")
        self.config = MockConfig(
            account_id=account_id,
            lifecycle=Lifecycle(lifecycle),
            strict_memberships=strict_memberships,
            quotas=dict(quotas or {}),
            max_calls=max_calls,
            durations=check_durations(durations),
            use_moto=use_moto,
        )
        for name in self.config.quotas:
            quota_value({}, name)  # unknown quota names fail here, not at first use
        self._world: World | None = None

    # ------------------------------------------------------------ lifecycle of the mock

    @property
    def active(self) -> bool:
        return active_mocks.is_active(self)

    def start(self) -> CleanRoomsMLMock:
        require_active(self.config.use_moto, "mock_cleanroomsml(use_moto=True)")
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
            max_calls=self.config.max_calls,
            durations=self.config.durations,
            use_moto=self.config.use_moto,
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
        # a TestCase exists only once unittest is imported: importing this package does not
        # import it (nor argparse, difflib... which it imports)
        test_case: type[unittest.TestCase] | None = getattr(
            sys.modules.get("unittest"), "TestCase", None
        )
        if test_case is not None and issubclass(cls, test_case):
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
    # (written once, in controls.py: this handle's are those of its mock's world)

    def _require_world(self) -> World:
        if self._world is None:
            raise RuntimeError("this mock has not been started")
        return self._world

    def _quota_options(self) -> MockConfig:
        # this handle's own options: a quota set before start(), or on an outer handle
        # while an inner one is active, applies whenever this handle is the innermost
        return self.config


@overload
def mock_cleanroomsml(func: type[T]) -> type[T]: ...


@overload
def mock_cleanroomsml(func: Callable[P, R]) -> Callable[P, R]: ...


@overload
def mock_cleanroomsml(
    func: None = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    lifecycle: LifecycleName | Lifecycle = Lifecycle.IMMEDIATE,
    strict_memberships: bool = False,
    quotas: dict[str, float] | None = None,
    max_calls: int | None = None,
    durations: Mapping[str, float] | None = None,
    use_moto: bool | None = None,
) -> CleanRoomsMLMock: ...


def mock_cleanroomsml(
    func: Any = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    lifecycle: LifecycleName | Lifecycle = Lifecycle.IMMEDIATE,
    strict_memberships: bool = False,
    quotas: dict[str, float] | None = None,
    max_calls: int | None = None,
    durations: Mapping[str, float] | None = None,
    use_moto: bool | None = None,
) -> Any:
    """Mock AWS Clean Rooms ML: ``@mock_cleanroomsml``, ``with mock_cleanroomsml() as m``,
    or ``m = mock_cleanroomsml(); m.start(); ...; m.stop()``."""
    handle = CleanRoomsMLMock(
        account_id=account_id,
        lifecycle=lifecycle,
        strict_memberships=strict_memberships,
        quotas=quotas,
        max_calls=max_calls,
        durations=durations,
        use_moto=use_moto,
    )
    if func is None:
        return handle
    return handle(func)


__all__ = ["CleanRoomsMLMock", "ServiceError", "mock_cleanroomsml"]
