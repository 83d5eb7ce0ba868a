"""Scheduled jobs: thin functions over services, each taking `now`."""
