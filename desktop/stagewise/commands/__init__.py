"""Sub-commands of the ``stagewise`` CLI, one module per area; none imports Qt."""
