"""Check or rebuild the per-posting monthly tallies against the raw register.

    python manage.py register_tallies --check     # exit 1 and list every difference
    python manage.py register_tallies --rebuild   # recompute all tallies from the register
"""
import time

from django.core.management.base import BaseCommand, CommandError

from attendance.services.register import recompute_tallies, tally_differences


class Command(BaseCommand):
    help = "Compare MonthlyTally with the raw register (--check) or recompute it (--rebuild)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="report differences; exit 1 if any")
        group.add_argument("--rebuild", action="store_true", help="recompute every tally from the register")

    def handle(self, *args, check, rebuild, **options):
        started = time.perf_counter()
        if rebuild:
            n = recompute_tallies()
            self.stdout.write(f"rebuilt {n} tallies in {time.perf_counter() - started:.1f}s")
            return
        differences = tally_differences()
        for line in differences[:200]:
            self.stdout.write(line)
        if differences:
            raise CommandError(f"{len(differences)} tallies differ from the register (run --rebuild)")
        self.stdout.write(f"tallies agree with the register ({time.perf_counter() - started:.1f}s)")
