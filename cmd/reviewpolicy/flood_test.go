package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// deploymentMemoryLimit is deploy/kubernetes/deployment.yaml's memory limit,
// and floodGOMEMLIMIT the GOMEMLIMIT it sets.
const (
	deploymentMemoryLimit = 256 << 20
	floodGOMEMLIMIT       = "230MiB"
)

// Twenty unsigned connections each sending 25 MiB (the attack that once
// took the server to 543 MB) leave the server's peak RSS under the
// deployment's limit, and a signed delivery sent after them is stored.
func TestUnsignedFloodStaysUnderMemoryLimit(t *testing.T) {
	t.Parallel()
	h := setup(t)
	child := h.startServerProcess(t, serverBinary(t), "GOMEMLIMIT="+floodGOMEMLIMIT)
	const conns, size = 20, 25 << 20
	var wg sync.WaitGroup
	codes := make([]int, conns)
	for i := range conns {
		wg.Go(func() {
			body := io.LimitReader(zeroReader{}, size)
			req, err := http.NewRequest(http.MethodPost, h.url+"/api/github/hook", body)
			if err != nil {
				return
			}
			if i%2 == 0 {
				req.ContentLength = size // stated, within the cap
			}
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("flood-%d", i))
			req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the server may close a connection it refused early
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[i] = res.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 && c != http.StatusUnauthorized && c != http.StatusServiceUnavailable {
			t.Errorf("flood request %d answered %d, want 401 or 503", i, c)
		}
	}
	peak := peakRSS(t, child.Process.Pid)
	t.Logf("server's peak RSS %d MiB; answers %v", peak>>20, codes)
	if peak >= deploymentMemoryLimit {
		t.Errorf("server's peak RSS %d MiB, over the deployment's %d MiB", peak>>20, deploymentMemoryLimit>>20)
	}
	if got := h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil)); got != http.StatusAccepted {
		t.Errorf("a signed delivery after the flood answered %d, want 202", got)
	}
}

// serverBinary is this test binary, which runs the server in child mode,
// or under the race detector, whose shadow memory would count in the RSS
// measured, the server built without it.
func serverBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		exe, err := os.Executable()
		must(t, err)
		return exe
	}
	exe := filepath.Join(t.TempDir(), "reviewpolicy")
	out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("building the server without -race: %v\n%s", err, out)
	}
	return exe
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// peakRSS is a process's peak resident set size (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			must(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
