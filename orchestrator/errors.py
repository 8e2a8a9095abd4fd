"""The root of every error Warren's control plane raises on purpose."""

__all__ = ["WarrenError"]


class WarrenError(Exception):
    """Base class: anything Warren raises deliberately derives from this."""
