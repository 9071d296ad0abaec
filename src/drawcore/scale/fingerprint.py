"""The inputs' SHA-256 on Dask: the local draw's fingerprint, one partition at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from drawcore.draw.sampling import METHOD
from drawcore.scale.buckets import (
    _fingerprint_chunk,
)
from drawcore.scale.partitions import (
    _dask,
)
from drawcore.scale.runner import Runner


def batches(items: Sequence[Any], k: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), k):
        yield items[i : i + k]


def stream_fingerprint(
    runner: Runner,
    loaded: list[Any],
    n: int,
    kind: str,
    width: int,
    size: int | Mapping[Any, int],
    mask_cols: tuple[str | None, str | None],
    names: list[str],
    stratified: bool,
) -> str:
    """``sampling``'s input fingerprint, fed one partition at a time (rows in partition order)."""
    dask = _dask()
    id_dtype = np.dtype(np.uint64) if kind == "u" else np.dtype(f"S{width}")
    digest = hashlib.sha256(METHOD.encode() + b"\x00")
    digest.update(f"n={n};ids={id_dtype.str};".encode())
    if isinstance(size, Mapping):
        digest.update(repr(sorted((str(k), int(v)) for k, v in size.items())).encode())
    else:
        digest.update(f"size={size}".encode())

    def chunks(what: str) -> Iterator[Any]:
        for batch in batches(loaded, 8):
            yield from runner.compute(
                [dask.delayed(_fingerprint_chunk)(x, what, width) for x in batch]
            )

    for chunk in chunks("ids"):
        digest.update(chunk)
    for chunk in chunks("w"):
        digest.update(chunk)
    for col, what in zip(mask_cols, ("mand", "excl"), strict=True):
        if col is None:
            digest.update(b"-")
            continue
        rest = np.zeros(0, dtype=np.bool_)
        for mask in chunks(what):
            bits = np.concatenate([rest, mask])
            cut = bits.shape[0] // 8 * 8
            digest.update(np.packbits(bits[:cut]).tobytes())
            rest = bits[cut:]
        digest.update(np.packbits(rest).tobytes())
    if stratified:
        digest.update(repr(names).encode())
        index = {name: i for i, name in enumerate(names)}
        labels_per_part: list[list[str]] = runner.compute(
            [dask.delayed(lambda p: p.labels)(x) for x in loaded]
        )
        for k, codes in enumerate(chunks("codes")):
            mapping = np.asarray([index[t] for t in labels_per_part[k]], dtype=np.int64)
            digest.update(mapping[codes].astype("<i8").tobytes())
    return digest.hexdigest()
