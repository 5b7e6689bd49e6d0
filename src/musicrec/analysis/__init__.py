"""Exploratory analysis: clusters of songs and genres, 2-D projections, figures."""
