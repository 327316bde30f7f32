"""Did a policy change the trend? A synthetic control from the territory's peers (issue #17).

A user declares policies in `policies.yaml` (none are shipped): a name, a territory, a start
year, the indicators aimed at and the expected direction. For each policy and indicator:

- the series of the territory and of its peers (`territory_peers`) over the years they all
  have; at least `min_pre_years` before the start and `min_post_years` from it, else
  `too_few_years` and no number;
- weights on the peers, non-negative and summing to 1, that best reproduce the territory
  before the start (least squares, `scipy.optimize`): the synthetic control;
- the effect: the mean gap between the territory and its synthetic control from the start on;
- its uncertainty from in-space placebos: the same fit for each peer as if it had had the
  policy; the p-value is the rank of the territory's post/pre gap ratio among them
  (Abadie, Diamond and Hainmueller 2010);
- a poor fit before the start (root mean square gap above `max_pre_rmse` of the level) is
  said, and no conclusion is drawn (`poor_fit`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.optimize import minimize

from itdd.model import LEVELS, NAME, TABLE
from itdd.sql import registered

log = logging.getLogger(__name__)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=NAME.pattern)
    name: str
    territory: str = Field(pattern=rf"^({'|'.join(LEVELS)}):\S+$")  # "commune:33063"
    start_year: int = Field(ge=1990, le=2100)
    indicators: list[str] = Field(min_length=1)
    expected: Literal["increase", "decrease"]


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_pre_years: int = Field(default=3, ge=2)
    min_post_years: int = Field(default=2, ge=1)
    max_pre_rmse: float = Field(default=0.05, gt=0)  # of the territory's mean level before the start
    significance: float = Field(default=0.1, gt=0, lt=1)
    policies: list[Policy] = Field(default_factory=list)


class PolicyError(Exception):
    pass


def load_policies(path: Path) -> PolicySettings:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PolicySettings.model_validate(raw or {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise PolicyError(f"{path}: cannot read the policies: {e}") from None
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise PolicyError(f"{path}: {problems}") from None


@dataclass(frozen=True)
class Fit:
    weights: np.ndarray
    synthetic: np.ndarray
    rmse_pre: float
    rmse_post: float
    effect: float  # mean gap from the start on


def synthetic_control(treated: np.ndarray, donors: np.ndarray, pre: np.ndarray) -> Fit:
    """Weights (>= 0, summing to 1) on `donors` columns that reproduce `treated` where `pre`."""
    n = donors.shape[1]

    def loss(w: np.ndarray) -> float:
        gap = treated[pre] - donors[pre] @ w
        return float(gap @ gap)

    def gradient(w: np.ndarray) -> np.ndarray:
        return -2 * donors[pre].T @ (treated[pre] - donors[pre] @ w)

    found = minimize(
        loss,
        np.full(n, 1 / n),
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(n)}],
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    weights = np.clip(found.x, 0, None)
    weights /= weights.sum()
    synthetic = donors @ weights
    gap = treated - synthetic
    return Fit(
        weights=weights,
        synthetic=synthetic,
        rmse_pre=float(np.sqrt(np.mean(gap[pre] ** 2))),
        rmse_post=float(np.sqrt(np.mean(gap[~pre] ** 2))),
        effect=float(np.mean(gap[~pre])),
    )


def placebo_p_value(treated: np.ndarray, donors: np.ndarray, pre: np.ndarray) -> tuple[float, int]:
    """The share of units (the territory and each donor treated in turn, fitted on the other
    donors) whose post/pre gap ratio is at least the territory's: (p, units beaten or tied)."""

    def ratio(fit: Fit) -> float:
        return fit.rmse_post / max(fit.rmse_pre, 1e-12)

    own = ratio(synthetic_control(treated, donors, pre))
    placebos = [
        ratio(synthetic_control(donors[:, j], np.delete(donors, j, axis=1), pre)) for j in range(donors.shape[1])
    ]
    at_least = sum(r >= own for r in placebos)
    return (1 + at_least) / (1 + len(placebos)), at_least


POLICY_DDL = ";\n".join(TABLE[t].create() for t in ("policy_effects", "policy_series", "policy_weights"))


def evaluate_policies(con: duckdb.DuckDBPyConnection, settings: PolicySettings | None) -> None:
    """Write `policy_effects`, `policy_series` and `policy_weights` (empty without policies)."""
    con.execute(POLICY_DDL)
    for policy in settings.policies if settings else []:
        level, code = policy.territory.split(":", 1)
        for indicator_id in policy.indicators:
            effect, series, weights = _evaluate(con, settings, policy, level, code, indicator_id)
            con.execute(
                "INSERT INTO policy_effects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [policy.id, policy.name, indicator_id, level, code, policy.start_year, policy.expected, *effect],
            )
            if series is not None:
                with registered(con, "_series", series.assign(policy_id=policy.id, indicator_id=indicator_id)):
                    con.execute(
                        "INSERT INTO policy_series SELECT policy_id, indicator_id, year, actual, synthetic FROM _series"
                    )
                with registered(con, "_weights", weights.assign(policy_id=policy.id, indicator_id=indicator_id)):
                    con.execute(
                        "INSERT INTO policy_weights SELECT policy_id, indicator_id, donor_code, weight FROM _weights"
                    )
        log.info("policy %s: %d indicator(s) evaluated", policy.id, len(policy.indicators))


def panel(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, code: str) -> pd.DataFrame:
    """Years by territory: the territory's usable values and its peers' (columns: codes)."""
    values = con.execute(
        """SELECT v.code, v.year, v.value FROM indicator_values v
        WHERE v.indicator_id = ? AND v.level = ? AND v.value IS NOT NULL AND v.status IN ('ok', 'incomplete')
          AND (v.code = ? OR v.code IN (SELECT peer_code FROM territory_peers WHERE level = ? AND code = ?))""",
        [indicator_id, level, code, level, code],
    ).df()
    return values.pivot(index="year", columns="code", values="value").sort_index()


def _evaluate(con, settings: PolicySettings, policy: Policy, level: str, code: str, indicator_id: str):
    """(effect row, series, weights) of one policy and indicator; series None without a fit."""
    table = panel(con, indicator_id, level, code)

    def refused(reason: str, pre: int = 0, post: int = 0, donors: int = 0):
        return [pre, post, donors, None, None, None, None, "not_evaluated", reason], None, None

    if code not in table.columns:
        return refused("no_value")
    table = table[table[code].notna()]
    donors = [c for c in sorted(table.columns) if c != code and table[c].notna().all()]  # complete series only
    pre = table.index.to_numpy() < policy.start_year
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    if n_pre < settings.min_pre_years or n_post < settings.min_post_years:
        return refused("too_few_years", n_pre, n_post, len(donors))
    if len(donors) < 2:
        return refused("too_few_donors", n_pre, n_post, len(donors))
    treated, pool = table[code].to_numpy(float), table[donors].to_numpy(float)
    fit = synthetic_control(treated, pool, pre)
    series = pd.DataFrame({"year": table.index.astype(int), "actual": treated, "synthetic": fit.synthetic})
    weights = pd.DataFrame({"donor_code": donors, "weight": fit.weights})
    if fit.rmse_pre > settings.max_pre_rmse * np.mean(np.abs(treated[pre])):
        verdict, reason, p, as_good = "not_evaluated", "poor_fit", None, None
    else:
        p, as_good = placebo_p_value(treated, pool, pre)
        wanted = fit.effect > 0 if policy.expected == "increase" else fit.effect < 0
        verdict = (
            ("effect_as_expected" if wanted else "effect_opposite") if p <= settings.significance else "no_clear_effect"
        )
        reason = None
    return [n_pre, n_post, len(donors), fit.effect, fit.rmse_pre, p, as_good, verdict, reason], series, weights
