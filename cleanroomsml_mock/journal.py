"""The server's state file and its journal (docs/server.md, "State files").

``PATH`` holds a full snapshot (state.py, version 2); ``PATH.journal`` next to it holds
what changed since, one JSON line per acknowledged call that changed something: the
records stored or changed (in full), the ARNs removed, the backends created and, when
they changed, the options and memberships. The first line names the snapshot it follows
(``id``); each entry has a sequence number, and the snapshot says up to which entry it
already includes (``seq``).

- After each call, the changes noted (changes.py) are encoded under the world's lock,
  then appended and fsynced outside it, before the response is sent: a kill -9 at any
  moment loses nothing that was acknowledged. A torn last line was never acknowledged.
- When the journal outgrows the snapshot (or the world was reset or replaced), a new
  snapshot is written atomically (temporary file, fsync, rename, fsync of the directory)
  and the journal starts again.
- At start, the snapshot and the journal are validated completely before anything is
  touched; then the journal is rewritten without a torn tail (or started afresh if it
  belonged to another snapshot), and temporary files a killed server left are removed.
  The state file itself is not rewritten.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import changes
from .state import (
    StateFileError,
    _encode_record,
    _encode_world,
    build,
    dump_world,
    fsync_directory,
    journal_header,
    journal_path,
    no_collection,
    read_loaded,
    serialise,
    write_atomically,
)

if TYPE_CHECKING:
    from .world import World

# the journal is folded into the snapshot once it is larger than this, or than the
# snapshot itself, whichever is larger
MIN_COMPACT_BYTES = 1 << 20


class Journal:
    """The state file of a server: loaded (or created) by ``open``, appended to by
    ``commit`` after each call, folded into a new snapshot by ``compact``."""

    def __init__(self, world: World, path: Path) -> None:
        self.world = world
        self.path = path
        self.journal = journal_path(path)
        self._io = threading.Lock()  # taken under the world lock: entries stay in order
        self._sink: dict[tuple[Any, Any], None] | None = None
        self._fd: int | None = None
        self._id = ""
        self._seq = 0
        self._bytes = 0
        self._snapshot_bytes = 0
        self._backends: list[Any] = []
        self._fingerprint: Any = None

    # ------------------------------------------------------------ start and stop

    def open(self) -> None:
        """Load the state file into the world (if it exists; else write it), clean what a
        killed server left, and start journaling. StateFileError if the file is not a
        valid state file or cannot be written; the file is then left as it was."""
        world = self.world
        try:
            mode = os.stat(self.path).st_mode & 0o7777
            exists = True
        except FileNotFoundError:
            exists = False
        except OSError as exc:
            raise StateFileError(f"cannot read state file {self.path}: {exc.strerror}") from None
        if exists:
            with no_collection(keep=True):
                loaded = read_loaded(self.path)
                build(world, loaded.document, loaded.backends)
            self._id, self._seq = loaded.journal_id, loaded.seq
            entries = loaded.entries
            self._snapshot_bytes = os.stat(self.path).st_size
        else:
            with world.lock:
                document = dump_world(world, copy=False)
                payload = serialise(document, repeats=True)
            self._id, self._seq = document["journal"]["id"], 0
            entries = []
            self._write(self.path, payload)
            mode = os.stat(self.path).st_mode & 0o7777
            self._snapshot_bytes = len(payload)
        body = journal_header(self._id) + b"".join(line + b"\n" for line in entries)
        self._write(self.journal, body, mode)
        self._clean()
        self._bytes = len(body)
        self._fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND)
        with world.lock:
            self._sink = changes.open_sink()
            self._remember()

    def close(self) -> None:
        """Fold the journal into the state file and remove it (a stopped server leaves one
        file)."""
        if self._fd is None:
            return
        try:
            self.commit(compact=True)
        finally:
            if self._sink is not None:
                changes.close_sink(self._sink)
                self._sink = None
            os.close(self._fd)
            self._fd = None
        self.journal.unlink(missing_ok=True)
        fsync_directory(self.journal.parent)

    def _write(self, target: Path, payload: bytes, mode: int | None = None) -> None:
        try:
            write_atomically(target, payload, mode)
        except OSError as exc:
            raise StateFileError(f"cannot write {target}: {exc.strerror or exc}") from None

    def _clean(self) -> None:
        """Remove the temporary files a server killed while writing left behind."""
        directory = self.path.parent if str(self.path.parent) else Path(".")
        for prefix in (f".{self.path.name}.", f".{self.journal.name}."):
            for leftover in directory.glob(f"{_glob_escape(prefix)}*.tmp"):
                rest = leftover.name[len(prefix) :]
                if rest.count(".") == 2:  # pid.token.tmp: the name write_atomically gives
                    try:
                        leftover.unlink()
                    except OSError:
                        pass

    def _remember(self) -> None:
        world = self.world
        self._backends = list(world.backends.values())
        self._fingerprint = self._world_fingerprint()

    def _world_fingerprint(self) -> Any:
        world = self.world
        config = world.config
        return (
            id(world.memberships),
            len(world.memberships.by_id),
            config.account_id,
            config.lifecycle,
            config.strict_memberships,
            tuple(config.quotas.items()),
            tuple(config.durations.items()),
            world.clock.offset,
        )

    # ------------------------------------------------------------ after each call

    def commit(self, *, control: bool = False, compact: bool = False) -> None:
        """Append what changed since the last commit and fsync it (a new snapshot instead,
        if the journal has grown past it, the world was reset or ``compact``)."""
        sink = self._sink
        if sink is None or self._fd is None:
            return
        world = self.world
        with world.lock:
            noted = list(sink)
            sink.clear()
            current = list(world.backends.values())
            known = self._backends
            replaced = len(current) < len(known) or any(
                a is not b for a, b in zip(current, known, strict=False)
            )
            fingerprint = self._world_fingerprint()
            replaced = replaced or fingerprint[0] != self._fingerprint[0]
            limit = max(MIN_COMPACT_BYTES, self._snapshot_bytes)
            if compact or replaced or self._bytes > limit:
                with no_collection():
                    document = dump_world(world, {"id": self._id, "seq": self._seq}, copy=False)
                    payload = serialise(document, repeats=True)
                self._remember()
                self._io.acquire()
                snapshot = True
            else:
                entry = self._entry(noted, current[len(known) :], control, fingerprint)
                if entry is None:
                    return
                self._seq += 1
                entry["seq"] = self._seq
                payload = serialise(entry) + b"\n"
                self._backends = current
                self._fingerprint = fingerprint
                self._io.acquire()
                snapshot = False
        try:
            fd = self._fd  # read under the I/O lock: a compaction before us reopened it
            if fd is None:
                return
            if snapshot:
                self._write(self.path, payload)
                self._snapshot_bytes = len(payload)
                header = journal_header(self._id)
                self._write(self.journal, header)
                os.close(fd)
                self._fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND)
                self._bytes = len(header)
            else:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                self._bytes += len(payload)
        finally:
            self._io.release()

    def _entry(
        self, noted: list[tuple[Any, Any]], new: list[Any], control: bool, fingerprint: Any
    ) -> dict[str, Any] | None:
        world = self.world
        targets: dict[tuple[str, str, str], Any] = {}
        for record, backend in noted:
            arn = record.arn
            if backend is not None:
                holder = world.backends.get((backend.account_id, backend.region))
                if holder is None or holder is not backend:
                    continue  # another world's, or a backend since dropped
                targets[(holder.account_id, holder.region, arn)] = holder.records.get(arn)
                continue
            found = world.find(arn)
            if found is None:
                continue  # gone (its removal was noted with its backend), or not ours
            owner, stored = found
            if stored is record or record in getattr(stored, "versions", ()):
                targets[(owner.account_id, owner.region, arn)] = stored
        upsert = []
        delete = []
        for (account, region, arn), stored in targets.items():
            if stored is None:
                delete.append([account, region, arn])
            else:
                # serialised before the lock is released: no copies
                upsert.append([account, region, _encode_record(stored, arn, copy=False)])
        section = None
        if control or fingerprint != self._fingerprint:
            section = _encode_world(world)
        backends = [[b.account_id, b.region] for b in new]
        if not (upsert or delete or backends or section):
            return None
        return {
            "seq": 0,
            "backends": backends,
            "upsert": upsert,
            "delete": delete,
            "world": section,
        }


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)
