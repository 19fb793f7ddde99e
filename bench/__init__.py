"""The benchmark suite behind `nox -s bench`: start-up, request latency, tasks, shutdown,
size and memory of the staged backend, each comparison run side by side in one session."""
