"""A run's output set switched into `--out` in one atomic step, with a manifest of what pbcheck wrote.

The set is built in a hidden staging directory beside `--out`: the new outputs, plus hard links to
every file in `--out` that pbcheck did not write (by the previous run's manifest). Then one
`renameat2(RENAME_EXCHANGE)` swaps the two directories, so `--out` is always exactly one run's
outputs, whatever moment a kill or power loss strikes; files of the previous run that this run did not
produce (a notice of a unit that is clean now) are gone with the old directory, files the user put
there are kept. Leftover staging directories and temp files of an earlier, killed run are removed by
the next run, under the `--out` lock (checker.outputs.outlock). Where the exchange is not possible
(not Linux, a file system without it, `--out` holding the working directory) the outputs are
written file by file atomically and stale ones removed after.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from checker.atomic import _fsync_dir, _umask, write_all_atomic
from checker.errors import OutputError
from checker.interrupts import HeldInterrupt

MANIFEST = ".pbcheck-manifest.json"
_STAGE_TAG = ".pbcheck-stage-"
# Temp files the per-file writer of earlier versions left when killed: `.<name>.<8 random>.tmp`.
_LEGACY_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100

_REASONS = {
    errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.EROFS: "文件系统为只读",
    errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "磁盘配额已用完", errno.ENOTDIR: "这是一个文件，不是目录",
    errno.EEXIST: "已存在同名文件", errno.ENAMETOOLONG: "文件名过长", errno.EISDIR: "目标是目录",
}


def output_error(exc: OSError, root: Path) -> OutputError:
    """An OSError while writing outputs as the user should read it: path, reason in Chinese, what to do."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    where = exc.filename or root
    return OutputError(f"无法写入输出目录 {root}：{where}（{reason}）。原有输出保持不变；"
                       f"请检查该目录的权限和磁盘空间，或用 --out 指定其他目录后重试")


def is_output_dir(path: Path) -> bool:
    """Whether `path` is a directory holding pbcheck's output manifest (a previous run's --out)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(root: Path) -> set[str]:
    """The relative paths the run that wrote `root` produced (empty when there is no readable manifest)."""
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        return {str(p) for p in data.get("files", []) if isinstance(p, str)}
    except (OSError, ValueError, AttributeError):
        return set()


def _manifest_bytes(relatives: Iterable[str]) -> bytes:
    return json.dumps({"tool": "pbcheck", "files": sorted(relatives)}, ensure_ascii=False, indent=1).encode("utf-8")


def _exchange(a: Path, b: Path) -> None:
    """Swap two directory entries atomically (Linux renameat2); OSError(ENOSYS/EINVAL) where impossible."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        raise OSError(errno.ENOSYS, "renameat2 not available") from None
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def remove_stale_staging(root: Path) -> None:
    """Remove staging directories of earlier runs into `root` that were killed (call under the --out lock)."""
    with contextlib.suppress(OSError):
        for entry in root.parent.iterdir():
            if entry.name.startswith(f".{root.name}{_STAGE_TAG}") and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def _write_file(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _keep_foreign(root: Path, stage: Path, ours: set[str], planned: set[str]) -> None:
    """Hard-link into `stage` every entry of `root` that pbcheck did not write and this run does not replace."""
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        rel_dir = here.relative_to(root)
        (stage / rel_dir).mkdir(exist_ok=True)
        for name in names + [d for d in dirs if (here / d).is_symlink()]:
            rel = (rel_dir / name).as_posix()
            if rel in ours or rel in planned or rel == MANIFEST or _LEGACY_TEMP.match(name):
                continue
            source, target = here / name, stage / rel_dir / name
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            else:
                try:
                    os.link(source, target, follow_symlinks=False)
                except OSError:
                    shutil.copy2(source, target, follow_symlinks=False)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]


def _prune_empty(stage: Path, keep: set[Path]) -> None:
    """Drop directories left empty in the staged set, except those that were empty in the user's --out."""
    for folder, dirs, names in os.walk(stage, topdown=False):
        here = Path(folder)
        if here != stage and here not in keep:
            with contextlib.suppress(OSError):
                here.rmdir()


def publish(root: Path, files: Iterable[tuple[str, "str | bytes"]]) -> list[Path]:
    """Make `root` hold exactly this run's outputs (plus the user's own files); the written paths, in order."""
    root = Path(root)
    planned: dict[str, bytes] = {}
    for relative, data in files:
        planned[Path(relative).as_posix()] = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    written = [root / rel for rel in planned]
    real = root.resolve() if root.is_symlink() else root.absolute()
    try:
        for place in (real, *real.parents):
            if place.exists():
                if not place.is_dir():
                    raise OSError(errno.ENOTDIR, "not a directory", str(place))
                break
        if real.is_dir() and not os.access(real, os.W_OK):     # a read-only --out says: do not write here
            raise OSError(errno.EACCES, "permission denied", str(root))
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, root) from None
    remove_stale_staging(real)
    cwd = Path.cwd().absolute()
    if real == cwd or real in cwd.parents:
        return _publish_per_file(root, planned, written)
    try:
        stage = Path(tempfile.mkdtemp(dir=real.parent, prefix=f".{real.name}{_STAGE_TAG}"))
    except OSError:
        return _publish_per_file(root, planned, written)     # e.g. --out writable but its parent not
    try:
        with HeldInterrupt() as guard:
            _build(real, stage, planned, guard)
            _switch(real, stage)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if exc.errno in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
            return _publish_per_file(root, planned, written)
        raise output_error(exc, root) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)     # now the previous outputs
    return written


def _build(real: Path, stage: Path, planned: dict[str, bytes], guard: HeldInterrupt) -> None:
    """Fill `stage` with the new outputs, the user's files from `real`, and the manifest."""
    mode = stat.S_IMODE(real.stat().st_mode) if real.is_dir() else 0o777 & ~_umask()
    os.chmod(stage, mode)
    file_mode = 0o666 & ~_umask()
    for rel, payload in planned.items():
        guard.check()
        _write_file(stage / rel, payload)
        with contextlib.suppress(OSError):
            os.chmod(stage / rel, file_mode)
    empty_before: set[Path] = set()
    if real.is_dir():
        ours = read_manifest(real)
        _keep_foreign(real, stage, ours, set(planned))
        for folder, dirs, names in os.walk(real):
            if not dirs and not names:
                empty_before.add(stage / Path(folder).relative_to(real))
    _prune_empty(stage, empty_before)
    _write_file(stage / MANIFEST, _manifest_bytes(planned))
    guard.check()


def _switch(real: Path, stage: Path) -> None:
    """The one atomic step: the staged set takes the place of `real` (the old set is left at `stage`)."""
    if real.is_dir():
        _exchange(stage, real)
    else:
        os.rename(stage, real)
    _fsync_dir(real.parent)


def _publish_per_file(root: Path, planned: dict[str, bytes], written: list[Path]) -> list[Path]:
    """Fallback: each file replaced atomically, then files of the previous run not produced now removed."""
    previous = read_manifest(root)
    try:
        write_all_atomic(root, [*planned.items(), (MANIFEST, _manifest_bytes(planned))])
    except OSError as exc:
        raise output_error(exc, root) from None
    for rel in sorted(previous - set(planned)):
        with contextlib.suppress(OSError):
            (root / rel).unlink()
    return written
