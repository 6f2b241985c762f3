"""Built-in GRN inference methods, one module each, registered via entry points."""
