"""Which mock is active: the one place that knows.

Started handles form a stack (``start`` pushes, ``stop`` removes). When it goes from
empty to one, a new ``World`` is made and the hooks go in; when it goes back to empty,
they come out. Nested handles share the world; the innermost supplies the options
(default account, lifecycle mode). It is process-global, not thread-local: any thread's
clients see the active mock.

Everything that intercepts a request asks ``world()`` on each request: the botocore
handlers and ``Endpoint``/``RequestSigner``/aiobotocore patches (interceptor.py) and the
raw-``requests`` mock (raw_requests.py). Those two modules also say, with ``add_hook``
when they are imported, how their hooks go in and out; the fake-credential environment
is a hook of this module. Hooks go in in the order they were added, and out in reverse.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from .config import MockConfig
from .world import World

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "FOOBARKEY",
    "AWS_SECRET_ACCESS_KEY": "FOOBARSECRET",
    "AWS_DEFAULT_REGION": "us-east-1",
}

_stack: list[tuple[object, MockConfig]] = []  # (handle, its options), innermost last
_lock = threading.RLock()
_world: World | None = None
_hooks: list[tuple[Callable[[], None], Callable[[], None]]] = []
_saved_env: dict[str, str | None] = {}


def world() -> World | None:
    """The world of the active mock, or None (read on every intercepted call)."""
    return _world


def handles() -> list[object]:
    """The active handles, innermost last."""
    with _lock:
        return [entry for entry, _ in _stack]


def is_active(handle: object) -> bool:
    """Whether ``handle`` is started and not yet stopped."""
    return any(entry is handle for entry, _ in _stack)


def start(handle: object, config: MockConfig) -> World:
    """Push ``handle`` (with its options) and return the world it shares; starting the
    first handle makes a new world and puts the hooks in. Starting a handle that is
    already active changes nothing."""
    global _world
    with _lock:
        if is_active(handle):
            assert _world is not None
            return _world
        if not _stack:
            _world = World(config)
            for install, _ in _hooks:
                install()
        assert _world is not None
        _world.config = config
        _stack.append((handle, config))
        return _world


def stop(handle: object) -> None:
    """Remove ``handle``; the next innermost handle's options apply again, and stopping the
    last one takes the hooks out. Stopping a handle that is not active does nothing."""
    global _world
    with _lock:
        for index, (entry, _) in enumerate(_stack):
            if entry is handle:
                del _stack[index]
                break
        else:
            return
        if _stack:
            assert _world is not None
            _world.config = _stack[-1][1]
            return
        _world = None
        for _, uninstall in reversed(_hooks):
            uninstall()


def add_hook(install: Callable[[], None], uninstall: Callable[[], None]) -> None:
    """Call ``install`` whenever the first mock starts and ``uninstall`` whenever the last
    one stops (at once if a mock is active now)."""
    with _lock:
        _hooks.append((install, uninstall))
        if _stack:
            install()


# ---------------------------------------------------------------- the environment


def _patch_env() -> None:
    """Fake credentials (and a default region) in the environment, only where none are set,
    so that a client made inside the mock never looks further for them."""
    _saved_env.clear()
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        keys = ["AWS_DEFAULT_REGION"]
    else:
        keys = list(_FAKE_ENV)
    for key in keys:
        if key == "AWS_DEFAULT_REGION" and (os.environ.get(key) or os.environ.get("AWS_REGION")):
            continue
        _saved_env[key] = os.environ.get(key)
        os.environ[key] = _FAKE_ENV[key]


def _restore_env() -> None:
    for key, value in _saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _saved_env.clear()


add_hook(_patch_env, _restore_env)

__all__ = ["add_hook", "is_active", "start", "stop", "world"]
