"""Named numpy arrays in one flat file with a JSON index, opened as a read-only memory map.

A generation's serving view (`compiled_view`) is a few dozen arrays. Kept in one
file, opening them is one `mmap` and one small JSON read, whatever their size;
every array is a zero-copy view of the map, so the pages are the kernel's page
cache, shared by every process that maps the file, and read only when touched.

The layout: `<name>.bin` holds the arrays one after the other, each aligned to
64 bytes; `<name>.json` holds `{"format": 1, "arrays": {name: [dtype, shape,
offset]}, ...extra}`. Both are written to temporary names, fsynced, then renamed
(the index last), so a reader never sees an index pointing into a partial file.
"""

from __future__ import annotations

import json
import mmap
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

FORMAT: Final = 1
_ALIGN: Final = 64


class FlatArraysError(ValueError):
    """The files are missing, of another format, or do not match each other."""


def write_arrays(
    folder: Path,
    name: str,
    arrays: Mapping[str, npt.NDArray[Any]],
    extra: dict[str, Any],
    *,
    durable: bool = True,
) -> None:
    """Write `arrays` (C-contiguous copies are made when needed) and their index;
    `durable=False`: without the fsyncs, for files that do not outlive the process
    that reads them (a crash loses the build they belong to anyway)."""
    folder.mkdir(parents=True, exist_ok=True)
    data_path, index_path = _paths(folder, name)
    token = secrets.token_hex(4)
    data_tmp = data_path.with_name(f".{data_path.name}.{token}.tmp")
    index_tmp = index_path.with_name(f".{index_path.name}.{token}.tmp")
    entries: dict[str, list[Any]] = {}
    with open(data_tmp, "wb") as handle:
        offset = 0
        for key, array in arrays.items():
            contiguous = np.ascontiguousarray(array)
            padding = -offset % _ALIGN
            handle.write(b"\0" * padding)
            offset += padding
            entries[key] = [contiguous.dtype.str, list(contiguous.shape), offset]
            handle.write(contiguous.reshape(-1).view(np.uint8).data)
            offset += contiguous.nbytes
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    index = {**extra, "format": FORMAT, "size": offset, "arrays": entries}
    with open(index_tmp, "w", encoding="utf-8") as handle:
        json.dump(index, handle, ensure_ascii=False, separators=(",", ":"))
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    os.replace(data_tmp, data_path)
    os.replace(index_tmp, index_path)
    if not durable:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def exists(folder: Path, name: str) -> bool:
    return all(path.is_file() for path in _paths(folder, name))


def read_extra(folder: Path, name: str) -> dict[str, Any]:
    """The index's other keys than its arrays', without mapping the arrays' file."""
    return _extra(_read_index(_paths(folder, name)[1]))


def open_arrays(folder: Path, name: str) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays (read-only views of one shared memory map) and the index's other keys."""
    data_path, index_path = _paths(folder, name)
    index = _read_index(index_path)
    try:
        with open(data_path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size != index.get("size"):
                raise FlatArraysError(
                    f"{data_path} holds {size} bytes, its index says {index['size']}"
                )
            buffer: Any = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as error:
        raise FlatArraysError(f"cannot map {data_path}: {error}") from error
    arrays = {}
    for key, (dtype, shape, offset) in index["arrays"].items():
        count = int(np.prod(shape, dtype=np.int64))
        array = np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=offset)
        arrays[key] = array.reshape(shape)
    return arrays, _extra(index)


def _read_index(index_path: Path) -> dict[str, Any]:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FlatArraysError(f"cannot read {index_path}: {error}") from error
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise FlatArraysError(f"{index_path} is not a format-{FORMAT} array index")
    return index


def _extra(index: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in index.items() if key not in ("arrays", "size")}


def _paths(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / f"{name}.bin", folder / f"{name}.json"
