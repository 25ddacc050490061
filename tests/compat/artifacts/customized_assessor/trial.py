"""Reports a learning curve at its parameter's quality; slow enough for the assessor to stop it."""

import time

import nni

params = nni.get_next_parameter()
for step in range(6):
    nni.report_intermediate_result(params['quality'] + 0.01 * step)
    time.sleep(0.4)
nni.report_final_result(params['quality'] + 0.06)
