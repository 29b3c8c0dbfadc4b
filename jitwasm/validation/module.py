"""Module-level validation: everything outside function bodies, then every body."""

from ..binary.decoder import BODY_FRAME, check_body_well_formed
from ..binary.module import ELEM_ACTIVE, DATA_ACTIVE, ModuleInfo
from ..binary.types import (
    EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, FUNCREF, I32, Limits,
)
from ..errors import ValidationError
from .const_expr import check_const_expr, const_expr_func_refs
from .context import ModuleContext
from .function import validate_function

MAX_MEMORY_PAGES = 65536


def validate_module(info: ModuleInfo) -> list:
    """Validate a decoded module; raise ValidationError (or DecodeError for malformed bodies).

    Returns one FuncFacts per defined function (parallel to `info.codes`).
    """
    try:
        _check_module_fields(info)
    except ValidationError:
        _raise_if_bodies_malformed(info, 0)
        raise
    ctx = ModuleContext(info, _declared_func_refs(info))
    facts = []
    first = info.num_imported_funcs
    funcs = ctx.funcs
    for i, body in enumerate(info.codes):
        params, results = funcs[first + i]
        try:
            facts.append(validate_function(ctx, first + i, body, params, results))
        except ValidationError:
            _raise_if_bodies_malformed(info, i + 1)
            raise
    return facts


def _raise_if_bodies_malformed(info: ModuleInfo, first: int) -> None:
    """The spec decodes every body before validating anything, so a malformed body beats a
    typing error found earlier (the validator decodes bodies lazily, as it types them)."""
    data = info.data
    has_data_count = info.data_count is not None
    for body in info.codes[first:]:
        check_body_well_formed(data, body.code_start, body.end, [BODY_FRAME], has_data_count)


def _check_module_fields(info: ModuleInfo) -> None:
    """Everything outside the function bodies."""
    _check_imports(info)
    for type_index in info.func_type_indices:
        _check_type_index(info, type_index, None)
    for table in info.tables:
        _check_table_limits(table.limits, None)
    for memory in info.memories:
        _check_memory_limits(memory.limits, None)
    if len(info.memory_types) > 1:
        raise ValidationError("multiple memories")
    # Wasm 2.0: constant expressions see only the imported globals.
    const_globals = info.global_types[:info.num_imported_globals]
    num_funcs = len(info.func_types)
    for g in info.globals:
        check_const_expr(g.init, g.type.valtype, const_globals, num_funcs)
    _check_exports(info)
    _check_start(info)
    _check_elements(info, const_globals)
    _check_datas(info, const_globals)


def _check_type_index(info: ModuleInfo, index: int, offset) -> None:
    if index >= len(info.types):
        raise ValidationError("unknown type", None, offset)


def _check_table_limits(limits: Limits, offset) -> None:
    if limits.max is not None and limits.min > limits.max:
        raise ValidationError("size minimum must not be greater than maximum", None, offset)


def _check_memory_limits(limits: Limits, offset) -> None:
    if limits.min > MAX_MEMORY_PAGES or (limits.max is not None and limits.max > MAX_MEMORY_PAGES):
        raise ValidationError("memory size must be at most 65536 pages (4GiB)", None, offset)
    if limits.max is not None and limits.min > limits.max:
        raise ValidationError("size minimum must not be greater than maximum", None, offset)


def _check_imports(info: ModuleInfo) -> None:
    for imp in info.imports:
        if imp.kind == EXTERN_FUNC:
            _check_type_index(info, imp.desc, imp.offset)
        elif imp.kind == EXTERN_TABLE:
            _check_table_limits(imp.desc.limits, imp.offset)
        elif imp.kind == EXTERN_MEMORY:
            _check_memory_limits(imp.desc.limits, imp.offset)


_EXPORT_SPACES = {
    EXTERN_FUNC: ("func_types", "unknown function"),
    EXTERN_TABLE: ("table_types", "unknown table"),
    EXTERN_MEMORY: ("memory_types", "unknown memory"),
    EXTERN_GLOBAL: ("global_types", "unknown global"),
}


def _check_exports(info: ModuleInfo) -> None:
    names = set()
    for exp in info.exports:
        if exp.name in names:
            raise ValidationError("duplicate export name", None, exp.offset)
        names.add(exp.name)
        space, reason = _EXPORT_SPACES[exp.kind]
        if exp.index >= len(getattr(info, space)):
            raise ValidationError(reason, None, exp.offset)


def _check_start(info: ModuleInfo) -> None:
    if info.start is None:
        return
    if info.start >= len(info.func_types):
        raise ValidationError("unknown function")
    ftype = info.func_types[info.start]
    if ftype.params or ftype.results:
        raise ValidationError("start function")


def _check_elements(info: ModuleInfo, globals_: list) -> None:
    num_funcs = len(info.func_types)
    for seg in info.elements:
        if seg.func_indices is not None:
            for index in seg.func_indices:
                if index >= num_funcs:
                    raise ValidationError("unknown function", None, seg.offset)
            if seg.elem_type != FUNCREF:
                raise ValidationError("type mismatch", None, seg.offset)
        else:
            for expr in seg.exprs:
                check_const_expr(expr, seg.elem_type, globals_, num_funcs)
        if seg.mode == ELEM_ACTIVE:
            if seg.table_index >= len(info.table_types):
                raise ValidationError("unknown table", None, seg.offset)
            if info.table_types[seg.table_index].elem_type != seg.elem_type:
                raise ValidationError("type mismatch", None, seg.offset)
            check_const_expr(seg.offset_expr, I32, globals_, num_funcs)


def _check_datas(info: ModuleInfo, globals_: list) -> None:
    num_funcs = len(info.func_types)
    for seg in info.datas:
        if seg.mode == DATA_ACTIVE:
            if seg.memory_index >= len(info.memory_types):
                raise ValidationError("unknown memory", None, seg.offset)
            check_const_expr(seg.offset_expr, I32, globals_, num_funcs)


def _declared_func_refs(info: ModuleInfo) -> frozenset:
    """C.refs: functions referenced outside function bodies (elements, exports, globals);
    only these may be the target of a `ref.func` inside a body."""
    refs = set()
    for seg in info.elements:
        if seg.func_indices is not None:
            refs.update(seg.func_indices)
        else:
            for expr in seg.exprs:
                refs.update(const_expr_func_refs(expr))
    for g in info.globals:
        refs.update(const_expr_func_refs(g.init))
    for exp in info.exports:
        if exp.kind == EXTERN_FUNC:
            refs.add(exp.index)
    return frozenset(refs)

