"""Admin: admin pages, the audit log and application settings."""
