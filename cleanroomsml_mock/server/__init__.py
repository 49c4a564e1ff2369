"""Server mode: the mock over HTTP, for the AWS CLI, other SDKs and other processes
(docs/server.md).

A threaded werkzeug server in front of the very same ``dispatch()`` the in-process mock
uses, speaking the service's real wire protocol (rest-json). One module per job:

- app.py: the WSGI application (``MockServerApp``): API requests to ``dispatch()``, the
  request body, saving the state file;
- control.py: the ``/_mock/`` control endpoints, a werkzeug ``Map`` whose rules call the
  test controls of controls.py;
- serving.py: the HTTP server with keep-alive, ``ThreadedServer``, ``build_server`` and
  ``run`` (``cleanroomsml-mock serve``);
- answers.py: the server's own JSON answers (errors, and the 500 of a bug of the mock).
"""

from __future__ import annotations

from ..state import StateFileError
from .app import MAX_BODY_BYTES, MAX_CALLS, MockServerApp
from .serving import ThreadedServer, build_server, run, serve_in_thread

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CALLS",
    "MockServerApp",
    "StateFileError",
    "ThreadedServer",
    "build_server",
    "run",
    "serve_in_thread",
]
