"""The shipped demo: a small, self-contained dataset and a runner for all four processes."""
