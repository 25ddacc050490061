"""The CIFAR-10 loader of the PyTorch example: generated folders, the archive download and its checks, and
each kind of bad data as one clear line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import cifar10_data
import numpy as np
import pytest

from nni.testing import free_port

from .conftest import CIFAR10_EXAMPLE, REPO


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cifar10_data.generate(tmp_path_factory.mktemp("cifar") / "batches", train=120, test=40, seed=3)


def _archive(source: Path, target: Path) -> tuple[str, str]:
    """A cifar-10-python.tar.gz of ``source`` (as the official one is laid out): its file URL and MD5."""
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(source.iterdir()):
            tar.add(path, arcname=f"{cifar10_data.ARCHIVE_FOLDER}/{path.name}")
    return target.as_uri(), hashlib.md5(target.read_bytes(), usedforsecurity=False).hexdigest()


def test_a_generated_folder_loads_as_cifar10(generated: Path) -> None:
    data = cifar10_data.load(generated, download=False)
    assert data.train_images.shape == (120, 3, 32, 32) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (40, 3, 32, 32)
    assert data.train_labels.shape == (120,) and set(np.unique(data.train_labels)) <= set(range(10))
    assert len({f"data_batch_{i}" for i in range(1, 6)} & {p.name for p in generated.iterdir()}) == 5
    # the same seed writes the same images: the tests' data is fixed
    again = cifar10_data.generate(generated.parent / "again", train=120, test=40, seed=3)
    assert np.array_equal(cifar10_data.load(again).train_images, data.train_images)


def test_the_archive_is_downloaded_checked_and_extracted(generated: Path, tmp_path: Path) -> None:
    url, md5 = _archive(generated, tmp_path / "cifar-10-python.tar.gz")
    folder = cifar10_data.fetch(tmp_path / "data", url=url, md5=md5)
    assert folder == tmp_path / "data"
    assert np.array_equal(cifar10_data.load(folder).test_labels, cifar10_data.load(generated).test_labels)
    # a second load finds the batches and downloads nothing (the URL is gone now)
    (tmp_path / "cifar-10-python.tar.gz").unlink()
    assert len(cifar10_data.load(tmp_path / "data", url=url, md5=md5).train_labels) == 120


def test_a_checksum_mismatch_is_one_line_and_extracts_nothing(generated: Path, tmp_path: Path) -> None:
    url, md5 = _archive(generated, tmp_path / "cifar-10-python.tar.gz")
    with pytest.raises(cifar10_data.CifarDataError) as caught:
        cifar10_data.load(tmp_path / "data", url=url, md5="0" * 32)
    message = str(caught.value)
    assert "\n" not in message
    assert f"has MD5 {md5}, expected {'0' * 32}" in message and url in message
    assert cifar10_data.batches_folder(tmp_path / "data") is None


def test_a_missing_folder_offline_says_where_to_put_the_files(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/cifar-10-python.tar.gz"  # nothing listens: offline
    with pytest.raises(cifar10_data.CifarDataError) as caught:
        cifar10_data.load(tmp_path / "nowhere", url=url)
    message = str(caught.value)
    assert "\n" not in message
    assert f"CIFAR-10 is not in {(tmp_path / 'nowhere').resolve()} and cannot be downloaded" in message
    assert "data_batch_1" in message and "test_batch" in message and cifar10_data.DATA_DIR_ENV in message
    with pytest.raises(cifar10_data.CifarDataError, match="downloading is off"):
        cifar10_data.load(tmp_path / "nowhere", download=False)


def test_a_truncated_batch_is_named_with_what_to_do(generated: Path, tmp_path: Path) -> None:
    folder = cifar10_data.generate(tmp_path / "batches", train=50, test=10)
    batch = folder / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[: batch.stat().st_size // 2])
    with pytest.raises(cifar10_data.CifarDataError) as caught:
        cifar10_data.load(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert f"CIFAR-10 batch {batch} is damaged" in message and "download again" in message


def test_a_batch_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    folder = cifar10_data.generate(tmp_path / "batches", train=20, test=10)
    import pickle

    (folder / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((10, 100), np.uint8), b"labels": [0] * 10}))
    with pytest.raises(cifar10_data.CifarDataError, match=r"shape \(10, 100\).*expected N x 3072"):
        cifar10_data.load(folder)


def test_the_trial_stops_with_one_line_when_offline_without_data(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "CIFAR10_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "trial.py", "--no_download", "--epochs", "1"], cwd=CIFAR10_EXAMPLE,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and f"CIFAR-10 is not in {(tmp_path / 'data').resolve()}" in errors[0]
