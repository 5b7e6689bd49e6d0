"""Feature space: which columns describe a track's sound and how they are scaled."""
