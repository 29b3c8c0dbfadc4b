"""The spec-test (.wast) runner: conversion with wasm-tools, a cache, and command execution."""

from .conversion import ConversionError, convert, convert_all, find_wasm_tools
from .results import Failure, FileResult, totals, totals_line
from .runner import EXECUTION_PENDING, SKIP_LIST, TEXT_FORMAT, WastRunner
from .skiplist import load_skiplist

__all__ = [
    "ConversionError", "convert", "convert_all", "find_wasm_tools",
    "Failure", "FileResult", "totals", "totals_line",
    "EXECUTION_PENDING", "SKIP_LIST", "TEXT_FORMAT", "WastRunner",
    "load_skiplist",
]
