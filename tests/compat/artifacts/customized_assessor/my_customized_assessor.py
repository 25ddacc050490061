"""A customized assessor as docs Assessor/CustomizeAssessor shows it: subclass nni.assessor.Assessor,
implement assess_trial, return AssessResult.Good/Bad. Records its calls to COMPAT_ASSESSOR_LOG."""

import json
import os

from nni.assessor import AssessResult, Assessor
from nni.utils import extract_scalar_history


def _record(**event):
    path = os.environ.get('COMPAT_ASSESSOR_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps(event) + '\n')


class CustomizedAssessor(Assessor):
    def __init__(self, threshold, min_steps=2):
        self.threshold = threshold
        self.min_steps = min_steps

    def assess_trial(self, trial_job_id, trial_history):
        history = extract_scalar_history(trial_history)
        verdict = AssessResult.Good
        if len(history) >= self.min_steps and history[-1] < self.threshold:
            verdict = AssessResult.Bad
        _record(call='assess_trial', trial=trial_job_id, history=history, verdict=verdict.name)
        return verdict

    def trial_end(self, trial_job_id, success):
        _record(call='trial_end', trial=trial_job_id, success=success)
