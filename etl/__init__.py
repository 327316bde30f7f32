"""itdd ETL: extract, load, transform, indicators; one module per stage."""
