"""A trial started by a shell command line (NNI runs trialCommand through a shell): it records its
parameters, arguments and an exported variable to NNI_OUTPUT_DIR/seen.json."""

import json
import os
import sys

import nni

params = nni.get_next_parameter()
with open(os.path.join(os.environ['NNI_OUTPUT_DIR'], 'seen.json'), 'w') as f:
    json.dump({'params': params, 'argv': sys.argv[1:], 'FOO': os.environ.get('FOO')}, f)
nni.report_final_result(0.5)
