"""The pure core: batches, leads, their states and errors.

Nothing in this package imports anything outside the standard library and attrs.
"""
