"""An NNI trial: a PyTorch CNN on CIFAR-10 ("Cifar10 - Normal").

Tuned: ``dropout_rate``, ``conv_size`` (the kernel size), ``hidden_size`` (the dense layer),
``learning_rate``, the network's shape (``network``: plain or residual blocks, how many, how wide) and
the optimizer with its own parameters (``optimizer``: SGD with momentum, or Adam with beta1).
Each epoch's validation accuracy is an intermediate result (what Medianstop judges); the test accuracy
is the final result. Curves go to TensorBoard under ``$NNI_OUTPUT_DIR/tensorboard``.

Runs on the GPU that ``CUDA_VISIBLE_DEVICES`` gives it, on the CPU when there is none; seeded and
deterministic where PyTorch allows. Runs by hand too (``python3 trial.py --data_dir DIR``) with the
defaults below. Data: ``--data_dir`` or ``$CIFAR10_DATA_DIR`` (default ``./data``); see cifar10_data.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS; before CUDA starts

import cifar10_data
import numpy as np
import torch
from torch import nn

import nni

DEFAULTS: dict[str, Any] = {
    "dropout_rate": 0.3,
    "conv_size": 3,
    "hidden_size": 512,
    "learning_rate": 0.01,
    "network": {"_name": "plain", "blocks": 2, "width": 32},
    "optimizer": {"_name": "sgd", "momentum": 0.9},
}
MEAN = torch.tensor([125.3, 123.0, 113.9]).view(1, 3, 1, 1)
STD = torch.tensor([63.0, 62.1, 66.7]).view(1, 3, 1, 1)


class Block(nn.Module):
    """conv -> batch norm -> ReLU (plus a projected shortcut when residual) -> 2x2 max pool."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, residual: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, padding="same", bias=False)
        self.norm = nn.BatchNorm2d(channels_out)
        self.shortcut = nn.Conv2d(channels_in, channels_out, 1, bias=False) if residual else None
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.norm(self.conv(x))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.pool(torch.relu(out))


def build_model(params: dict[str, Any]) -> nn.Module:
    network = params["network"]
    residual = network["_name"] == "residual"
    width, layers, channels = int(network["width"]), [], 3
    for i in range(int(network["blocks"])):
        out = min(width * 2 ** i, 256)
        layers.append(Block(channels, out, int(params["conv_size"]), residual))
        channels = out
    return nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(channels * 16, int(params["hidden_size"])),
        nn.ReLU(),
        nn.Dropout(float(params["dropout_rate"])),
        nn.Linear(int(params["hidden_size"]), 10),
    )


def build_optimizer(params: dict[str, Any], model: nn.Module) -> torch.optim.Optimizer:
    choice, lr = params["optimizer"], float(params["learning_rate"])
    if choice["_name"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(float(choice["beta1"]), 0.999))
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=float(choice["momentum"]), weight_decay=5e-4,
                           nesterov=True)


def normalize(images: torch.Tensor) -> torch.Tensor:
    return (images.float() - MEAN.to(images.device)) / STD.to(images.device)


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and 32x32 crops of the 4-pixel padded images (the usual CIFAR-10 recipe)."""
    flip = torch.rand(len(images), generator=generator, device=images.device) < 0.5
    images = torch.where(flip[:, None, None, None], images.flip(3), images)
    padded = nn.functional.pad(images, (4, 4, 4, 4), mode="reflect")
    dy, dx = (int(v) for v in torch.randint(0, 9, (2,), generator=generator, device=images.device))
    return padded[:, :, dy:dy + 32, dx:dx + 32]


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(normalize(images[start:start + batch_size]))
        correct += int((logits.argmax(1) == labels[start:start + batch_size]).sum())
    return correct / max(1, len(images))


def pick_device() -> torch.device:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    print(f"device {device} ({name}); CUDA_VISIBLE_DEVICES={visible if visible is not None else '(unset)'}",
          flush=True)
    return device


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)


def tensorboard_writer(log_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        print("TensorBoard curves are off: the tensorboard package is not installed (pip install tensorboard)",
              flush=True)
        return None
    return SummaryWriter(log_dir=str(log_dir))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A PyTorch CNN on CIFAR-10, tuned by NNI")
    parser.add_argument("--data_dir", default=str(cifar10_data.default_data_dir()),
                        help=f"the CIFAR-10 python batches (default ${cifar10_data.DATA_DIR_ENV} or ./data)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--val_fraction", type=float, default=0.1, help="of the training set, held out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no_download", action="store_true", help="fail when the data is not there")
    parser.add_argument("--tensorboard_dir", default=None,
                        help="default: $NNI_OUTPUT_DIR/tensorboard, or ./runs when run by hand")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = {**DEFAULTS, **nni.get_next_parameter()}
    print(f"parameters {params}", flush=True)
    seed_everything(args.seed)
    device = pick_device()
    try:
        data = cifar10_data.load(args.data_dir, download=not args.no_download)
    except cifar10_data.CifarDataError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 2

    images = torch.from_numpy(data.train_images).to(device)
    labels = torch.from_numpy(data.train_labels).to(device)
    held_out = max(1, int(len(images) * args.val_fraction))
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(args.seed)).to(device)
    val_index, train_index = order[:held_out], order[held_out:]
    test_images = torch.from_numpy(data.test_images).to(device)
    test_labels = torch.from_numpy(data.test_labels).to(device)

    model = build_model(params).to(device)
    optimizer = build_optimizer(params, model)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, args.epochs))
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator(device=device).manual_seed(args.seed)
    log_dir = Path(args.tensorboard_dir or (Path(os.environ["NNI_OUTPUT_DIR"]) / "tensorboard"
                                            if os.environ.get("NNI_OUTPUT_DIR") else "runs"))
    writer = tensorboard_writer(log_dir)

    started, val_acc = time.monotonic(), 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        shuffled = train_index[torch.randperm(len(train_index), generator=generator, device=device)]
        loss_sum, batches = torch.zeros((), device=device), 0
        for start in range(0, len(shuffled), args.batch_size):
            batch = shuffled[start:start + args.batch_size]
            loss = loss_fn(model(normalize(augment(images[batch], generator))), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()  # summed on the device: no wait for the GPU at every step
            batches += 1
        scheduler.step()
        val_acc = accuracy(model, images[val_index], labels[val_index], 512)
        if writer is not None:  # on disk before NNI hears of the epoch: an assessor may stop the trial then
            writer.add_scalar("loss/train", float(loss_sum) / max(1, batches), epoch)
            writer.add_scalar("accuracy/validation", val_acc, epoch)
            writer.flush()
        nni.report_intermediate_result(val_acc)
        print(f"epoch {epoch}: validation accuracy {val_acc:.4f} ({time.monotonic() - started:.1f}s)", flush=True)

    test_acc = accuracy(model, test_images, test_labels, 512)
    if writer is not None:
        writer.add_scalar("accuracy/test", test_acc, args.epochs)
        writer.close()
    print(f"test accuracy {test_acc:.4f} after {args.epochs} epochs ({time.monotonic() - started:.1f}s)", flush=True)
    nni.report_final_result(test_acc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
