"""A quick learning-curve trial: accuracy rises towards ``x`` over 8 epochs, reported as dict metrics."""

import time

import nni

params = nni.get_next_parameter() or {"x": 0.9}
x = params["x"]
for epoch in range(1, 9):
    time.sleep(0.3)
    nni.report_intermediate_result({"default": x * (1 - 0.5 / epoch), "epoch": epoch})
    print(f"epoch {epoch} done", flush=True)
nni.report_final_result({"default": x * (1 - 0.5 / 8), "epoch": 8})
