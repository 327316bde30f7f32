"""Reading `indicators.yaml` into a `Catalogue` (etl.catalogue): YAML without a key written
twice, every error in the file collected and reported at once, each naming the source or
indicator id, the field and what is allowed, and the cross-references between sources,
indicators and the header checked."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from etl.catalogue import Catalogue, Indicator
from etl.catalogue_base import Strict
from etl.catalogue_sources import Attribute, Source
from etl.territory import TerritoryError, parse_territory


class CatalogueError(Exception):
    def __init__(self, path: Path, errors: list[str]):
        self.errors = errors
        super().__init__(f"{path}: {len(errors)} error(s)\n" + "\n".join(f"  - {e}" for e in errors))


def _describe(prefix: str, error: ValidationError) -> list[str]:
    out = []
    for e in error.errors():
        field = ".".join(str(p) for p in e["loc"])
        where = f"{prefix}.{field}" if field else prefix
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown field"
        out.append(f"{where}: {message}")
    return out


def _validate_items(kind: str, model: type[Strict], items: object, errors: list[str]) -> list:
    if not isinstance(items, list):
        errors.append(f"{kind}: expected a list")
        return []
    valid = []
    for n, item in enumerate(items):
        name = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        prefix = f"{kind}[{n}] ({name})" if name else f"{kind}[{n}]"
        try:
            valid.append(model.model_validate(item))
        except ValidationError as e:
            errors.extend(_describe(prefix, e))
    return valid


def _declared_ids(items: object) -> list[str]:
    """Ids as written, valid entries or not, so one mistake is not reported twice (an id that
    is not text is reported by the entry's own validation)."""
    if not isinstance(items, list):
        return []
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _cross_check(raw: dict, sources: list[Source], indicators: list[Indicator], errors: list[str]) -> None:
    source_ids, indicator_ids = _declared_ids(raw.get("sources")), _declared_ids(raw.get("indicators"))
    for kind, ids in (("sources", source_ids), ("indicators", indicator_ids)):
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            errors.append(f"{kind} ({dup}): id declared more than once")
    by_id = {s.id: s for s in sources}
    for ind in indicators:
        for ref in ind.refs():
            src = by_id.get(ref.source)
            if ref.source not in source_ids:
                errors.append(
                    f"indicators ({ind.id}): unknown source '{ref.source}'; declared sources: {', '.join(sorted(source_ids))}"
                )
            elif src is not None and ref.variable not in src.variables:
                errors.append(
                    f"indicators ({ind.id}): source '{ref.source}' has no variable '{ref.variable}'; "
                    f"it has: {', '.join(sorted(src.variables))}"
                )
        for component in ind.component_specs():
            if component.id not in indicator_ids:
                errors.append(f"indicators ({ind.id}).components: unknown indicator '{component.id}'")
            elif indicator_ids.index(component.id) > indicator_ids.index(ind.id):
                # composites are computed in catalogue order, after their components
                errors.append(
                    f"indicators ({ind.id}).components: '{component.id}' must be declared before the composite"
                )
            elif any(i.id == component.id and i.kind == "composite" for i in indicators):
                errors.append(f"indicators ({ind.id}).components: '{component.id}' is a composite; use its components")


def parse_catalogue(raw: object, path: Path) -> Catalogue:
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise CatalogueError(path, ["the file must be a mapping with `sources` and `indicators`"])
    sources = _validate_items("sources", Source, raw.get("sources"), errors)
    indicators = _validate_items("indicators", Indicator, raw.get("indicators"), errors)
    _cross_check(raw, sources, indicators, errors)
    header = {k: v for k, v in raw.items() if k not in ("sources", "indicators")}
    try:
        catalogue = Catalogue.model_validate({**header, "sources": sources, "indicators": indicators})
        by_id = {s.id: s for s in sources}
        if catalogue.commune_history and catalogue.commune_history not in by_id:
            errors.append(f"commune_history: unknown source '{catalogue.commune_history}'")
        if catalogue.boundaries and getattr(by_id.get(catalogue.boundaries), "format", None) != "geojson":
            errors.append(f"boundaries: '{catalogue.boundaries}' is not a declared geojson source")
        for feature in catalogue.peers.features if catalogue.peers else []:
            if feature.indicator not in {i.id for i in indicators}:
                errors.append(f"peers.features: unknown indicator '{feature.indicator}'")
        for ref in catalogue.coverage_population or []:
            if not any(s.id == ref.source and ref.variable in s.variables for s in sources):
                errors.append(f"coverage_population: no variable '{ref.variable}' in a source '{ref.source}'")
        for source_id in catalogue.referential:
            if source_id not in by_id:
                errors.append(f"referential: unknown source '{source_id}'")
            elif not by_id[source_id].attributes:
                errors.append(f"referential: source '{source_id}' declares no `attributes` (name, departement…)")
            elif Attribute.departement in by_id[source_id].attributes and (
                by_id[source_id].code_list != catalogue.reference_code_list
            ):  # the communes of the build are those of the reference code list
                errors.append(
                    f"referential: source '{source_id}' gives communes (departement) in code list "
                    f"{by_id[source_id].code_list}, not the reference {catalogue.reference_code_list}"
                )
        if catalogue.territory is not None:
            try:
                parse_territory(catalogue.territory)
            except TerritoryError as e:
                errors.append(f"territory: {e}")
    except ValidationError as e:
        errors.extend(_describe("catalogue", e))
    if errors:
        raise CatalogueError(path, errors)
    return catalogue


class _UniqueKeyLoader(yaml.SafeLoader):
    """A key written twice in one mapping is a mistake, not an override."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain word or number, not a list or a mapping", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in the same mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_catalogue(path: Path) -> Catalogue:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe loader)
    except OSError as e:
        raise CatalogueError(path, [f"cannot read the file: {e.strerror}"]) from None
    except UnicodeDecodeError as e:
        raise CatalogueError(path, [f"not UTF-8 text: byte {e.object[e.start]:#04x} at position {e.start}"]) from None
    except yaml.YAMLError as e:
        raise CatalogueError(path, [f"not valid YAML: {e}"]) from None
    return parse_catalogue(raw, path)
