#!/bin/bash
set -euo pipefail
echo "running as $(id -un) in $(pwd), home $HOME"
echo "groups: $(id -Gn)"
stat -c '%A %U:%G %n' /srv/app/shared /var/lib/svc /etc/svc.env
