"""Pure business rules: plain functions and dataclasses over the standard library."""
