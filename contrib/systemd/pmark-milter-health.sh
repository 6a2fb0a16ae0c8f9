#!/bin/sh
# Scriptable health check (monitoring, a systemd timer, a load balancer): exit 0 healthy, 1 not.
exec /usr/local/bin/pmark milter health --connect unix:/run/pmark/milter.sock --timeout 5
