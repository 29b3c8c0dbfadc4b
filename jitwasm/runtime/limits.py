"""ResourceLimiter: a store's caps on memory size, table size and how many instances, memories
and tables its instances create (wasmtime's StoreLimits, set through Store.set_limits).

Every memory and table created in a store keeps a reference to the store's limiter, so limits
set after they were created still govern their later growth, from Wasm (`memory.grow`,
`table.grow` return -1) and from the host alike. Until limits are set, nothing is limited;
once they are, each count not given defaults to wasmtime's 10000. Counts only ever rise, also
for an instance whose start function then trapped, as in wasmtime.
"""

from ..errors import WasmtimeError

UNLIMITED = -1
DEFAULT_COUNT_LIMIT = 10000  # instances, memories and tables, once set_limits was called
WASM_PAGE_SIZE = 65536


class ResourceLimiter:
    __slots__ = ("memory_size", "table_elements", "instances", "tables", "memories",
                 "instance_count", "table_count", "memory_count")

    def __init__(self) -> None:
        self.memory_size = self.table_elements = UNLIMITED
        self.instances = self.tables = self.memories = UNLIMITED
        self.instance_count = self.table_count = self.memory_count = 0

    def set(self, memory_size: int, table_elements: int, instances: int, tables: int,
            memories: int) -> None:
        """Store.set_limits: a negative value is no limit on sizes, the default on counts."""
        self.memory_size = max(memory_size, UNLIMITED)
        self.table_elements = max(table_elements, UNLIMITED)
        self.instances = instances if instances >= 0 else DEFAULT_COUNT_LIMIT
        self.tables = tables if tables >= 0 else DEFAULT_COUNT_LIMIT
        self.memories = memories if memories >= 0 else DEFAULT_COUNT_LIMIT

    # -- sizes -----------------------------------------------------------------------------

    def allows_memory_pages(self, pages: int) -> bool:
        return self.memory_size < 0 or pages * WASM_PAGE_SIZE <= self.memory_size

    def allows_table_elements(self, elements: int) -> bool:
        return self.table_elements < 0 or elements <= self.table_elements

    def check_new_memory(self, pages: int) -> None:
        if not self.allows_memory_pages(pages):
            raise WasmtimeError(f"memory minimum size of {pages} pages exceeds memory limits")

    def check_new_table(self, elements: int) -> None:
        if not self.allows_table_elements(elements):
            raise WasmtimeError(f"table minimum size of {elements} elements exceeds table limits")

    # -- counts ----------------------------------------------------------------------------

    def admit_instance(self, memories: int, tables: int) -> None:
        """Count a new instance defining `memories` memories and `tables` tables, or raise if
        that exceeds a count limit (checked in wasmtime's order: instances, memories, tables)."""
        for kind, field, limit, added in (("instance", "instance_count", self.instances, 1),
                                          ("memory", "memory_count", self.memories, memories),
                                          ("table", "table_count", self.tables, tables)):
            count = getattr(self, field) + added
            if added and 0 <= limit < count:
                raise WasmtimeError(f"resource limit exceeded: {kind} count too high at {count}")
            setattr(self, field, count)
