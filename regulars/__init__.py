"""Regulars: a CRM that turns first-time customers into regulars."""
