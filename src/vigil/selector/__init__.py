"""Label and field selectors: Sensu's grammar plus ``||`` and parentheses."""
