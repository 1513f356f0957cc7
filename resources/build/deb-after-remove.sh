#!/bin/sh
# Remove the `hsam` link the package made (only if it is still ours).
if [ -L /usr/bin/hsam ] && [ "$(readlink /usr/bin/hsam)" = "/opt/H-SAM Workstation/resources/bin/hsam" ]; then
  rm -f /usr/bin/hsam
fi
