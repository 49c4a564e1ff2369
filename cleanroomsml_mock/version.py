"""The version of cleanroomsml-mock (``cleanroomsml_mock.__version__``), for the modules
that print it (cli.py, the server's health endpoint) without importing the package root."""

from __future__ import annotations


def installed_version() -> str:
    """The installed distribution's version: pyproject.toml is its one source."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cleanroomsml-mock")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "0+unknown"
