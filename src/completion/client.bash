# The command on the line is asked for its own candidates, through the cobra
# `__complete` protocol (docker >= 23; dockmux answers it too): `pg-docker rm
# <TAB>` runs `pg-docker __completeNoDesc rm ''`, so the names come from engine
# pg. The words go as arguments, never through eval.
_dockmux_complete() {
    # shellcheck disable=SC2034 # _init_completion sets prev; local keeps it ours
    local cur prev words cword
    COMPREPLY=()
    if declare -F _init_completion >/dev/null; then
        _init_completion -n =: || return
    else
        # Without bash-completion, words split at = and : as readline splits them.
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
    fi
    local -a args lines
    local out directive=1 i w
    for ((i = 1; i < cword; i++)); do
        # Roughly as the command will see them: quotes and backslashes dropped.
        w=${words[i]}
        args+=("${w//[\'\"\\]/}")
    done
    out=$(_dockmux_ask "${words[0]}" __completeNoDesc "${args[@]}" "$cur")
    mapfile -t lines <<<"$out"
    # The last line is the directive `:N`. Without one (a client older than
    # v23, a timeout) the answer counts as an error: nothing is offered.
    if [[ ${lines[-1]} =~ ^:([0-9]+)$ ]]; then
        directive=${BASH_REMATCH[1]}
        unset 'lines[-1]'
    fi
    if ((directive & 1)); then
        compopt +o default
        return
    fi
    ((directive & 2)) && compopt -o nospace
    ((directive & 4)) && compopt +o default
    ((directive & 32)) && compopt -o nosort
    # `--flag=value`: the candidates are values; readline replaces what follows `=`.
    [[ $cur == -*=* ]] && cur=${cur#*=}
    if ((directive & 8)); then
        # The candidates are file extensions.
        _dockmux_files "$(IFS='|' && printf %s "${lines[*]}")"
    elif ((directive & 16)); then
        # Directories only, within the first candidate if there is one.
        if [[ -n ${lines[0]-} ]]; then
            pushd "${lines[0]}" >/dev/null 2>&1 || return
            _dockmux_files -d
            popd >/dev/null 2>&1 || return
        else
            _dockmux_files -d
        fi
    else
        for w in "${lines[@]}"; do
            [[ -n $w && $w == "$cur"* ]] && COMPREPLY+=("$w")
        done
        # readline replaces only what follows the last `:` or `=` word break.
        for w in : =; do
            if [[ $cur == *"$w"* && $COMP_WORDBREAKS == *"$w"* ]]; then
                i=${cur%"${cur##*"$w"}"}
                COMPREPLY=("${COMPREPLY[@]#"$i"}")
            fi
        done
        if ((${#COMPREPLY[@]} == 1)); then
            printf -v 'COMPREPLY[0]' %q "${COMPREPLY[0]}"
        fi
    fi
    return 0
}

# Runs the completion request as a program (not an alias or function): quiet,
# without a terminal, and bounded in time
# (DOCKMUX_COMPLETION_TIMEOUT seconds, default 2) when `timeout` is there.
_dockmux_ask() {
    local cmd=$1
    shift
    [[ $cmd == \~/* ]] && cmd=$HOME/${cmd:2}
    if type -P timeout >/dev/null; then
        DOCKER_ACTIVE_HELP=0 command timeout "${DOCKMUX_COMPLETION_TIMEOUT:-2}" "$cmd" "$@"
    else
        DOCKER_ACTIVE_HELP=0 command "$cmd" "$@"
    fi </dev/null 2>/dev/null
}

# File completion: bash-completion's when loaded, else readline's own.
_dockmux_files() {
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
    elif [[ ${1-} == -d ]]; then
        compopt -o dirnames
    else
        compopt -o default
    fi
}
