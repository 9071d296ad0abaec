"""Unit draws on Dask: the selection of :func:`drawcore.draw.sampling.sample_units`."""

from drawcore.scale.engine import DaskUnitSample, dask_sampler, sample_units_dask
from drawcore.scale.loading import read_frame

__all__ = ["DaskUnitSample", "dask_sampler", "read_frame", "sample_units_dask"]
