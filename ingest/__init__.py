"""File ingestion: reading JSON Lines and CSV files (``ingest.readers``) and importing them in
audited batches with a rejects file for every bad row (``ingest.importer``)."""
