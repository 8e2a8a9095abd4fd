"""Helpers shared by several test layers (throwaway servers and the like)."""
