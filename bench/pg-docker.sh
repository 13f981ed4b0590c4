#!/bin/sh
export DOCKER_HOST=@HOST@
exec docker "$@"
