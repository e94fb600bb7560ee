"""Check requests and responses against OpenAI's published OpenAPI spec (shared/specs/openai/openapi.yaml).

The spec is parsed once per process (about a second with libyaml) and shared by every server. It is
OpenAPI 3.1 in name but still uses 3.0 idioms (``nullable: true``, boolean ``exclusiveMinimum``) that a JSON
Schema 2020-12 validator would misread, so those are rewritten once after loading. A short, explicit list
of *documented* deviations is applied per style (see ``_style_patches``); everything else must match.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "specs" / "openai" / "openapi.yaml"
_SPEC_URI = "urn:openai-openapi"

# Azure's classic FineTuningState vocabulary (shared/specs/azure excerpt, `FineTuningState`).
AZURE_JOB_STATES = [
    "created",
    "pending",
    "running",
    "pausing",
    "paused",
    "resuming",
    "succeeded",
    "cancelled",
    "failed",
]


@functools.lru_cache(maxsize=1)
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """The parsed spec with 3.0 idioms rewritten to JSON Schema 2020-12; cached for the whole process."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as handle:
        spec = yaml.load(handle, Loader=loader)
    spec["components"]["schemas"] = {
        name: _normalise(schema) for name, schema in spec["components"]["schemas"].items()
    }
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                for parameter in operation.get("parameters", []):
                    if "schema" in parameter:
                        parameter["schema"] = _normalise(parameter["schema"])
    return cast(dict[str, Any], spec)


def _normalise(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 keywords (nullable, boolean exclusive bounds) into JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _normalise(value) for key, value in node.items()}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(exclusive), bool) and out.pop(exclusive) and bound in out:
            out[exclusive] = out.pop(bound)
    if "allOf" in out:
        # `allOf: [{$ref: X}, {nullable: true}]` means "X or null".
        parts = out["allOf"]
        nullable_parts = [
            p for p in parts if isinstance(p, dict) and set(p) == {"anyOf"} and _is_any_or_null(p)
        ]
        if nullable_parts:
            rest = [p for p in parts if p not in nullable_parts]
            out["allOf"] = rest
            out = {"anyOf": [out, {"type": "null"}]}
    if out.pop("nullable", False) is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _is_any_or_null(schema: dict[str, Any]) -> bool:
    options = schema["anyOf"]
    return len(options) == 2 and options[0] == {} and options[1] == {"type": "null"}


def _style_patches(spec: dict[str, Any], style: str) -> dict[str, Any]:
    """Documented deviations from the spec, per style; returns a shallow copy with patched schemas only.

    - ``paused``: the pause endpoint returns it; the FineTuningJob.status enum lacks it (specs/openai/README).
    - Azure: classic FineTuningState names (azure excerpt), `trainingType` top-level and `l2_multiplier` in
      DPO hyperparameters (reference/azure-foundry-fine-tuning-api.md §2.2-2.3), typed so wrong types fail.
    """
    schemas = dict(spec["components"]["schemas"])
    job = copy.deepcopy(schemas["FineTuningJob"])
    status = job["properties"]["status"]
    extra = ["paused"] + (AZURE_JOB_STATES if style == "azure" else [])
    status["enum"] = list(dict.fromkeys([*status["enum"], *extra]))
    schemas["FineTuningJob"] = job
    if style == "azure":
        create = copy.deepcopy(schemas["CreateFineTuningJobRequest"])
        create["properties"]["trainingType"] = {"type": "string", "minLength": 1}
        schemas["CreateFineTuningJobRequest"] = create
        dpo = copy.deepcopy(schemas["FineTuneDPOHyperparameters"])
        dpo["properties"]["l2_multiplier"] = {
            "oneOf": [{"type": "string", "enum": ["auto"]}, {"type": "number", "minimum": 0}]
        }
        schemas["FineTuneDPOHyperparameters"] = dpo
        # Azure lists models with its own fields (capabilities, lifecycle_status) next to OpenAI's.
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


@dataclass(frozen=True)
class Operation:
    """One spec operation: its path template, method, and the parts of it this server checks."""

    template: str
    method: str
    operation_id: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    body_schemas: Mapping[str, Any]
    response_schemas: Mapping[str, Any]


class SpecValidator:
    """Validate requests/responses of the implemented operations; returns human-readable violations."""

    def __init__(self, style: str, spec: dict[str, Any] | None = None) -> None:
        base = spec if spec is not None else load_spec()
        self.style = style
        self.spec = _style_patches(base, style)
        resource: Resource[Any] = DRAFT202012.create_resource(self.spec)
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._operations = list(self._build_operations())

    def _build_operations(self) -> Iterator[Operation]:
        for template, item in self.spec["paths"].items():
            pieces = re.split(r"\{[^/}]+\}", template)
            pattern = re.compile("^" + "[^/]+".join(re.escape(piece) for piece in pieces) + "$")
            common = item.get("parameters", [])
            for method, operation in item.items():
                if method == "parameters" or not isinstance(operation, dict):
                    continue
                content = (operation.get("requestBody") or {}).get("content", {})
                responses = {
                    code: {
                        ctype: body.get("schema") for ctype, body in (response.get("content") or {}).items()
                    }
                    for code, response in operation.get("responses", {}).items()
                }
                yield Operation(
                    template=template,
                    method=method.upper(),
                    operation_id=operation.get("operationId", ""),
                    pattern=pattern,
                    parameters=tuple(common) + tuple(operation.get("parameters", [])),
                    body_schemas={ctype: body.get("schema") for ctype, body in content.items()},
                    response_schemas=responses,
                )

    def find(self, method: str, api_path: str) -> Operation | None:
        """The operation whose template matches (literal templates win over parameterised ones)."""
        matches = [op for op in self._operations if op.method == method and op.pattern.match(api_path)]
        matches.sort(key=lambda op: op.template.count("{"))
        return matches[0] if matches else None

    def _validator(self, schema: Any) -> Draft202012Validator:
        key = repr(schema)
        validator = self._validators.get(key)
        if validator is None:
            wrapped = (
                {"$ref": _SPEC_URI + schema["$ref"]}
                if isinstance(schema, dict) and "$ref" in schema
                else schema
            )
            validator = Draft202012Validator(wrapped, registry=self._registry)
            self._validators[key] = validator
        return validator

    def schema_errors(self, schema: Any, instance: Any, where: str) -> list[str]:
        """Every violation of `schema` by `instance`, each as 'where.path: message'."""
        errors = sorted(self._validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
        out = []
        for error in errors:
            path = ".".join(str(part) for part in error.absolute_path)
            detail = _best_message(error)
            out.append(f"{where}{'.' + path if path else ''}: {detail}")
        return out

    def resolve(self, schema: Any) -> Any:
        """Follow a local $ref (one level) to the schema object."""
        while isinstance(schema, dict) and "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.spec["components"]["schemas"][name]
        return schema

    def check_request(
        self,
        operation: Operation,
        query: Mapping[str, list[str]],
        content_type: str,
        body: Any,
        *,
        allowed_extra_query: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Violations in the query string and body of a request to `operation`."""
        where = f"request {operation.method} {operation.template}"
        problems: list[str] = []
        declared = {p["name"]: p for p in operation.parameters if p.get("in") == "query"}
        deep_objects: dict[str, dict[str, str]] = {}
        for name, values in query.items():
            base = name.split("[", 1)[0]
            if name in allowed_extra_query:
                continue
            if base not in declared:
                problems.append(f"{where}: unknown query parameter {name!r}")
                continue
            if "[" in name:
                deep_objects.setdefault(base, {})[name[len(base) + 1 : -1]] = values[-1]
                continue
            if len(values) > 1:
                problems.append(f"{where}: query parameter {name!r} given {len(values)} times")
            value = _coerce(values[-1], declared[name].get("schema", {}))
            problems += self.schema_errors(declared[name].get("schema", {}), value, f"{where} query {name}")
        for base, value in deep_objects.items():
            problems += self.schema_errors(declared[base].get("schema", {}), value, f"{where} query {base}")
        media = content_type.split(";", 1)[0].strip().lower()
        if not operation.body_schemas:
            if body not in (None, b"", {}):
                problems.append(f"{where}: a body was sent but the operation takes none")
            return problems
        if media not in operation.body_schemas:
            problems.append(f"{where}: content type {media!r} not in {sorted(operation.body_schemas)}")
            return problems
        schema = operation.body_schemas[media]
        if media == "multipart/form-data":
            body = _coerce_form(body, self.resolve(schema), self)
        problems += self.schema_errors(schema, body, f"{where} body")
        return problems

    def check_response(
        self, operation: Operation, status: int, body: Any, media: str = "application/json"
    ) -> list[str]:
        """Violations in a JSON response body (or one streamed event) against the operation's schema."""
        where = f"response {status} to {operation.method} {operation.template}"
        code = "200" if status in (200, 201) else str(status)
        schemas = operation.response_schemas.get(code)
        if schemas is None:
            return [f"{where}: status {status} is not declared for this operation"]
        schema = schemas.get(media)
        if schema is None or schema == {"type": "string"}:
            return []
        return self.schema_errors(schema, body, where)

    def check_error(self, status: int, body: Any) -> list[str]:
        """OpenAI-style error bodies must match the spec's ErrorResponse."""
        return self.schema_errors(
            {"$ref": "#/components/schemas/ErrorResponse"}, body, f"error response {status}"
        )


def _best_message(error: Any) -> str:
    """The most specific message for oneOf/anyOf failures (e.g. '5 is greater than the maximum of 2')."""
    if error.context:
        # Prefer the alternative whose type matched: its complaint is the real one.
        wrong_type = {
            e.relative_schema_path[0] for e in error.context if e.validator in ("type", "enum", "const")
        }
        relevant = [e for e in error.context if e.relative_schema_path[0] not in wrong_type] or list(
            error.context
        )
        deepest = max(relevant, key=lambda e: len(list(e.absolute_path)))
        return _best_message(deepest)
    return str(error.message)


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """Query/form values are strings; turn them into the scalar type the schema declares, if they parse."""
    kinds = _types(schema)
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _types(schema: Mapping[str, Any]) -> set[str]:
    kinds: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        kinds.add(kind)
    elif isinstance(kind, list):
        kinds.update(kind)
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            kinds |= _types(option)
    return kinds


def _coerce_form(form: Any, schema: Any, validator: SpecValidator) -> Any:
    """Multipart fields arrive as strings (`a[b]` for nested objects); rebuild and type them per schema."""
    if not isinstance(form, dict):
        return form
    out: dict[str, Any] = {}
    for name, value in form.items():
        parts = re.findall(r"[^\[\]]+", name)
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value

    def walk(node: Any, node_schema: Any) -> Any:
        node_schema = validator.resolve(node_schema)
        if isinstance(node, dict):
            props = node_schema.get("properties", {}) if isinstance(node_schema, dict) else {}
            return {key: walk(val, props.get(key, {})) for key, val in node.items()}
        if isinstance(node, str) and isinstance(node_schema, dict):
            return _coerce(node, node_schema)
        return node

    return walk(out, schema)
