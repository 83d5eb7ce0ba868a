"""GET /healthz for load balancers and operators (CONTRACT section 4): no sign-in, cheap,
200 while the database answers, 503 when it does not."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..extensions import db
from ..services import jobs as job_service
from ..services.tx import discard
from ..timeutil import iso_local, local_zone

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    scheduler = current_app.extensions.get("innocell_scheduler")
    try:
        last = job_service.last_tick(db.session)
    except Exception as exc:  # noqa: BLE001 - any failure to answer is "down"
        current_app.logger.warning("Health check: database not answering: %s", exc)
        try:
            discard(db.session)
        except Exception:  # noqa: BLE001
            db.session.registry.clear()
        return jsonify({"database": "unavailable", "scheduler": None}), 503
    return jsonify({
        "database": "ok",
        "scheduler": {
            "running_here": bool(scheduler is not None and scheduler.running),
            "last_run_at": iso_local(last, local_zone()),
        },
    })
