"""The error corpus: bad configs and search spaces, each refused with one clear line.

Every case writes its files to a fresh folder and loads the config; the message must match exactly
({d} is the folder, {runs} the platforms this build runs). Messages name the file, the key or
parameter path, what was given and what was expected.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from nni.config import load_config, platform_names
from nni.errors import ConfigError, SearchSpaceError

from .conftest import write_file

BASE = {
    "searchSpaceFile": "space.json",
    "trialCommand": "python3 trial.py",
    "trialConcurrency": 1,
    "tuner": {"name": "Random", "classArgs": {"seed": 1}},
    "trainingService": {"platform": "local"},
}
V1 = {
    "authorName": "me", "experimentName": "old", "trialConcurrency": 1, "maxExecDuration": "1h",
    "maxTrialNum": 10, "trainingServicePlatform": "local", "searchSpacePath": "space.json",
    "tuner": {"builtinTunerName": "Random"}, "trial": {"command": "python3 trial.py", "codeDir": "."},
}
NFS = {"storageType": "nfs", "server": "10.0.0.2", "path": "/exports/nni"}
ARCHIVED = ("run the trials on Kubernetes instead: platform: kubernetes (a Job per trial) or platform: kubeflow "
            "(a PyTorchJob/TFJob); see 'Running on Kubernetes' in the README")
GOOD_SPACE = {"lr": {"_type": "uniform", "_value": [0, 1]}}


def cfg(base=BASE, **changes):
    data = copy.deepcopy(base)
    for key, value in changes.items():
        parts = key.split("__")
        node = data
        for part in parts[:-1]:
            node = node[part]
        if value is DELETE:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return data


DELETE = object()
TWO = [{"name": "acc", "mode": "maximize"}, {"name": "lat", "mode": "minimize"}]


def space_case(space):
    return {"exp.yml": cfg(), "space.json": space}


# (id, files {name: content}, (error type, message))
CASES = [
    ("misspelt-key", {"exp.yml": cfg(trialConcurency=2)},
     (ConfigError, "{d}/exp.yml: 'trialConcurency': unknown key; did you mean 'trialConcurrency'?")),
    ("unknown-key", {"exp.yml": cfg(colour="red")},
     (ConfigError, "{d}/exp.yml: 'colour': unknown key; expected one of: experimentName, searchSpaceFile, searchSpace, trialCommand, trialCodeDirectory, trialConcurrency, trialGpuNumber, maxExperimentDuration, maxTrialNumber, maxTrialDuration, nniManagerIp, useAnnotation, debug, logLevel, experimentWorkingDirectory, tunerGpuIndices, tuner, assessor, advisor, trainingService, objectives, constraints")),
    ("concurrency-str", {"exp.yml": cfg(trialConcurrency="two")},
     (ConfigError, "{d}/exp.yml: 'trialConcurrency': expected an integer >= 1, got 'two' (str)")),
    ("concurrency-zero", {"exp.yml": cfg(trialConcurrency=0)},
     (ConfigError, "{d}/exp.yml: 'trialConcurrency': expected an integer >= 1, got 0")),
    ("concurrency-float", {"exp.yml": cfg(trialConcurrency=1.5)},
     (ConfigError, "{d}/exp.yml: 'trialConcurrency': expected an integer >= 1, got 1.5 (float)")),
    ("missing-command", {"exp.yml": cfg(trialCommand=DELETE)},
     (ConfigError, "{d}/exp.yml: 'trialCommand': missing; the command that runs one trial, e.g. 'python3 trial.py'")),
    ("empty-command", {"exp.yml": cfg(trialCommand="  ")},
     (ConfigError, "{d}/exp.yml: 'trialCommand': expected a non-empty string, got ''")),
    ("missing-space", {"exp.yml": cfg(searchSpaceFile=DELETE)},
     (ConfigError, "{d}/exp.yml: 'searchSpaceFile': missing; give searchSpaceFile (a JSON or YAML file) or searchSpace (inline), or set useAnnotation: true")),
    ("space-file-missing", {"exp.yml": cfg(searchSpaceFile="nope.json")},
     (ConfigError, "{d}/exp.yml: 'searchSpaceFile': file not found: {d}/nope.json (given 'nope.json', relative to {d})")),
    ("space-file-is-dir", {"exp.yml": cfg(searchSpaceFile="sub"), "sub/x.txt": "x"},
     (ConfigError, "{d}/exp.yml: 'searchSpaceFile': is a directory, expected a file: {d}/sub (given 'sub', relative to {d})")),
    ("duration-unit", {"exp.yml": cfg(maxExperimentDuration="1w")},
     (ConfigError, "{d}/exp.yml: 'maxExperimentDuration': expected a number of seconds or a string with a unit s, m, h or d (e.g. 90s, 30m, 1h, 2d), got '1w' (str)")),
    ("duration-negative", {"exp.yml": cfg(maxTrialDuration=-5)},
     (ConfigError, "{d}/exp.yml: 'maxTrialDuration': expected a positive duration (a number of seconds or a string with a unit s, m, h or d (e.g. 90s, 30m, 1h, 2d)), got -5 (int)")),
    ("duration-compound", {"exp.yml": cfg(maxExperimentDuration="1h30m")},
     (ConfigError, "{d}/exp.yml: 'maxExperimentDuration': expected a number of seconds or a string with a unit s, m, h or d (e.g. 90s, 30m, 1h, 2d), got '1h30m' (str)")),
    ("max-trials-zero", {"exp.yml": cfg(maxTrialNumber=0)},
     (ConfigError, "{d}/exp.yml: 'maxTrialNumber': expected an integer >= 1, got 0")),
    ("bool-as-string", {"exp.yml": cfg(useAnnotation="yes")},
     (ConfigError, "{d}/exp.yml: 'useAnnotation': expected true or false, got 'yes' (str)")),
    ("log-level", {"exp.yml": cfg(logLevel="verbose")},
     (ConfigError, "{d}/exp.yml: 'logLevel': expected one of trace, debug, info, warning, error, fatal, got 'verbose' (str)")),
    ("code-dir-missing", {"exp.yml": cfg(trialCodeDirectory="src")},
     (ConfigError, "{d}/exp.yml: 'trialCodeDirectory': directory not found: {d}/src (given 'src', relative to {d})")),
    ("working-dir-type", {"exp.yml": cfg(experimentWorkingDirectory=5)},
     (ConfigError, "{d}/exp.yml: 'experimentWorkingDirectory': expected a path, got 5 (int)")),
    ("gpu-number-negative", {"exp.yml": cfg(trialGpuNumber=-1)},
     (ConfigError, "{d}/exp.yml: 'trialGpuNumber': expected an integer >= 0, got -1")),
    ("tuner-gpu-indices", {"exp.yml": cfg(tunerGpuIndices="a,b")},
     (ConfigError, "{d}/exp.yml: 'tunerGpuIndices': expected GPU indices like [0, 1] or '0,1', got 'a,b' (str)")),
    ("no-training-service", {"exp.yml": cfg(trainingService=DELETE)},
     (ConfigError, "{d}/exp.yml: 'trainingService': missing; where trials run, e.g. {platform: local}")),
    ("platform-pai", {"exp.yml": cfg(trainingService={"platform": "pai"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.platform': platform 'pai' is not supported: OpenPAI is archived upstream (no releases since 2021); " + ARCHIVED)),
    ("platform-aml", {"exp.yml": cfg(trainingService={"platform": "aml"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.platform': platform 'aml' is not supported by this build; it runs: {runs}")),
    ("platform-kubeflow-no-operator", {"exp.yml": cfg(trainingService={"platform": "kubeflow", "storage": NFS})},
     (ConfigError, "{d}/exp.yml: 'trainingService.operator': missing; the Kubeflow training operator: tf-operator (TFJob) or pytorch-operator (PyTorchJob)")),
    ("kubeflow-role-of-other-operator", {"exp.yml": cfg(trainingService={"platform": "kubeflow", "storage": NFS, "operator": "tf-operator", "master": {"replicas": 1}})},
     (ConfigError, "{d}/exp.yml: 'trainingService.master': tf-operator has no 'master' role; it takes ps and worker")),
    ("kubernetes-azure-storage", {"exp.yml": cfg(trainingService={"platform": "kubernetes", "dockerImage": "i", "storage": {"storageType": "azureStorage", "azureAccount": "a", "azureShare": "s"}})},
     (ConfigError, "{d}/exp.yml: 'trainingService.storage.storageType': Azure File storage (azureStorage with keyVault) is not supported by this build: it needs Azure Key Vault calls at every start; mount the Azure file share through a PersistentVolumeClaim (the azurefile CSI driver) and give storageType: pvc with its claimName")),
    ("kubernetes-pvc-no-claim", {"exp.yml": cfg(trainingService={"platform": "kubernetes", "dockerImage": "i", "storage": {"storageType": "pvc"}})},
     (ConfigError, "{d}/exp.yml: 'trainingService.storage.claimName': missing; pvc storage mounts a PersistentVolumeClaim: give its claimName, e.g. {storageType: pvc, claimName: nni-shared, localMountPath: /mnt/nni-shared}")),
    ("kubernetes-memory", {"exp.yml": cfg(trainingService={"platform": "kubernetes", "dockerImage": "i", "storage": NFS, "memorySize": "lots"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.memorySize': expected a memory size such as 8192 (megabytes), 512Mi or 8G, got 'lots' (str)")),
    ("kubernetes-no-image", {"exp.yml": cfg(trainingService={"platform": "kubernetes", "storage": NFS})},
     (ConfigError, "{d}/exp.yml: 'trainingService.dockerImage': missing; the image trials run in; it needs python3 and nni (pip install nni), e.g. my-registry/trainer:1.0")),
    ("frameworkcontroller-config-path", {"exp.yml": cfg(trainingService={"platform": "frameworkcontroller", "storage": NFS, "taskRoles": [{"name": "w"}], "configPath": "t.yml"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.configPath': configPath (a hand-written Framework template) is not supported by this build; describe the task roles in taskRoles and the volume in storage")),
    ("kubeflow-registry-auth", {"exp.yml": cfg(trainingService={"platform": "kubeflow", "storage": NFS, "operator": "tf-operator", "worker": {"privateRegistryAuthPath": "auth.json"}})},
     (ConfigError, "{d}/exp.yml: 'trainingService.worker.privateRegistryAuthPath': privateRegistryAuthPath is not supported by this build (it would copy your registry credentials into the cluster); create a docker-registry secret once (kubectl create secret docker-registry ...) and name it in trainingService.imagePullSecrets")),
    ("platform-unknown", {"exp.yml": cfg(trainingService={"platform": "locl"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.platform': unknown platform 'locl'; this build runs: {runs}")),
    ("platform-missing", {"exp.yml": cfg(trainingService={"useActiveGpu": True})},
     (ConfigError, "{d}/exp.yml: 'trainingService.platform': missing; the platform to run trials on, one of {runs}")),
    ("hybrid-list", {"exp.yml": cfg(trainingService=[{"platform": "local"}, {"platform": "remote"}])},
     (ConfigError, "{d}/exp.yml: 'trainingService': a list of training services (NNI's hybrid mode) is not supported by this build; give one training service, with platform one of {runs}")),
    ("training-service-str", {"exp.yml": cfg(trainingService="local")},
     (ConfigError, "{d}/exp.yml: 'trainingService': expected a mapping with 'platform' and the platform's keys, got 'local' (str)")),
    ("local-misspelt", {"exp.yml": cfg(trainingService={"platform": "local", "useActiveGPU": True})},
     (ConfigError, "{d}/exp.yml: 'trainingService.useActiveGPU': unknown key; did you mean 'useActiveGpu'?")),
    ("local-per-gpu-zero", {"exp.yml": cfg(trainingService={"platform": "local", "maxTrialNumberPerGpu": 0})},
     (ConfigError, "{d}/exp.yml: 'trainingService.maxTrialNumberPerGpu': expected an integer >= 1, got 0")),
    ("remote-no-machines", {"exp.yml": cfg(trainingService={"platform": "remote"})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList': missing; the SSH machines, e.g. [{host: 10.0.0.2, user: me, sshKeyFile: ~/.ssh/id_rsa}]")),
    ("remote-empty-machines", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": []})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList': expected at least one machine entry, got an empty list")),
    ("remote-no-user", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [{"host": "h"}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].user': missing; the SSH user name")),
    ("remote-port", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"host": "h", "user": "u", "port": "22x"}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].port': expected an integer from 1 to 65535, got '22x' (str)")),
    ("remote-port-range", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"host": "h", "user": "u", "port": 70000}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].port': expected an integer from 1 to 65535, got 70000")),
    ("remote-key-missing", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"host": "h", "user": "u", "sshKeyFile": "id_rsa"}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].sshKeyFile': file not found: {d}/id_rsa (given 'id_rsa', relative to {d})")),
    ("remote-password-and-key", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"host": "h", "user": "u", "password": "p", "sshKeyFile": "key"}]}), "key": "k"},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0]': give either password or sshKeyFile for a machine, not both")),
    ("remote-passphrase-no-key", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"host": "h", "user": "u", "password": "p", "passphrase": "x"}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].passphrase': a passphrase unlocks an sshKeyFile, but no sshKeyFile is given")),
    ("remote-v1-key-in-v2", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": [
        {"ip": "h", "user": "u"}]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0].ip': unknown key; 'ip' is the legacy v1 name, a v2 config calls it 'host'")),
    ("remote-machine-not-mapping", {"exp.yml": cfg(trainingService={"platform": "remote", "machineList": ["h"]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.machineList[0]': expected the machine as a mapping of keys to values, got 'h' (str)")),
    ("gpu-indices-negative", {"exp.yml": cfg(trainingService={"platform": "local", "gpuIndices": [0, -1]})},
     (ConfigError, "{d}/exp.yml: 'trainingService.gpuIndices': expected GPU indices (integers >= 0) like [0, 1], got [0, -1] (list)")),
    ("tuner-unknown-name", {"exp.yml": cfg(tuner={"name": "TPF"})},
     (ConfigError, "{d}/exp.yml: 'tuner.name': unknown built-in tuner 'TPF'; did you mean 'TPE'? built-in tuners: TPE, Random, Anneal, Evolution, GridSearch, Batch, GP, Metis, SMAC, PBT, DNGO, Hyperband, BOHB (or give className and codeDirectory for a custom tuner)")),
    ("tuner-assessor-name", {"exp.yml": cfg(tuner={"name": "Medianstop"})},
     (ConfigError, "{d}/exp.yml: 'tuner.name': unknown built-in tuner 'Medianstop'; 'Medianstop' is a built-in assessor, not a tuner; built-in tuners: TPE, Random, Anneal, Evolution, GridSearch, Batch, GP, Metis, SMAC, PBT, DNGO, Hyperband, BOHB (or give className and codeDirectory for a custom tuner)")),
    ("tuner-unknown-arg", {"exp.yml": cfg(tuner={"name": "Random", "classArgs": {"sed": 1}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.sed': unknown argument 'sed' for RandomTuner; did you mean 'seed'? accepted: seed, optimize_mode")),
    ("tuner-optimise-mode", {"exp.yml": cfg(tuner={"name": "Random", "classArgs": {"optimise_mode": "maximize"}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.optimise_mode': unknown argument 'optimise_mode' for RandomTuner; did you mean 'optimize_mode'? accepted: seed, optimize_mode")),
    ("tuner-bad-arg-value", {"exp.yml": cfg(tuner={"name": "Random", "classArgs": {"seed": "one"}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs': RandomClassArgsValidator rejected classArgs {'seed': 'one'}: RandomTuner: seed must be an integer, got 'one' (str)")),
    ("grid-takes-no-args", {"exp.yml": cfg(tuner={"name": "Batch", "classArgs": {"seed": 1}},
                                            searchSpaceFile="batch.json"),
                            "batch.json": {"p": {"_type": "choice", "_value": [{"a": 1}]}}},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.seed': unknown argument 'seed' for BatchTuner; accepted: none (BatchTuner takes no classArgs)")),
    ("tuner-name-and-class", {"exp.yml": cfg(tuner={"name": "TPE", "className": "a.B"})},
     (ConfigError, "{d}/exp.yml: 'tuner': give either name (a built-in) or className (a custom class), not both; got name='TPE' and className='a.B'")),
    ("tuner-empty", {"exp.yml": cfg(tuner={"classArgs": {}})},
     (ConfigError, "{d}/exp.yml: 'tuner': needs name (a built-in, e.g. TPE) or className + codeDirectory (a custom class)")),
    ("tuner-str", {"exp.yml": cfg(tuner="TPE")},
     (ConfigError, "{d}/exp.yml: 'tuner': expected the algorithm as a mapping of keys to values, got 'TPE' (str)")),
    ("tuner-class-args-list", {"exp.yml": cfg(tuner={"name": "Random", "classArgs": [1]})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs': expected a mapping of names to values, got [1] (list)")),
    ("tuner-misspelt-key", {"exp.yml": cfg(tuner={"name": "Random", "classArg": {}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArg': unknown key; did you mean 'classArgs'?")),
    ("tuner-and-advisor", {"exp.yml": cfg(advisor={"name": "Hyperband"})},
     (ConfigError, "{d}/exp.yml: 'advisor': give a tuner or an advisor, not both (an advisor does the tuner's job)")),
    ("no-tuner", {"exp.yml": cfg(tuner=DELETE)},
     (ConfigError, "{d}/exp.yml: 'tuner': missing; a tuner (e.g. {name: TPE, classArgs: {optimize_mode: maximize}}) or an advisor is required")),
    ("custom-module-missing", {"exp.yml": cfg(tuner={"className": "my_tuner.MyTuner", "codeDirectory": "."})},
     (ConfigError, "{d}/exp.yml: 'tuner.className': cannot load custom tuner 'my_tuner.MyTuner': module 'my_tuner' not found in '{d}'")),
    ("custom-class-missing", {"exp.yml": cfg(tuner={"className": "my_tuner.MyTunr", "codeDirectory": "."}),
                              "my_tuner.py": "from nni.tuner import Tuner\nclass MyTuner(Tuner):\n    pass\n"},
     (ConfigError, "{d}/exp.yml: 'tuner.className': cannot load custom tuner 'my_tuner.MyTunr': module 'my_tuner' has no class 'MyTunr'; did you mean 'MyTuner'? (classes: MyTuner)")),
    ("custom-code-dir-missing", {"exp.yml": cfg(tuner={"className": "m.T", "codeDirectory": "tuners"})},
     (ConfigError, "{d}/exp.yml: 'tuner.codeDirectory': directory not found: {d}/tuners (given 'tuners', relative to {d})")),
    ("code-dir-for-builtin", {"exp.yml": cfg(tuner={"name": "TPE", "codeDirectory": "."})},
     (ConfigError, "{d}/exp.yml: 'tuner.codeDirectory': codeDirectory is for a custom className; a built-in name needs none")),
    ("custom-validator", {"exp.yml": cfg(tuner={"className": "v_tuner.VTuner", "codeDirectory": ".",
                                                "classArgs": {"optimize_mode": "max"}}),
                          "v_tuner.py": (
                              "from nni.tuner import Tuner\nfrom nni.utils import ClassArgsValidator\n"
                              "class VClassArgsValidator(ClassArgsValidator):\n"
                              "    def validate_class_args(self, **kwargs):\n"
                              "        self.choices('optimize_mode', 'maximize', 'minimize')(kwargs['optimize_mode'])\n"
                              "class VTuner(Tuner):\n    def __init__(self, optimize_mode='maximize'):\n        pass\n")},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs': VClassArgsValidator rejected classArgs {'optimize_mode': 'max'}: optimize_mode should be in ['maximize', 'minimize'], got 'max'")),
    ("assessor-unknown-arg", {"exp.yml": cfg(assessor={"name": "Medianstop", "classArgs": {"optimize_mode": "maximize"}},
                                             tuner={"name": "Random", "classArgs": {"seeds": 1}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.seeds': unknown argument 'seeds' for RandomTuner; did you mean 'seed'? accepted: seed, optimize_mode")),
    ("config-missing", {},
     (ConfigError, '{d}/exp.yml: config file not found (looked for {d}/exp.yml)')),
    ("yaml-invalid", {"exp.yml": "trialCommand: [unclosed\n"},
     (ConfigError, "{d}/exp.yml: not valid YAML at line 2 column 1: expected ',' or ']', but got '<stream end>'")),
    ("json-invalid", {"exp.json": '{"trialCommand": "x",}'},
     (ConfigError, '{d}/exp.json: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 22')),
    ("top-level-list", {"exp.yml": "- a\n- b\n"},
     (ConfigError, '{d}/exp.yml: expected a mapping of config keys at the top level, got list')),
    ("empty-file", {"exp.yml": ""},
     (ConfigError, '{d}/exp.yml: the config file is empty; expected a mapping of config keys (trialCommand, ...)')),
    ("mixed-v1-v2", {"exp.yml": cfg(authorName="me")},
     (ConfigError, '{d}/exp.yml: mixes legacy v1 keys (authorName) with v2 keys (searchSpaceFile, trainingService, trialCommand); write the whole config in one format (v2: trialCommand, trainingService, ...)')),
    ("v2-twice", {"exp.yml": cfg(trial_command="python3 other.py")},
     (ConfigError, "{d}/exp.yml: 'trial_command': given twice (as 'trialCommand' and 'trial_command')")),
    # legacy v1
    ("v1-duration", {"exp.yml": cfg(V1, maxExecDuration="10x")},
     (ConfigError, "{d}/exp.yml: 'maxExecDuration': expected a number of seconds or a string with a unit s, m, h or d (e.g. 90s, 30m, 1h, 2d), got '10x' (str)")),
    ("v1-max-trials", {"exp.yml": cfg(V1, maxTrialNum="many")},
     (ConfigError, "{d}/exp.yml: 'maxTrialNum': expected an integer >= 1, got 'many' (str)")),
    ("v1-misspelt-key", {"exp.yml": cfg(V1, authorname="x")},
     (ConfigError, "{d}/exp.yml: 'authorname': unknown key in a v1 config; did you mean 'authorName'?")),
    ("v1-trial-key", {"exp.yml": cfg(V1, trial={"comand": "python3 t.py"})},
     (ConfigError, "{d}/exp.yml: 'trial.comand': unknown key in a v1 trial section; did you mean 'command'?")),
    ("v1-no-trial", {"exp.yml": cfg(V1, trial=DELETE)},
     (ConfigError, "{d}/exp.yml: 'trial': missing; the trial section, e.g. {command: python3 trial.py, codeDir: .}")),
    ("v1-no-command", {"exp.yml": cfg(V1, trial={"codeDir": "."})},
     (ConfigError, "{d}/exp.yml: 'trial.command': missing; the command that runs one trial, e.g. 'python3 trial.py'")),
    ("v1-tuner-name", {"exp.yml": cfg(V1, tuner={"builtinTunerName": "TPEE"})},
     (ConfigError, "{d}/exp.yml: 'tuner.builtinTunerName': unknown built-in tuner 'TPEE'; did you mean 'TPE'? built-in tuners: TPE, Random, Anneal, Evolution, GridSearch, Batch, GP, Metis, SMAC, PBT, DNGO, Hyperband, BOHB (or give className and codeDirectory for a custom tuner)")),
    ("v1-tuner-arg", {"exp.yml": cfg(V1, tuner={"builtinTunerName": "Random", "classArgs": {"optimize_mod": "x"}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.optimize_mod': unknown argument 'optimize_mod' for RandomTuner; did you mean 'optimize_mode'? accepted: seed, optimize_mode")),
    ("v1-tuner-key", {"exp.yml": cfg(V1, tuner={"builtinTunerNam": "Random"})},
     (ConfigError, "{d}/exp.yml: 'tuner.builtinTunerNam': unknown key in a v1 tuner section; did you mean 'builtinTunerName'?")),
    ("v1-machine-passwd", {"exp.yml": cfg(V1, trainingServicePlatform="remote",
                                          machineList=[{"ip": "h", "username": "u", "passwd": 123}])},
     (ConfigError, "{d}/exp.yml: 'machineList[0].passwd': expected a string, got 123 (int)")),
    ("v1-machine-key", {"exp.yml": cfg(V1, trainingServicePlatform="remote",
                                       machineList=[{"host": "h", "username": "u"}])},
     (ConfigError, "{d}/exp.yml: 'machineList[0].host': unknown key in a v1 machine; expected one of: ip, port, username, passwd, sshKeyPath, passphrase, gpuIndices, maxTrialNumPerGpu, useActiveGpu, pythonPath")),
    ("v1-platform", {"exp.yml": cfg(V1, trainingServicePlatform="adl")},
     (ConfigError, "{d}/exp.yml: 'trainingServicePlatform': platform 'adl' is not supported: AdaptDL is archived upstream; " + ARCHIVED)),
    ("v1-frameworkcontroller-placeholder", {"exp.yml": cfg(V1, trainingServicePlatform="frameworkcontroller", trial={"codeDir": ".", "taskRoles": [{"name": "worker", "taskNum": 1, "command": "python3 t.py"}]}, frameworkcontrollerConfig={"storage": "nfs", "nfs": {"server": {"your_nfs_server_ip": None}, "path": "/x"}})},
     (ConfigError, "{d}/exp.yml: 'frameworkcontrollerConfig.nfs.server': is still the sample config's placeholder {your_nfs_server_ip}; put your NFS server's address or export path there")),
    ("v1-kubeflow-role-key", {"exp.yml": cfg(V1, trainingServicePlatform="kubeflow", trial={"codeDir": ".", "worker": {"replica": 1}}, kubeflowConfig={"operator": "tf-operator", "nfs": {"server": "s", "path": "/p"}})},
     (ConfigError, "{d}/exp.yml: 'trial.worker.replica': unknown key in a v1 worker role; did you mean 'replicas'?")),
    ("v1-no-platform", {"exp.yml": cfg(V1, trainingServicePlatform=DELETE)},
     (ConfigError, "{d}/exp.yml: 'trainingServicePlatform': missing; the platform trials run on, e.g. local")),
    ("v1-class-file-only", {"exp.yml": cfg(V1, tuner={"codeDir": ".", "classFileName": "t.py"})},
     (ConfigError, "{d}/exp.yml: 'tuner.className': missing; a custom v1 algorithm needs codeDir, classFileName (e.g. my_tuner.py) and className (e.g. MyTuner)")),
    ("v1-multiphase", {"exp.yml": cfg(V1, multiPhase=True)},
     (ConfigError, "{d}/exp.yml: 'multiPhase': multiPhase trials are not supported by this build; remove multiPhase")),
    ("v1-pai-config", {"exp.yml": cfg(V1, paiConfig={"host": "x"})},
     (ConfigError, "{d}/exp.yml: 'paiConfig': platform 'pai' is not supported: OpenPAI is archived upstream (no releases since 2021); " + ARCHIVED)),
    ("v1-code-dir", {"exp.yml": cfg(V1, trial={"command": "x", "codeDir": "nowhere"})},
     (ConfigError, "{d}/exp.yml: 'trial.codeDir': directory not found: {d}/nowhere (given 'nowhere', relative to {d})")),
    ("v1-local-config", {"exp.yml": cfg(V1, localConfig={"gpuIndices": "x"})},
     (ConfigError, "{d}/exp.yml: 'localConfig.gpuIndices': expected GPU indices like [0, 1] or '0,1', got 'x' (str)")),
    ("v1-space-path", {"exp.yml": cfg(V1, searchSpacePath="missing.json")},
     (ConfigError, "{d}/exp.yml: 'searchSpacePath': file not found: {d}/missing.json (given 'missing.json', relative to {d})")),
    # search spaces
    ("space-invalid-json", {"exp.yml": cfg(), "space.json": "{'lr': 1}"},
     (SearchSpaceError, '{d}/space.json: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2')),
    ("space-invalid-yaml", {"exp.yml": cfg(searchSpaceFile="space.yml"), "space.yml": "a: [1\n"},
     (SearchSpaceError, "{d}/space.yml: not valid YAML at line 2 column 1: expected ',' or ']', but got '<stream end>'")),
    ("space-unknown-type", space_case({"lr": {"_type": "unifrom", "_value": [0, 1]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': unknown _type 'unifrom'; expected one of choice, randint, uniform, quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal")),
    ("space-empty-choice", space_case({"act": {"_type": "choice", "_value": []}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'act': choice needs at least one option, got an empty list")),
    ("space-low-high", space_case({"lr": {"_type": "uniform", "_value": [1, 0.5]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': uniform needs low < high, got low=1 >= high=0.5")),
    ("space-q-zero", space_case({"n": {"_type": "quniform", "_value": [0, 10, 0]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'n': quniform needs q > 0, got q=0")),
    ("space-log-bound", space_case({"lr": {"_type": "loguniform", "_value": [0, 1]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': loguniform needs low > 0 (the log of a non-positive bound is undefined), got low=0")),
    ("space-arity", space_case({"lr": {"_type": "uniform", "_value": [0, 1, 2]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': uniform takes [low, high] (2 numbers), got [0, 1, 2]")),
    ("space-nested-no-name", space_case({"opt": {"_type": "choice", "_value": [{"lr": 1}]}}),
     (SearchSpaceError, '{d}/space.json: search space parameter \'opt\': option 0 is a dict without \'_name\'; a nested option must be {"_name": ..., <sub-parameters>}, got {\'lr\': 1}')),
    ("space-nested-deep", space_case({"opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "lr": {"_type": "loguniform", "_value": [-1, 1]}}]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'opt[0]/lr': loguniform needs low > 0 (the log of a non-positive bound is undefined), got low=-1")),
    ("space-missing-value", space_case({"lr": {"_type": "uniform"}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': missing '_value'")),
    ("space-not-mapping", space_case([1, 2]),
     (SearchSpaceError, "{d}/space.json: the search space must be a JSON object mapping names to {'_type', '_value'}, got list")),
    ("space-randint-float", space_case({"n": {"_type": "randint", "_value": [0.5, 3]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'n': randint takes integer bounds, got [0.5, 3]")),
    ("space-sigma", space_case({"x": {"_type": "normal", "_value": [0, 0]}}),
     (SearchSpaceError, "{d}/space.json: search space parameter 'x': normal needs sigma > 0, got sigma=0")),
    ("space-inline-bad", {"exp.yml": cfg(searchSpaceFile=DELETE, searchSpace={"x": {"_type": "choice", "_value": 3}})},
     (SearchSpaceError, "{d}/exp.yml: search space parameter 'x': '_value' must be a list, got 3")),
    ("space-inline-list", {"exp.yml": cfg(searchSpaceFile=DELETE, searchSpace=["x"])},
     (ConfigError, "{d}/exp.yml: 'searchSpace': expected a mapping of names to values, got ['x'] (list)")),
    ("space-both-differ", {"exp.yml": cfg(searchSpace={"y": {"_type": "uniform", "_value": [0, 1]}})},
     (ConfigError, "{d}/exp.yml: 'searchSpace': both searchSpace and searchSpaceFile are given and they differ; give one of them")),
    ("batch-space", {"exp.yml": cfg(tuner={"name": "BatchTuner"})},
     (SearchSpaceError, "{d}/space.json: search space parameter 'lr': the Batch tuner needs _type 'choice' (its options are whole configurations), got 'uniform'")),
    # several objectives and constraints
    ("objective-twice", {"exp.yml": cfg(objectives=[{"name": "acc", "mode": "maximize"}, {"name": "acc", "mode": "minimize"}])},
     (ConfigError, "{d}/exp.yml: 'objectives[1].name': objective 'acc' is named twice; give each objective once")),
    ("objective-mode", {"exp.yml": cfg(objectives=[{"name": "acc", "mode": "max"}])},
     (ConfigError, "{d}/exp.yml: 'objectives[0].mode': expected one of maximize, minimize, got 'max' (str)")),
    ("objective-no-mode", {"exp.yml": cfg(objectives=[{"name": "acc"}])},
     (ConfigError, "{d}/exp.yml: 'objectives[0].mode': missing; maximize or minimize")),
    ("objective-no-name", {"exp.yml": cfg(objectives=[{"mode": "maximize"}])},
     (ConfigError, "{d}/exp.yml: 'objectives[0].name': missing; the key trials report this objective under, e.g. accuracy")),
    ("objectives-empty", {"exp.yml": cfg(objectives=[])},
     (ConfigError, "{d}/exp.yml: 'objectives': expected at least one objective entry, got an empty list")),
    ("objective-unknown-key", {"exp.yml": cfg(objectives=[{"name": "acc", "mode": "maximize", "goal": 1}])},
     (ConfigError, "{d}/exp.yml: 'objectives[0].goal': unknown key; expected one of: name, mode")),
    ("constraint-on-objective", {"exp.yml": cfg(objectives=TWO, constraints=[{"name": "lat", "max": 3}])},
     (ConfigError, "{d}/exp.yml: 'constraints[0].name': 'lat' is an objective; an objective cannot also be a constraint (report the bounded value under another key, or drop the constraint)")),
    ("constraint-no-bound", {"exp.yml": cfg(objectives=TWO, constraints=[{"name": "mem"}])},
     (ConfigError, "{d}/exp.yml: 'constraints[0]': constraint 'mem' has no bound; give max, min or both (e.g. {name: mem, max: 4000})")),
    ("constraint-min-above-max", {"exp.yml": cfg(objectives=TWO, constraints=[{"name": "mem", "min": 5, "max": 3}])},
     (ConfigError, "{d}/exp.yml: 'constraints[0].min': min (5) is above max (3) for constraint 'mem'; no value could satisfy it")),
    ("constraint-twice", {"exp.yml": cfg(objectives=TWO, constraints=[{"name": "mem", "max": 3}, {"name": "mem", "min": 1}])},
     (ConfigError, "{d}/exp.yml: 'constraints[1].name': constraint 'mem' is named twice; give one entry with both max and min")),
    ("constraint-bound-text", {"exp.yml": cfg(objectives=TWO, constraints=[{"name": "mem", "max": "4GB"}])},
     (ConfigError, "{d}/exp.yml: 'constraints[0].max': expected a finite number, got '4GB' (str)")),
    ("constraints-without-objectives", {"exp.yml": cfg(constraints=[{"name": "mem", "max": 3}])},
     (ConfigError, "{d}/exp.yml: 'constraints': constraints need objectives; declare them too (objectives: [{name: accuracy, mode: maximize}])")),
    ("tuner-single-objective-only", {"exp.yml": cfg(objectives=TWO, tuner={"name": "SMAC"})},
     (ConfigError, "{d}/exp.yml: 'tuner.name': tuner 'SMAC' cannot optimise several objectives or honour constraints (acc (maximize), lat (minimize)); tuners that can: TPE, Random, Evolution, GridSearch, Batch, GP (a custom tuner declares supports_multiple_objectives = True)")),
    ("tuner-no-constraints", {"exp.yml": cfg(objectives=TWO[:1], constraints=[{"name": "mem", "max": 3}], tuner={"name": "Anneal"})},
     (ConfigError, "{d}/exp.yml: 'tuner.name': tuner 'Anneal' cannot optimise several objectives or honour constraints (acc (maximize); constraints: mem <= 3); tuners that can: TPE, Random, Evolution, GridSearch, Batch, GP (a custom tuner declares supports_multiple_objectives = True)")),
    ("objective-mode-contradicted", {"exp.yml": cfg(objectives=TWO[:1], tuner={"name": "TPE", "classArgs": {"optimize_mode": "minimize"}})},
     (ConfigError, "{d}/exp.yml: 'tuner.classArgs.optimize_mode': optimize_mode is 'minimize' but the only objective, 'acc', is to maximize; drop optimize_mode (the objectives set the direction) or make them agree")),
    ("assessor-unknown-objective", {"exp.yml": cfg(objectives=TWO, tuner={"name": "TPE"}, assessor={"name": "Medianstop", "classArgs": {"objective": "loss"}})},
     (ConfigError, "{d}/exp.yml: 'assessor.classArgs.objective': 'loss' is not a declared objective; the assessor judges by one of acc, lat")),
    ("assessor-mode-contradicted", {"exp.yml": cfg(objectives=TWO, tuner={"name": "TPE"}, assessor={"name": "Medianstop", "classArgs": {"optimize_mode": "minimize"}})},
     (ConfigError, "{d}/exp.yml: 'assessor.classArgs.optimize_mode': optimize_mode is 'minimize' but the assessor judges by objective 'acc', which is to maximize; drop optimize_mode (the objectives set the direction) or make them agree")),
    ("assessor-objective-without-objectives", {"exp.yml": cfg(assessor={"name": "Medianstop", "classArgs": {"objective": "acc"}})},
     (ConfigError, "{d}/exp.yml: 'assessor.classArgs.objective': the assessor is told to judge by objective 'acc', but the config declares no objectives; declare them (objectives: [...]) or drop classArgs.objective")),
]



def _materialise(folder: Path, files: dict[str, Any]) -> Path:
    files = dict(files)
    files.setdefault("space.json", GOOD_SPACE)
    for name, content in files.items():
        write_file(folder / name, content)
    return folder / ("exp.json" if "exp.json" in files else "exp.yml")


def test_corpus_is_large_and_ids_unique() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line(tmp_path: Path, files: dict[str, Any], expected: tuple[type, str]) -> None:
    error_type, message = expected
    config = _materialise(tmp_path, files)
    with pytest.raises(error_type) as info:
        load_config(config)
    assert type(info.value) is error_type  # the very type, not only a subclass of it
    runs = ", ".join(platform_names(available_only=True))
    text = str(info.value)
    assert "\n" not in text, f"the message spans several lines: {text!r}"
    assert text == message.replace("{d}", str(tmp_path)).replace("{runs}", runs)
    assert text.startswith(str(tmp_path)), "the message must name the file"
