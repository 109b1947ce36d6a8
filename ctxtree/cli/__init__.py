"""The `ctx` command line: parse flags, call one use case, render the result."""
