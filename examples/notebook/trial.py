"""A tiny NNI trial for the notebook example: a noisy 2-D function with a conditional parameter, no data."""

from __future__ import annotations

import math

import nni


def main() -> None:
    params = {"x": 0.5, "lr": 0.01, "optimizer": {"_name": "adam"}, **nni.get_next_parameter()}
    momentum = params["optimizer"].get("momentum", 0.0)
    score = 1.0 - (params["x"] - 0.3) ** 2 - 0.1 * abs(math.log10(params["lr"]) + 2) + 0.05 * momentum
    for step in range(1, 4):
        nni.report_intermediate_result(round(score * step / 3, 6))
    nni.report_final_result(round(score, 6))


if __name__ == "__main__":
    main()
