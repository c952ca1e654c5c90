"""Suite files: the YAML loader and the pass/fail checks a case's expectation implies."""
