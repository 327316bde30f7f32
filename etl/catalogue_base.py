"""The base of every model of the indicator catalogue (`etl.catalogue`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # No NaN or infinity anywhere in the catalogue: a scale of `.nan` or `1e400` is an error.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
