"""CIFAR-10 in its standard python format, without torchvision: load, download, and generate.

The folder holds the batches of the official archive (``data_batch_1`` .. ``data_batch_5``,
``test_batch``, ``batches.meta``): pickled dicts with ``data`` (uint8, N x 3072: 1024 red, 1024 green,
1024 blue values, row by row) and ``labels`` (N ints in 0..9). A folder holding the archive's own
``cifar-10-batches-py/`` subfolder works too.

    python3 cifar10_data.py download DIR                 # the official archive (163 MB), checksum checked
    python3 cifar10_data.py generate DIR --train 500 --test 200   # a small CIFAR-format folder, no download

Every problem (damaged archive, missing folder while offline, truncated batch) is one
:class:`CifarDataError` whose message says what was found and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DATA_DIR_ENV = "CIFAR10_DATA_DIR"
_PIXELS = 32 * 32 * 3


class CifarDataError(Exception):
    """The data cannot be used as it is; the message names what was found and what to do."""


@dataclass(frozen=True)
class Cifar10:
    """Images as uint8 arrays N x 3 x 32 x 32 and labels as int64 arrays of N."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


def batches_folder(data_dir: str | os.PathLike[str]) -> Path | None:
    """The folder of ``data_dir`` that holds the batches (itself or its ``cifar-10-batches-py``), or None."""
    root = Path(data_dir)
    for folder in (root, root / ARCHIVE_FOLDER):
        if (folder / TEST_BATCH).is_file():
            return folder
    return None


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as (images N x 3 x 32 x 32 uint8, labels N int64)."""
    if not path.is_file():
        raise CifarDataError(f"CIFAR-10 batch {path} is missing: the folder must hold {', '.join(TRAIN_BATCHES)} and "
                             f"{TEST_BATCH}; download them again (python3 cifar10_data.py download {path.parent})")
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise CifarDataError(f"CIFAR-10 batch {path} is damaged ({path.stat().st_size} bytes, truncated or not a "
                             f"pickled batch: {type(exc).__name__}: {exc}); delete it and download again "
                             f"(python3 cifar10_data.py download {path.parent})") from None
    if not isinstance(batch, dict):
        raise CifarDataError(f"CIFAR-10 batch {path} holds a {type(batch).__name__}, expected a dict with "
                             "'data' and 'labels'; is this the python version of CIFAR-10?")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    data = None if data is None else np.asarray(data)
    if data is None or labels is None or data.ndim != 2 or data.shape[1] != _PIXELS or len(labels) != len(data):
        shape = None if data is None else data.shape
        raise CifarDataError(f"CIFAR-10 batch {path} has data of shape {shape} and {0 if labels is None else len(labels)} "
                             f"labels; expected N x {_PIXELS} uint8 values and N labels (the python version of CIFAR-10)")
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise CifarDataError(f"CIFAR-10 batch {path} has labels outside 0..9 ({labels.min()}..{labels.max()})")
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels


def load(data_dir: str | os.PathLike[str], *, download: bool = True, url: str = ARCHIVE_URL,
         md5: str = ARCHIVE_MD5) -> Cifar10:
    """The data set in ``data_dir``; when the folder has no batches and ``download`` is set, the official
    archive is fetched first (one process at a time: concurrent trials wait for the first one)."""
    folder = batches_folder(data_dir)
    if folder is None:
        if not download:
            raise CifarDataError(_where_to_put(Path(data_dir), "downloading is off"))
        folder = fetch(data_dir, url=url, md5=md5)
    train = [read_batch(folder / name) for name in TRAIN_BATCHES if (folder / name).exists()]
    if not train:
        raise CifarDataError(f"CIFAR-10 folder {folder} has {TEST_BATCH} but no training batch "
                             f"({', '.join(TRAIN_BATCHES)}); download it again or regenerate it")
    test_images, test_labels = read_batch(folder / TEST_BATCH)
    return Cifar10(np.concatenate([b[0] for b in train]), np.concatenate([b[1] for b in train]),
                   test_images, test_labels)


def _where_to_put(data_dir: Path, why: str) -> str:
    return (f"CIFAR-10 is not in {data_dir.resolve()} and cannot be downloaded ({why}): put the python-format "
            f"batches ({', '.join(TRAIN_BATCHES)}, {TEST_BATCH}) there, e.g. extract {ARCHIVE_URL} into it, "
            f"or pass --data_dir / set ${DATA_DIR_ENV} to a folder that has them")


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".download.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def fetch(data_dir: str | os.PathLike[str], *, url: str = ARCHIVE_URL, md5: str = ARCHIVE_MD5) -> Path:
    """Download the archive at ``url``, check its MD5 and extract the batches into ``data_dir``."""
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        folder = batches_folder(root)
        if folder is not None:  # another trial downloaded it while this one waited
            return folder
        with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as tmp:
            archive = Path(tmp) / "cifar-10-python.tar.gz"
            try:
                with urllib.request.urlopen(url, timeout=30) as response, open(archive, "wb") as out:
                    shutil.copyfileobj(response, out, 1 << 20)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                raise CifarDataError(_where_to_put(root, f"{url}: {getattr(exc, 'reason', exc)}")) from None
            digest = _md5(archive)
            if digest != md5:
                raise CifarDataError(f"the archive downloaded from {url} has MD5 {digest}, expected {md5} "
                                     f"({archive.stat().st_size} bytes; a cut download or another file): nothing "
                                     f"was extracted into {root}; try again, or download it by hand and extract it there")
            _extract_batches(archive, root)
    found = batches_folder(root)
    if found is None:
        raise CifarDataError(f"the archive from {url} has no {TEST_BATCH} under {ARCHIVE_FOLDER}/; is it the python "
                             "version of CIFAR-10 (cifar-10-python.tar.gz)?")
    return found


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _extract_batches(archive: Path, root: Path) -> None:
    wanted = {*TRAIN_BATCHES, TEST_BATCH, META}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                source = tar.extractfile(member)
                assert source is not None
                with source, open(root / f".{name}.part", "wb") as out:
                    shutil.copyfileobj(source, out)
                os.replace(root / f".{name}.part", root / name)  # test_batch (the marker) appears whole or not at all


# ==================================================================== a generated folder for tests and demos
def generate(data_dir: str | os.PathLike[str], *, train: int = 500, test: int = 200, seed: int = 0,
             batches: int = 5) -> Path:
    """Write a CIFAR-format folder of ``train`` + ``test`` structured images: each class has its own colour
    and stripe direction under noise, so a small CNN learns it within an epoch or two."""
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images, labels = _structured_images(rng, train + test)
    train_parts = np.array_split(np.arange(train), batches)
    for number, index in enumerate(train_parts, start=1):
        _write_batch(root / f"data_batch_{number}", images[index], labels[index], f"training batch {number} of {batches}")
    _write_batch(root / TEST_BATCH, images[train:], labels[train:], "testing batch 1 of 1")
    with open(root / META, "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CLASSES], b"num_cases_per_batch": len(train_parts[0]),
                     b"num_vis": _PIXELS}, f, protocol=2)
    return root


def _structured_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 10, size=count)
    hues = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    colours = 128 + 100 * np.stack([np.cos(hues), np.cos(hues + 2.1), np.cos(hues + 4.2)], axis=1)  # 10 x 3
    y, x = np.mgrid[0:32, 0:32]
    angles = hues / 2  # stripe direction per class
    stripes = np.sin((x[None] * np.cos(angles)[:, None, None] + y[None] * np.sin(angles)[:, None, None]) / 2.0)
    base = colours[labels][:, :, None, None] * (0.75 + 0.25 * stripes[labels][:, None])
    noisy = base + rng.normal(0, 40, size=base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8).reshape(count, _PIXELS), labels


def _write_batch(path: Path, images: np.ndarray, labels: np.ndarray, name: str) -> None:
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": name.encode(), b"labels": [int(v) for v in labels], b"data": images,
                     b"filenames": [f"generated_{i:05d}.png".encode() for i in range(len(labels))]}, f, protocol=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    down = sub.add_parser("download", help="download and check the official archive")
    down.add_argument("data_dir", nargs="?", default=str(default_data_dir()))
    gen = sub.add_parser("generate", help="write a small CIFAR-format folder of generated images")
    gen.add_argument("data_dir")
    gen.add_argument("--train", type=int, default=500)
    gen.add_argument("--test", type=int, default=200)
    gen.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            folder = batches_folder(args.data_dir) or fetch(args.data_dir)
        else:
            folder = generate(args.data_dir, train=args.train, test=args.test, seed=args.seed)
    except CifarDataError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(f"CIFAR-10 batches in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
