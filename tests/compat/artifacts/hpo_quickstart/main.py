"""Mirrors examples/tutorials/hpo_quickstart_pytorch/main.py (NNI 2.x/3.0 HPO quickstart): the experiment
configured and run through the Python API. Only change: the port comes from the command line (default 8080
as in the tutorial) so that tests can pick a free one."""

import sys

from nni.experiment import Experiment

search_space = {
    'features': {'_type': 'choice', '_value': [128, 256, 512, 1024]},
    'lr': {'_type': 'loguniform', '_value': [0.0001, 0.1]},
    'momentum': {'_type': 'uniform', '_value': [0, 1]},
}

experiment = Experiment('local')
experiment.config.trial_command = 'python model.py'
experiment.config.trial_code_directory = '.'
experiment.config.search_space = search_space
experiment.config.tuner.name = 'TPE'
experiment.config.tuner.class_args['optimize_mode'] = 'maximize'
experiment.config.max_trial_number = 4
experiment.config.trial_concurrency = 2

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
experiment.run(port)

# what a user looks at afterwards, through the same object
print('STATUS', experiment.get_status())
print('TRIALS', len(experiment.list_trial_jobs()))
print('EXPORTED', len(experiment.export_data()))
print('EXPERIMENT_ID', experiment.id)

# input('Press enter to quit')
experiment.stop()
