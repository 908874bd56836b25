package main

import (
	"context"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint the public port answers; /metrics only when
// it has no address of its own (server.metrics_address); the web pages
// (package web) under everything else when sign-in is configured (pages
// not nil).
func routes(hook http.Handler, ready func(context.Context) error, reg *prometheus.Registry, metricsHere bool, pages http.Handler) http.Handler {
	mux := http.NewServeMux()
	if pages != nil {
		mux.Handle("/", pages)
	}
	mux.Handle("POST /api/github/hook", hook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if metricsHere {
		mux.Handle("GET /metrics", metricsHandler(reg))
	}
	return mux
}

// metricsRoutes is /metrics alone, for server.metrics_address.
func metricsRoutes(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(reg))
	return mux
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// debugRoutes are Go's profiles, served only on server.debug_address so
// they never share the public port.
func debugRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
