#!/usr/bin/env bash
# The old pipeline's "infos" job (seed 000), as a baseline for bench/plan: for each app, curl the
# releases, jq out stable versions, then `curl --head` each version's manifest, one after another.
# Usage: old-pipeline.sh API_URL REGISTRY_HOST NAMESPACE MAX_VERSIONS REPO...   (REPO = owner/name)
# With OLD_PIPELINE_CACERT=ca.pem the registry is asked over HTTPS, trusting that CA (bench/plan --tls).
set -uo pipefail
api=$1 registry=$2 namespace=$3 max=$4; shift 4
accept='application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json'
missing=0
scheme=http; [ -n "${OLD_PIPELINE_CACERT:-}" ] && scheme=https
for repo in "$@"; do
  app=${repo#*/}
  versions=$(curl -s "$api/repos/$repo/releases?per_page=$max" \
    | jq -r '[.[] | select(.prerelease == false and .draft == false) | .tag_name | ltrimstr("v")] | unique | .[]')
  for version in $versions; do
    status=$(curl -s -o /dev/null -w '%{http_code}' --head -H "Accept: $accept" ${OLD_PIPELINE_CACERT:+--cacert "$OLD_PIPELINE_CACERT"} "$scheme://$registry/v2/$namespace/$app/manifests/$version")
    [ "$status" = 404 ] && missing=$((missing + 1))
  done
done
echo "missing=$missing"
