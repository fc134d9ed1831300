"""The HTTP layer: routes, middleware, request parsing and the one error -> status table."""
