# Prints the matches zsh's completion system offers for a command line, one "MATCH:word" line each.
# Usage: zsh -f zsh_complete.zsh FPATH_DIR 'forge build --tar'
# Completion only runs inside the line editor, so an interactive zsh is driven through a pseudo-terminal;
# compadd is wrapped to print what would be offered, and the shell exits after the first completion. (The
# marker is spelt "MAT""CH:" in the wrapper so that the terminal's echo of its definition does not match.)
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT=''; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits; builtin compadd -A __hits "$@"; local ret=$?
  (( $#__hits )) && print -rl -- "MAT""CH:"${^__hits}
  return $ret
}'
zpty -w z 'comppostfuncs=(exit)'
zpty -w -n z "$2"$'\t'
local line
while zpty -r z line; do
  [[ $line == *MATCH:* ]] && print -r -- "MATCH:${${line##*MATCH:}%%[$'\r\e']*}"
done
return 0
