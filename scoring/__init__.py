"""Pure scoring: rules, the engine and propagation maths. No I/O, no driver imports."""
