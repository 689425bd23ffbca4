"""The practice's storage: the encrypted file, its keys, schema and migrations, backups and verification."""
