"""Private building blocks of the model-based and multi-fidelity tuners (GP, SMAC, Metis, DNGO,
Hyperband, BOHB): surrogate models, acquisition functions and their optimisation, the bracket
schedule. Nothing here is imported by ``import nni`` or by the other tuners."""
