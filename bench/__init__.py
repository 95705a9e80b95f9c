"""The performance benchmark: ``python build.py bench``."""
