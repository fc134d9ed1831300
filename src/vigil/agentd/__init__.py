"""The agent side of the backend: the websocket transport stock Sensu agents connect to."""
