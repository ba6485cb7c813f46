#!/usr/bin/env bash
# The container image's HEALTHCHECK: GET /health/live from the gateway on its own port and succeed on a 200.
# The runtime image has neither curl nor wget, so this speaks HTTP/1.1 over bash's /dev/tcp.
set -euo pipefail

port="${ASPNETCORE_HTTP_PORTS:-8080}"
port="${port%%[;,]*}" # the first port when several are listed ("8080;8081")

exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status <&3
exec 3<&-

case "$status" in
  "HTTP/1.1 200 "*) exit 0 ;;
  *) echo "unhealthy: ${status%$'\r'}" >&2; exit 1 ;;
esac
