"""The check scheduler (Sensu's schedulerd): interval, cron, round robin, proxy and ad hoc."""

from vigil.schedulerd.scheduler import CheckScheduler

__all__ = ["CheckScheduler"]
