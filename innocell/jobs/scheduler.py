"""APScheduler wiring (filled in by the scheduled-jobs issue)."""


def start_scheduler(app):
    return None
