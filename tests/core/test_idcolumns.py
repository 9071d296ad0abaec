"""Whole-column identifier helpers agree with the plain numpy and scalar answers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from drawcore.registry.idcolumns import as_str_array, id_order

# ids as offices write them (sorted as bytes), and ids beyond Latin-1 (sorted as str_):
# short, long, repeated, prefixes of one another
IDS = st.sampled_from(["0123456789ABCDXY", "0123456789ÄÿA\x00", "0123456789ÄĀ中"]).flatmap(
    lambda alphabet: st.lists(st.text(alphabet=alphabet, max_size=19), max_size=60)
)


@given(IDS)
def test_id_order_is_the_stable_argsort_in_code_point_order(ids: list[str]) -> None:
    u = as_str_array(ids)
    order = id_order(u)
    assert order.tolist() == np.argsort(u, kind="stable").tolist()
    if not any(i.endswith("\x00") for i in ids):  # numpy's str_ drops trailing NULs
        assert [ids[i] for i in order.tolist()] == sorted(ids)


def test_id_order_of_ids_in_order_is_the_identity() -> None:
    u = as_str_array(["91441322MA4UJ1K05T", "91441322MA4UJ1K05T", "91441322MA4UJ1K06R"])
    assert id_order(u).tolist() == [0, 1, 2]


def test_id_order_sorts_ids_that_share_their_first_eight_varying_bytes_by_the_rest() -> None:
    """A few ids tie on the first key (the region code every id shares is skipped): only
    those are sorted by the rest of the id, and equal ids keep their rows' order."""
    rng = np.random.default_rng(3)
    ids = [f"91441322{int(k):09d}" for k in rng.permutation(400)]
    ids += ["91441322000000999Y", "91441322000000999X", "91441322000000999X", "9144132200000099"]
    u = as_str_array(ids)
    assert id_order(u).tolist() == np.argsort(u, kind="stable").tolist()
