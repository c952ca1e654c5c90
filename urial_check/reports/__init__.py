"""Terminal summary, HTML reports and progress output."""
