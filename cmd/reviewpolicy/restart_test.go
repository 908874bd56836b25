package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// startChild runs the server as a real process (this test binary in child
// mode), so it can be killed without a chance to clean up.
func (h *harness) startChild(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	must(t, err)
	return h.startServerProcess(t, exe, env...)
}

// startServerProcess runs exe (this test binary or a built server) as the
// server, with env added.
func (h *harness) startServerProcess(t *testing.T, exe string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(exe, "serve", "--config", h.cfgPath)
	cmd.Env = append(os.Environ(), append(env, "REVIEWPOLICY_E2E_CHILD=1")...)
	out, err := cmd.StdoutPipe()
	must(t, err)
	// Its output, shown if the test fails: a process that exits early says why.
	var log tailWriter
	cmd.Stderr = &log
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server process %d's output ends:\n%s", cmd.Process.Pid, log.String())
		}
	})
	h.url = readListening(t, io.TeeReader(out, &log))
	go func() { _, _ = io.Copy(&log, out) }()
	return cmd
}

// tailWriter keeps the last tailSize bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 16 << 10

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - tailSize; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

func TestJobOfKilledProcessFinishesAfterRestart(t *testing.T) {
	t.Parallel()
	h := setup(t)
	hold := newHoldPoint(t, h.fake.URL, http.MethodPost, "/repos/"+owner+"/"+repoName+"/check-runs", false)
	hold.armed.Store(true)
	env := []string{"GITHUB_V3_API_URL=" + hold.url,
		// A job left "running" by a dead process is rescued after this.
		"REVIEWPOLICY_WORKERS_JOB_TIMEOUT=1s", "REVIEWPOLICY_WORKERS_RESCUE_AFTER=2s"}

	first := h.startChild(t, env...)
	if got := h.send(t, "pull_request", "killed-1", payload(t, "pull_request/opened.payload.json", nil)); got != http.StatusAccepted {
		t.Fatalf("delivery answered %d", got)
	}
	<-hold.hit // the job is writing its check run right now
	must(t, first.Process.Kill())
	_ = first.Wait()
	if n := len(h.checkRuns()); n != 0 {
		t.Fatalf("%d check runs before restart; the hold point leaked", n)
	}

	hold.release()
	h.startChild(t, env...)
	waitFor(t, "the rescued job's check run", func() bool { return len(h.checkRuns()) == 1 })
	if run := h.checkRuns()[0]; run.HeadSHA != headSHA || run.Conclusion != "success" {
		t.Errorf("check run after restart = %+v", run)
	}
}
