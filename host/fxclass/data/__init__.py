"""Data: labelled int16 sensor windows (datasets) and recordings in the project's CSV format."""
