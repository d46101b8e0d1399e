"""The load benchmark: 1M customers in PostgreSQL, phone lookup over HTTP vs raw SQL. Run `python -m bench`."""
