"""The custodian package: everything a named colleague needs to take over the records."""
