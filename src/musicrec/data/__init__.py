"""Data: the dataset registry and download cache, importers, and the Catalog."""
