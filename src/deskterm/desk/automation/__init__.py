"""The desk working by itself: rules, assignment, and the timers (the runner: escalation,
pending reminders, auto-close) that act through the same change kernel as an agent."""
