"""MemoryReservation: the 8 GiB guard-page reservation, growth, views and the fallback."""

import gc
import subprocess
import sys
import textwrap

from jitwasm.runtime.memory import GUARD_RESERVATION, WASM_PAGE_SIZE, MemoryReservation


def _permissions(address: int) -> str | None:
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(x, 16) for x in span.split("-"))
            if start <= address < end:
                return perms
    return None


def test_reservation_has_accessible_prefix_and_guard_region():
    mem = MemoryReservation(2, 10)
    assert not mem.explicit_bounds
    assert mem.reserved == GUARD_RESERVATION
    assert mem.length == 2 * WASM_PAGE_SIZE
    assert _permissions(mem.base).startswith("rw")
    assert _permissions(mem.base + mem.length - 1).startswith("rw")
    assert _permissions(mem.base + mem.length).startswith("---")
    assert _permissions(mem.base + GUARD_RESERVATION - 1).startswith("---")
    view = mem.view()
    assert len(view) == mem.length
    assert view[0] == 0 and view[-1] == 0  # fresh memory is zeroed
    view[-1] = 0xAB
    assert mem.view()[-1] == 0xAB


def test_grow_extends_in_place_up_to_the_maximum():
    mem = MemoryReservation(1, 3)
    base = mem.base
    mem.view()[5] = 7
    assert mem.grow(0) == 1
    assert mem.grow(1) == 1
    assert mem.pages == 2 and mem.base == base
    view = mem.view()
    assert len(view) == 2 * WASM_PAGE_SIZE and view[5] == 7
    view[2 * WASM_PAGE_SIZE - 1] = 1
    assert mem.grow(2) == -1  # beyond the maximum: unchanged
    assert mem.pages == 2
    assert mem.grow(1) == 2
    assert _permissions(base + 3 * WASM_PAGE_SIZE).startswith("---")


def test_zero_page_memory():
    mem = MemoryReservation(0)
    assert mem.length == 0 and len(mem.view()) == 0
    assert _permissions(mem.base).startswith("---")
    assert mem.grow(1) == 0
    assert len(mem.view()) == WASM_PAGE_SIZE


def test_view_keeps_the_reservation_mapped():
    mem = MemoryReservation(1)
    base = mem.base
    view = mem.view()
    del mem
    gc.collect()
    view[100] = 3  # would crash if unmapped
    assert view[100] == 3
    del view
    gc.collect()
    assert _permissions(base) is None


def test_close_unmaps():
    mem = MemoryReservation(1)
    mem.close()
    mem.close()
    assert _permissions(mem.base) is None


def test_forced_explicit_bounds_reserves_only_the_maximum():
    mem = MemoryReservation(1, 4, explicit_bounds=True)
    assert mem.explicit_bounds
    assert mem.reserved == 4 * WASM_PAGE_SIZE
    assert mem.capacity_pages == 4
    assert mem.grow(3) == 1
    assert mem.grow(1) == -1


def test_fallback_when_the_address_space_is_limited():
    # With RLIMIT_AS below 8 GiB the guard reservation fails; the memory must still work.
    script = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from jitwasm.runtime.memory import MemoryReservation
        mem = MemoryReservation(1, 16)
        view = mem.view()
        view[0] = 1
        assert mem.grow(15) == 1
        assert mem.grow(1) == -1
        big = MemoryReservation(1)  # no maximum: takes the largest reservation it can get
        assert big.explicit_bounds and 1 < big.capacity_pages < 65536
        print(mem.explicit_bounds, mem.reserved, big.grow(1))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", str(16 * WASM_PAGE_SIZE), "1"]
