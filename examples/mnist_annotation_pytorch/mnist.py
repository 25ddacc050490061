"""NNI's classic annotation example (mnist-annotation), in PyTorch.

A small CNN on handwritten digits (scikit-learn's bundled 8x8 digits: no download). The search
space lives in the annotation strings (``useAnnotation: true``); to Python they are plain strings, so
``python3 mnist.py`` trains once with the values written here. Every 100 steps the test accuracy is an
intermediate result; the last one is the final result.
"""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

STEPS = 300


class MnistNetwork(nn.Module):
    def __init__(self, conv_size: int, hidden_size: int, dropout_rate: float) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, conv_size, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, conv_size, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 2 * 2, hidden_size), nn.ReLU(), nn.Dropout(dropout_rate),
            nn.Linear(hidden_size, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def load_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y = load_digits(return_X_y=True)
    x = x.reshape(-1, 8, 8) / 16.0  # 8x8 images, values in [0, 1]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    as_images = lambda a: torch.tensor(a, dtype=torch.float32).unsqueeze(1)  # noqa: E731
    return as_images(x_train), torch.tensor(y_train), as_images(x_test), torch.tensor(y_test)


@torch.no_grad()
def test_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    accuracy = float((model(images).argmax(1) == labels).float().mean())
    model.train()
    return accuracy


def main() -> None:
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = load_data()
    """@nni.variable(nni.choice(2, 3, 5, 7), name=conv_size)"""
    conv_size = 5
    """@nni.variable(nni.choice(124, 512, 1024), name=hidden_size)"""
    hidden_size = 1024
    """@nni.variable(nni.uniform(0.0001, 0.1), name=learning_rate)"""
    learning_rate = 1e-4
    '''@nni.variable(nni.choice(50, 250, 500), name=batch_size)'''
    batch_size = 128
    '''@nni.variable(nni.uniform(0.1, 0.5), name=dropout_rate)'''
    dropout_rate = 0.5

    model = MnistNetwork(int(conv_size), int(hidden_size), float(dropout_rate))
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    test_acc = 0.0
    for step in range(1, STEPS + 1):
        batch = torch.randint(0, len(x_train), (int(batch_size),), generator=generator)
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            test_acc = test_accuracy(model, x_test, y_test)
            print(f"step {step}: test accuracy {test_acc:.4f}", flush=True)
            """@nni.report_intermediate_result(test_acc)"""
    print(f"final test accuracy {test_acc:.4f} (conv_size={conv_size}, hidden_size={hidden_size}, "
          f"learning_rate={learning_rate:.4g}, batch_size={batch_size}, dropout_rate={dropout_rate:.3f})")
    """@nni.report_final_result(test_acc)"""


if __name__ == "__main__":
    main()
