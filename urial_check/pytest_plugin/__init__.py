"""The pytest layer: options, hooks, fixtures and the items that suites become."""
