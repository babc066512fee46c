"""Metadata as plain data: numbers, strings, lists and dicts, of bounded depth and size.

A checkpoint's metadata travels with the network (it is saved again with it) and may be shown
or printed as JSON. What torch's safe loader accepts is wider than that (tensors, bytes,
sets, integers of any size, lists nested a million deep), so what is read is copied down to
plain data, and what is saved must already be plain: a deep nest would overflow the stack of
the pickler that writes it, or of whoever walks it later.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32  # containers within containers
MAX_ITEMS = 100_000  # values in all, counting every container's
MAX_STRING = 10_000  # characters kept of a string read from a file
MAX_INT_BITS = 64  # larger integers have no use here, and str() refuses those over 4,300 digits

SCALARS = (str, int, float, bool, type(None))


class NotPlainData(ValueError):
    """The value holds something other than plain data, or is nested too deeply; says which."""


def check_plain(value: Any, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> None:
    """NotPlainData unless `value` is plain data at most `max_depth` containers deep, of at
    most `max_items` values.

    Exact types only: a numpy float is a float subclass that the safe loader refuses to read
    back. Walked with an explicit stack, so a deep nest cannot overflow Python's."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > max_items:
            raise NotPlainData(f"it holds more than {max_items:,} values")
        kind = type(item)
        if kind in (list, tuple, dict):
            if depth >= max_depth:
                raise NotPlainData(f"it is nested more than {max_depth} levels deep")
            children = [*item.keys(), *item.values()] if kind is dict else item
            stack.extend((child, depth + 1) for child in children)
        elif kind not in SCALARS:
            raise NotPlainData(f"it holds a {kind.__name__}, which is not a number, string, list or dict")


class _Budget:
    def __init__(self, items: int) -> None:
        self.left = items


def plain_copy(value: Any, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS) -> Any:
    """A copy of `value` keeping only plain data: other objects (tensors, bytes, sets...),
    integers too large to be counts, containers past `max_depth` and items past `max_items`
    are dropped (None where a value is needed, for a dropped top level); long strings are cut."""
    return _copy(value, max_depth, _Budget(max_items))


def _copy(value: Any, depth_left: int, budget: _Budget) -> Any:
    if budget.left <= 0:
        return None
    budget.left -= 1
    kind = type(value)
    if kind is str:
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + "…"
    if kind is int:
        return value if value.bit_length() <= MAX_INT_BITS else None
    if kind in (float, bool, type(None)):
        return value
    if kind not in (list, tuple, dict) or depth_left <= 0:
        return None
    if kind is dict:
        copied: dict[Any, Any] = {}
        for key, item in value.items():
            if type(key) in SCALARS and _kept(key) and budget.left > 0:
                inner = _copy(item, depth_left - 1, budget)
                if inner is not None or item is None:
                    copied[_copy(key, 0, budget)] = inner
        return copied
    items = []
    for item in value:
        if budget.left <= 0:
            break
        inner = _copy(item, depth_left - 1, budget)
        if inner is not None or item is None:
            items.append(inner)
    return items if kind is list else tuple(items)


def _kept(key: Any) -> bool:
    return not (type(key) is int and key.bit_length() > MAX_INT_BITS)
