"""Authentication: passwords, tokens, sessions, API keys and the login throttle."""
