"""Implementations of the ports: SQL databases, memory, fsspec filesystems, the system clock."""
