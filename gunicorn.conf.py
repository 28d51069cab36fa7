"""Production settings for `gunicorn wsgi:app` (override any of them with GUNICORN_* env or -c)."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers: each request is short (one transaction); 2 × cores + 1 keeps the CPU busy
# while others wait on PostgreSQL and fsync.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Collect uploads large submissions over slow links; give them time, but not forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then to bound any slow leak.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
