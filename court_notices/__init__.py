"""Court Notices domain code: catalog, data, vault, PACER client and settings.

Nothing in this package defines Temporal workflows. Workflow modules import the
pure parts (catalog, lifecycle, messages) through the sandbox pass-through.
"""

TASK_QUEUE = "court-notices"
