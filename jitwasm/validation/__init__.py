"""The Wasm 2.0 validator: `validate_module(info)` checks a decoded module against the
spec's typing rules and returns per-function facts (FuncFacts) the compiler may reuse."""

from .function import FuncFacts, validate_function
from .module import validate_module

__all__ = ["validate_module", "validate_function", "FuncFacts"]
