"""Privacy: consent records and audit events (models at the bottom of the stack), subject access and erasure (at the top)."""
