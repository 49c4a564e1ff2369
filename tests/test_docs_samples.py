"""Every Python sample in README.md and docs/*.md runs as written, so the documentation
stays true.

What is collected: every fenced code block (backtick or tilde fences) whose info string
starts with ``python`` or ``py``, in README.md and docs/*.md. Each block is one test, with
the id ``<file>:<line of its opening fence>``. Other blocks (``bash``, ``console``, ``js``,
plain fences) are never run.

How a page runs: like the cells of a notebook. A page's Python blocks run top to bottom in
one namespace, so a block may use the names (imports, constants, helpers) that blocks
above it on the same page define; nothing is shared between pages. The test of a block
runs, in a fresh namespace, the page's blocks from the first one down to its own, so each
test stands alone and the order the tests run in does not matter. Only the tested
block's own tests (below) are run; the blocks above it contribute their top-level code.

- Top-level code is executed with ``exec``, compiled under the markdown file's path and
  line numbers, so a traceback points at the line of the page that failed.
- Then the tests the block defines are called: each top-level ``test*`` function
  (``async def`` ones through ``asyncio.run``), and each ``unittest.TestCase`` subclass
  through unittest's runner, which must report success.
- A block written as pytest code, that is one that defines tests and a
  ``@pytest.fixture``, a ``test*`` function taking arguments (fixtures such as
  ``cleanroomsml_client``) or a ``Test*`` class that is not a ``TestCase``, is instead
  written as a test module (the page's blocks above it, then the block) and run in process
  by pytest through ``pytester``, with the package's pytest plugin loaded as it is for any
  user. Only the block's own tests are selected; nothing may fail or error, and at least
  as many tests as the block defines must pass (if they skip themselves, so does the
  sample). A block that only defines fixtures (a ``conftest.py`` sample) runs like any
  other block; the tests of a later block on the page use its fixtures.

The environment of every sample: the working directory is a fresh temporary directory
(samples may write files, such as a state file); every ``AWS_*`` variable is removed and
the AWS config and credentials files point at files that do not exist, so a sample runs as
on a machine with no AWS set-up; the network guard of conftest.py is active, so a sample
can reach loopback servers only. After the sample, no mock may still be active: a sample
that starts a mock also stops it (any left running is stopped and the test fails). Servers
(``ThreadedServer``) a sample leaves in its namespace are stopped.

A sample that imports an optional client that is not installed (aiobotocore, awscli,
moto, requests: all in the ``test`` extra) is skipped.

Blocks that cannot run: prefer making a sample runnable. A block that really cannot (a
fragment meant to be read, not run) is marked, visibly in the markdown source, by an
HTML comment on the line just before its opening fence::

    <!-- not-run: the reason it does not run -->

It is still collected and reported as skipped with that reason, and later blocks of the
page do not see its names. The reason is required, and a marker that is not directly
followed by a Python fence is an error, so markers cannot go stale silently.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import io
import os
import re
import textwrap
import unittest
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cleanroomsml_mock import active
from cleanroomsml_mock.server import ThreadedServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON_INFO = ("python", "py")
OPTIONAL_MODULES = ("aiobotocore", "awscli", "moto", "requests")

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    source: str  # dedented, as it would be pasted into a file
    not_run: str | None  # the reason of a not-run marker, or None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def parse_blocks(path: Path, text: str) -> list[Block]:
    """The Python blocks of one markdown page, in page order (see the module docstring)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending_marker: tuple[int, str] | None = None
    i = 0
    while i < len(lines):
        marker = _NOT_RUN.match(lines[i])
        if marker:
            reason = marker["reason"].strip()
            if not reason:
                raise ValueError(f"{path}:{i + 1}: a not-run marker needs a reason")
            pending_marker = (i, reason)
            i += 1
            continue
        opening = _FENCE.match(lines[i])
        if not opening:
            if pending_marker is not None:
                raise ValueError(
                    f"{path}:{pending_marker[0] + 1}: a not-run marker must be directly "
                    "followed by a Python fence"
                )
            i += 1
            continue
        fence, info = opening["fence"], opening["info"]
        end = i + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if (
                closing
                and not closing["info"]
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
            ):
                break
            end += 1
        language = info.split()[0].lower() if info else ""
        is_python = language in PYTHON_INFO
        if pending_marker is not None and not (is_python and pending_marker[0] == i - 1):
            raise ValueError(
                f"{path}:{pending_marker[0] + 1}: a not-run marker must be directly "
                "followed by a Python fence"
            )
        if is_python:
            # a fence indented by n spaces takes up to n spaces off each of its lines
            unindent = re.compile(f"^ {{0,{len(opening['indent'])}}}")
            body = "\n".join(unindent.sub("", line) for line in lines[i + 1 : end])
            blocks.append(
                Block(
                    path=path,
                    line=i + 1,
                    source=textwrap.dedent(body) + "\n",
                    not_run=pending_marker[1] if pending_marker else None,
                )
            )
        pending_marker = None
        i = end + 1
    if pending_marker is not None:
        raise ValueError(
            f"{path}:{pending_marker[0] + 1}: a not-run marker must be directly "
            "followed by a Python fence"
        )
    return blocks


def collect() -> list[tuple[Block, list[Block]]]:
    """Every block with the runnable blocks above it on its page."""
    collected = []
    for path in PAGES:
        page = parse_blocks(path, path.read_text(encoding="utf-8"))
        for index, block in enumerate(page):
            above = [b for b in page[:index] if b.not_run is None]
            collected.append((block, above))
    return collected


SAMPLES = collect()


# ---------------------------------------------------------------- running one block


def compile_block(block: Block) -> Any:
    # blank lines in front keep the markdown's line numbers in tracebacks
    return compile("\n" * block.line + block.source, str(block.path), "exec")


def _is_fixture_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
        isinstance(target, ast.Name) and target.id == "fixture"
    )


def _is_testcase(node: ast.ClassDef) -> bool:
    return any(ast.unparse(base).endswith("TestCase") for base in node.bases)


def defined_tests(block: Block) -> tuple[list[str], bool]:
    """The names of the tests a block defines at top level, and whether it is pytest code
    (a fixture, a test function taking arguments, or a plain ``Test*`` class)."""
    names: list[str] = []
    needs_pytest = False
    for node in ast.parse(block.source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_is_fixture_decorator(d) for d in node.decorator_list):
                needs_pytest = True
            if node.name.startswith("test"):
                names.append(node.name)
                arguments = node.args
                if arguments.posonlyargs or arguments.args or arguments.kwonlyargs:
                    needs_pytest = True
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.append(node.name)
            if not _is_testcase(node):
                needs_pytest = True
    return names, needs_pytest


def missing_optional_modules(blocks: list[Block]) -> list[str]:
    missing = set()
    for block in blocks:
        for node in ast.walk(ast.parse(block.source)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in OPTIONAL_MODULES and importlib.util.find_spec(top) is None:
                    missing.add(top)
    return sorted(missing)


def run_unittest_case(case: type[unittest.TestCase]) -> None:
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    assert result.wasSuccessful(), stream.getvalue()


def run_in_namespace(block: Block, above: list[Block], namespace: dict[str, Any]) -> None:
    for earlier in above:
        exec(compile_block(earlier), namespace)
    exec(compile_block(block), namespace)
    names, _ = defined_tests(block)
    for name in names:
        test = namespace[name]
        if inspect.isclass(test):
            assert issubclass(test, unittest.TestCase)
            run_unittest_case(test)
        elif inspect.iscoroutinefunction(test):
            asyncio.run(test())
        else:
            test()


def run_with_pytester(block: Block, above: list[Block], pytester: pytest.Pytester) -> None:
    names, _ = defined_tests(block)
    module = "\n\n".join(b.source for b in [*above, block])
    name = "test_" + block.path.stem.replace("-", "_")
    pytester.makepyfile(**{name: module})
    # only the block's own tests run; the blocks above only contribute their definitions
    result = pytester.runpytest_inprocess(
        *[f"{name}.py::{test}" for test in names],
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    outcomes = result.parseoutcomes()
    output = result.stdout.str()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, output
    if outcomes.get("passed", 0) < len(names) and outcomes.get("skipped", 0):
        pytest.skip(f"a test of the sample skipped itself:\n{output}")
    assert outcomes.get("passed", 0) >= len(names), output


def stop_leftovers(namespace: dict[str, Any]) -> list[Any]:
    """Stop the servers a sample left in its namespace and every mock still active; return
    the mocks that were."""
    for value in namespace.values():
        if isinstance(value, ThreadedServer):
            value.stop()
    leaked = active.handles()  # innermost last
    for handle in reversed(leaked):
        handle.stop()
    return leaked


@pytest.fixture
def sample_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A clean working directory and AWS environment; afterwards, no mock left active."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    namespace: dict[str, Any] = {"__name__": "__docs_sample__"}
    yield namespace
    assert not stop_leftovers(namespace), "the sample left a mock active; stop it (or use `with`)"


@pytest.mark.parametrize(("block", "above"), SAMPLES, ids=[block.id for block, _ in SAMPLES])
def test_sample_runs(
    block: Block,
    above: list[Block],
    sample_namespace: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    if block.not_run is not None:
        pytest.skip(f"not-run: {block.not_run}")
    missing = missing_optional_modules([*above, block])
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    names, needs_pytest = defined_tests(block)
    if needs_pytest and names:
        run_with_pytester(block, above, request.getfixturevalue("pytester"))
    else:
        run_in_namespace(block, above, sample_namespace)


# ---------------------------------------------------------------- the collector itself


def test_every_page_with_python_is_collected() -> None:
    pages = {block.path for block, _ in SAMPLES}
    assert ROOT / "README.md" in pages
    for path in PAGES:
        if re.search(r"^ {0,3}(```|~~~)\s*py", path.read_text(encoding="utf-8"), re.M):
            assert path in pages, path


def test_parser_fences_markers_and_line_numbers() -> None:
    text = textwrap.dedent(
        """\
        # Page

        ```python
        a = 1
        ```

        ```bash
        echo not python
        ```

        <!-- not-run: reads a file the reader has -->
        ~~~py title="x"
        b = open("mine").read()
        ~~~

          ````python
          c = '''
          ```
         '''
          ````
        """
    )
    blocks = parse_blocks(ROOT / "page.md", text)
    assert [(b.line, b.not_run) for b in blocks] == [
        (3, None),
        (12, "reads a file the reader has"),
        (16, None),
    ]
    assert blocks[0].source == "a = 1\n"
    assert blocks[2].source == "c = '''\n```\n'''\n"  # the 1-space line loses what it has


@pytest.mark.parametrize(
    "text",
    [
        "<!-- not-run: -->\n```python\nx = 1\n```\n",
        "<!-- not-run: why -->\n\n```python\nx = 1\n```\n",
        "<!-- not-run: why -->\n```bash\necho\n```\n",
        "<!-- not-run: why -->\n",
    ],
    ids=["no reason", "not directly before", "not python", "no fence"],
)
def test_parser_refuses_bad_markers(text: str) -> None:
    with pytest.raises(ValueError, match="not-run marker"):
        parse_blocks(ROOT / "page.md", text)


def test_pytest_blocks_are_recognised() -> None:
    def kind(source: str) -> tuple[list[str], bool]:
        return defined_tests(Block(ROOT / "p.md", 1, textwrap.dedent(source), None))

    assert kind("def test_a(): ...\nasync def test_b(): ...") == (["test_a", "test_b"], False)
    assert kind("def test_a(cleanroomsml_client): ...") == (["test_a"], True)
    assert kind("@pytest.fixture(scope='session')\ndef server(): ...") == ([], True)
    assert kind("class TestA(unittest.TestCase): ...") == (["TestA"], False)
    assert kind("class TestA: ...") == (["TestA"], True)


# ---------------------------------------------------------------- the runner catches failures


def _block(source: str) -> Block:
    return Block(ROOT / "page.md", 1, textwrap.dedent(source), None)


@pytest.mark.parametrize(
    "source",
    [
        "assert False\n",
        "def test_sync():\n    assert False\n",
        "async def test_async():\n    assert False\n",
        "import unittest\nclass TestCase(unittest.TestCase):\n    def test_a(self):\n"
        "        self.fail()\n",
    ],
    ids=["top level", "sync test", "async test", "unittest case"],
)
def test_a_failing_sample_fails(source: str) -> None:
    with pytest.raises(AssertionError):
        run_in_namespace(_block(source), [], {})


def test_pytest_samples_run_only_their_own_tests(pytester: pytest.Pytester) -> None:
    above = _block("X = 1\ndef test_earlier():\n    assert False\n")
    run_with_pytester(
        _block("def test_x(cleanroomsml_client):\n    assert X == 1\n"), [above], pytester
    )
    failing = _block("def test_failing(cleanroomsml_client):\n    assert X + 1 == 3\n")
    with pytest.raises(AssertionError, match=r"assert \(1 \+ 1\) == 3"):
        run_with_pytester(failing, [above], pytester)


def test_a_mock_left_active_is_found_and_stopped() -> None:
    namespace: dict[str, Any] = {}
    run_in_namespace(
        _block(
            "from cleanroomsml_mock import mock_cleanroomsml\nm = mock_cleanroomsml().start()\n"
        ),
        [],
        namespace,
    )
    assert stop_leftovers(namespace) == [namespace["m"]]
    assert active.world() is None
