"""Clinical notes: templates, drafts, signing and addenda, hash chains, search and summaries."""
