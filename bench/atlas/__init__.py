"""A neuron atlas: describe and score every unit of a layer or a model, in-process or on Ray,
into a Parquet table that DuckDB and the app query."""

from bench.atlas.build import AtlasRequest, build_atlas, describe_unit
from bench.atlas.plan import AtlasPlanError, Chunk, plan
from bench.atlas.store import query, read_rows

__all__ = ["AtlasPlanError", "AtlasRequest", "Chunk", "build_atlas", "describe_unit", "plan",
           "query", "read_rows"]
