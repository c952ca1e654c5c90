"""Settings for the example tests: hypothesis profiles sized for model calls.

``urial`` (the default here): 20 examples per property, no deadline. ``urial-ci``: 3 examples,
derandomized so every run draws the same ones (and a warm generation cache answers them all).
Pick one with ``--hypothesis-profile``. The ``urial`` fixture itself comes from the urial-check
plugin, which pytest loads automatically once the package is installed.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from urial_check.strategies import model_settings

settings.register_profile("urial", model_settings(20))
settings.register_profile("urial-ci", model_settings(3, derandomize=True, database=None))


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--hypothesis-profile"):
        settings.load_profile("urial")
