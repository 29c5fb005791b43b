"""Streamlit glue shared by the pages: connection, cached loaders, URL-bound filters, translation."""
