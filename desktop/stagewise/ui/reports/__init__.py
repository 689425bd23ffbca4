"""Reports in the app: the reports tab and the PDF preview."""
