"""RFC 6962 Merkle tree: known answers from Certificate Transparency, and properties.

Known-answer vectors are copied from google/certificate-transparency,
``cpp/merkletree/merkle_tree_test.cc`` (``kInputs``, ``kSHA256Roots``,
``kSHA256Paths``, ``kSHA256Proofs``; the same roots appear in
``python/ct/crypto/merkle_test.py``). CT numbers leaves from 1; we from 0.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawcore.record import merkle

INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (CT leaf number, tree size, path): kSHA256Paths without the degenerate (0, 0) entry.
PATHS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, proof): kSHA256Proofs.
PROOFS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

LEAVES = [merkle.leaf_hash(d) for d in INPUTS]


def _root_of(size: int) -> bytes:
    return bytes.fromhex(EMPTY if size == 0 else ROOTS[size - 1])


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 read literally (recursive), to cross-check the iterative root."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def test_empty_root_and_hash_prefixes() -> None:
    assert merkle.root([]).hex() == EMPTY
    # TreeHasherTest vectors from python/ct/crypto/merkle_test.py.
    assert merkle.leaf_hash(b"").hex() == ROOTS[0]
    assert (
        merkle.leaf_hash(bytes.fromhex("101112131415161718191a1b1c1d1e1f")).hex()
        == "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
    )
    left = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    right = bytes.fromhex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
    assert (
        merkle.node_hash(left, right).hex()
        == "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
    )


@pytest.mark.parametrize("size", range(9))
def test_roots_sizes_0_to_8_match_ct_vectors(size: int) -> None:
    assert merkle.root(LEAVES[:size]) == _root_of(size)


@pytest.mark.parametrize(("leaf", "size", "path"), PATHS)
def test_inclusion_proofs_match_ct_vectors(leaf: int, size: int, path: list[str]) -> None:
    proof = merkle.inclusion_proof(LEAVES[:size], leaf - 1)
    assert [p.hex() for p in proof] == path
    assert merkle.verify_inclusion(LEAVES[leaf - 1], leaf - 1, size, proof, _root_of(size))


@pytest.mark.parametrize(("old", "new", "proof"), PROOFS)
def test_consistency_proofs_match_ct_vectors(old: int, new: int, proof: list[str]) -> None:
    got = merkle.consistency_proof(LEAVES[:new], old)
    assert [p.hex() for p in got] == proof
    assert merkle.verify_consistency(old, new, _root_of(old), _root_of(new), got)


@pytest.mark.parametrize(("leaf", "size", "path"), PATHS[1:])
def test_inclusion_verification_rejects_wrong_inputs(leaf: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    good_root, index, lh = _root_of(size), leaf - 1, LEAVES[leaf - 1]
    assert not merkle.verify_inclusion(lh, index + 1, size, proof, good_root)
    assert not merkle.verify_inclusion(lh, index ^ 2, size, proof, good_root)
    assert not merkle.verify_inclusion(lh, index, size * 2, proof, good_root)
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(b"WrongLeaf"), index, size, proof, good_root
    )
    assert not merkle.verify_inclusion(lh, index, size, proof, bytes.fromhex(EMPTY))
    assert not merkle.verify_inclusion(lh, index, size, [*proof, good_root], good_root)
    assert not merkle.verify_inclusion(lh, index, size, proof[:-1], good_root)
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes.fromhex(EMPTY)
        assert not merkle.verify_inclusion(lh, index, size, bad, good_root)


@pytest.mark.parametrize(("old", "new", "path"), PROOFS[1:])
def test_consistency_verification_rejects_wrong_inputs(old: int, new: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    r1, r2 = _root_of(old), _root_of(new)
    assert not merkle.verify_consistency(old - 1, new, r1, r2, proof)
    assert not merkle.verify_consistency(old + 1, new, r1, r2, proof)
    assert not merkle.verify_consistency(old, new * 2, r1, r2, proof)
    assert not merkle.verify_consistency(old, new, r2, r1, proof)
    assert not merkle.verify_consistency(old, new, r1, b"WrongRoot" * 4, proof)
    assert not merkle.verify_consistency(old, new, r1, r2, [])
    assert not merkle.verify_consistency(old, new, r1, r2, proof[:-1])
    assert not merkle.verify_consistency(old, new, r1, r2, [*proof, proof[-1]])
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes.fromhex(EMPTY)
        assert not merkle.verify_consistency(old, new, r1, r2, bad)


def test_consistency_refuses_shrinking_tree() -> None:
    assert not merkle.verify_consistency(5, 2, _root_of(5), _root_of(2), [])


_leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda ds: [merkle.leaf_hash(d) for d in ds]
)


@given(_leaf_lists)
def test_iterative_root_equals_rfc_recursion(leaves: list[bytes]) -> None:
    assert merkle.root(leaves) == _reference_root(leaves)


@given(_leaf_lists, st.data())
def test_every_inclusion_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(leaves, i)
    assert merkle.verify_inclusion(leaves[i], i, len(leaves), proof, merkle.root(leaves))


@given(_leaf_lists, st.data())
def test_every_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    m = data.draw(st.integers(0, len(leaves)))
    proof = merkle.consistency_proof(leaves, m)
    old, new = merkle.root(leaves[:m]), merkle.root(leaves)
    assert merkle.verify_consistency(m, len(leaves), old, new, proof)


@given(_leaf_lists, st.data())
def test_consistency_fails_when_a_prefix_leaf_changes(
    leaves: list[bytes], data: st.DataObject
) -> None:
    m = data.draw(st.integers(1, len(leaves)))
    j = data.draw(st.integers(0, m - 1))
    old = merkle.root(leaves[:m])
    rewritten = list(leaves)
    rewritten[j] = merkle.leaf_hash(b"rewritten" + leaves[j])
    proof = merkle.consistency_proof(rewritten, m)
    assert not merkle.verify_consistency(m, len(rewritten), old, merkle.root(rewritten), proof)


@pytest.mark.parametrize("new", range(9))
def test_consistency_from_size_0_needs_the_empty_tree_root(new: int) -> None:
    """RFC 6962 §2.1: MTH({}) = SHA-256(""); an old size 0 names only that root."""
    assert merkle.verify_consistency(0, new, bytes.fromhex(EMPTY), _root_of(new), [])
    for forged in (_root_of(1), b"\x00" * 32, b"WrongRoot" * 4, b""):
        assert not merkle.verify_consistency(0, new, forged, _root_of(new), [])
    assert not merkle.verify_consistency(0, new, bytes.fromhex(EMPTY), _root_of(new), [LEAVES[0]])


@given(st.binary(min_size=32, max_size=32))
def test_consistency_from_size_0_refuses_every_other_root(root: bytes) -> None:
    expected = root == bytes.fromhex(EMPTY)
    assert merkle.verify_consistency(0, 4, root, _root_of(4), []) is expected
