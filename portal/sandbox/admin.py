"""The test-only admin endpoint: read and switch faults, list deposits, without a restart.

Every call needs the header ``Authorization: Bearer <token>``; the token is printed when the
replica starts and written to ``<data_dir>/admin-token`` (owner-only). Endpoints (JSON):

- ``GET /_sandbox/faults``: the faults in force and the processing delay;
- ``POST /_sandbox/faults``: change some of them, e.g. ``{"error_rate": 0.5, "error_seed": 1}``,
  ``{"maintenance_for_s": 30}``, ``{"maintenance_start": null}`` (end maintenance),
  ``{"processing_delay_s": 0}``; answers the new values, or 400 with the validation errors;
- ``GET /_sandbox/deposits``: every deposit with its status label (for tests to wait on).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from pydantic import ValidationError

from portal.sandbox.app import sandbox
from portal.sandbox.labels import LabelSet

blueprint = Blueprint("admin", __name__, url_prefix="/_sandbox")


@blueprint.before_request
def _check_token() -> None:
    expected = f"Bearer {sandbox().admin_token}"
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403)


@blueprint.get("/faults")
def get_faults() -> Response:
    """The faults in force."""
    return jsonify(sandbox().faults.snapshot())


@blueprint.post("/faults")
def set_faults() -> Response | tuple[Response, int]:
    """Change faults; unknown keys or bad values are refused as a whole."""
    changes: Any = request.get_json(silent=True)
    if not isinstance(changes, dict):
        return jsonify({"error": "expected a JSON object"}), 400
    try:
        sandbox().faults.update(changes)
    except ValidationError as exc:
        return jsonify(
            {"error": exc.errors(include_url=False, include_input=False, include_context=False)}
        ), 400
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify(sandbox().faults.snapshot())


@blueprint.get("/deposits")
def deposits() -> Response:
    """Every deposit, newest first, with its status label and available documents."""
    shown = LabelSet(sandbox().faults.faults.labels)
    return jsonify(
        [
            {
                "id": deposit.id,
                "file_name": deposit.file_name,
                "deposited_at": deposit.deposited_at,
                "status": shown.status(deposit.status),
                "state": deposit.status.name,
                "receipt_ok": deposit.receipt_ok,
                "id_flux": deposit.id_flux,
                "report_available": deposit.report_path is not None,
                "id_traitement": deposit.id_traitement,
            }
            for deposit in sandbox().store.deposits()
        ]
    )
