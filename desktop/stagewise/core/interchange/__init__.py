"""The practice interchange format (JSON export and validated import) and the FHIR bundle."""
