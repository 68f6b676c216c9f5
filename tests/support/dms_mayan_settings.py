"""Django settings for the Mayan EDMS that the delivery tests start (tests/support/dms_mayan.py): production
settings, with Celery tasks run eagerly inside the request (no broker, no worker), so that a document's
file is processed, and its checksum known, by the time the upload is answered."""
from mayan.settings.production import *  # noqa: F401,F403

CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
