"""vigilctl sub-commands, one module per resource family."""
