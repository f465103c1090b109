from django.core.management.base import BaseCommand, CommandError

from scheda import config

# Processes rather than threads: a thread waits for its process's interpreter lock behind the
# others, a process only for a core. Under the same load 4 x 2 cut the p95 of record pages by a
# fifth to a third against 2 x 4, with as many database connections (docs/DECISIONS.md 44).
WORKERS, THREADS = 4, 2


class Command(BaseCommand):
    help = "Serve Scheda with a production server (gunicorn), static files included."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=config.whole_number("SCHEDA_WORKERS", WORKERS))
        parser.add_argument("--threads", type=int, default=config.whole_number("SCHEDA_THREADS", THREADS))

    def handle(self, *args, **options):
        from django.conf import settings
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor
        from gunicorn.app.base import BaseApplication

        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads (SCHEDA_WORKERS, SCHEDA_THREADS) must be 1 or more")
        if MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes()):
            raise CommandError("The database is not up to date: run `scheda migrate` first")
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port {options['port']} is not a port number")

        from django.core.management import call_command

        # Static files collected (and compressed) into the data dir, where whitenoise serves them.
        call_command("collectstatic", interactive=False, verbosity=0)

        from scheda.wsgi import application

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{options['host']}:{options['port']}")
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                # No gunicorn access log: Scheda logs each request itself, with its request id.
                # gunicorn's own lines (start, workers, timeouts) go through Scheda's log
                # handler, so SCHEDA_LOG_FORMAT=json gives JSON lines only.
                self.cfg.set("logconfig_dict", {**settings.LOGGING, "loggers": {
                    "gunicorn.error": {"level": settings.SCHEDA_LOG_LEVEL, "handlers": [], "propagate": True}}})
                self.cfg.set("timeout", 60)

            def load(self):
                return application

        self.stdout.write(f"Scheda is serving at http://{options['host']}:{options['port']}/")
        Server().run()
