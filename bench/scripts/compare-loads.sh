# Sourced by the overhead benchmarks: each load of $LOADS (default: the six below) timed without and with something
# attached, alternating, $rounds times, and the medians compared. The caller sets work (a scratch folder), load
# (agent-load.py) and rounds, and names the functions that attach and detach.
# usage: compare_loads PREFIX WITH_LABEL ATTACH_FN DETACH_FN
#   prints "PREFIX LOAD xN: without Bs, with WITH_LABEL Ws, ratio R" per load

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

compare_loads() {
  local prefix=$1 label=$2 attach_fn=$3 detach_fn=$4 spec b w
  local specs
  IFS=';' read -r -a specs <<<"${LOADS:-exec 20000;open-read 300000;open 300000;connect 20000;tree /usr/share;syscall 1000000}"
  for spec in "${specs[@]}"; do
    set -- $spec
    : >"$work/base"; : >"$work/with"
    for _ in $(seq 1 "$rounds"); do
      python3 "$load" "$1" "$2" >>"$work/base"
      "$attach_fn"
      python3 "$load" "$1" "$2" >>"$work/with"
      "$detach_fn"
    done
    b=$(median <"$work/base"); w=$(median <"$work/with")
    echo "$prefix $1 x$2: without ${b}s, with $label ${w}s, ratio $(python3 -c "print(f'{$w/$b:.3f}')")"
  done
}
