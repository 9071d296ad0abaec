"""RFC 6962 Merkle hash trees: roots, inclusion proofs, consistency proofs.

Why RFC 6962 (Certificate Transparency) and not a home-made tree: a third party
can check our journal with any CT-compatible tool, and the construction has
published test vectors that pin ours.

- ``MTH({}) = SHA-256("")``
- ``MTH({d0}) = SHA-256(0x00 || d0)`` (leaf hash)
- ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` with ``k`` the
  largest power of two smaller than ``n`` (node hash).

Functions take *leaf hashes* (``leaf_hash(data)``), so a caller hashes each
entry once. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2, which are the
bit-exact iterative forms of RFC 6962's recursive definitions.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from drawcore.errors import InvalidInputError
from drawcore.i18n import msg

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the 0x00 prefix keeps leaves apart from nodes."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree hash of a list of leaf hashes.

    Computed level by level, carrying an unpaired last node up unchanged; this
    gives exactly the RFC 6962 split-at-a-power-of-two tree, in ``n - 1`` node
    hashes and without recursion (100,000 leaves in a few tenths of a second).
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha = hashlib.sha256
    while len(level) > 1:
        nxt = [sha(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _check_index(index: int, size: int, what: str) -> None:
    if not 0 <= index < size:
        raise InvalidInputError(
            msg("{what} {index} outside a tree of size {size}", what=what, index=index, size=size)
        )


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` (0-based) in the tree over ``leaves`` (RFC 6962 PATH)."""
    _check_index(index, len(leaves), msg("leaf index"))
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(root(leaves[lo : lo + k]))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """True iff ``proof`` puts leaf hash ``leaf`` at ``index`` in tree ``(size, expected_root)``."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if len(p) != HASH_SIZE or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of ``leaves`` (RFC 6962 PROOF)."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise InvalidInputError(msg("old size {old_size} outside 0..{n}", old_size=old_size, n=n))
    if old_size in (0, n):
        return []
    return _subproof(leaves, old_size, True)


def _subproof(leaves: Sequence[bytes], m: int, whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves[:k], m, whole), root(leaves[k:])]
    return [*_subproof(leaves[k:], m - k, False), root(leaves[:k])]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows ``(old_size, old_root)`` is a prefix of ``(new_size, new_root)``.

    The empty tree is a prefix of every tree, but only the empty tree's root,
    ``MTH({}) = SHA-256("")`` (RFC 6962 §2.1), names it: an old size of 0 with any
    other root is refused, so a forged "empty" checkpoint cannot pass.
    """
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == 0:
        return old_root == EMPTY_ROOT and not proof and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return old_root == new_root and not proof
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
