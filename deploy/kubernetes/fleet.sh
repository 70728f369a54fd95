#!/bin/sh
# Runs the fleet end to end with kubectl: N generators started together, then the merge, then the
# results copied to ./minibench-results/. Usage: deploy/kubernetes/fleet.sh [LEAD_SECONDS]
# LEAD_SECONDS (default 90) is how far ahead the common start is: enough for every pod to be
# scheduled, pull its images and download the binary. Works in the current kubectl namespace.
set -eu
here=$(dirname "$0")
lead=${1:-90}

kubectl apply -f "$here/results-pvc.yaml" -f "$here/fleet-config.yaml"
# Epoch milliseconds: one number every generator reads the same way, and `date +%s` is portable.
start_at=$(( ($(date +%s) + lead) * 1000 ))
kubectl patch configmap minibench-fleet --type merge -p "{\"data\":{\"START_AT\":\"$start_at\"}}"
echo "generators start at $start_at (in $lead s)"

kubectl delete job minibench-generators minibench-merge --ignore-not-found
kubectl apply -f "$here/generators-job.yaml"
kubectl wait --for=condition=complete job/minibench-generators --timeout=1h
kubectl apply -f "$here/merge-job.yaml"
kubectl wait --for=condition=complete job/minibench-merge --timeout=10m
kubectl logs job/minibench-merge

kubectl apply -f "$here/results-pod.yaml"
kubectl wait --for=condition=Ready pod/minibench-results --timeout=5m
kubectl cp minibench-results:/results ./minibench-results
kubectl delete pod minibench-results --wait=false
echo "results in ./minibench-results/: gen-*.json, all.json, all.html"
