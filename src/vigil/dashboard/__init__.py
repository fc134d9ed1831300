"""The web dashboard: static ES modules served on their own listener (``--dashboard-port``),
with the API forwarded in-process so the browser talks to one origin."""
