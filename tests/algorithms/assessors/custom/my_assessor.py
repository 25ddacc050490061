"""A custom assessor as users write them for NNI: subclass nni.assessor.Assessor."""

from nni.assessor import Assessor, AssessResult


class LowStartAssessor(Assessor):
    """Stops a trial at step ``step`` when its first result is below ``floor``; records what it saw."""

    def __init__(self, floor: float = 0.5, step: int = 2):
        self.floor = floor
        self.step = step
        self.ended = []

    def assess_trial(self, trial_job_id, trial_history):
        if len(trial_history) >= self.step and trial_history[0]["default"] < self.floor:
            return AssessResult.Bad
        return AssessResult.Good

    def trial_end(self, trial_job_id, success):
        self.ended.append((trial_job_id, success))
