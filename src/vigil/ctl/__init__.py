"""vigilctl: the command-line client for the Sensu Go API v2 (Vigil or real Sensu)."""
