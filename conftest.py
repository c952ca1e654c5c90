"""Repository-level pytest configuration.

urial-check itself is a plugin (entry point ``urial_check.pytest_plugin.plugin``), so nothing here is needed to
run the suites. This file only keeps run outputs out of collection.
"""

collect_ignore = ["reports"]
