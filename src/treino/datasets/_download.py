"""Where dataset files are looked for, and how a missing set is downloaded.

A dataset is a few named files. :func:`fetch` returns the first directory that
holds all of them (each either raw or with ``.gz`` appended), searching:

1. ``$TREINO_DATA/<name>/``, then ``$TREINO_DATA`` itself (MNIST and
   Fashion-MNIST use the same file names: keep each in its own subfolder);
2. the cache: ``cache_dir`` when given, else ``$XDG_CACHE_HOME/treino/<name>``
   or ``~/.cache/treino/<name>``;
3. ``/usr/share/datasets/<name>/`` (where Debian's ``dataset-*`` packages put them);

and otherwise downloads the files into the cache. Each download goes to a
temporary file in the cache directory and is checked against its published
size and SHA-256; only when all of them are good are they renamed into place,
so an interrupted or corrupt download never leaves a file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import os
import sys
import tempfile

__all__ = ["DatasetSpec", "DatasetUnavailableError", "RemoteFile", "default_cache_dir", "fetch"]

SYSTEM_DATA_DIR = "/usr/share/datasets"
"""Where Debian's ``dataset-*`` packages install data (``<dir>/<name>/``)."""

DATA_ENV = "TREINO_DATA"
URL_ENV = "TREINO_DATASETS_URL"
TIMEOUT_S = 60
_CHUNK = 1 << 16


class DatasetUnavailableError(OSError):
    """A dataset is in none of the searched directories and could not be downloaded."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset as published upstream (the gzipped form)."""

    name: str
    sha256: str
    size: int


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What :func:`fetch` needs to find or download one dataset.

    Attributes:
        name: directory name under the search roots, e.g. ``"fashion-mnist"``.
        title: the name shown in messages, e.g. ``"Fashion-MNIST"``.
        base_url: upstream directory URL (ends with ``/``).
        files: the published files; they are found locally under their name
            with or without the ``.gz`` suffix.
        apt_package: Debian package installing the files, if one exists.
        extra_hint: one more way to get data, shown in the error message.
    """

    name: str
    title: str
    base_url: str
    files: tuple[RemoteFile, ...]
    apt_package: str | None = None
    extra_hint: str | None = None

    @property
    def stems(self) -> list[str]:
        """The file names without ``.gz``."""
        return [f.name.removesuffix(".gz") for f in self.files]


def default_cache_dir(name: str) -> str:
    """``$XDG_CACHE_HOME/treino/<name>``, or ``~/.cache/treino/<name>``."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "treino", name)


def search_dirs(spec: DatasetSpec, cache_dir=None) -> list[str]:
    """The directories :func:`fetch` looks in, in order."""
    dirs = []
    root = os.environ.get(DATA_ENV)
    if root:
        dirs += [os.path.join(root, spec.name), root]
    dirs.append(os.fspath(cache_dir) if cache_dir is not None else default_cache_dir(spec.name))
    dirs.append(os.path.join(SYSTEM_DATA_DIR, spec.name))
    return dirs


def _find_in(directory: str, stems: list[str]) -> dict[str, str]:
    """stem → path of the files of ``stems`` present in ``directory`` (raw preferred)."""
    found = {}
    for stem in stems:
        for candidate in (stem, stem + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                found[stem] = path
                break
    return found


def _describe(directory: str, found: dict, total: int) -> str:
    if not os.path.isdir(directory):
        return f"{directory} (no such directory)"
    return f"{directory} ({len(found)} of the {total} files)"


def fetch(spec: DatasetSpec, *, cache_dir=None, base_url=None, download=True) -> dict[str, str]:
    """Find the files of ``spec`` locally, or download them into the cache.

    Args:
        spec: the dataset.
        cache_dir: the cache directory (default :func:`default_cache_dir`).
        base_url: where to download from (default ``$TREINO_DATASETS_URL/<name>/``
            when that variable is set, else ``spec.base_url``).
        download: ``False`` to fail instead of downloading.

    Returns:
        file stem (name without ``.gz``) → path of the file to read.

    Raises:
        DatasetUnavailableError: not found, and the download was refused or
            failed; the message lists where it looked and how to get the data.
    """
    looked = []
    for directory in search_dirs(spec, cache_dir):
        found = _find_in(directory, spec.stems)
        if len(found) == len(spec.files):
            return found
        looked.append(_describe(directory, found, len(spec.files)))
    if cache_dir is None:
        cache_dir = default_cache_dir(spec.name)
    cache_dir = os.fspath(cache_dir)
    if base_url is None:
        mirror = os.environ.get(URL_ENV)
        base_url = f"{mirror.rstrip('/')}/{spec.name}/" if mirror else spec.base_url
    if not base_url.endswith("/"):
        base_url += "/"
    if not download:
        reason = "downloading is disabled (download=False)"
    else:
        print(
            f"{spec.title} not found locally; downloading it from {base_url} into {cache_dir}",
            file=sys.stderr,
        )
        try:
            download_all(spec.files, base_url, cache_dir)
            return _find_in(cache_dir, spec.stems)
        except (OSError, ValueError) as error:
            reason = f"the download failed: {error}"
    raise DatasetUnavailableError(_unavailable_message(spec, looked, reason, base_url, cache_dir))


def _unavailable_message(spec, looked, reason, base_url, cache_dir) -> str:
    names = ", ".join(f"{stem}[.gz]" for stem in spec.stems)
    hints = []
    if spec.apt_package:
        system = os.path.join(SYSTEM_DATA_DIR, spec.name)
        hints.append(f"sudo apt-get install {spec.apt_package}   (Debian/Ubuntu; into {system})")
    hints += [
        f"download the {len(spec.files)} files from {base_url} into {cache_dir}",
        f"set ${DATA_ENV} to a directory holding them (or holding a '{spec.name}/' folder)",
    ]
    if spec.extra_hint:
        hints.append(spec.extra_hint)
    return (
        f"{spec.title} is not available: {reason}.\n"
        f"Looked for {names} in:\n"
        + "".join(f"  - {line}\n" for line in looked)
        + "To get the data, do one of:\n"
        + "".join(f"  - {hint}\n" for hint in hints)
    ).rstrip()


def download_all(files, base_url: str, directory: str) -> None:
    """Download ``files`` from ``base_url`` into ``directory``: all verified, or none kept."""
    created = []  # the directories made here, deepest first: removed again on failure
    parent = os.path.abspath(directory)
    while not os.path.isdir(parent):
        created.append(parent)
        parent = os.path.dirname(parent)
    os.makedirs(directory, exist_ok=True)
    temps: list[str] = []
    try:
        for remote in files:
            fd, tmp = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=directory)
            temps.append(tmp)
            url = base_url + remote.name
            with os.fdopen(fd, "wb") as out:
                try:
                    _download_one(url, out, remote)
                except (OSError, http.client.HTTPException) as error:
                    raise OSError(f"{url}: {error}") from error
        for remote, tmp in zip(files, temps, strict=True):
            os.replace(tmp, os.path.join(directory, remote.name))
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        for made in created:
            with contextlib.suppress(OSError):
                os.rmdir(made)  # only if still empty
        raise


def _download_one(url: str, out, remote: RemoteFile) -> None:
    """Stream ``url`` into the open file ``out``, checking size and SHA-256."""
    import urllib.request

    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    written = 0
    with (
        urllib.request.urlopen(url, timeout=TIMEOUT_S) as response,  # noqa: S310 - http(s) only
        tqdm(total=remote.size, unit="B", unit_scale=True, desc=remote.name, leave=True) as bar,
    ):
        while chunk := response.read(_CHUNK):
            written += len(chunk)
            if written > remote.size:
                raise ValueError(f"{url} is larger than the expected {remote.size} bytes")
            digest.update(chunk)
            out.write(chunk)
            bar.update(len(chunk))
    if written != remote.size:
        raise ValueError(f"{url} ended after {written} of {remote.size} bytes")
    if digest.hexdigest() != remote.sha256:
        raise ValueError(
            f"checksum mismatch for {url}: expected SHA-256 {remote.sha256}, "
            f"got {digest.hexdigest()}"
        )
