"""Parity: every action a person can take in the pages (each POST endpoint of the page
blueprints, read from the URL map) maps to the API route that does the same, or is listed as
page-only with the reason. A new page action without either fails here."""
from __future__ import annotations

# page endpoint -> "METHOD /api/v1/path" of the route that does the same
PARITY = {
    "account.create_token": "POST /api/v1/tokens",
    "account.forgot_password": "POST /api/v1/password-resets",
    "admin_companies.edit_company": "PATCH /api/v1/companies/<int:company_id>",
    "admin_companies.new_company": "POST /api/v1/companies",
    "admin_people.decide": "POST /api/v1/users/<int:user_id>/registration",
    "admin_people.edit": "PATCH /api/v1/users/<int:user_id>",
    "admin_people.invite": "POST /api/v1/users/invitations",
    "admin_people.invite_again": "POST /api/v1/users/<int:user_id>/invitation",
    "admin_people.set_active": "PATCH /api/v1/users/<int:user_id>",  # {"active": false|true}
    "calendar_feed.page": "POST /api/v1/me/calendar/rotate",
    "housing.accept": "POST /api/v1/offers/<int:offer_id>/accept",
    "housing.apply": "POST /api/v1/housing-applications",
    "housing.decline": "POST /api/v1/offers/<int:offer_id>/decline",
    "housing.withdraw": "POST /api/v1/housing-applications/<int:application_id>/withdraw",
    "inbox.cancel_slot_request": "DELETE /api/v1/slot-requests/<int:request_id>",
    "inbox.check_in": "POST /api/v1/bookings/<int:booking_id>/check-in",
    "inbox.join_slot_waitlist": "POST /api/v1/slot-requests",
    "inbox.mark_all_read": "POST /api/v1/notifications/read-all",
    "inbox.mark_read": "POST /api/v1/notifications/<int:notification_id>/read",
    "inbox.settings": "PATCH /api/v1/me/settings",
    "account.notifications": "PATCH /api/v1/me/settings",
    "manage_housing.lease_new": "POST /api/v1/leases",
    "manage_housing.lease_terminate": "POST /api/v1/leases/<int:lease_id>/terminate",
    "manage_housing.outage_add": "POST /api/v1/units/<int:unit_id>/outages",
    "manage_housing.round_commit": "POST /api/v1/allocation-rounds",
    "manage_housing.round_preview_start": "POST /api/v1/allocation-rounds",  # {"commit": false}
    "manage_housing.unit_edit": "PATCH /api/v1/units/<int:unit_id>",
    "manage_housing.unit_new": "POST /api/v1/units",
    "manage_housing.waitlist_reorder": "POST /api/v1/waitlist/<int:entry_id>/reorder",
    "manage_jobs.run_now": "POST /api/v1/jobs/<name>/run",
    "manage_kinds.edit_kind": "PATCH /api/v1/space-kinds/<int:kind_id>",
    "manage_kinds.kinds": "POST /api/v1/space-kinds",
    "manage_spaces.add_blackout": "POST /api/v1/spaces/<int:space_id>/blackouts",
    "manage_spaces.add_recurring_blackout": "POST /api/v1/spaces/<int:space_id>/recurring-blackouts",
    "manage_spaces.approve": "POST /api/v1/bookings/<int:booking_id>/approve",
    "manage_spaces.authorisations": "POST /api/v1/space-authorisations",
    "manage_spaces.edit_space": "PATCH /api/v1/spaces/<int:space_id>",
    "manage_spaces.lift_blackout": "DELETE /api/v1/blackouts/<int:blackout_id>",
    "manage_spaces.lift_recurring_blackout": "DELETE /api/v1/recurring-blackouts/<int:rule_id>",
    "manage_spaces.new_space": "POST /api/v1/spaces",
    "manage_spaces.reject": "POST /api/v1/bookings/<int:booking_id>/reject",
    "manage_spaces.revoke_authorisation": "DELETE /api/v1/space-authorisations/<int:authorisation_id>",
    "manage_spaces.set_active": "PATCH /api/v1/spaces/<int:space_id>",  # {"active": false|true}
    "privacy.ask_for_correction": "POST /api/v1/me/corrections",
    "spaces.book": "POST /api/v1/bookings",
    "spaces.book_suggestion": "POST /api/v1/bookings",  # a suggestion is booked like any interval
    "spaces.cancel": "DELETE /api/v1/bookings/<int:booking_id>",
    "booking_change.change": "PATCH /api/v1/bookings/<int:booking_id>",
    "booking_change.take_suggestion": "PATCH /api/v1/bookings/<int:booking_id>",  # a free time offered after a refusal
    "housing_residents.change": "PATCH /api/v1/housing-applications/<int:application_id>",
    "housing_residents.room_change": "POST /api/v1/leases/<int:lease_id>/room-change",
    "housing_residents.joint_answer": "POST /api/v1/housing-applications/<int:application_id>/partner",
    "short_stays.book": "POST /api/v1/short-stays",
    "short_stays.cancel": "DELETE /api/v1/short-stays/<int:stay_id>",
    "webhooks.index": "POST /api/v1/webhooks",
    "webhooks.endpoint": "PATCH /api/v1/webhooks/<int:endpoint_id>",
    "webhooks.rotate": "PATCH /api/v1/webhooks/<int:endpoint_id>",  # {"rotate_secret": true}
    "webhooks.delete": "DELETE /api/v1/webhooks/<int:endpoint_id>",
    "timeline.approve": "POST /api/v1/bookings/<int:booking_id>/approve",
    "timeline.decide_requests": "POST /api/v1/bookings/approve",  # or /reject, {"ids": [...]}
    "series.book_series": "POST /api/v1/bookings",  # with "repeat" and "on_conflict"
    "series.cancel_series": "DELETE /api/v1/bookings/<int:booking_id>",  # with ?scope=
    "ledger.record_payment": "POST /api/v1/payments",
    "account.profile": "PATCH /api/v1/me",
    "account.change_password": "POST /api/v1/me/password",
    "account.revoke_token": "DELETE /api/v1/tokens/<int:token_id>",
    "admin_companies.registration_policy": "PUT /api/v1/registration-policy",
    "ledger.import_payments": "POST /api/v1/payments/imports",
    "ledger.assign_payment": "POST /api/v1/payments/<int:payment_id>/assign",
    "ledger.discard_payment": "POST /api/v1/payments/<int:payment_id>/discard",
    "reports.freeze": "POST /api/v1/reports/frozen-months",
    "manage_housing_types.type_edit": "PATCH /api/v1/unit-types/<unit_type>",
    "ledger.run_charges": "POST /api/v1/charge-runs",
}

# page endpoint -> why it has no API route
PAGE_ONLY = {
    "auth.login": "the sign-in form makes a browser session; an integration gets a token (POST /api/v1/tokens)",
    "auth.logout": "ends the browser session; a token is revoked with DELETE /api/v1/tokens/current",
    "auth.register": "self-registration is a stranger's form in a browser (off by default), not an integration's",
    "account.confirm_email": "the link mailed to the person proves they read that mailbox; it is followed in a browser",
    "account.choose_password": "the reset/invitation link mailed to the person, followed in a browser",
    "account.resend_verification": "sends the email-confirmation link again: the person's own step in the browser, "
                                   "whose mailbox the link proves",
    "account.end_other_sessions": "signs out the person's other browser sessions, state only browsers have; an "
                                  "integration revokes tokens (DELETE /api/v1/tokens/ID)",
    "reports.prepare_export": "the browser's way to GET /reports/bookings|leases.csv|.xlsx (the contract's files, "
                              "which integrations stream): a large file is prepared with a progress page",
    "language.switch": "the language of the pages (saved for the person, or a cookie for a visitor); the API "
                       "answers in stable English keys",
}

API_PREFIX = "/api/"


def page_actions(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if not rule.rule.startswith(API_PREFIX) and {"POST", "PUT", "PATCH", "DELETE"} & (rule.methods or set())}


def api_routes(app) -> set[str]:
    return {f"{method} {rule.rule}" for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_every_page_action_has_an_api_route_or_a_reason(app):
    actions = page_actions(app)
    unmapped = sorted(actions - set(PARITY) - set(PAGE_ONLY))
    assert unmapped == [], f"page actions with no API route and no reason: {unmapped}"
    assert not set(PARITY) & set(PAGE_ONLY)
    stale = sorted((set(PARITY) | set(PAGE_ONLY)) - actions)
    assert stale == [], f"listed but no longer page actions: {stale}"


def test_every_mapped_api_route_exists(app):
    routes = api_routes(app)
    missing = sorted(f"{page} -> {route}" for page, route in PARITY.items() if route not in routes)
    assert missing == []


def test_new_parity_routes_work(api, make_user):
    """The routes added for parity do what their page does."""
    from innocell.extensions import db
    from innocell.services import notifications as notification_service
    from tests.conftest import FIXED_NOW

    alice = make_user("resident")
    alice_api = api(alice)
    manager_api, admin_api = api(make_user("manager")), api(make_user("admin"))
    for n in range(2):
        notification_service.notify(db.session, user_id=alice.id, kind="test", subject=f"Hello {n}", body="Body",
                                    now=FIXED_NOW)
    db.session.commit()
    assert len(alice_api.get("/api/v1/notifications?unread=1").get_json()["notifications"]) == 2
    assert alice_api.post("/api/v1/notifications/read-all").get_json() == {"marked": 2}
    assert alice_api.get("/api/v1/notifications?unread=1").get_json()["notifications"] == []
    response = alice_api.patch("/api/v1/me/settings", json={"email_reminders": False})
    assert response.get_json() == {"email_reminders": False}
    assert alice_api.patch("/api/v1/me/settings", json={"email_reminders": "no"}).status_code == 400
    assert alice_api.post("/api/v1/me/corrections", json={"what": "My company is Harbour Bio"}).status_code == 202
    assert manager_api.get("/api/v1/notifications").get_json()["notifications"][0]["subject"]
    space = manager_api.post("/api/v1/spaces", json={"code": "BSL", "name": "BSL lab", "kind": "wet_lab"})
    space_id = space.get_json()["space"]["id"]
    granted = manager_api.post("/api/v1/space-authorisations", json={"user_id": alice.id, "space_id": space_id})
    assert granted.status_code == 201
    item = granted.get_json()["authorisation"]
    assert manager_api.get(f"/api/v1/space-authorisations?space_id={space_id}").get_json()["authorisations"] == [item]
    revoked = manager_api.delete(f"/api/v1/space-authorisations/{item['id']}").get_json()["authorisation"]
    assert revoked["revoked_at"] is not None
    assert alice_api.post("/api/v1/space-authorisations", json={"user_id": alice.id, "space_id": space_id}) \
        .status_code == 403
    run = manager_api.post("/api/v1/jobs/lease_end/run")
    assert run.status_code == 200 and run.get_json()["job"] == "lease_end"
    assert manager_api.post("/api/v1/jobs/no_such_job/run").status_code == 404
    assert alice_api.post("/api/v1/jobs/lease_end/run").status_code == 403
