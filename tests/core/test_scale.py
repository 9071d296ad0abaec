"""The Dask engine gives the local unit draw bit for bit (BL-5, TJ-5), whatever the partitioning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from drawcore.draw.sampling import UnitSample, sample_units  # noqa: E402
from drawcore.draw.strata import allocate_proportional  # noqa: E402
from drawcore.errors import InfeasibleError, InvalidInputError  # noqa: E402
from drawcore.scale import DaskUnitSample, sample_units_dask  # noqa: E402
from drawcore.scale.largegen import make_partition, write_registry  # noqa: E402

# dask's Parquet reader calls a pandas API that pandas 3.1 deprecates (not ours to fix)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")

N = 1_000_000
PER_FILE = 40_000  # 25 Parquet files


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",
            memory_limit=0,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    write_registry(root, N, per_file=PER_FILE)
    return root


@pytest.fixture(scope="module")
def frame(registry: Path) -> Any:
    return pd.read_parquet(registry)


def assert_same(local: UnitSample, res: DaskUnitSample) -> None:
    """Selected ids, every probability (bit for bit) and the input fingerprint agree."""
    assert res.selected == local.selected
    assert res.fingerprint == local.fingerprint
    assert res.size == local.size
    assert res.stratum_sizes == local.stratum_sizes
    got = res.probabilities.compute()
    ids, probs = local.probabilities.arrays()
    if ids.dtype.kind == "S":
        ids = np.char.decode(ids).astype(object)
    want = pd.Series(probs, index=ids)
    have = pd.Series(got["probability"].to_numpy(), index=got["id"].to_numpy())
    assert have.index.is_unique
    assert len(have) == len(want)
    have = have.reindex(want.index)
    assert np.array_equal(have.to_numpy().view(np.uint64), want.to_numpy().view(np.uint64))


def local_draw(df: Any, size: Any, seed: str, *, masks: bool, strata: bool) -> UnitSample:
    return sample_units(
        df["id"].to_numpy(),
        df["weight"].to_numpy(),
        size,
        seed=seed,
        mandatory=df["mandatory"].to_numpy() if masks else None,
        excluded=df["excluded"].to_numpy() if masks else None,
        strata=df["stratum"].to_numpy() if strata else None,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "size"), [("2026-A", 10_000), ("2026-B", 1), ("c", 300_000)])
def test_bl5_dask_equals_local_from_parquet(
    client: Any, registry: Path, frame: Any, seed: str, size: int
) -> None:
    res = sample_units_dask(str(registry), size, seed=seed, scheduler=client)
    assert res.partitions == N // PER_FILE
    assert_same(local_draw(frame, size, seed, masks=False, strata=False), res)


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["mand-1", "mand-2"])
def test_bl5_dask_equals_local_with_mandatory_and_excluded(
    client: Any, registry: Path, frame: Any, seed: str
) -> None:
    res = sample_units_dask(
        str(registry),
        20_000,
        seed=seed,
        mandatory_col="mandatory",
        excluded_col="excluded",
        scheduler=client,
    )
    local = local_draw(frame, 20_000, seed, masks=True, strata=False)
    assert set(frame["id"][frame["mandatory"]]) <= set(res.selected)
    assert not set(frame["id"][frame["excluded"]]) & set(res.selected)
    assert_same(local, res)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "masks"), [("strata-1", True), ("strata-2", False)])
def test_tj5_dask_equals_local_with_strata(
    client: Any, registry: Path, frame: Any, seed: str, masks: bool
) -> None:
    counts = frame["stratum"].value_counts()
    sizes = allocate_proportional({str(k): int(v) for k, v in counts.items()}, 15_000)
    res = sample_units_dask(
        str(registry),
        sizes,
        seed=seed,
        mandatory_col="mandatory" if masks else None,
        excluded_col="excluded" if masks else None,
        stratum_col="stratum",
        scheduler=client,
    )
    assert_same(local_draw(frame, sizes, seed, masks=masks, strata=True), res)


@pytest.mark.slow
def test_bl5_partitioning_does_not_change_the_draw(client: Any, registry: Path, frame: Any) -> None:
    seed = "repartition"
    local = local_draw(frame, 25_000, seed, masks=True, strata=False)
    a = dd.read_parquet(registry).repartition(npartitions=3)
    b = dd.read_parquet(registry).repartition(npartitions=41)
    kw: dict[str, Any] = {"seed": seed, "mandatory_col": "mandatory", "excluded_col": "excluded"}
    res_a = sample_units_dask(a, 25_000, scheduler=client, buckets=2, **kw)
    res_b = sample_units_dask(b, 25_000, scheduler=client, buckets=57, **kw)
    assert (res_a.buckets, res_b.buckets) == (2, 57)
    assert_same(local, res_a)
    assert_same(local, res_b)


@pytest.mark.slow
def test_bl5_text_ids_and_threads_scheduler(frame: Any) -> None:
    small = frame.iloc[:120_000].copy()
    small["id"] = ["9144" + format(int(i), "014d") for i in small["id"]]
    small.loc[small.index[::7], "id"] = [f"X{i}" for i in range(len(small.index[::7]))]
    ddf = dd.from_pandas(small, npartitions=6)
    res = sample_units_dask(ddf, 3_000, seed="text", scheduler="threads")
    local = sample_units(small["id"].tolist(), small["weight"].to_numpy(), 3_000, seed="text")
    assert_same(local, res)
    assert res.to_unit_sample() == local


def test_dask_progress_bar_on_a_local_scheduler(capsys: pytest.CaptureFixture[str]) -> None:
    cols = make_partition(0, 0, 5_000)
    ddf = dd.from_pandas(pd.DataFrame(cols), npartitions=3)
    res = sample_units_dask(ddf, 50, seed="p", scheduler="sync", progress=True)
    assert len(res.selected) == 50
    assert "Completed" in capsys.readouterr().out


# ---------------------------------------------------------------- bad input


def _parts(n_parts: int = 4, rows: int = 1_000) -> list[Any]:
    return [pd.DataFrame(make_partition(k, k * rows, rows)) for k in range(n_parts)]


def _ddf(parts: list[Any]) -> Any:
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=parts[0].iloc[:0])


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bl5_bad_weight_in_one_partition_names_partition_and_row(client: Any, bad: float) -> None:
    parts = _parts()
    parts[2].loc[17, "weight"] = bad
    whole = pd.concat(parts, ignore_index=True)
    with pytest.raises(InvalidInputError) as local:
        sample_units(whole["id"].to_numpy(), whole["weight"].to_numpy(), 10, seed="x")
    with pytest.raises(type(local.value)) as err:
        sample_units_dask(_ddf(parts), 10, seed="x", scheduler=client)
    assert "partition 2" in str(err.value)
    assert "weights[17]" in str(err.value)


def test_bl5_duplicate_id_across_partitions_names_both(client: Any) -> None:
    parts = _parts()
    dup = int(parts[0].loc[5, "id"])
    parts[3].loc[900, "id"] = dup
    whole = pd.concat(parts, ignore_index=True)
    with pytest.raises(InvalidInputError):
        sample_units(whole["id"].to_numpy(), whole["weight"].to_numpy(), 10, seed="x")
    with pytest.raises(InvalidInputError) as err:
        sample_units_dask(_ddf(parts), 10, seed="x", scheduler=client)
    msg = str(err.value)
    assert str(dup) in msg
    assert "partition 0 row 5" in msg
    assert "partition 3 row 900" in msg


def test_tj5_duplicate_id_in_two_strata_is_found(client: Any) -> None:
    parts = _parts()
    parts[1].loc[3, "stratum"] = "11"
    parts[2].loc[4, "stratum"] = "12"
    parts[2].loc[4, "id"] = parts[1].loc[3, "id"]
    whole = pd.concat(parts, ignore_index=True)
    sizes = {str(k): 1 for k in whole["stratum"].unique()}
    with pytest.raises(InvalidInputError):
        local_draw(whole, sizes, "x", masks=False, strata=True)
    with pytest.raises(InvalidInputError) as err:
        sample_units_dask(_ddf(parts), sizes, seed="x", stratum_col="stratum", scheduler=client)
    assert "partition 1 row 3" in str(err.value)
    assert "partition 2 row 4" in str(err.value)


def test_bl5_mandatory_and_excluded_overlap_names_partition(client: Any) -> None:
    parts = _parts()
    parts[1].loc[8, ["mandatory", "excluded"]] = True
    with pytest.raises(InvalidInputError) as err:
        sample_units_dask(
            _ddf(parts),
            10,
            seed="x",
            mandatory_col="mandatory",
            excluded_col="excluded",
            scheduler=client,
        )
    assert "partition 1" in str(err.value)
    assert "rows 8" in str(err.value)


def test_bl5_infeasible_sizes_raise_as_locally(client: Any) -> None:
    parts = _parts()
    whole = pd.concat(parts, ignore_index=True)
    eligible = int(((whole["weight"] > 0) & ~whole["excluded"]).sum())
    for size in (eligible + 1, int(whole["mandatory"].sum()) * 0 + len(whole)):
        with pytest.raises(InfeasibleError):
            local_draw(whole, size, "x", masks=True, strata=False)
        with pytest.raises(InfeasibleError):
            sample_units_dask(
                _ddf(parts),
                size,
                seed="x",
                mandatory_col="mandatory",
                excluded_col="excluded",
                scheduler=client,
            )
    with pytest.raises(InvalidInputError, match="mapping"):
        sample_units_dask(_ddf(parts), {"11": 1}, seed="x", scheduler=client)
    with pytest.raises(InvalidInputError, match="no sample size"):
        sample_units_dask(_ddf(parts), {"11": 1}, seed="x", stratum_col="stratum")
    with pytest.raises(InvalidInputError, match="no column"):
        sample_units_dask(_ddf(parts), 1, seed="x", weight_col="risk")


# ---------------------------------------------------------------- property


@st.composite
def populations(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    n = draw(st.integers(1, 300))
    weights = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.sampled_from([1.0, 2.0, 50.0])),
            min_size=n,
            max_size=n,
        )
    )
    ids = draw(st.permutations(range(10 * n)))[:n]
    flags = draw(st.lists(st.sampled_from("fme"), min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from("ab"), min_size=n, max_size=n))
    df = pd.DataFrame(
        {
            "id": np.asarray(ids, dtype=np.int64),
            "weight": np.asarray(weights),
            "mandatory": [f == "m" for f in flags],
            "excluded": [f == "e" for f in flags],
            "stratum": labels,
        }
    )
    stratified = draw(st.booleans())
    eligible = df[(df["weight"] > 0) & ~df["excluded"]]
    if stratified:
        size: Any = {}
        for label in ("a", "b"):
            here = df["stratum"] == label
            if not here.any():
                continue
            lo = int((df["mandatory"] & here).sum())
            hi = lo + int(((df["weight"] > 0) & ~df["excluded"] & ~df["mandatory"] & here).sum())
            size[label] = draw(st.integers(lo, hi))
    else:
        lo = int(df["mandatory"].sum())
        size = draw(st.integers(lo, len(eligible) + lo - int(eligible["mandatory"].sum())))
    opts = {
        "size": size,
        "stratified": stratified,
        "parts": draw(st.integers(1, 6)),
        "buckets": draw(st.integers(1, 5)),
        "seed": draw(st.sampled_from(["s0", "s1", "s2"])),
    }
    return df, opts


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_bl5_property_dask_equals_local_for_all_inputs(case: tuple[Any, dict[str, Any]]) -> None:
    df, o = case
    local = local_draw(df, o["size"], o["seed"], masks=True, strata=o["stratified"])
    res = sample_units_dask(
        dd.from_pandas(df, npartitions=o["parts"], sort=False),
        o["size"],
        seed=o["seed"],
        mandatory_col="mandatory",
        excluded_col="excluded",
        stratum_col="stratum" if o["stratified"] else None,
        scheduler="sync",
        buckets=o["buckets"],
    )
    assert_same(local, res)


# ---------------------------------------------------------------- drop-in for sample_units


def test_bl5_dask_sampler_is_a_drop_in_for_sample_units(client: Any) -> None:
    from drawcore.scale import dask_sampler

    cols = make_partition(0, 0, 20_000)
    ids = [f"U{int(i)}" for i in cols["id"]]
    weights = cols["weight"]
    mandatory = [ids[i] for i in np.flatnonzero(cols["mandatory"])]  # ids, as a plan gives them
    excluded = cols["excluded"]
    kw: dict[str, Any] = {"seed": b"\x01seed", "draw_id": "plan-7/units"}
    local = sample_units(ids, weights, 400, mandatory=mandatory, excluded=excluded, **kw)
    sampler = dask_sampler(scheduler=client, partitions=5)
    got = sampler(ids, weights, 400, mandatory=mandatory, excluded=excluded, **kw)
    assert got == local
    assert np.array_equal(got.probabilities.arrays()[0], local.probabilities.arrays()[0])
    assert np.array_equal(got.probabilities.arrays()[1], local.probabilities.arrays()[1])
    strata = cols["stratum"]
    sizes = allocate_proportional(pd.Series(strata).value_counts().to_dict(), 300)
    assert sampler(ids, weights, sizes, strata=strata, **kw) == sample_units(
        ids, weights, sizes, strata=strata, **kw
    )


def test_bl5_chinese_text_ids_from_csv(tmp_path: Path) -> None:
    cols = make_partition(1, 0, 30_000)
    ids = [("单位" if i % 2 else "U") + str(i) + "é" * (i % 5) for i in range(30_000)]
    frame = pd.DataFrame({"id": ids, "weight": cols["weight"], "stratum": cols["stratum"]})
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    sizes = allocate_proportional(frame["stratum"].value_counts().to_dict(), 600)
    res = sample_units_dask(path, sizes, seed="zh", stratum_col="stratum", scheduler="threads")
    local = sample_units(ids, frame["weight"].to_numpy(), sizes, seed="zh", strata=frame["stratum"])
    assert res.to_unit_sample() == local


# ---------------------------------------------------------------- tiny weights


@pytest.mark.parametrize("tiny", [1e-300, 1e-310, 1e-320])
def test_bl5_tiny_weights_dask_equals_local_bit_for_bit(client: Any, tiny: float) -> None:
    """Weights far below 2**-900 (down to subnormal): the local draw lifts them by an exact
    power of two, per stratum; the Dask engine must lift the same weights the same way.
    Stratum "a" is tiny and stratum "b" is ordinary, so each stratum keeps its own lift."""
    rng = np.random.default_rng(20260301)  # test data only; the draw uses keyed randomness
    n = 3_000
    ids = np.arange(n, dtype=np.int64) * 7 + 11
    labels = np.where(np.arange(n) % 3 == 0, "b", "a")
    weights = rng.uniform(0.5, 1.5, n) * np.where(labels == "a", tiny, 1.0)
    weights[:6] *= 80.0  # a few units capped at probability 1
    flags = rng.integers(0, 20, n)
    df = pd.DataFrame(
        {
            "id": ids,
            "weight": weights,
            "mandatory": flags == 0,
            "excluded": flags == 1,
            "stratum": labels,
        }
    )
    for strata, size in ((False, 400), (True, {"a": 300, "b": 100})):
        local = local_draw(df, size, f"tiny-{tiny}", masks=True, strata=strata)
        res = sample_units_dask(
            dd.from_pandas(df, npartitions=5, sort=False),
            size,
            seed=f"tiny-{tiny}",
            mandatory_col="mandatory",
            excluded_col="excluded",
            stratum_col="stratum" if strata else None,
            scheduler=client,
        )
        assert_same(local, res)
        if strata:  # alone in its stratum, each tiny positive weight has a real chance
            probs = local.probabilities.arrays()[1]  # ids ascend in row order here
            free = (labels == "a") & (flags > 1)
            assert probs[free].min() > 0.0
