"""VTEX's OpenAPI document as the collector's routes, and jsonschema's errors as the Ajv
errors VTEX's endpoints answer with (HTTP 422).

Bodies are validated with jsonschema's Draft 4 validator plus OpenAPI 3.0's ``nullable``
(jsonschema has no OpenAPI 3.0 dialect; the document needs only that one keyword).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators

SPEC_PATH = Path(__file__).with_name("vtex-ads-events.openapi.json")
#: The one error VTEX answers for a body that is not JSON (or not sent as JSON).
NOT_JSON_ERROR: dict[str, Any] = {
    "instancePath": "",
    "schemaPath": "#/type",
    "keyword": "type",
    "params": {"type": "object"},
    "message": "must be object",
}
#: VTEX's answer to a path it does not serve.
NOT_FOUND = {"messages": ["not found"]}


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> tuple[bool, Any]:
    """(True, value) for strict JSON (no NaN/Infinity), else (False, None)."""
    try:
        return True, json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return False, None


def _type_or_nullable(validator, types, instance, schema) -> Iterator[ValidationError]:
    """Draft 4 ``type``, except that OpenAPI 3.0's ``nullable: true`` also admits null."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


OpenAPI30Validator = validators.extend(Draft4Validator, {"type": _type_or_nullable})


@dataclass(frozen=True)
class Route:
    kind: str
    pattern: re.Pattern[str]
    validator: Any  # an OpenAPI30Validator


def load_routes(spec_path: Path = SPEC_PATH) -> list[Route]:
    """One route per POST path of the OpenAPI document, with its request-body validator."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    routes = []
    for template, item in spec["paths"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        OpenAPI30Validator.check_schema(schema)
        segments = template.strip("/").split("/")
        kind = next(s for s in reversed(segments) if not s.startswith("{"))
        regex = "/".join(
            f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments
        )
        routes.append(Route(kind, re.compile(f"^/{regex}$"), OpenAPI30Validator(schema)))
    return routes


def _pointer(parts: Iterator[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _js(value: Any) -> Any:
    """Render numbers the way JavaScript prints them (2.0 → 2)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_LIMITS = {
    "minLength": "must NOT have fewer than {} characters",
    "maxLength": "must NOT have more than {} characters",
    "minItems": "must NOT have fewer than {} items",
    "maxItems": "must NOT have more than {} items",
    "minProperties": "must NOT have fewer than {} properties",
    "maxProperties": "must NOT have more than {} properties",
}


def _ajv(error: ValidationError) -> list[dict[str, Any]]:
    """The Ajv error(s) for one jsonschema error (``required`` gives one per missing name)."""
    keyword, value, instance = str(error.validator), error.validator_value, error.instance
    params: dict[str, Any] = {}
    if keyword == "required":
        missing = [p for p in value if isinstance(instance, dict) and p not in instance]
        pairs = [({"missingProperty": p}, f"must have required property '{p}'") for p in missing]
    elif keyword == "additionalProperties" and value is False:
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        extra = [
            k for k in instance if k not in known and not any(re.search(q, k) for q in patterns)
        ]
        pairs = [({"additionalProperty": k}, "must NOT have additional properties") for k in extra]
    else:
        message = error.message
        if keyword == "type":
            params = {"type": value}
            message = f"must be {','.join(value) if isinstance(value, list) else value}"
        elif keyword == "enum":
            params, message = {"allowedValues": value}, "must be equal to one of the allowed values"
        elif keyword in ("minimum", "maximum"):
            exclusive = error.schema.get("exclusive" + keyword.capitalize()) is True
            op = (">" if keyword == "minimum" else "<") + ("" if exclusive else "=")
            params, message = {"comparison": op, "limit": _js(value)}, f"must be {op} {_js(value)}"
        elif keyword in _LIMITS:
            params, message = {"limit": value}, _LIMITS[keyword].format(value)
        elif keyword in ("pattern", "format"):
            params, message = {keyword: value}, f'must match {keyword} "{value}"'
        elif keyword == "multipleOf":
            params, message = {"multipleOf": _js(value)}, f"must be multiple of {_js(value)}"
        elif keyword == "anyOf":
            message = "must match a schema in anyOf"
        elif keyword == "oneOf":
            params, message = {"passingSchemas": None}, "must match exactly one schema in oneOf"
        elif keyword == "not":
            message = "must NOT be valid"
        pairs = [(params, message)]
    where = {
        "instancePath": _pointer(iter(error.absolute_path)),
        "schemaPath": "#" + _pointer(iter(error.absolute_schema_path)),
        "keyword": keyword,
    }
    return [{**where, "params": p, "message": m} for p, m in pairs]


def ajv_errors(validator: Any, instance: Any) -> list[dict[str, Any]]:
    """All errors, Ajv style: an anyOf/oneOf's branch errors come before its own error."""
    out: list[dict[str, Any]] = []

    def walk(error: ValidationError) -> None:
        for sub in error.context or ():
            walk(sub)
        out.extend(e for e in _ajv(error) if e not in out)

    for error in validator.iter_errors(instance):
        walk(error)
    return out
