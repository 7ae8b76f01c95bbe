"""The core: inputs, the LP, the agreement rows, the solver adapter and the result."""
