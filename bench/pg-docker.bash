#!/bin/bash
export DOCKER_HOST=@HOST@
exec docker "$@"
