"""Use cases: one transaction each, `now` passed in explicitly."""


class ServiceError(Exception):
    """A refused request, mapped by the web layer to the contract's error JSON or a form error."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class RuleViolation(ServiceError):
    """422 with `violations=[{"rule","message"}]`."""

    status, code = 422, "rule_violation"


from . import stored_text  # noqa: E402,F401  (registers the stored-length check on every Session)
