"""Indicators: declarations, incremental aggregation, series, downloads, public views."""
