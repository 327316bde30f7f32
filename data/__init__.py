"""Embedded data: the Gironde snapshot (see data/README.md) and a copy of indicators.yaml."""
