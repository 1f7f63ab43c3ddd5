"""Bytes on disk to arrays and dicts: safetensors, the packed 4-bit table, Hub downloads.

Nothing in this sub-package knows about model layouts; ``formats`` builds on it.
"""
