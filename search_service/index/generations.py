"""Index generations on disk: the live pointer, the build lock, pruning, rollback.

Layout of the index folder (see docs/index.md)::

    indexes/
      live.json                 {"live": "gen-…", "previous": ["gen-…", …]}  (atomic switch)
      build.lock                pid of the running build (held with flock)
      gen-20261125T101500123456-3fa2c1/   one complete Whoosh index + manifest.json
      building-…/               a build in progress (deleted if its build died)

A generation folder is only ever written while it is named `building-…`; it is
renamed to `gen-…` once complete and checked, then published by replacing
`live.json` in one `os.replace`. The pointer file also lists the generations that
were live before (newest first): those are the rollback targets, and anything
else in the folder is debris of a crash that the next build removes. Readers
that opened an older generation keep their open files after it is deleted
(POSIX unlink semantics), so pruning never breaks a searcher until it refreshes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from whoosh import index as whoosh_index

from search_service.child_processes import die_with_parent
from search_service.errors import (
    BuildFailedError,
    BuildInProgressError,
    DamagedGenerationError,
    DamagedPointerError,
    IndexAccessError,
    IndexNotFoundError,
    RollbackError,
)

POINTER_FILE: Final = "live.json"
LOCK_FILE: Final = "build.lock"
MANIFEST_FILE: Final = "manifest.json"
CHECKSUMS_FILE: Final = "checksums.json"
#: The identity of each index file when its checksum was last found right on this
#: machine (`record_verified`): what lets opening a generation skip reading it again.
VERIFIED_FILE: Final = "verified.json"
GENERATION_PREFIX: Final = "gen-"
#: The folder of a generation's serving view (`compiled_view`): memory-mapped files,
#: recorded and checked like the index's own.
VIEW_FOLDER: Final = "view"
BUILDING_PREFIX: Final = "building-"


@dataclass(frozen=True)
class Generation:
    """One complete generation: its folder and what its manifest says about it."""

    name: str
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def article_count(self) -> int:
        return int(self.manifest.get("article_count", 0))

    def checksums(self) -> dict[str, str]:
        """Article id -> checksum of every article in this generation."""
        data = json.loads((self.path / CHECKSUMS_FILE).read_text(encoding="utf-8"))
        return {str(key): str(value) for key, value in data.items()}


@dataclass(frozen=True)
class Pointer:
    """The content of `live.json`: the live generation and the ones live before it."""

    live: str
    previous: tuple[str, ...] = ()


# --- readers -----------------------------------------------------------------


def read_pointer(root: Path) -> str | None:
    """Name of the live generation, or None before the first publish.

    Cheap (one small file read): the service calls it often to notice new generations.
    Raises `DamagedPointerError` when `live.json` is damaged: that is not "nothing
    published" (a build would refuse, rollback repairs it). Only the service's
    reload check, which already serves a generation, takes it as "no change".
    """
    pointer = read_pointer_file(root)
    return pointer.live if pointer else None


def read_pointer_file(root: Path) -> Pointer | None:
    """The pointer, or None when there is none (nothing published, or no index folder).

    Raises `DamagedPointerError` when `live.json` exists but is not a pointer
    (truncated, not JSON, no live generation name, unreadable): whoever deletes
    or publishes must then stop, since what is live and kept is unknown.
    `IndexAccessError` when this user may not read it (permissions: not damage).
    """
    path = Path(root) / POINTER_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError as error:
        raise IndexAccessError(path, error.strerror or str(error)) from error
    except OSError as error:
        raise DamagedPointerError(path, f"cannot be read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise DamagedPointerError(path, f"not UTF-8 text: {error.reason}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        raise DamagedPointerError(path, f"not valid JSON: {error}") from error
    live = data.get("live") if isinstance(data, dict) else None
    if not isinstance(live, str) or not live:
        raise DamagedPointerError(path, 'no "live" generation name in it')
    previous = data.get("previous", [])
    if not isinstance(previous, list) or not all(isinstance(name, str) for name in previous):
        raise DamagedPointerError(path, '"previous" is not a list of generation names')
    return Pointer(live, tuple(previous))


#: The manifest's record of the files a build wrote: name -> size and SHA-256.
FILES_KEY: Final = "files"
#: Files of a generation folder that are not the index itself (written after it,
#: or Whoosh's empty lock file).
_NOT_INDEX_FILES: Final = (MANIFEST_FILE, CHECKSUMS_FILE, VERIFIED_FILE)


def index_files(path: Path, only: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of each file of the index in a generation folder (for the manifest).

    Whoosh's files and those of the serving view (`view/arrays.bin`: a name relative
    to the folder). Read back right after they were written, so from the page cache:
    about a second per GB.
    """
    found: dict[str, dict[str, Any]] = {}
    for file in _index_file_paths(Path(path)):
        if only is not None and file.relative_to(path).as_posix() not in only:
            continue
        digest = hashlib.sha256()
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        found[file.relative_to(path).as_posix()] = {
            "size": file.stat().st_size,
            "sha256": digest.hexdigest(),
        }
    return found


def _index_file_paths(folder: Path) -> list[Path]:
    files = [file for file in sorted(folder.iterdir()) if file.name not in _NOT_INDEX_FILES]
    view = folder / VIEW_FOLDER
    if view.is_dir():
        files += sorted(view.iterdir())
    return [file for file in files if file.is_file()]


def records_view(generation: Generation) -> bool:
    """Whether the generation's build recorded the files of a serving view in its manifest."""
    recorded = generation.manifest.get(FILES_KEY)
    prefix = f"{VIEW_FOLDER}/"
    return isinstance(recorded, dict) and any(name.startswith(prefix) for name in recorded)


def damage(
    generation: Generation, *, thorough: bool = False, trust_verified: bool = False
) -> str | None:
    """What is wrong with a generation's files, or None when they are as the build wrote them.

    Sizes only (a few `stat` calls: the service checks them as often as the pointer),
    or, `thorough`, their checksums too (reads every file: about 1 ms per MB). With
    `trust_verified`, a file whose identity is the one `record_verified` noted when
    its checksum was last found right is not read again: that is what keeps opening
    a large generation in milliseconds. None as well for generations built before
    their files were recorded, and for a generation whose folder is gone (pruned,
    not damaged).
    """
    recorded = generation.manifest.get(FILES_KEY)
    if not isinstance(recorded, dict) or not generation.path.is_dir():
        return None
    for name, expected in recorded.items():
        path = generation.path / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as error:
            return f"{name} cannot be read: {error.strerror or error}"
        if size != expected.get("size"):
            return f"{name} holds {size:,} bytes, the build wrote {expected.get('size'):,}"
    if not thorough:
        return None
    unverified = set(recorded) - verified_files(generation) if trust_verified else set(recorded)
    try:
        actual_files = index_files(generation.path, only=unverified)
    except OSError as error:  # removed or unreadable while being read
        return f"{Path(error.filename or '?').name} cannot be read: {error.strerror or error}"
    for name, actual in actual_files.items():
        if actual["sha256"] != recorded[name].get("sha256"):
            return f"{name} is not what the build wrote (its checksum differs)"
    return None


def _file_identity(path: Path) -> list[int]:
    """What changes whenever a file is written, replaced or copied: device, inode, size,
    and its modification and change times (the change time cannot be set back)."""
    stat = path.stat()
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def record_verified(generation: Generation, identities: dict[str, list[int]] | None = None) -> None:
    """Note the identity of every recorded file, whose checksums were found right.

    `identities` as taken before the checksums were read (so a file written while
    being read is read again next time); taken now when not given. Best effort: a
    replica whose index folder is read-only reads the checksums at every opening.
    """
    recorded = generation.manifest.get(FILES_KEY)
    if not isinstance(recorded, dict):
        return
    try:
        if identities is None:
            identities = {name: _file_identity(generation.path / name) for name in recorded}
        write_json_durably(generation.path / VERIFIED_FILE, identities)
    except OSError:
        pass


def damage_before_serving(generation: Generation) -> str | None:
    """`damage` with the checksums of every file not verified on this machine yet.

    The build notes its files as verified, so a generation opened where it was built
    reads none; one copied here (new inodes) or written since is read once, then noted.
    """
    recorded = generation.manifest.get(FILES_KEY)
    if not isinstance(recorded, dict):
        return damage(generation)
    unverified = set(recorded) - verified_files(generation)
    if not unverified:
        return damage(generation)
    try:
        identities = {name: _file_identity(generation.path / name) for name in recorded}
    except OSError:
        identities = None
    found = damage(generation, thorough=True, trust_verified=True)
    if found is None and identities is not None:
        record_verified(generation, identities)
    return found


def verified_files(generation: Generation) -> set[str]:
    """The files not written, replaced or copied since `record_verified` noted them."""
    try:
        noted = json.loads((generation.path / VERIFIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(noted, dict):
        return set()
    found: set[str] = set()
    for name, identity in noted.items():
        with contextlib.suppress(OSError):
            if identity == _file_identity(generation.path / name):
                found.add(name)
    return found


def load_generation(root: Path, name: str) -> Generation | None:
    """The generation called `name`, or None if its folder or manifest is gone."""
    path = Path(root) / name
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Generation(name=name, path=path, manifest=manifest)


def live_generation(root: Path) -> Generation | None:
    """The live generation (name, folder, manifest), or None before the first publish.

    Raises `DamagedPointerError` if the pointer is damaged.
    """
    name = read_pointer(root)
    return load_generation(root, name) if name else None


def previous_generations(root: Path) -> list[Generation]:
    """Generations that were live before the current one, newest first (rollback targets).

    Raises `DamagedPointerError` if the pointer is damaged.
    """
    pointer = read_pointer_file(root)
    if pointer is None:
        return []
    found = (load_generation(root, name) for name in pointer.previous)
    return [generation for generation in found if generation is not None]


def open_live_index(root: Path, attempts: int = 3) -> tuple[Generation, Any]:
    """Open the live generation's Whoosh index.

    Retries when a publish and a prune slip between reading the pointer and
    opening the folder. Raises `IndexNotFoundError` when nothing is published,
    `DamagedPointerError` when the pointer is damaged, `DamagedGenerationError`
    when the generation it names is there but cannot be read.
    """
    last_error: Exception | None = None
    for _ in range(attempts):
        name = read_pointer(root)
        if name is None:
            break
        generation = load_generation(root, name)
        try:
            if generation is None:
                raise FileNotFoundError(errno.ENOENT, "no manifest", str(Path(root) / name))
            return generation, whoosh_index.open_dir(str(generation.path))
        except (OSError, whoosh_index.EmptyIndexError) as error:
            last_error = error
            if (Path(root) / name).is_dir() and read_pointer(root) == name:
                raise damaged_generation(root, name, error) from error
        except Exception as error:  # a truncated or garbled file: unpickling, struct, zlib…
            raise damaged_generation(root, name, error) from error
    detail = f" ({last_error})" if last_error else ""
    raise IndexNotFoundError(f"no index has been built in {root} yet{detail}")


def damaged_generation(root: Path, name: str, error: BaseException) -> DamagedGenerationError:
    """The error for a live generation that failed to be read, saying what is wrong with it."""
    generation = load_generation(root, name)
    found = damage(generation, thorough=True) if generation is not None else None
    if generation is None:
        found = f"its {MANIFEST_FILE} is missing or unreadable"
    return DamagedGenerationError(
        name, found or f"it cannot be read: {type(error).__name__}: {error}"
    )


# --- writers (only ever called by a build holding the lock, or by rollback) --


def new_generation_name(now: dt.datetime | None = None) -> str:
    """`gen-<UTC time to the microsecond>-<random>`: names sort by build time."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{GENERATION_PREFIX}{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


def building_path(root: Path, name: str) -> Path:
    """Where the generation `name` is written before it is complete."""
    return Path(root) / f"{BUILDING_PREFIX}{name}"


def write_json_durably(path: Path, data: Any) -> None:
    """Write a JSON file durably (`write_bytes_durably`)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    write_bytes_durably(path, text.encode("utf-8"))


def write_bytes_durably(path: Path, data: bytes) -> None:
    """Write a file via a temporary file (`.<name>.<hex>.tmp`), fsync, `os.replace`, fsync
    of the folder.

    A failed write (a full disk) removes the temporary file: the old file stays.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:  # a full disk: leave no half-written file behind
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_tree(path: Path) -> None:
    """Flush every file of a finished generation to disk before it can be published."""
    for file in path.iterdir():
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(path)


def finish_generation(root: Path, name: str) -> Generation:
    """Rename a complete, checked `building-…` folder to its final `gen-…` name."""
    final = Path(root) / name
    fsync_tree(building_path(root, name))
    os.replace(building_path(root, name), final)
    fsync_dir(Path(root))
    generation = load_generation(root, name)
    if generation is None:
        raise OSError(errno.ENOENT, "generation vanished after it was finished", str(final))
    return generation


def publish(root: Path, name: str, keep: int) -> list[str]:
    """Make `name` live (atomically) and prune; returns the names pruned."""
    pointer = read_pointer_file(root)
    previous: list[str] = []
    if pointer is not None and pointer.live != name:
        previous = [pointer.live, *(n for n in pointer.previous if n != name)]
    previous = previous[: max(keep - 1, 0)]
    write_json_durably(Path(root) / POINTER_FILE, {"live": name, "previous": previous})
    return remove_unreferenced(root)


@dataclass(frozen=True)
class Rollback:
    """What a rollback did: the generation now live, and the one it replaced.

    `left` is None when the pointer was damaged (`damaged` says how): then the
    newest complete generation on disk was republished, since which one was
    live is unknown.
    """

    target: Generation
    left: str | None
    damaged: DamagedPointerError | None = None


def rollback(root: Path) -> Rollback:
    """Republish the generation live before the current one.

    The generation rolled back from stays on disk (not referenced any more) until
    the next build cleans the folder, so searchers still on it are unaffected.
    A damaged pointer is repaired instead (`republish_newest`).
    """
    try:
        pointer = read_pointer_file(root)
    except DamagedPointerError as damaged:
        return Rollback(republish_newest(root, damaged), None, damaged)
    if pointer is None:
        raise RollbackError(f"no index has been published in {root}: nothing to roll back")
    for position, name in enumerate(pointer.previous):
        target = load_generation(root, name)
        if target is not None:
            remaining = list(pointer.previous[position + 1 :])
            write_json_durably(Path(root) / POINTER_FILE, {"live": name, "previous": remaining})
            return Rollback(target, pointer.live)
    raise RollbackError(f"generation {pointer.live} is the only one kept: nothing to roll back to")


def complete_generations(root: Path) -> list[Generation]:
    """Every complete generation folder on disk (manifest and Whoosh index), newest first.

    What is there whatever the pointer says: `index status` lists them when the
    pointer is damaged, and rollback then republishes the newest. A generation
    whose index does not open (a damaged table of contents) is not complete.
    """
    found: list[Generation] = []
    try:
        entries = sorted(Path(root).iterdir(), key=lambda path: path.name, reverse=True)
    except (FileNotFoundError, NotADirectoryError):
        return found
    except PermissionError as error:
        raise IndexAccessError(root, error.strerror or str(error)) from error
    for entry in entries:
        if not (entry.name.startswith(GENERATION_PREFIX) and entry.is_dir()):
            continue
        generation = load_generation(root, entry.name)
        if generation is not None and _readable_index(entry):
            found.append(generation)
    return found


def _readable_index(path: Path) -> bool:
    """Whether Whoosh finds a readable index in `path` (a garbled one is not complete)."""
    try:
        return bool(whoosh_index.exists_in(str(path)))
    except Exception:  # a truncated table of contents: unpickling, struct…
        return False


def republish_newest(root: Path, damaged: DamagedPointerError) -> Generation:
    """Replace a damaged pointer: the newest complete generation becomes live, the
    other complete ones its rollback targets (the next build prunes them to `keep`).

    Deletes nothing. `RollbackError` when no complete generation is on disk.
    """
    candidates = complete_generations(root)
    if not candidates:
        raise RollbackError(
            f"{damaged}, and no complete generation is left in {root}: nothing to roll back "
            f"to; remove {damaged.path} and run `index build`"
        )
    newest, *others = candidates
    write_json_durably(
        Path(root) / POINTER_FILE,
        {"live": newest.name, "previous": [generation.name for generation in others]},
    )
    return newest


def remove_unreferenced(root: Path) -> list[str]:
    """Delete generation folders the pointer no longer names, and builds that died.

    Only safe while holding the build lock (a `building-…` folder of a running
    build would otherwise be deleted under it). A damaged pointer raises
    `DamagedPointerError` before anything is deleted: it names nothing, and
    every generation would look unreferenced.
    """
    pointer = read_pointer_file(root)
    referenced = {pointer.live, *pointer.previous} if pointer else set()
    removed: list[str] = []
    for entry in sorted(Path(root).iterdir()):
        is_generation = entry.name.startswith((GENERATION_PREFIX, BUILDING_PREFIX))
        if entry.is_dir() and is_generation and entry.name not in referenced:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
        elif entry.is_file() and entry.name.startswith(f".{POINTER_FILE}."):
            entry.unlink(missing_ok=True)
    return removed


# --- the build lock ------------------------------------------------------------


#: Descriptors of the build locks this process holds. A forked child (Whoosh's
#: writer processes) inherits them, and a flock lives as long as any descriptor of
#: it is open: a child orphaned by a killed build would keep the lock forever.
#: Children close their copies at once, so the lock lives exactly as long as the
#: build's own process.
_HELD_LOCK_FDS: set[int] = set()


def _after_fork_of_a_build() -> None:
    """In a child forked by a build (Whoosh's writer processes): drop the lock, die with us.

    Each inherited lock descriptor is pointed at /dev/null rather than closed (the
    child's copy of the lock's file object still holds the number, and must not
    close some other file that reuses it). And the child asks the kernel to kill
    it when its parent dies: Whoosh's writer processes otherwise wait forever for
    work from a build that was killed.
    """
    if not _HELD_LOCK_FDS:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for descriptor in _HELD_LOCK_FDS:
            with contextlib.suppress(OSError):
                os.dup2(null, descriptor)
    finally:
        os.close(null)
    _HELD_LOCK_FDS.clear()
    die_with_parent(_forking_parent)


def _before_fork() -> None:
    global _forking_parent
    _forking_parent = os.getpid()


_forking_parent = os.getpid()
#: Times a build tries to lock a lock file that a failing first build keeps removing.
_LOCK_ATTEMPTS: Final = 5
os.register_at_fork(before=_before_fork, after_in_child=_after_fork_of_a_build)


@dataclass
class BuildLock:
    """Held for a whole build: `flock` on `build.lock`, which also records the pid.

    The kernel drops a `flock` when its process dies, however it dies, so a lock
    file left by a killed build never blocks the next one: the next build gets
    the lock, notes the dead pid it found (`stale_pid`) and writes its own.
    """

    root: Path
    handle: IO[str] | None = None
    stale_pid: int | None = None

    def acquire(self) -> None:
        path = Path(self.root) / LOCK_FILE
        for _ in range(_LOCK_ATTEMPTS):
            handle = self._locked(path)
            if handle is not None:
                break
            # A first build that failed removed the lock file (and maybe its folder)
            # between our open and our flock: that lock guards nothing, take a new one.
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            raise OSError(errno.EAGAIN, "the lock file keeps being replaced", str(path))
        previous = _read_pid(handle)
        if previous is not None and previous != os.getpid():
            self.stale_pid = previous
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        _HELD_LOCK_FDS.add(handle.fileno())

    def _locked(self, path: Path) -> IO[str] | None:
        """The lock file, opened and flocked; None when it was removed meanwhile."""
        try:
            handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _read_pid(handle)
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildInProgressError(
                    holder,
                    f"another build is running (pid {holder}) in {self.root}; nothing was changed",
                ) from None
            raise
        if not _is_the_file_at(handle, path):
            handle.close()
            return None
        return handle

    def release(self) -> None:
        if self.handle is None:
            return
        _HELD_LOCK_FDS.discard(self.handle.fileno())
        with contextlib.suppress(OSError):
            self.handle.seek(0)
            self.handle.truncate()
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()
        self.handle = None


def _read_pid(handle: IO[str]) -> int | None:
    handle.seek(0)
    text = handle.read().strip()
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[BuildLock]:
    """Hold the build lock of `root` (creating the folder); `BuildInProgressError` if taken.

    A folder that is a file, or that cannot be created or locked (permissions, a file
    in the way) is a `BuildFailedError` naming it, not a traceback. When nothing is published in
    `root` on the way out (a first build failed), what this call created goes
    again: the lock file, and the folders it made. A failed build leaves nothing
    where there was nothing.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise BuildFailedError(
            f"{root} is a file, not an index folder: give a folder with --index or SEARCH_INDEX_DIR"
        )
    lock = BuildLock(root)
    created = _missing_folders(root)
    new_lock_file = not (root / LOCK_FILE).exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError as error:
        _remove_unless_published(root, created, new_lock_file=False)
        raise BuildFailedError(
            f"cannot use the index folder {root}: {error.strerror or error}"
        ) from error
    except BaseException:
        _remove_unless_published(root, created, new_lock_file=False)
        raise
    try:
        yield lock
    finally:
        try:
            _remove_unless_published(root, created, new_lock_file=new_lock_file)
        finally:
            lock.release()


def _missing_folders(root: Path) -> list[Path]:
    """`root` and its parents that do not exist yet, deepest first."""
    missing: list[Path] = []
    for folder in (root, *root.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_unless_published(root: Path, created: list[Path], *, new_lock_file: bool) -> None:
    """Remove the lock file and folders a build created when nothing is published in `root`.

    Called while the lock is still held: a build starting meanwhile either fails
    to lock the file or notices it is gone (`_is_the_file_at`) and takes a new one.
    Folders are only removed when empty.
    """
    if (root / POINTER_FILE).exists():
        return
    if new_lock_file:
        with contextlib.suppress(OSError):
            (root / LOCK_FILE).unlink()
    for folder in created:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return


def _is_the_file_at(handle: IO[str], path: Path) -> bool:
    """Is the locked file still the one at `path` (not removed or replaced meanwhile)?"""
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(handle.fileno())
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def lock_holder(root: Path) -> int | None:
    """Pid of a build running in `root`, or None (used by `index status`)."""
    path = Path(root) / LOCK_FILE
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_pid(handle)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
