"""The single-pass baseline compiler: `compile_module(info) -> CompiledModule`."""

from .module import CompiledModule, compile_module
from .values import NotSupported

__all__ = ["compile_module", "CompiledModule", "NotSupported"]
