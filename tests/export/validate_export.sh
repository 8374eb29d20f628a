#!/usr/bin/env bash
# ctest: `moltbot-supervisord export` of the example manifests and of fleets/*.yaml, in both
# formats (with and without --namespace), each validated offline by validate_objects.mjs against
# the Kubernetes schemas, unknown fields included. Exits 77 (skipped) when the validator's npm
# packages are not installed (scripts/install-deps.sh installs them).
# Usage: validate_export.sh MOLTBOT_SUPERVISORD SOURCE_DIR
set -euo pipefail
supervisord="$1"
source_dir="$2"
here="$source_dir/tests/export"

if ! command -v node >/dev/null || [ ! -d "$here/node_modules/kubernetes-models" ]; then
  echo "SKIP: the export validator's packages are missing: run scripts/install-deps.sh"
  exit 77
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# The examples put state under ~: a scratch HOME keeps the export independent of this host.
export HOME="$scratch/home"
mkdir -p "$HOME"

failures=0
checked=0
for manifest in "$source_dir/examples/fleet.yaml" "$source_dir/examples/openclaw-fleet.yaml" "$here"/fleets/*.yaml; do
  for format in kubernetes podman; do
    for namespace in "" fleet-a; do
      label="$(basename "$manifest") --format $format${namespace:+ --namespace $namespace}"
      output="$scratch/out.yaml"
      if ! "$supervisord" export --format "$format" ${namespace:+--namespace "$namespace"} "$manifest" \
           >"$output" 2>"$scratch/diagnostics"; then
        echo "FAIL: $label: export failed"; cat "$scratch/diagnostics"; failures=$((failures + 1)); continue
      fi
      if result="$(node "$here/validate_objects.mjs" "$output" 2>&1)"; then
        echo "ok: $label: $result"
      else
        echo "FAIL: $label:"; echo "$result"; failures=$((failures + 1))
      fi
      checked=$((checked + 1))
    done
  done
done

# The validator itself must catch what it is there for: a wrong type and an unknown field.
"$supervisord" export "$source_dir/examples/fleet.yaml" 2>/dev/null \
  | sed 's/workingDir:/workDir:/; s/replicas: 1/replicas: "one"/' >"$scratch/broken.yaml"
if node "$here/validate_objects.mjs" "$scratch/broken.yaml" >"$scratch/broken.out" 2>&1; then
  echo "FAIL: the validator accepted a misspelt field and a string replica count"; failures=$((failures + 1))
elif ! grep -q 'workDir is not a field' "$scratch/broken.out" || ! grep -q 'replicas must be integer' "$scratch/broken.out"; then
  echo "FAIL: the validator did not name both problems:"; cat "$scratch/broken.out"; failures=$((failures + 1))
else
  echo "ok: the validator rejects a misspelt field and a wrong type"
fi

echo "$checked exports validated, $failures failure(s)"
[ "$failures" -eq 0 ]
