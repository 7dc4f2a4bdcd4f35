#!/usr/bin/env bash
# The helm plugin's command (plugin.yaml): `helm kubeproof check ./chart [options]`
# runs `kubeproof check --chart ./chart [options]`. The first argument after
# `check` that is no option's value and names a directory is the chart, as in
# `helm lint ./chart`; every other argument goes to kubeproof unchanged.
set -euo pipefail

# kubeproof check options that take a value (the next argument is not a chart)
takes_value=" --chart --values -f --set --set-string --release --namespace -n --kube-version
  --profile --manifests --dockerfile --policies --format --output --config --renderer "

args=()
if [ "${1:-}" = check ]; then
  args+=(check)
  shift
  chart_given=false
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$takes_value" in
      *" $arg "*)
        [ "$arg" = --chart ] && chart_given=true
        args+=("$arg")
        if [ $# -gt 0 ]; then args+=("$1"); shift; fi
        continue ;;
    esac
    if ! $chart_given && [ "${arg#-}" = "$arg" ]; then
      args+=(--chart "$arg")   # kubeproof says so in one line when it is no chart
      chart_given=true
    else
      args+=("$arg")
    fi
  done
else
  args+=("$@")
fi

if command -v kubeproof >/dev/null 2>&1; then
  exec kubeproof "${args[@]}"
elif python3 -c 'import kubeproof' >/dev/null 2>&1; then
  exec python3 -m kubeproof "${args[@]}"
fi
echo "helm kubeproof: kubeproof is not installed: pip install kubeproof (or: pip install ${HELM_PLUGIN_DIR:-the plugin directory})" >&2
exit 2
