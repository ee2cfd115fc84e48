"""Activities: every side effect of an activation, one module per concern."""
