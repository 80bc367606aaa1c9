"""The background task (django-tasks; ``manage.py db_worker`` runs it)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="imports")
def run_import(job_id: int) -> str:
    """Run one import from the browser; returns the job's final status."""
    from importers.web.jobs import execute

    job = execute(job_id)
    return job.status if job is not None else "skipped"
