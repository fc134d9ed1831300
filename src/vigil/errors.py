"""The one error vocabulary of Vigil.

Every layer raises these; only ``vigil.api.responses`` turns them into HTTP (its ``STATUS``
table is the one place an error gets its status, shown below for reading). The numeric
``code`` is Sensu's action error code (sensu-go ``backend/apid/actions/error.go``), kept so
that clients decoding ``{"message", "code"}`` behave as they do against Sensu.

    VigilError (500, code 0)
    ├── InvalidArgument     400, code 1   bad JSON, failed validation, bad query
    ├── NotFound            404, code 2
    ├── AlreadyExists       409, code 3
    ├── Conflict            409, code 3   clashes with current state (namespace not empty)
    ├── MethodNotAllowed    405, code 2   known path, wrong method (Sensu: empty 405)
    ├── Forbidden           403, code 4   RBAC said no
    ├── Unauthenticated     401, code 5   no or bad credentials
    ├── PreconditionFailed  412, code 7   If-Match / If-None-Match / revision mismatch
    ├── PayloadTooLarge     413, code 1   body over --api-request-limit (Sensu: 500)
    ├── TooManyRequests     429, code 0   login throttling
    └── Unavailable         503, code 0   the store cannot be reached
"""

from __future__ import annotations


class VigilError(Exception):
    code: int = 0
    default_message: str = "internal error occurred"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidArgument(VigilError):
    code = 1
    default_message = "invalid argument(s) received"


class NotFound(VigilError):
    code = 2
    default_message = "not found"


class AlreadyExists(VigilError):
    code = 3
    default_message = "resource already exists"


class Conflict(VigilError):
    code = 3
    default_message = "the request conflicts with the current state"


class MethodNotAllowed(VigilError):
    code = 2
    default_message = "method not allowed"


class Forbidden(VigilError):
    code = 4
    default_message = "unauthorized to perform action"


class Unauthenticated(VigilError):
    code = 5
    default_message = "bad credentials"


class PreconditionFailed(VigilError):
    code = 7
    default_message = "precondition failed"


class PayloadTooLarge(VigilError):
    code = 1
    default_message = "request body too large"


class TooManyRequests(VigilError):
    code = 0
    default_message = "too many failed attempts; try again later"


class Unavailable(VigilError):
    code = 0
    default_message = "the store is unavailable"
