"""Cluster mode: the service's jobs run as Celery tasks on workers (Redis broker), scheduled work on Celery beat.

Switched on by the ``[cluster]`` table (:mod:`.options`); without it ``naskah serve`` runs everything in its own
process, as it always did. The pieces:

- ``options``  the ``[cluster]`` table: broker, result backend, the shared database of jobs, beat's schedule
- ``app``      the Celery app made from the settings, with its tasks and beat's schedule
- ``worker``   what one worker process holds (pipeline, warm LibreOffice pool) and the work of each task
- ``callbacks`` a job's callback and the signature flow's events, one try per task run, retried by Celery
- ``claims``   who runs a job, or posts a callback or an event, right now: one at a time, in the database
- ``runner``   the API's side: a job is queued to Celery and its end read from the shared jobs table

This module imports nothing (Celery is loaded only where cluster mode is used).
"""
