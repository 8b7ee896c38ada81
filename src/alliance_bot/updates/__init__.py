"""Moderators change the content from Discord or the command line: uploads read safely (bundle.py), downloads
from Discord's attachment hosts only (fetch.py), the files checked, compared, written and committed
(workspace.py), and proposals, applies, history and rollbacks (service.py, records in storage/content_changes.py).
"""
