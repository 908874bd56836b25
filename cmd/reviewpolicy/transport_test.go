package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Rounds of as many GitHub calls at once as there are workers reuse the
// connections of the first round: http.DefaultTransport kept two idle
// connections to GitHub's one host and dialled again for the others.
func TestGitHubTransportKeepsAConnectionPerWorker(t *testing.T) {
	t.Parallel()
	const workers, rounds = 10, 5
	var dialled atomic.Int64
	release := make(chan struct{})
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		<-release // every call of the round is in flight at once
		io.WriteString(w, "{}")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: githubTransport(workers)}
	defer client.CloseIdleConnections()
	for range rounds {
		arrived.Add(workers)
		var calls sync.WaitGroup
		for range workers {
			calls.Add(1)
			go func() {
				defer calls.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		arrived.Wait()
		for range workers {
			release <- struct{}{}
		}
		calls.Wait()
	}
	if n := dialled.Load(); n > workers {
		t.Errorf("%d connections dialled for %d rounds of %d calls at once, want at most %d", n, rounds, workers, workers)
	}
}
