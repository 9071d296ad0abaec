"""The unit draw: :func:`sample_units` and its result, :class:`UnitSample`.

Exactly ``size`` units (per stratum when strata are given), each drawn with exactly its
published inclusion probability, the same for the same inputs and seed in any row order.
It joins :mod:`drawcore.draw.probabilities` (how likely) and :mod:`drawcore.draw.lattice`
(which units), and fingerprints its inputs for the draw record.
"""

from __future__ import annotations

import hashlib
from collections.abc import (
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import attrs
import cattrs
import numpy as np
import numpy.typing as npt

from drawcore.draw.lattice import (
    adjustable,
    balance_increments,
    canonical_order,
    lattice_bits,
    lattice_increments,
    lattice_start,
    systematic_select,
)
from drawcore.draw.probabilities import (
    _HALVES,
    _PARALLEL,
    CHUNK,
    BoolArray,
    F64Array,
    I64Array,
    IntpArray,
    UnitId,
    _as_weights,
    _mask,
    _probabilities,
    _py_ids,
    _size_mapping,
    _stratum_sizes,
    _unstratified_size,
)
from drawcore.draw.randomness import DrawKey, canonical_ids, hash_ids
from drawcore.errors import InvalidInputError
from drawcore.i18n import msg
from drawcore.serde import converter

__all__ = ["METHOD", "ProbabilityTable", "UnitSample", "sample_units"]


METHOD = "randomized-systematic-pps/1"


class ProbabilityTable(Mapping[UnitId, float]):
    """Read-only ``id -> probability`` backed by arrays (a dict of 10M floats would cost ~1 GB).

    Iterates in ascending id order; compares equal to any mapping with the
    same items; ``cattrs`` unstructures it as a plain dict. ``arrays()`` gives
    the ids and probabilities as numpy arrays for vectorised use.
    """

    __slots__ = ("_ids", "_order", "_probs", "_sorted_ids", "_text")

    def __init__(self, ids: npt.NDArray[np.generic], probs: F64Array, *, text: bool) -> None:
        self._ids = ids
        self._probs = probs
        self._text = text
        self._order: IntpArray | None = None
        self._sorted_ids: npt.NDArray[np.generic] | None = None

    @classmethod
    def from_mapping(cls, items: Mapping[UnitId, float]) -> ProbabilityTable:
        keys = list(items)
        ids = canonical_ids(keys) if keys else np.empty(0, dtype=np.uint64)
        probs = np.array([float(items[k]) for k in keys], dtype=np.float64)
        return cls(ids, probs, text=ids.dtype.kind == "S")

    def _sorted(self) -> IntpArray:
        if self._order is None:
            self._order = np.argsort(self._ids, kind="stable")
        return self._order

    def _ascending_ids(self) -> npt.NDArray[np.generic]:
        """The ids in ascending order, built once: a lookup is then one binary search."""
        if self._sorted_ids is None:
            self._sorted_ids = self._ids[self._sorted()]
        return self._sorted_ids

    def _locate(self, key: object) -> int:
        if isinstance(key, bool) or not isinstance(key, str | int | np.integer):
            raise KeyError(key)
        if isinstance(key, str) != self._text or (not self._text and int(key) < 0):
            raise KeyError(key)
        try:
            probe = canonical_ids([key])
        except InvalidInputError:
            raise KeyError(key) from None
        ordered = self._ascending_ids()
        i = int(np.searchsorted(ordered, probe[0]))
        if i < ordered.shape[0] and ordered[i] == probe[0]:
            return int(self._sorted()[i])
        raise KeyError(key)

    def __getitem__(self, key: object) -> float:
        return float(self._probs[self._locate(key)])

    def __contains__(self, key: object) -> bool:
        try:
            self._locate(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[UnitId]:
        return iter(_py_ids(self._ascending_ids()))

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def items(self) -> Any:
        probs = self._probs[self._sorted()].tolist()
        return list(zip(_py_ids(self._ascending_ids()), probs, strict=True))

    def arrays(self) -> tuple[npt.NDArray[np.generic], F64Array]:
        """(ids, probabilities) in row order as given to the draw; ids canonical (uint64/bytes)."""
        return self._ids, self._probs

    def __repr__(self) -> str:
        return f"ProbabilityTable({len(self)} units)"

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen(eq=True)
class UnitSample:
    """The result of :func:`sample_units`: what was drawn, with which probabilities, from what.

    ``selected``: the drawn ids, ascending. ``probabilities``: every unit's
    exact inclusion probability under this draw's lattice (mandatory 1,
    excluded 0). ``seed_hex``/``draw_id`` replay the draw; ``fingerprint`` is
    the SHA-256 of the inputs (ids, weights, size, masks, strata) as given.
    """

    selected: tuple[UnitId, ...]
    probabilities: Mapping[UnitId, float]
    seed_hex: str
    draw_id: str
    method: str
    size: int
    stratum_sizes: dict[str, int]
    fingerprint: str

    @property
    def seed(self) -> bytes:
        """The seed bytes (a ``str`` seed is its UTF-8 encoding)."""
        return bytes.fromhex(self.seed_hex)


def _ids_mask(value: object, ids: npt.NDArray[np.generic], what: str) -> BoolArray | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype == np.bool_:
        return _mask(value, ids.shape[0], what, ids)
    items = value.tolist() if isinstance(value, np.ndarray) else list(cast(Iterable[Any], value))
    if items and all(isinstance(x, bool | np.bool_) for x in items):
        return _mask(np.asarray(items, dtype=np.bool_), ids.shape[0], what, ids)
    return _mask(np.asarray(items), ids.shape[0], what, ids)


def _first_eligible(pi: F64Array, perm: IntpArray, m: int, diff: int) -> IntpArray | None:
    """Round one of :func:`balance_increments` without materialising ``p`` in draw order."""
    need = abs(diff)
    found: list[IntpArray] = []
    for start in range(0, perm.shape[0], CHUNK):
        p = lattice_increments(pi[perm[start : start + CHUNK]], m)
        idx = np.flatnonzero(adjustable(p, diff > 0, m))[:need]
        if idx.size:
            found.append(idx + start)
            need -= idx.size
            if need == 0:
                return np.concatenate(found)
    return None


def _ascending(ids: npt.NDArray[np.generic]) -> bool:
    """Whether the ids are strictly ascending in row order (a sorted registry)."""
    for s0 in range(0, ids.shape[0] - 1, CHUNK):
        part: npt.NDArray[Any] = ids[s0 : s0 + CHUNK + 1]
        if not (part[1:] > part[:-1]).all():
            return False
    return True


def _ascending_rows(ids: npt.NDArray[np.generic], rows: IntpArray, ascending: bool) -> IntpArray:
    """``rows`` re-ordered so that their ids ascend."""
    if ascending:
        mark = np.zeros(ids.shape[0], dtype=np.bool_)
        mark[rows] = True
        return np.flatnonzero(mark)
    return rows[np.argsort(ids[rows], kind="stable")]


def _selected(
    given: object, ids: npt.NDArray[np.generic], rows: IntpArray, ascending: bool | None
) -> tuple[UnitId, ...]:
    """The drawn ids, ascending, as Python values.

    Text ids given as a numpy ``str`` array come straight from it (one
    ``tolist``, no decoding); other ids from their canonical form.
    """
    if ascending is None:
        ascending = rows.shape[0] * 8 > ids.shape[0] and _ascending(ids)
    ordered = _ascending_rows(ids, rows, ascending)
    if isinstance(given, np.ndarray) and given.dtype.kind == "U" and ids.dtype.kind == "S":
        return tuple(cast(list[str], given[ordered].tolist()))
    return tuple(_py_ids(ids[ordered]))


def _order(key: DrawKey, ids: npt.NDArray[np.generic]) -> IntpArray:
    return canonical_order(hash_ids(key.child("order"), ids), ids)


def _draw(
    key: DrawKey,
    ids: npt.NDArray[np.generic],
    pi: F64Array,
    size: int,
    realized: F64Array,
    order: IntpArray | None = None,
) -> IntpArray:
    """Systematic πps over one population; writes lattice probabilities into ``realized``.

    Fuses :func:`lattice_increments`, :func:`balance_increments` and
    :func:`systematic_select` chunk by chunk over ``pi`` in draw order, with
    the same result as applying them one after the other. ``order`` is the
    draw order if already known.
    """
    n = pi.shape[0]
    certain_parts: list[IntpArray] = []
    n_certain = 0
    for s0 in range(0, n, CHUNK):
        hit1 = np.flatnonzero(pi[s0 : s0 + CHUNK] == 1.0)
        if hit1.size:
            certain_parts.append(hit1 + s0)
            n_certain += hit1.size
    n_rest = size - n_certain
    m = lattice_bits(n_rest)
    total = 0
    buf = np.empty(min(n, CHUNK), dtype=np.int64)
    for s0 in range(0, n, CHUNK):
        p = lattice_increments(pi[s0 : s0 + CHUNK], m, buf[: min(CHUNK, n - s0)], realized[s0:])
        total += int(p.sum())
    diff = n_rest * (1 << m) - total
    perm = _order(key, ids) if order is None else order
    step = 1 if diff > 0 else -1
    adjust = np.empty(0, dtype=np.intp) if diff == 0 else _first_eligible(pi, perm, m, diff)
    if adjust is None:  # more to move than units able to take it: several rounds
        p_all = lattice_increments(pi[perm], m)
        adjust = balance_increments(p_all, n_rest, m)
        delta = p_all[adjust] - lattice_increments(pi[perm[adjust]], m)
    else:
        delta = np.full(adjust.shape[0], step, dtype=np.int64)
    start = lattice_start(key, m)
    chosen: list[IntpArray] = certain_parts
    if n >= _HALVES:
        chosen.extend(_select_in_halves(pi, perm, m, adjust, delta, start))
    else:
        carry = 0
        lo = 0
        ordered = np.empty(min(n, CHUNK))
        for s0 in range(0, n, CHUNK):
            rows = perm[s0 : s0 + CHUNK]
            np.take(pi, rows, out=ordered[: rows.shape[0]], mode="clip")  # unbuffered
            p = lattice_increments(ordered[: rows.shape[0]], m, buf[: rows.shape[0]])
            hi = int(np.searchsorted(adjust, s0 + p.shape[0]))
            if hi > lo:
                p[adjust[lo:hi] - s0] += delta[lo:hi]
                lo = hi
            hit, carry = systematic_select(p, start, m, carry)
            if hit.any():
                chosen.append(rows[hit])
    if adjust.size:
        p_adj = lattice_increments(pi[perm[adjust]], m) + delta
        realized[perm[adjust]] = p_adj * 2.0**-m
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.intp)


def _select_in_halves(
    pi: F64Array, perm: IntpArray, m: int, adjust: IntpArray, delta: I64Array, start: int
) -> list[IntpArray]:
    """The selection pass of :func:`_draw` on two cores, with the same hits.

    Each half gathers ``pi`` in draw order and puts it on the lattice; after
    the balancing adjustments, the second half starts from the exact integer
    total of the first (the carry), so the hits equal one sequential pass.
    """
    n = perm.shape[0]
    mid = (n // 2 // CHUNK) * CHUNK or n
    p_ordered = np.empty(n, dtype=np.int64)

    def increments(s0: int, s1: int) -> None:
        ordered = np.empty(min(s1 - s0, CHUNK))
        for c0 in range(s0, s1, CHUNK):
            rows = perm[c0 : min(c0 + CHUNK, s1)]
            np.take(pi, rows, out=ordered[: rows.shape[0]], mode="clip")  # unbuffered
            lattice_increments(ordered[: rows.shape[0]], m, p_ordered[c0 : c0 + rows.shape[0]])

    def select(s0: int, s1: int, carry: int) -> IntpArray:
        hit, _ = systematic_select(p_ordered[s0:s1], start, m, carry)
        return perm[s0:s1][hit]

    with ThreadPoolExecutor(max_workers=1) as pool:
        second = pool.submit(increments, mid, n)
        increments(0, mid)
        second.result()
        if adjust.size:
            p_ordered[adjust] += delta
        carry = int(p_ordered[:mid].sum())
        later = pool.submit(select, mid, n, carry)
        return [select(0, mid, 0), later.result()]


def _buffer(arr: npt.NDArray[Any]) -> memoryview:
    return memoryview(cast(Any, np.ascontiguousarray(arr))).cast("B")


def _fingerprint(
    ids: npt.NDArray[np.generic],
    w: F64Array,
    size: int | Mapping[Any, int],
    masks: Sequence[BoolArray | None],
    strata: tuple[list[str], IntpArray] | None,
) -> str:
    digest = hashlib.sha256(METHOD.encode() + b"\x00")
    digest.update(f"n={ids.shape[0]};ids={ids.dtype.str};".encode())
    if isinstance(size, Mapping):
        digest.update(repr(sorted((str(k), int(v)) for k, v in size.items())).encode())
    else:
        digest.update(f"size={size}".encode())
    digest.update(_buffer(ids))
    digest.update(_buffer(w.astype("<f8", copy=False)))
    for mask in masks:
        digest.update(b"-" if mask is None else np.packbits(mask).tobytes())
    if strata is not None:
        digest.update(repr(strata[0]).encode())
        digest.update(strata[1].astype("<i8").tobytes())
    return digest.hexdigest()


def sample_units(
    ids: Iterable[UnitId] | npt.NDArray[np.generic],
    weights: npt.ArrayLike,
    size: int | Mapping[Hashable, int],
    *,
    seed: str | bytes,
    mandatory: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    excluded: Iterable[Any] | npt.NDArray[np.generic] | None = None,
    strata: Iterable[Hashable] | npt.NDArray[np.generic] | None = None,
    draw_id: str = "units",
) -> UnitSample:
    """Draw exactly ``size`` units with P(unit drawn) = its published probability, exactly.

    ``ids``: unique str (or non-negative int) ids. ``mandatory``/``excluded``:
    a boolean mask over the rows or an iterable of ids. ``strata``: one label
    per unit; then ``size`` maps every label to its stratum's sample size and
    each stratum is drawn independently with ``key.child(f"stratum/{label}")``
    (labels are compared as ``str``). The selection depends only on (ids,
    weights, size, masks, strata, seed, draw_id), never on row order.
    """
    canon = canonical_ids(ids)
    n = canon.shape[0]
    w = _as_weights(weights)
    if w.shape[0] != n:
        raise InvalidInputError(
            msg("{n} ids but {n_weights} weights: one weight per unit", n=n, n_weights=w.shape[0])
        )
    if not isinstance(draw_id, str) or not draw_id:
        raise InvalidInputError(msg("draw_id must be a non-empty str"))
    key = DrawKey.derive(seed, draw_id)
    seed_bytes = seed.encode("utf-8") if isinstance(seed, str) else bytes(seed)
    mand = _ids_mask(mandatory, canon, msg("mandatory"))
    excl = _ids_mask(excluded, canon, msg("excluded"))
    realized = np.zeros(n, dtype=np.float64)
    strata_info: tuple[list[str], IntpArray] | None = None
    stratum_sizes: dict[str, int] = {}
    if strata is None:
        total = _unstratified_size(size)
        if n >= _PARALLEL:
            # The order (hash + counting sorts, each split over two cores) is
            # the longest step; pi, the sortedness check and the fingerprint do
            # not need it, so a second core works through them meanwhile
            # (numpy and hashlib release the GIL). Errors come out as in the
            # one-core schedule: the weights' before the ids'.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pi_job = pool.submit(_probabilities, w, total, mand, excl, "")
                ascending = pool.submit(_ascending, canon)
                digest = pool.submit(_fingerprint, canon, w, total, (mand, excl), None)
                try:
                    perm: IntpArray | InvalidInputError = _order(key, canon)
                except InvalidInputError as exc:
                    perm = exc
                pi = pi_job.result()
                if isinstance(perm, InvalidInputError):
                    raise perm
                rows = _draw(key, canon, pi, total, realized, perm)
                sorted_rows = ascending.result()
                fingerprint = digest.result()
        else:
            sorted_rows = None
            pi = _probabilities(w, total, mand, excl, "")
            rows = _draw(key, canon, pi, total, realized)
            fingerprint = _fingerprint(canon, w, total, (mand, excl), None)
    else:
        size_map = _size_mapping(size)
        raw = strata.tolist() if isinstance(strata, np.ndarray) else list(strata)
        labels_arr = np.asarray([str(x) for x in raw], dtype=str)
        if labels_arr.shape[0] != n:
            raise InvalidInputError(
                msg(
                    "{n} ids but {n_labels} stratum labels",
                    n=n,
                    n_labels=labels_arr.shape[0],
                )
            )
        names, inv = np.unique(labels_arr, return_inverse=True)
        name_list = [str(x) for x in names.tolist()]
        inverse: IntpArray = np.asarray(inv, dtype=np.intp).reshape(-1)
        sizes = _stratum_sizes(size_map, name_list)
        canonical_order(hash_ids(key.child("order"), canon), canon)  # rejects duplicate ids
        chosen: list[IntpArray] = []
        for j, name in enumerate(name_list):
            members = np.flatnonzero(inverse == j)
            where = msg(" in stratum {stratum}", stratum=repr(name))
            pi_s = _probabilities(
                w[members],
                sizes[name],
                None if mand is None else mand[members],
                None if excl is None else excl[members],
                where,
            )
            real_s = np.zeros(members.shape[0], dtype=np.float64)
            got = _draw(key.child(f"stratum/{name}"), canon[members], pi_s, sizes[name], real_s)
            realized[members] = real_s
            chosen.append(members[got])
        rows = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.intp)
        total = sum(sizes.values())
        stratum_sizes = {k: sizes[k] for k in sorted(sizes)}
        strata_info = (name_list, inverse)
        sorted_rows = None
        fingerprint = _fingerprint(canon, w, size, (mand, excl), strata_info)
    return UnitSample(
        selected=_selected(ids, canon, rows, sorted_rows),
        probabilities=ProbabilityTable(canon, realized, text=canon.dtype.kind == "S"),
        seed_hex=seed_bytes.hex(),
        draw_id=draw_id,
        method=METHOD,
        size=total,
        stratum_sizes=stratum_sizes,
        fingerprint=fingerprint,
    )


def _register_unit_sample(conv: cattrs.Converter) -> None:
    """Teach the one converter to read a :class:`UnitSample` back from JSON.

    JSON object keys are text: integer ids come back as keys like ``"17"``.

    A sample's ``selected`` ids keep their JSON type, so when they are integers
    the probability keys are read back as integers too.
    """
    base = conv.gen_structure_attrs_fromdict(UnitSample)

    def hook(value: Any, cls: type[UnitSample]) -> UnitSample:
        sample = base(value, cls)
        if any(isinstance(i, int) for i in sample.selected):
            try:
                probs: dict[str | int, float] = {int(k): v for k, v in sample.probabilities.items()}
            except ValueError as exc:
                raise TypeError(
                    msg("integer ids selected, but a probability key is not: {exc}", exc=exc)
                ) from None
            sample = attrs.evolve(sample, probabilities=probs)
        return sample

    conv.register_structure_hook(UnitSample, hook)


_register_unit_sample(converter)
