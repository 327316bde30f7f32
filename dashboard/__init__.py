"""itdd dashboard: a read-only Dash view over the DuckDB file built by the ETL."""
