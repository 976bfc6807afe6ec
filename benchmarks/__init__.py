"""Side-by-side benchmarks of the runtimes (printed, never asserted); see README.md."""
