// Package deploy holds what it takes to run reviewpolicy: the container
// image, Kubernetes manifests, Prometheus alerts and a Grafana dashboard.
// It has no code; its tests check that those files agree with the server
// (configuration keys, endpoints, metric names).
package deploy
