#!/bin/sh
# Put the bundled `hsam` command on the PATH.
ln -sf "/opt/H-SAM Workstation/resources/bin/hsam" /usr/bin/hsam
