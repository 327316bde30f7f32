"""HTTP hardening of the dashboard: security headers, a 404 status for unknown pages, a size
limit on request bodies, callback bodies checked against the callback they name, and safe
download names.

Pure functions (`callback_problem`, `json_depth`, `content_disposition`, `match_page`) and
`install(app, page_found)`, which hooks them into the Flask server behind Dash.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from urllib.parse import quote

import dash
from dash.exceptions import DependencyException
from flask import Response, abort, request

from dashboard.urls import template_pattern

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # a callback body is a few kB; the largest (a map view) far below this
MAX_JSON_DEPTH = 32  # the deepest callback body the dashboard sends is about 8 levels
CALLBACK_PATH = "_dash-update-component"

# Dash writes its config and renderer as inline scripts, and its components and Plotly set inline
# styles; MapLibre (the map) runs its workers from blob: URLs. Nothing is loaded from elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",  # frame-ancestors for browsers without CSP level 2
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

# Values that Dash's own page router reads (it fails on anything else); our callbacks check theirs.
ROUTER_INPUTS = {
    ("_pages_location", "pathname"): lambda value: isinstance(value, str) and value.startswith("/"),
    ("_pages_location", "search"): lambda value: value is None or isinstance(value, str),
}


def json_depth(value: object) -> int:
    """How deeply lists and dicts nest in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def declared_outputs(key: str) -> list[tuple[str, str]]:
    """The (id, property) pairs of a callback key: "..a.b...c.d.." for several outputs, "a.b" for one."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [(name, prop) for name, _, prop in (part.rpartition(".") for part in parts)]


def _is_pattern(declared_id: str) -> bool:
    return declared_id.startswith("{")


def _pattern_matches(declared_id: str, actual: object) -> bool:
    """A concrete id ({"type": "sort", "col": "name"}) fits a declared pattern ({"type": "sort", "col": ["ALL"]})."""
    pattern = json.loads(declared_id)
    if not isinstance(actual, dict) or set(actual) != set(pattern):
        return False
    return all(
        isinstance(actual[k], str | int) and not isinstance(actual[k], bool) if isinstance(v, list) else actual[k] == v
        for k, v in pattern.items()
    )


def _item_problem(declared: dict, item: object, where: str) -> str | None:
    """Why one entry of `inputs` or `state` does not fit its declaration."""
    if _is_pattern(declared["id"]):
        if not isinstance(item, list):
            return f"{where}: a list of matching components expected"
        for entry in item:
            if not (
                isinstance(entry, dict)
                and _pattern_matches(declared["id"], entry.get("id"))
                and entry.get("property") == declared["property"]
            ):
                return f"{where}: an entry does not match {declared['id']}.{declared['property']}"
        return None
    if not isinstance(item, dict) or item.get("id") != declared["id"] or item.get("property") != declared["property"]:
        return f"{where}: {declared['id']}.{declared['property']} expected"
    valid = ROUTER_INPUTS.get((declared["id"], declared["property"]))
    if valid and not valid(item.get("value")):
        return f"{where}: not a value the page router reads"
    return None


def _changed_id_fits(prop_id: object, inputs: list, declared: list[dict]) -> bool:
    """`changedPropIds` names one of the inputs: "id.property", or '{"json":"id"}.property'."""
    if not isinstance(prop_id, str) or "." not in prop_id:
        return False
    name, prop = prop_id.rsplit(".", 1)
    for spec, item in zip(declared, inputs, strict=True):
        if prop != spec["property"]:
            continue
        if not _is_pattern(spec["id"]) and name == spec["id"]:
            return True
        if _is_pattern(spec["id"]) and name.startswith("{"):
            try:
                concrete = json.loads(name)
            except (ValueError, RecursionError):  # a text of 1 MB can nest deeper than Python recurses
                return False
            if any(entry["id"] == concrete for entry in item):
                return True
    return False


def callback_problem(body: object, callbacks: dict) -> str | None:
    """Why a `_dash-update-component` body does not fit the server callback it names, or None.

    Dash trusts the body's shape (a missing key, a wrong count or a clientside callback's name
    raise, hence HTTP 500); this checks it first, so that Dash only runs well-formed calls.
    """
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if json_depth(body) > MAX_JSON_DEPTH:
        return "the body is nested too deeply"
    key = body.get("output")
    if not isinstance(key, str) or key not in callbacks or "callback" not in callbacks[key]:
        return "no server callback for this output"
    spec = callbacks[key]
    outputs = body.get("outputs")
    expected = declared_outputs(key)
    given = outputs if key.startswith("..") else [outputs]
    if not isinstance(given, list) or len(given) != len(expected):
        return "outputs do not match the callback"
    for (output_id, prop), item in zip(expected, given, strict=True):
        if not isinstance(item, dict) or item.get("id") != output_id or item.get("property") != prop:
            return "outputs do not match the callback"
    for part, declared in (("inputs", spec["inputs"]), ("state", spec["state"])):
        items = body.get(part, [])
        if not isinstance(items, list) or len(items) != len(declared):
            return f"{part}: {len(declared)} expected"
        for n, (decl, item) in enumerate(zip(declared, items, strict=True)):
            problem = _item_problem(decl, item, f"{part}[{n}]")
            if problem:
                return problem
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(
        _changed_id_fits(c, body.get("inputs", []), spec["inputs"]) for c in changed
    ):
        return "changedPropIds do not name the inputs"
    return None


def callback_key(callbacks: dict, first_output: str) -> str:
    """The key of the callback whose first output is `first_output` ("map.figure")."""
    return next(k for k in callbacks if k.strip(".").startswith(first_output))


def callback_request(callbacks: dict, key: str, values: dict, changed: str | None = None) -> dict:
    """The body the renderer posts to run callback `key`, the inverse of `callback_problem`.

    `values` maps "id.property" to a value (a pattern input: a list of {"id": {...}, "value": ...});
    the others are None. `changed` is the input that changed (default: the first).
    """
    spec = callbacks[key]

    def items(declared: list[dict]) -> list:
        found: list = []
        for d in declared:
            name, prop = f"{d['id']}.{d['property']}", d["property"]
            if _is_pattern(d["id"]):
                found.append([{"id": e["id"], "property": prop, "value": e.get("value")} for e in values.get(name, [])])
            else:
                found.append({"id": d["id"], "property": prop, "value": values.get(name)})
        return found

    outputs = [{"id": output_id, "property": prop} for output_id, prop in declared_outputs(key)]
    first = spec["inputs"][0]
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": items(spec["inputs"]),
        "state": items(spec["state"]),
        "changedPropIds": [changed or f"{first['id']}.{first['property']}"],
    }


def content_disposition(filename: str) -> str:
    """An attachment header that no name can break (RFC 6266): an ASCII fallback and `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def match_page(path: str, registry: dict | None = None) -> tuple[dict | None, dict]:
    """The registered Dash page a path shows, with its path variables; (None, {}) for none."""
    wanted = path.strip("/")
    for page in (dash.page_registry if registry is None else registry).values():
        template = page.get("path_template")
        if template:
            found = template_pattern(template.strip("/")).match(wanted)
            if found:
                return page, found.groupdict()
        elif wanted == page["path"].strip("/"):
            return page, {}
    return None, {}


def _read_callback_body(callbacks: dict) -> None:
    """Refuse, with 400, a callback body that is not JSON or does not fit its callback."""
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # Python's parser recurses: deep nesting is a RecursionError
        abort(400, "the body is not JSON")
    problem = callback_problem(body, callbacks)
    if problem:
        log.warning("refused a callback body: %s", problem)
        abort(400, problem)


def install(app: dash.Dash, page_found: Callable[[str, dict], bool]) -> None:
    """Hook the checks and headers into `app`'s server; `page_found(path, query)` says if a page exists."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    prefix = app.config.routes_pathname_prefix
    callback_rule = prefix + CALLBACK_PATH
    index_rules = {prefix, prefix + "<path:path>"}

    @server.before_request
    def _check_callback_body():
        if request.url_rule is not None and request.url_rule.rule == callback_rule and request.method == "POST":
            _read_callback_body(app.callback_map)

    @server.after_request
    def _headers_and_status(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        is_page = request.url_rule is not None and request.url_rule.rule in index_rules
        if is_page and response.status_code == 200 and not page_found(request.path, request.args.to_dict()):
            response.status_code = 404  # the friendly page stays: Dash draws it in the browser
        return response

    @server.errorhandler(DependencyException)
    def _unknown_component_file(_error):
        # Dash raises this for any component-suite path it did not register (traversal included).
        return Response("Not found", status=404, mimetype="text/plain")
