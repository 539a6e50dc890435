#!/usr/bin/env bash
# Proves the backup procedure: dump a database with pg_dump (custom format), restore it into a new
# database with pg_restore, and compare the exact row count of every table. Exit 0 only if all match.
#
#   scripts/backup_check.sh [DBNAME] [BACKUP_DIR]
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD); defaults 127.0.0.1:5432 postgres.
set -euo pipefail
DB="${1:-zhucun}"
DIR="${2:-$(mktemp -d)}"
mkdir -p "$DIR"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
STAMP="$(date +%Y%m%d%H%M%S)"
DUMP="$DIR/${DB}_${STAMP}.dump"
COPY="${DB}_restore_check_${STAMP}"

counts() {
  psql -d "$1" -At -F '|' -c "
    SELECT format('SELECT %L, count(*) FROM %I.%I', table_schema || '.' || table_name, table_schema, table_name)
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1" \
  | while read -r query; do psql -d "$1" -At -F '|' -c "$query"; done
}

echo "1. pg_dump $DB -> $DUMP"
pg_dump -Fc --no-owner -d "$DB" -f "$DUMP"
echo "2. createdb $COPY and pg_restore"
createdb "$COPY"
trap 'dropdb --if-exists "$COPY"' EXIT
pg_restore --no-owner --exit-on-error -d "$COPY" "$DUMP"
echo "3. compare row counts"
counts "$DB" > "$DIR/source.counts"
counts "$COPY" > "$DIR/restored.counts"
if diff -u "$DIR/source.counts" "$DIR/restored.counts"; then
  echo "OK: $(wc -l < "$DIR/source.counts") tables, $(awk -F'|' '{s+=$2} END {print s}' "$DIR/source.counts") rows, identical after restore"
else
  echo "FAIL: row counts differ after restore"; exit 1
fi
