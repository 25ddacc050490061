"""NNI's ``remote`` training service: trials on other machines over SSH (one connection per machine)."""

from ._clean import clean
from ._ignore import IgnoreRules, code_files, pack_code
from ._machine import MachineSpec, machines_from_config
from ._scheduler import GpuInfo, MachineState, Placement, place
from ._session import SessionOptions
from .platform import RemotePlatform

__all__ = [
    "GpuInfo",
    "IgnoreRules",
    "MachineSpec",
    "MachineState",
    "Placement",
    "RemotePlatform",
    "SessionOptions",
    "clean",
    "code_files",
    "machines_from_config",
    "pack_code",
    "place",
]
