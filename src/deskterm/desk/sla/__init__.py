"""SLAs: business calendars, policies, due times (issue 14)."""
