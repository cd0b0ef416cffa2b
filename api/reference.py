"""The API's readable reference page, rendered on the server from the same OpenAPI document
(no script from elsewhere: the strict CSP holds). Public, like the document itself."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from api.problems import PROBLEMS, TYPE_BASE

bp = Blueprint("api_reference", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict, part: str = "paths") -> list[dict]:
    """Every operation of the document (``part="webhooks"``: every event), in path order."""
    found = []
    for path, item in spec.get(part, {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            found.append(
                {
                    "anchor": f"{method}-{path}".replace("/", "-")
                    .replace("{", "")
                    .replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": item.get("parameters", []) + op.get("parameters", []),
                    "body": _ref_name(
                        op.get("requestBody", {})
                        .get("content", {})
                        .get("application/json", {})
                        .get("schema", {})
                    ),
                    "responses": {
                        code: _ref_name(
                            next(iter(r.get("content", {}).values()), {}).get("schema", {})
                        )
                        if isinstance(r, dict)
                        else ""
                        for code, r in op.get("responses", {}).items()
                    },
                }
            )
    return found


def _ref_name(schema: dict) -> str:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref") or ""
    return ref.rsplit("/", 1)[-1]


@bp.route("/reference")
def reference():
    spec = current_app.extensions["cloudshop_api"].spec.to_dict()
    return render_template(
        "api/reference.html",
        spec=spec,
        operations=operations(spec),
        events=operations(spec, "webhooks"),
        schemas=spec.get("components", {}).get("schemas", {}),
        problems=PROBLEMS,
        type_base=TYPE_BASE,
    )
