"""Feature sets: for each, its numpy twin of the firmware kernel, its fitting and its FEATURES section."""
