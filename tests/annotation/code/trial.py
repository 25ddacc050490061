"""An annotated trial: every annotation form in module code, functions, methods, loops and with blocks.

Prints one JSON line of the values it used, so tests can see which code path ran.
"""

import json
import math

from models.net import Net


def relu(x):
    return max(x, 0.0)


def tanh(x):
    return math.tanh(x)


def scaled(x, factor):
    return x * factor


class Trainer:
    def __init__(self, epochs=3):
        """@nni.variable(nni.randint(2, 6), name=self.epochs)"""
        self.epochs = epochs
        """@nni.variable(nni.quniform(0, 10, 2.5), name=self.warmup)"""
        self.warmup = 5.0

    def run(self, lr, activation_value):
        acc = 0.0
        for epoch in range(self.epochs):
            """@nni.variable(nni.qloguniform(1, 1000, 10), name=batch)"""
            batch = 100
            with open(__file__, encoding="utf-8"):
                acc = 1 - 1 / (epoch + 2 + lr * batch / 100 + activation_value)
                """@nni.report_intermediate_result({"default": acc, "epoch": epoch})"""
        return acc


def main():
    """@nni.get_next_parameter()"""
    """@nni.variable(nni.loguniform(0.0001, 0.1), name=lr)"""
    lr = 0.01
    """@nni.variable(nni.normal(0, 1), name=noise)"""
    noise = 0.5
    """@nni.variable(nni.qnormal(10, 2, 1), name=width)"""
    width = 8
    """@nni.variable(nni.lognormal(0, 1), name=scale)"""
    scale = 1.0
    """@nni.variable(nni.qlognormal(1, 0.5, 0.5), name=gain)"""
    gain = 2.0
    """@nni.function_choice(relu(noise), tanh(noise), scaled(noise, 2), name=activation)"""
    activation_value = relu(noise)
    trainer = Trainer()
    acc = trainer.run(lr, activation_value)  # noqa: F841  (used by the final-result annotation)
    values = {
        "optimizer": OPTIMIZER,
        "layers": LAYERS,
        "dropout": DROPOUT,
        "lr": lr,
        "noise": noise,
        "width": width,
        "scale": scale,
        "gain": gain,
        "activation_value": activation_value,
        "epochs": trainer.epochs,
        "warmup": trainer.warmup,
        "hidden": Net().hidden,
    }
    print("VALUES " + json.dumps(values), flush=True)
    """@nni.report_final_result(acc)"""


"""@nni.variable(nni.choice("sgd", "adam"), name=OPTIMIZER)"""
OPTIMIZER = "sgd"
"""@nni.variable(nni.choice([64, 32], [128], nni.choice(8, 16)), name=LAYERS)"""
LAYERS = [64, 32]
"""@nni.variable(nni.uniform(0.1, 0.5), name=DROPOUT)"""
DROPOUT = 0.25

if __name__ == "__main__":
    main()
