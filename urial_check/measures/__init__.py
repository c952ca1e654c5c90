"""What is measured on an answer: refusal detectors, harm, judges, token shift."""
