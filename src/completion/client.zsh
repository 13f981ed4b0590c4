# The command on the line is asked for its own candidates, through the cobra
# `__complete` protocol (docker >= 23; dockmux answers it too): `pg-docker rm
# <TAB>` runs `pg-docker __complete rm ''`, so the names come from engine pg.
# The words go as arguments, never through eval.
_dockmux_complete() {
    local out directive=1 line cand
    local -a lines cands opts order
    out=$(_dockmux_ask "${(Q)words[1]}" __complete "${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}")
    lines=("${(@f)out}")
    # The last line is the directive `:N`. Without one (a client older than
    # v23, a timeout) the answer counts as an error: nothing is offered.
    if [[ ${lines[-1]-} == :<-> ]]; then
        directive=${lines[-1]#:}
        lines[-1]=()
    fi
    (( directive & 1 )) && return 1
    # `--flag=value`: the candidates are values.
    [[ $PREFIX == -*=* ]] && compset -P 1 '*='
    if (( directive & 8 )); then
        # The candidates are file extensions.
        for line in "${lines[@]}"; do
            [[ -n $line ]] && opts+=(-g "*.${line#.}")
        done
        _files "${opts[@]}"
        return
    elif (( directive & 16 )); then
        # Directories only, within the first candidate if there is one.
        if [[ -n ${lines[1]-} ]]; then
            _files -W "${lines[1]}" -/
        else
            _files -/
        fi
        return
    fi
    for line in "${lines[@]}"; do
        [[ -z $line ]] && continue
        # _describe takes name:description; a colon in the name is escaped.
        cand=${${line%%$'\t'*}//:/\\:}
        [[ $line == *$'\t'* ]] && cand+=":${line#*$'\t'}"
        cands+=("$cand")
    done
    (( directive & 2 )) && opts+=(-S '')
    (( directive & 32 )) && order=(-V)
    _describe "${order[@]}" -t values value cands "${opts[@]}" && return 0
    (( directive & 4 )) && return 1
    _files
}

# Runs the completion request as a program (not an alias or function): quiet,
# without a terminal, and bounded in time
# (DOCKMUX_COMPLETION_TIMEOUT seconds, default 2) when `timeout` is there.
_dockmux_ask() {
    local cmd=$1
    shift
    [[ $cmd == \~/* ]] && cmd=$HOME/${cmd#\~/}
    if (( $+commands[timeout] )); then
        DOCKER_ACTIVE_HELP=0 command timeout "${DOCKMUX_COMPLETION_TIMEOUT:-2}" "$cmd" "$@"
    else
        DOCKER_ACTIVE_HELP=0 command "$cmd" "$@"
    fi </dev/null 2>/dev/null
}
