"""The instrument licence catalogue."""
