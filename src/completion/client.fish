# The command on the line is asked for its own candidates, through the cobra
# `__complete` protocol (docker >= 23; dockmux answers it too): `pg-docker rm
# <TAB>` runs `pg-docker __complete rm ''`, so the names come from engine pg.
# The words go as arguments, never through eval.

# Runs the completion request: quiet, without a terminal, and bounded in time
# (DOCKMUX_COMPLETION_TIMEOUT seconds, default 2) when `timeout` is there.
function __dockmux_ask
    set -l words (commandline -opc)
    set -l cmd (string replace -r '^~/' "$HOME/" -- $words[1])
    set -l bound
    if command -sq timeout
        set bound timeout 2
        set -q DOCKMUX_COMPLETION_TIMEOUT[1]; and set bound[2] $DOCKMUX_COMPLETION_TIMEOUT
    end
    DOCKER_ACTIVE_HELP=0 command $bound $cmd __complete $words[2..-1] (commandline -ct) </dev/null 2>/dev/null
end

# fish evaluates every entry's condition: ask once per completion.
function __dockmux_fetch
    set -q __dockmux_answer[1]; and return
    set -g __dockmux_answer (__dockmux_ask)
    # The last line is the directive `:N`. Without one (a client older than
    # v23, a timeout) the answer counts as an error: nothing is offered.
    string match -qr '^:[0-9]+$' -- "$__dockmux_answer[-1]"; or set -g __dockmux_answer :1
end

# Registered first, evaluated last: the next completion asks afresh.
function __dockmux_clear
    set -e __dockmux_answer
    return 1
end

function __dockmux_has # DIRECTIVE BIT
    test (math (math --scale 0 $argv[1] / $argv[2]) % 2) -eq 1
end

function __dockmux_keep_order
    __dockmux_fetch
    __dockmux_has (string sub -s 2 -- $__dockmux_answer[-1]) 32
end

# Sets __dockmux_results; false when fish should complete files instead.
function __dockmux_prepare
    __dockmux_fetch
    set -l directive (string sub -s 2 -- $__dockmux_answer[-1])
    set -l comps $__dockmux_answer[1..-2]
    set -g __dockmux_results
    # An error offers nothing, not even files.
    __dockmux_has $directive 1; and return 0
    set -l token (commandline -ct)
    if __dockmux_has $directive 8; or __dockmux_has $directive 16
        # File extensions, or directories only: filter fish's own file completion.
        set -l files (complete -C "__dockmux_no_such_command $token")
        set -g __dockmux_results (string match -r -- '.*/$' $files)
        if __dockmux_has $directive 8; and set -q comps[1]
            set -l exts (string join '|' -- (string escape --style=regex -- (string replace -r '^\.' '' -- $comps)))
            set -a __dockmux_results (string match -r -- "^.*\.($exts)\$" $files)
        end
        return 0
    end
    # `--flag=value`: the candidates are values; fish matches them against the whole token.
    set -l flag (string match -r -- '^-[^=]*=' $token)
    set -g __dockmux_results "$flag"$comps
    set -l nospace 0
    __dockmux_has $directive 2; and set nospace 1
    if test $nospace -eq 1; or not __dockmux_has $directive 4
        set -l prefix (string escape --style=regex -- $token)
        set -g __dockmux_results (string match -r -- "^$prefix.*" $__dockmux_results)
        if test $nospace -eq 1; and test (count $__dockmux_results) -eq 1
            # fish adds a space after a lone candidate unless it ends in one of
            # @=/:., so offer a second, longer one to keep the cursor put.
            set -l only (string split -m 1 \t -- $__dockmux_results[1])[1]
            if not string match -qr '[@=/:.,]$' -- $only
                set -g __dockmux_results $only $only.
            end
        end
        # No candidates and files allowed: let fish complete files.
        not __dockmux_has $directive 4; and test (count $__dockmux_results) -eq 0; and return 1
    end
    return 0
end
