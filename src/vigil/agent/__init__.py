"""vigil-agent: an agent that speaks the stock sensu-agent protocol (JSON over websocket)."""
